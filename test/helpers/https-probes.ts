/**
 * Small Node clients run inside a host of the internet in a box, to see an HTTPS server as
 * that host sees it: what a GET answers (with or without trusting a CA), and which room
 * the signaling server puts a newcomer in, with whatever X-Forwarded-For it claims.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { HostName, Internet } from './internet/internet.js';
import { runScript } from './internet/node-script.js';

const PROBE_TIMEOUT_MS = 15_000;
/**
 * The `ws` package's folder, found from here: the scripts run with `node -e`, which resolves
 * from the working directory, and require() of the folder loads its CommonJS entry.
 */
const WS_MODULE = dirname(createRequire(import.meta.url).resolve('ws/package.json'));

export interface ProbeAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** The error code (such as `SELF_SIGNED_CERT_IN_CHAIN`) when there was no answer. */
  error?: string;
}

const GET_SCRIPT = `
const [url, ca] = process.argv.slice(1);
const client = url.startsWith('https:') ? require('node:https') : require('node:http');
client
  .get(url, ca ? { ca: require('node:fs').readFileSync(ca) } : {}, (res) => {
    res.resume();
    console.log(JSON.stringify({ status: res.statusCode, headers: res.headers }));
  })
  .on('error', (error) => console.log(JSON.stringify({ error: error.code ?? error.message })));
`;

/** A GET of `url` from `host`, trusting only the system's CAs, or only `ca` (a PEM file). */
export async function getFrom(
  internet: Internet,
  host: HostName,
  url: string,
  ca?: string,
): Promise<ProbeAnswer> {
  const args = ca ? [url, ca] : [url];
  return JSON.parse(await runScript(internet, host, GET_SCRIPT, args, PROBE_TIMEOUT_MS));
}

const JOIN_SCRIPT = `
const [base, ca, key, wsModule, forwardedFor] = process.argv.slice(1);
const { randomBytes } = require('node:crypto');
const https = require('node:https');
const WebSocket = require(wsModule);
const pem = require('node:fs').readFileSync(ca);
const claimed = forwardedFor ? { 'x-forwarded-for': forwardedFor } : {};
const id = 'probe-' + randomBytes(8).toString('hex');
const token = randomBytes(16).toString('hex');
const query = new URLSearchParams({ key, id, token });
const socket = new WebSocket(base.replace(/^https/, 'wss') + '/peerjs/peerjs?' + query, {
  ca: pem,
  headers: claimed,
});
const fail = (error) => {
  console.log(JSON.stringify({ error: error.message }));
  process.exit();
};
socket.on('error', fail);
socket.on('message', (data) => {
  if (JSON.parse(String(data)).type !== 'OPEN') return;
  const request = https.request(base + '/rooms/join', {
    method: 'POST',
    ca: pem,
    headers: { ...claimed, 'content-type': 'application/json' },
  }, (res) => {
    let text = '';
    res.on('data', (chunk) => (text += chunk));
    res.on('end', () => {
      console.log(JSON.stringify({ status: res.statusCode, ...JSON.parse(text) }));
      socket.close();
    });
  });
  request.on('error', fail);
  request.end(JSON.stringify({ id, token, role: 'app', name: 'Probe' }));
});
`;

export interface RoomAnswer {
  status?: number;
  room?: string;
  members?: { id: string; role: string; name: string }[];
  error?: string;
}

/**
 * Registers a fresh PeerJS id at `baseUrl` from `host` over WSS, joins the room the server
 * picks for it, and resolves with the server's answer (its room and members). Both requests
 * carry `forwardedFor` as X-Forwarded-For when given, as a stranger might write it.
 */
export async function joinRoomFrom(
  internet: Internet,
  host: HostName,
  options: { baseUrl: string; ca: string; peerKey: string; forwardedFor?: string },
): Promise<RoomAnswer> {
  const args = [options.baseUrl, options.ca, options.peerKey, WS_MODULE];
  if (options.forwardedFor) args.push(options.forwardedFor);
  return JSON.parse(await runScript(internet, host, JOIN_SCRIPT, args, PROBE_TIMEOUT_MS));
}
