/** Where `npm start`'s stack keeps its state: `.state/`, or PEERFETCH_STATE (tests use a temporary one). */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const stateDir = process.env.PEERFETCH_STATE || join(repoRoot, '.state');
/** The edge's own state folder (identity, pairings, control socket). */
export const edgeStateDir = join(stateDir, 'edge');
