/**
 * `npm start`: a complete PeerFetch stack on this machine. A signaling server that also
 * serves the PWA, and an edge with its built-in device API and a sample media folder.
 * State (the edge's identity and pairings, the samples) lives in `.state/` and survives
 * restarts. Ctrl-C stops everything.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { edgeStateDir, repoRoot, stateDir } from './local-state.js';
import { ensureSampleMedia } from './sample-media.js';

const root = repoRoot;
const state = stateDir;
const port = Number(process.env.PORT ?? 8080);
// The edge reaches the server at this same origin, so the pairing links it prints open the
// app where it already runs (the browser keeps each origin's devices apart).
const origin = `http://localhost:${port}`;
const appUrl = `${origin}/`;
const children: ChildProcess[] = [];
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

/** Starts a built process and hands each JSON log line it prints to `onLog`. */
function startProcess(
  name: string,
  args: string[],
  env: Record<string, string>,
  onLog: (line: Record<string, unknown>) => void,
) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const recent: string[] = [];
  const remember = (text: string) => {
    recent.push(text);
    if (recent.length > 20) recent.shift();
  };
  createInterface({ input: child.stdout! }).on('line', (text) => {
    remember(text);
    try {
      onLog(JSON.parse(text) as Record<string, unknown>);
    } catch {
      say(`[${name}] ${text}`);
    }
  });
  createInterface({ input: child.stderr! }).on('line', (text) => {
    remember(text);
    say(`[${name}] ${text}`);
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    say(`\n${name} stopped unexpectedly (${signal ?? `exit ${code}`}). Its last output:`);
    for (const text of recent) say(`  ${text}`);
    void stop(1);
  });
  return child;
}

function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((info) => info && info.family === 'IPv4' && !info.internal)
    .map((info) => info!.address);
}

async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('\nStopping…');
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }),
    ),
  );
  process.exit(exitCode);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

await mkdir(state, { recursive: true });
const mediaDir = join(state, 'media');
if (await ensureSampleMedia(mediaDir)) say(`Sample pictures written to ${mediaDir}`);

const secret = await roomSecret();
const signalingReady = new Promise<void>((resolve) => {
  startProcess(
    'signaling',
    ['signaling/dist/main.js'],
    {
      PORT: String(port),
      HOST: '0.0.0.0',
      PWA_DIR: join(root, 'pwa/dist'),
      ROOM_SECRET: secret,
      LOG_LEVEL: 'info',
    },
    (line) => {
      if (line.msg === 'listening') resolve();
      else if (typeof line.level === 'number' && line.level >= 50) say(`[signaling] ${line.msg}`);
    },
  );
});
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

startProcess(
  'edge',
  [
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
  {},
  (line) => {
    if (line.msg === 'joined room')
      say(`Edge "${hostname()} (PeerFetch demo)" is online. In the app: Add device.`);
    else if (line.msg === 'pairing window open') {
      say(`Pairing code: ${String(line.code)}   (or open ${String(line.link)})`);
      say('  A new pairing window later, in another terminal: npm run pair');
    } else if (typeof line.level === 'number' && line.level >= 40)
      say(`[edge] ${String(line.msg)}`);
  },
);
