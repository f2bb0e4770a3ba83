/**
 * Measures a plain TCP transfer between a host of the box and the server host, one way, to
 * check link shaping (`Internet.shape`).
 */
import type { HostName, Internet } from './internet.js';
import { runScript, startScript } from './node-script.js';

/** Port of the transfer server on the server host (nothing else of the box uses it). */
const TRANSFER_PORT = 3997;

/** Per connection, reads "up N\n" (then takes N bytes and says "done") or "down N\n" (sends N). */
const SERVER = `
require('node:net').createServer((socket) => {
  let head = '';
  let left = 0;
  socket.on('data', (chunk) => {
    if (left === 0) {
      head += chunk.toString('latin1');
      const end = head.indexOf('\\n');
      if (end < 0) return;
      const [way, size] = head.slice(0, end).split(' ');
      if (way === 'down') return socket.end(Buffer.alloc(Number(size)));
      left = Number(size);
      chunk = Buffer.from(head.slice(end + 1), 'latin1');
    }
    left -= chunk.length;
    if (left <= 0) socket.end('done');
  });
}).listen(${TRANSFER_PORT}, () => console.log('listening'));
`;

/** Moves the bytes and prints the milliseconds it took. */
const CLIENT = `
const [server, way, size] = [process.argv[1], process.argv[2], Number(process.argv[3])];
const started = Date.now();
const socket = require('node:net').connect(${TRANSFER_PORT}, server, () => {
  socket.write(way + ' ' + size + '\\n');
  if (way === 'up') socket.write(Buffer.alloc(size));
});
socket.on('data', () => {});
socket.on('end', () => console.log(Date.now() - started));
`;

/** Mbit/s of sending `bytes` from `host` to the server host ('up') or back ('down'). */
export async function transferRate(
  internet: Internet,
  host: HostName,
  way: 'up' | 'down',
  bytes: number,
): Promise<number> {
  const server = await startScript(internet, 'server', SERVER);
  try {
    const args = [internet.plan.server, way, String(bytes)];
    const ms = Number(await runScript(internet, host, CLIENT, args, 30_000));
    return (bytes * 8) / 1e6 / (ms / 1000);
  } finally {
    server.kill();
  }
}
