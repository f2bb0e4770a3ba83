/**
 * Starts a built CLI from dist/. The bin entries point here rather than into dist/ because
 * npm links a package's bins at install time, before `npm run build` has made dist/: a bin
 * whose file is missing then is never linked, and `npx peerfetch` asks the registry instead.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The local stack's edge state in a checkout (`npm start`); an installed edge has none. */
const checkoutEdgeState = fileURLToPath(new URL('../../.state/edge', import.meta.url));

export async function launch(cli) {
  const entry = new URL(`../dist/cli/${cli}.js`, import.meta.url);
  if (!existsSync(entry)) {
    console.error(
      `${basename(process.argv[1], '.js')} is not built yet: run \`npm run build\` (or \`npm start\`) at the repository's root`,
    );
    process.exit(1);
  }
  // In a checkout, the edge CLI talks to `npm start`'s edge without flags. An explicit
  // --state-dir, --config or PEERFETCH_STATE_DIR still wins.
  const explicit = process.argv.some((arg) => /^--(state-dir|config)(=|$)/.test(arg));
  if (
    cli === 'edge' &&
    !explicit &&
    !process.env.PEERFETCH_STATE_DIR &&
    existsSync(checkoutEdgeState)
  )
    process.env.PEERFETCH_STATE_DIR = checkoutEdgeState;
  await import(entry.href);
}
