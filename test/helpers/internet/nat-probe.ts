/**
 * Probes of what a NAT router does to UDP, with a bare socket: which public address and port
 * the server host sees (one per destination behind a symmetric NAT), and how long an idle
 * mapping lives (answers that come after the router forgot it are dropped, as routers drop
 * unsolicited inbound packets).
 */
import type { HostName, Internet } from './internet.js';
import { runScript, startScript } from './node-script.js';

/** Ports of the answering sockets on the server host (nothing else of the box uses them). */
const PROBE_PORTS = [3998, 3999];

/**
 * Answers each datagram (a JSON list of delays, ms) after each delay, with the delay and the
 * address and port it came from.
 */
const ANSWERER = `
const dgram = require('node:dgram');
let listening = 0;
for (const port of ${JSON.stringify(PROBE_PORTS)}) {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, from) => {
    const seen = from.address + ':' + from.port;
    for (const delay of JSON.parse(String(message)))
      setTimeout(() => socket.send(JSON.stringify({ delay, seen }), from.port, from.address), delay);
  });
  socket.bind(port, () => ++listening === ${PROBE_PORTS.length} && console.log('listening'));
}
`;

/** From one socket, sends the delays to each port; prints the answers heard (a JSON list). */
const ASKER = `
const [server, ports, delays] = [process.argv[1], JSON.parse(process.argv[2]), process.argv[3]];
const socket = require('node:dgram').createSocket('udp4');
const heard = [];
socket.on('message', (message) => heard.push(JSON.parse(String(message))));
for (const port of ports) socket.send(delays, port, server);
setTimeout(() => {
  console.log(JSON.stringify(heard));
  process.exit(0);
}, Math.max(...JSON.parse(delays)) + 1000);
`;

interface Answer {
  delay: number;
  /** The address and port the server host saw the datagram come from. */
  seen: string;
}

async function ask(internet: Internet, from: HostName, ports: number[], delaysMs: number[]) {
  const answerer = await startScript(internet, 'server', ANSWERER);
  try {
    const args = [internet.plan.server, JSON.stringify(ports), JSON.stringify(delaysMs)];
    const timeoutMs = Math.max(...delaysMs) + 5_000;
    return JSON.parse(await runScript(internet, from, ASKER, args, timeoutMs)) as Answer[];
  } finally {
    answerer.kill();
  }
}

/**
 * Sends one datagram from `from` to the server host, which answers after each of `delaysMs`;
 * resolves with the delays whose answers got back through `from`'s NAT.
 */
export async function answersAfterIdle(
  internet: Internet,
  from: HostName,
  delaysMs: number[],
): Promise<number[]> {
  const answers = await ask(internet, from, PROBE_PORTS.slice(0, 1), delaysMs);
  return answers.map((a) => a.delay);
}

/**
 * The public address and port the server host sees for one socket of `from` sending to two
 * of its ports: the same twice behind a cone NAT, two different ones behind a symmetric NAT.
 */
export async function publicMappings(internet: Internet, from: HostName): Promise<string[]> {
  const answers = await ask(internet, from, PROBE_PORTS, [0]);
  return answers.map((a) => a.seen);
}
