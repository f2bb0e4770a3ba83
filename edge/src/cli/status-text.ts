/** `peerfetch-edge status` for a person: one line per fact, in words, never raw JSON. */
import prettyMs from 'pretty-ms';
import type { EdgeStatus } from '../main.js';
import { formatColumns } from './columns.js';

export function statusText(status: EdgeStatus, now = Date.now()): string {
  const { signaling } = status;
  const dropped = Object.entries(signaling.dropped).filter(([, count]) => count > 0);
  const droppedTotal = dropped.reduce((sum, [, count]) => sum + count, 0);
  const rows: [string, string][] = [
    ['Device', `${status.name} (${status.peerId})`],
    [
      'Version',
      `${status.version}, up ${prettyMs(status.uptimeSeconds * 1000, { verbose: true, unitCount: 2 })}`,
    ],
    [
      'Signaling',
      `${signaling.state} at ${signaling.url} (${signaling.registrations} registration${signaling.registrations === 1 ? '' : 's'})`,
    ],
    [
      'Sessions',
      `${status.sessions} open, ${signaling.pendingConnections} waiting to authenticate`,
    ],
    ['Paired clients', String(status.pairedClients)],
    [
      'Pairing',
      status.pairingOpenUntil === null
        ? 'closed (open a window with `peerfetch-edge pair`)'
        : `open for ${prettyMs(Math.max(0, status.pairingOpenUntil - now), { secondsDecimalDigits: 0 })}`,
    ],
    ['Routes', status.routes.join(', ') || 'none'],
  ];
  if (droppedTotal > 0) {
    const reasons = dropped.map(([reason, count]) => `${reason} ${count}`).join(', ');
    rows.push(['Dropped', `${droppedTotal} signaling messages from strangers (${reasons})`]);
  }
  return formatColumns(rows);
}
