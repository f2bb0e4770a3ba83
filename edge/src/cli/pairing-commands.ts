/** `peerfetch-edge pair | clients | unpair`: pairing management through the control socket. */
import type { ControlCall } from '../control/client.js';
import type { PairedClientInfo } from '../pairing/paired-clients.js';
import { pairingText } from '../pairing/pairing-link.js';
import { formatColumns } from './columns.js';

export async function pairCommand(call: ControlCall, json: boolean): Promise<string> {
  const info = await call('pair', {});
  if (json) return JSON.stringify(info, null, 2);
  return pairingText(info, info.link);
}

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

export function clientsTable(clients: PairedClientInfo[]): string {
  if (clients.length === 0) return 'No paired clients. Run `peerfetch-edge pair` to pair one.';
  return formatColumns([
    ['ID', 'NAME', 'PAIRED', 'LAST SEEN'],
    ...clients.map((c) => [c.id, c.name, when(c.pairedAt), when(c.lastSeen)]),
  ]);
}

export async function clientsCommand(call: ControlCall, json: boolean): Promise<string> {
  const clients = await call('clients', {});
  return json ? JSON.stringify(clients, null, 2) : clientsTable(clients);
}

export async function unpairCommand(call: ControlCall, client: string): Promise<string> {
  const removed = await call('unpair', { client });
  return `Unpaired ${removed.name} (${removed.id}); its sessions were closed.`;
}
