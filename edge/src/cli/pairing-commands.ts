/** `peerfetch-edge pair | clients | unpair`: pairing management through the control socket. */
import type { PairedClientInfo } from '../pairing/paired-clients.js';
import { pairingText } from '../pairing/pairing-link.js';
import type { PairingInfo } from '../pairing/pairing-service.js';
import { formatColumns } from './columns.js';

type Call = (command: string, args?: Record<string, unknown>) => Promise<unknown>;

export async function pairCommand(call: Call, json: boolean): Promise<string> {
  const info = (await call('pair')) as PairingInfo;
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

export async function clientsCommand(call: Call, json: boolean): Promise<string> {
  const clients = (await call('clients')) as PairedClientInfo[];
  return json ? JSON.stringify(clients, null, 2) : clientsTable(clients);
}

export async function unpairCommand(call: Call, client: string): Promise<string> {
  const removed = (await call('unpair', { client })) as PairedClientInfo;
  return `Unpaired ${removed.name} (${removed.id}); its sessions were closed.`;
}
