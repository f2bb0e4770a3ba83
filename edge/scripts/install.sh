#!/usr/bin/env bash
# Installs the PeerFetch edge agent as a systemd service on 64-bit Raspberry Pi OS (or any
# systemd Linux on arm64/x86_64). Run from a checkout after `npm install && npm run build`:
#
#   sudo edge/scripts/install.sh --signaling https://signal.example.org [--name "Kitchen Pi"] [--media-dir /srv/media]
#
# Options:
#   --signaling URL   signaling server base URL (required unless edge.yaml already exists)
#   --name NAME       device name shown to phones (default: hostname)
#   --media-dir DIR   folder served by /api/media (made readable inside the sandbox)
#   --destdir DIR     install under DIR instead of / (for packaging and tests)
#   --skip-npm        do not install runtime dependencies (they are already in place)
#   --no-start        install but do not enable or start the service
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }

SIGNALING="" NAME="" MEDIA_DIR="" DESTDIR="" SKIP_NPM=0 START=1
while [ "$#" -gt 0 ]; do
  case "$1" in
    --signaling) SIGNALING="${2:?--signaling needs a URL}"; shift 2 ;;
    --name) NAME="${2:?--name needs a value}"; shift 2 ;;
    --media-dir) MEDIA_DIR="${2:?--media-dir needs a folder}"; shift 2 ;;
    --destdir) DESTDIR="${2:?--destdir needs a folder}"; shift 2 ;;
    --skip-npm) SKIP_NPM=1; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
PREFIX="$DESTDIR/opt/peerfetch"
CONFIG_DIR="$DESTDIR/etc/peerfetch"
UNIT_DIR="$DESTDIR/etc/systemd/system"

[ -n "$DESTDIR" ] || [ "$(id -u)" = 0 ] || die "run as root (sudo), or pass --destdir"
case "$(uname -m)" in
  aarch64|arm64|x86_64) ;;
  *) die "@roamhq/wrtc has no build for $(uname -m): use 64-bit Raspberry Pi OS (arm64)" ;;
esac
command -v node >/dev/null || die "Node.js 20.19 or newer is required (apt install nodejs, or NodeSource)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js 20.19 or newer is required (found $(node -v))"
[ -f "$REPO/edge/dist/cli/edge.js" ] && [ -f "$REPO/shared/dist/index.js" ] \
  || die "build first: (cd $REPO && npm install && npm run build)"
if [ -n "$MEDIA_DIR" ]; then
  [ -d "$MEDIA_DIR" ] || die "media folder $MEDIA_DIR does not exist"
  case "$MEDIA_DIR" in /*) ;; *) die "--media-dir must be an absolute path" ;; esac
fi

echo "Installing into $PREFIX"
install -d -m 0755 "$PREFIX/edge" "$PREFIX/shared" "$CONFIG_DIR" "$UNIT_DIR"
rm -rf "$PREFIX/edge/dist" "$PREFIX/shared/dist"
cp -a "$REPO/edge/dist" "$REPO/edge/package.json" "$PREFIX/edge/"
cp -a "$REPO/shared/dist" "$REPO/shared/package.json" "$PREFIX/shared/"
# A small package whose dependencies are the edge's runtime ones plus the local shared package.
node - "$REPO/edge/package.json" "$PREFIX/package.json" <<'NODE'
const fs = require('node:fs');
const [edgePkgPath, outPath] = process.argv.slice(2);
const edge = JSON.parse(fs.readFileSync(edgePkgPath, 'utf8'));
const deps = { ...edge.dependencies, '@peerfetch/shared': 'file:./shared' };
fs.writeFileSync(outPath, JSON.stringify({ name: 'peerfetch-edge-install', private: true, type: 'module', dependencies: deps }, null, 2) + '\n');
NODE
if [ "$SKIP_NPM" = 0 ]; then
  (cd "$PREFIX" && npm install --omit=dev --no-audit --no-fund)
fi

if [ ! -f "$CONFIG_DIR/edge.yaml" ]; then
  [ -n "$SIGNALING" ] || die "--signaling URL is required for a first install"
  {
    echo "# PeerFetch edge agent settings: see edge/README.md for every option."
    echo "signaling:"
    echo "  url: $SIGNALING"
    [ -z "$NAME" ] || echo "name: \"${NAME//\"/\\\"}\""
    echo "deviceApi:"
    echo "  enabled: true"
    [ -z "$MEDIA_DIR" ] || echo "  mediaDir: $MEDIA_DIR"
    echo "routes: {}"
  } > "$CONFIG_DIR/edge.yaml"
  chmod 0644 "$CONFIG_DIR/edge.yaml"
  echo "Wrote $CONFIG_DIR/edge.yaml"
else
  echo "Kept the existing $CONFIG_DIR/edge.yaml"
fi

install -m 0644 "$REPO/edge/systemd/peerfetch-edge.service" "$UNIT_DIR/peerfetch-edge.service"
if [ -n "$MEDIA_DIR" ]; then
  # The sandbox hides /home and makes the system read-only; open the media folder for reading.
  install -d -m 0755 "$UNIT_DIR/peerfetch-edge.service.d"
  {
    echo "[Service]"
    case "$MEDIA_DIR" in /home/*|/root/*) echo "ProtectHome=read-only" ;; esac
    echo "ReadOnlyPaths=$MEDIA_DIR"
  } > "$UNIT_DIR/peerfetch-edge.service.d/media.conf"
fi

if [ -n "$DESTDIR" ] || [ "$START" = 0 ]; then
  echo "Installed. Start it with: systemctl daemon-reload && systemctl enable --now peerfetch-edge"
  exit 0
fi
systemctl daemon-reload
systemctl enable --now peerfetch-edge
echo "Started. Check it with: journalctl -u peerfetch-edge -f   and   systemctl status peerfetch-edge"
