#!/usr/bin/env bash
# Packs the built edge agent into a release tarball that installs with `npm ci --omit=dev`:
#
#   edge/scripts/pack-release.sh [OUT_DIR]      (after `npm install && npm run build`)
#
# Prints the tarball's path (OUT_DIR/peerfetch-edge-<version>.tgz; OUT_DIR defaults to dist/ at the
# repository root, which git ignores).
# Inside, peerfetch-edge-<version>/ is a small npm workspace root: shared/ and edge/ (their
# package.json and dist/), edge/scripts/install.sh, the unit, and a package-lock.json cut
# from the repository's own lockfile, so a Pi gets exactly the versions that were tested.
# The lockfile lists every platform's optional binaries (@roamhq/wrtc, sharp), so the same
# release installs on arm64 and x86_64.
set -euo pipefail

die() { echo "pack-release.sh: $*" >&2; exit 1; }

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$(mkdir -p "${1:-$REPO/dist}" && cd "${1:-$REPO/dist}" && pwd)"
[ -f "$REPO/edge/dist/cli/edge.js" ] && [ -f "$REPO/shared/dist/index.js" ] \
  || die "build first: (cd $REPO && npm install && npm run build)"

VERSION="$(node -p 'require(process.argv[1]).version' "$REPO/edge/package.json")"
NAME="peerfetch-edge-$VERSION"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
ROOT="$STAGE/$NAME"
mkdir -p "$ROOT/shared" "$ROOT/edge/scripts" "$ROOT/edge/systemd"

cp -a "$REPO/shared/package.json" "$REPO/shared/dist" "$ROOT/shared/"
cp -a "$REPO/edge/package.json" "$REPO/edge/dist" "$REPO/edge/README.md" "$ROOT/edge/"
# The bin launchers, where the package has them (bin entries outside dist/).
[ ! -d "$REPO/edge/bin" ] || cp -a "$REPO/edge/bin" "$ROOT/edge/"
cp -a "$REPO/edge/scripts/install.sh" "$ROOT/edge/scripts/"
cp -a "$REPO/edge/systemd/peerfetch-edge.service" "$ROOT/edge/systemd/"
# Maps and declarations are for development; a Pi runs the JavaScript.
find "$ROOT" -path "$ROOT/*/dist/*" \( -name '*.map' -o -name '*.d.ts' \) -delete

node - "$ROOT/package.json" "$VERSION" <<'NODE'
const fs = require('node:fs');
const [out, version] = process.argv.slice(2);
const pkg = { name: 'peerfetch-edge-release', version, private: true, type: 'module',
  engines: { node: '>=20.19' }, workspaces: ['shared', 'edge'] };
fs.writeFileSync(out, `${JSON.stringify(pkg, null, 2)}\n`);
NODE
# npm prunes the repository's lockfile to these two workspaces, keeping every locked version;
# --offline proves nothing new was resolved.
cp "$REPO/package-lock.json" "$ROOT/package-lock.json"
(cd "$ROOT" && npm install --package-lock-only --ignore-scripts --offline --no-audit --no-fund \
  --loglevel=error >/dev/null) || die "could not cut the lockfile from $REPO/package-lock.json"

tar -C "$STAGE" -czf "$OUT/$NAME.tgz" "$NAME"
echo "$OUT/$NAME.tgz"
