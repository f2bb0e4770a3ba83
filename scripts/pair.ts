/**
 * `npm run pair`: opens a new pairing window on the edge that `npm start` runs (through its
 * control socket in the stack's state folder) and shows the code, link and QR code.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { edgeStateDir, repoRoot } from './local-state.js';

const child = spawn(
  process.execPath,
  [
    join(repoRoot, 'edge/dist/cli/edge.js'),
    'pair',
    '--state-dir',
    edgeStateDir,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
