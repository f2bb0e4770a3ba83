/**
 * A phone for the internet-in-a-box tests: a long-lived Node client (the product's
 * `connectToDevice`) holding one session to the edge that `peerfetch pair` stored in
 * `$XDG_CONFIG_HOME/peerfetch/devices.json`. It takes commands as JSON lines on stdin and
 * answers each with a JSON line on stdout:
 *   {"id":1,"op":"fetch","path":"/api/device"} → {"id":1,"status":200,"bytes":N,"sha256":"…","ms":N}
 *   {"id":2,"op":"time","path":"/api/media/a.bin","count":N} → {"id":2,"ms":[…],"bytes":N}
 *   {"id":3,"op":"path"}                       → {"id":3,"path":{"local":{…},"remote":{…}}}
 *   {"id":4,"op":"close"}                      → {"id":4,"closed":true}, then exits
 * `time` GETs the path `count` times in a row and gives each one's ms to its last byte
 * (performance.now, no hashing: the benchmarks' op) and the bytes of all of them.
 * The first line is {"event":"ready","deviceId":…,"ms":N}, or {"event":"failed","error":…}.
 * Run it inside the phone's namespace: `node --import tsx phone-driver.ts`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connectToDevice, type DeviceConnection } from '@peerfetch/edge';
import { importPairingKey } from '@peerfetch/shared';
import { type IcePath, selectedIcePath } from './ice-path.js';

export type PhoneCommand =
  | { id: number; op: 'fetch'; path: string }
  | { id: number; op: 'time'; path: string; count: number }
  | { id: number; op: 'path' }
  | { id: number; op: 'close' };

export type PhoneAnswer =
  | { id: number; status: number; bytes: number; sha256: string; ms: number }
  | { id: number; ms: number[]; bytes: number }
  | { id: number; path: IcePath }
  | { id: number; closed: true }
  | { id: number; error: string };

interface StoredPairings {
  client: { id: string; token: string };
  devices: { id: string; key: string; signalingUrl: string }[];
}

async function connect(): Promise<DeviceConnection> {
  const file = join(process.env.XDG_CONFIG_HOME ?? '', 'peerfetch', 'devices.json');
  const stored = JSON.parse(await readFile(file, 'utf8')) as StoredPairings;
  const device = stored.devices[0];
  if (!device) throw new Error(`no pairing in ${file}`);
  return connectToDevice({
    signalingUrl: device.signalingUrl,
    key: process.env.PEERFETCH_SIGNALING_KEY,
    deviceId: device.id,
    client: stored.client,
    clientName: 'phone driver',
    credentials: { key: await importPairingKey(new Uint8Array(Buffer.from(device.key, 'base64'))) },
  });
}

async function download(connection: DeviceConnection, path: string) {
  const started = Date.now();
  const response = await connection.fetch(path);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of response.body ?? []) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { status: response.status, bytes, sha256: hash.digest('hex'), ms: Date.now() - started };
}

async function time(connection: DeviceConnection, path: string, count: number) {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await connection.fetch(path);
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    for await (const chunk of response.body ?? []) bytes += chunk.byteLength;
    ms.push(performance.now() - started);
  }
  return { ms, bytes };
}

function answer(line: PhoneAnswer | Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const started = Date.now();
let connection: DeviceConnection;
try {
  connection = await connect();
} catch (error) {
  answer({ event: 'failed', error: (error as Error).message });
  process.exit(1);
}
answer({ event: 'ready', deviceId: connection.deviceId, ms: Date.now() - started });

for await (const text of createInterface({ input: process.stdin })) {
  const command = JSON.parse(text) as PhoneCommand;
  try {
    if (command.op === 'fetch') {
      answer({ id: command.id, ...(await download(connection, command.path)) });
    } else if (command.op === 'time') {
      answer({ id: command.id, ...(await time(connection, command.path, command.count)) });
    } else if (command.op === 'path') {
      answer({ id: command.id, path: await selectedIcePath(connection.peerConnection) });
    } else {
      await connection.close();
      answer({ id: command.id, closed: true });
      break;
    }
  } catch (error) {
    answer({ id: command.id, error: (error as Error).message });
  }
}
// WebRTC's native threads keep the process alive: leave once stdout is flushed.
process.stdout.write('', () => process.exit(0));
