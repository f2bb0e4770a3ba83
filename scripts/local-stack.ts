/**
 * `npm start`: a complete PeerFetch stack on this machine. A signaling server that also
 * serves the PWA, and an edge with its built-in device API and a sample media folder.
 * State (the edge's identity and pairings, the samples) lives in `.state/` and survives
 * restarts. Ctrl-C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { edgeStateDir, repoRoot, stateDir } from './local-state.js';
import { ensureSampleMedia } from './sample-media.js';
import { keepRunning, type StackProcess } from './stack-process.js';

const root = repoRoot;
const state = stateDir;
const port = Number(process.env.PORT ?? 8080);
// The edge reaches the server at this same origin, so the pairing links it prints open the
// app where it already runs (the browser keeps each origin's devices apart).
const origin = `http://localhost:${port}`;
const appUrl = `${origin}/`;
const running: StackProcess[] = [];
let stopping = false;

const say = (line = '') => process.stdout.write(`${line}\n`);

/** A room secret kept across restarts, so the edge and the app stay in the same room. */
async function roomSecret(): Promise<string> {
  const file = join(state, 'room-secret');
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim().length >= 32) return existing.trim();
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}

function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((info) => info && info.family === 'IPv4' && !info.internal)
    .map((info) => info!.address);
}

/** Stops the stack: the edge first, so it leaves while the server it says goodbye to is up. */
async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('\nStopping…');
  const started = Date.now();
  for (const member of [...running].reverse()) await member.stop();
  say(`Stopped in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  process.exit(exitCode);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

await mkdir(state, { recursive: true });
const mediaDir = join(state, 'media');
if (await ensureSampleMedia(mediaDir)) say(`Sample pictures written to ${mediaDir}`);

const secret = await roomSecret();
let signalingUp: () => void;
const signalingReady = new Promise<void>((resolve) => {
  signalingUp = resolve;
});
running.push(
  keepRunning({
    name: 'signaling',
    cwd: root,
    args: ['signaling/dist/main.js'],
    env: {
      PORT: String(port),
      HOST: '0.0.0.0',
      PWA_DIR: join(root, 'pwa/dist'),
      ROOM_SECRET: secret,
      LOG_LEVEL: 'info',
    },
    onLog(line) {
      if (line.msg === 'listening') signalingUp();
      else if (typeof line.level === 'number' && line.level >= 50) say(`[signaling] ${line.msg}`);
    },
    say,
  }),
);
await signalingReady;

say('');
say('PeerFetch is running.');
say(`  Open the app:   ${appUrl}`);
say(
  '  On a phone on the same network, browsers need HTTPS for an installable app: put a TLS proxy',
);
say(
  `  in front (signaling/README.md), for example caddy reverse-proxy --to :${port}, then open it at`,
);
for (const address of lanAddresses())
  say(`  https://${address}/ (a pairing link from the edge also works there).`);
say('  Ctrl-C stops everything.');
say('');

running.push(
  keepRunning({
    name: 'edge',
    cwd: root,
    args: [
      'edge/dist/cli/edge.js',
      'start',
      '--signaling',
      origin,
      '--state-dir',
      edgeStateDir,
      '--media-dir',
      mediaDir,
      '--name',
      `${hostname()} (PeerFetch demo)`,
    ],
    env: {},
    onLog(line) {
      if (line.msg === 'joined room')
        say(`Edge "${hostname()} (PeerFetch demo)" is online. In the app: Add device.`);
      else if (line.msg === 'pairing window open') {
        say(`Pairing code: ${String(line.code)}   (or open ${String(line.link)})`);
        say('  A new pairing window later, in another terminal: npm run pair');
      } else if (typeof line.level === 'number' && line.level >= 40)
        say(`[edge] ${String(line.msg)}`);
    },
    say,
  }),
);
