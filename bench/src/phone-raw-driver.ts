/**
 * The raw baseline's client in the phone of the internet in a box: a stock PeerJS peer on
 * @roamhq/wrtc with the signaling server's ICE servers (box-peer.ts), holding one raw
 * DataConnection to the bench peer (bench-peer.ts, in the edge's host) with the send policy a
 * PeerFetch session between the same two hosts uses. It speaks phone-driver.ts's JSON lines
 * (test/helpers/internet/phone.ts drives it), with ops of its own:
 *   {"id":1,"op":"download","bytes":N} → {"id":1,"ms":N}    (raw bytes from the peer's memory)
 *   {"id":2,"op":"echo","count":N}     → {"id":2,"ms":[…]}  (128-byte round trips, in a row)
 *   {"id":3,"op":"path"}               → {"id":3,"path":{"local":{…},"remote":{…}}}
 *   {"id":4,"op":"close"}              → {"id":4,"closed":true}, then exits
 * The first line is {"event":"ready","deviceId":<bench peer id>,"ms":N}, or
 * {"event":"failed","error":…}.
 *
 *   node --import tsx bench/src/phone-raw-driver.ts <signaling url> <bench peer id>
 */
import { createInterface } from 'node:readline';
import { maxMessageSizeOf } from '@peerfetch/edge';
import { selectedIcePath } from '@peerfetch/test/helpers/internet/ice-path.js';
import { createBoxPeer } from './box-peer.js';
import { defaultPolicy } from './node-throughput.js';
import { openRaw, type RawClient } from './peer-client.js';

export type RawPhoneCommand =
  | { id: number; op: 'download'; bytes: number }
  | { id: number; op: 'echo'; count: number }
  | { id: number; op: 'path' }
  | { id: number; op: 'close' };

const [signalingUrl, benchPeerId] = process.argv.slice(2);

function answer(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function connect(url: string, peerId: string): Promise<RawClient> {
  const peer = await createBoxPeer(url);
  // The policy travels with the request and depends on the message size the connection
  // negotiates: a first connection learns it, as a session reads it from its own.
  const probe = await openRaw(peer, peerId, defaultPolicy(65536));
  const policy = defaultPolicy(maxMessageSizeOf(probe.connection.peerConnection));
  probe.close();
  return openRaw(peer, peerId, policy);
}

async function echoes(raw: RawClient, count: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) ms.push(await raw.echo());
  return ms;
}

const started = performance.now();
let raw: RawClient;
try {
  if (!signalingUrl || !benchPeerId) throw new Error('usage: <signaling url> <bench peer id>');
  raw = await connect(signalingUrl, benchPeerId);
} catch (error) {
  answer({ event: 'failed', error: (error as Error).message });
  process.exit(1);
}
answer({ event: 'ready', deviceId: benchPeerId, ms: performance.now() - started });

for await (const text of createInterface({ input: process.stdin })) {
  const command = JSON.parse(text) as RawPhoneCommand;
  try {
    if (command.op === 'download') {
      answer({ id: command.id, ms: await raw.download(command.bytes) });
    } else if (command.op === 'echo') {
      answer({ id: command.id, ms: await echoes(raw, command.count) });
    } else if (command.op === 'path') {
      const pc = raw.connection.peerConnection as unknown as RTCPeerConnection;
      answer({ id: command.id, path: await selectedIcePath(pc) });
    } else {
      raw.close();
      answer({ id: command.id, closed: true });
      break;
    }
  } catch (error) {
    answer({ id: command.id, error: (error as Error).message });
  }
}
// WebRTC's native threads keep the process alive: leave once stdout is flushed.
process.stdout.write('', () => process.exit(0));
