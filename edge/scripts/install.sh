#!/usr/bin/env bash
# Installs (or upgrades) the PeerFetch edge agent as a systemd service on 64-bit Raspberry Pi
# OS, or any systemd Linux on arm64/x86_64. From a release tarball:
#
#   tar xzf peerfetch-edge-VERSION.tgz
#   sudo peerfetch-edge-VERSION/edge/scripts/install.sh --signaling https://signal.example.org
#
# or from a checkout after `npm install && npm run build` (it packs a release first).
# Re-running it upgrades the agent and restarts the service; edge.yaml is kept.
#
# Options:
#   --signaling URL   signaling server base URL (required unless edge.yaml already exists)
#   --signaling-key K the signaling server's PeerJS key, when it is not the default (peerjs)
#   --name NAME       device name shown to phones (default: hostname)
#   --media-dir DIR   folder served by /api/media (made readable inside the sandbox)
#   --release FILE    a release tarball (edge/scripts/pack-release.sh) or its unpacked folder
#   --destdir DIR     install under DIR instead of / and start nothing (packaging, tests)
#   --cpu ARCH        install the npm binaries for ARCH (arm64, x64) instead of this machine's
#   --skip-npm        do not run npm ci (the runtime dependencies are put in place another way)
#   --no-start        install but do not enable, start or restart the service
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }

SIGNALING="" SIGNALING_KEY="" NAME="" MEDIA_DIR="" RELEASE="" DESTDIR="" CPU="" SKIP_NPM=0 START=1
while [ "$#" -gt 0 ]; do
  case "$1" in
    --signaling) SIGNALING="${2:?--signaling needs a URL}"; shift 2 ;;
    --signaling-key) SIGNALING_KEY="${2:?--signaling-key needs a value}"; shift 2 ;;
    --name) NAME="${2:?--name needs a value}"; shift 2 ;;
    --media-dir) MEDIA_DIR="${2:?--media-dir needs a folder}"; shift 2 ;;
    --release) RELEASE="${2:?--release needs a tarball or folder}"; shift 2 ;;
    --destdir) DESTDIR="${2:?--destdir needs a folder}"; shift 2 ;;
    --cpu) CPU="${2:?--cpu needs arm64 or x64}"; shift 2 ;;
    --skip-npm) SKIP_NPM=1; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

HERE="$(cd "$(dirname "$0")/../.." && pwd)"
PREFIX="$DESTDIR/opt/peerfetch"
CONFIG_DIR="$DESTDIR/etc/peerfetch"
UNIT_DIR="$DESTDIR/etc/systemd/system"
BIN_DIR="$DESTDIR/usr/local/bin"

[ -n "$DESTDIR" ] || [ "$(id -u)" = 0 ] || die "run as root (sudo), or pass --destdir"
case "${CPU:-$(uname -m)}" in
  aarch64|arm64|x86_64|x64) ;;
  *) die "@roamhq/wrtc has no build for ${CPU:-$(uname -m)}: use 64-bit Raspberry Pi OS (arm64)" ;;
esac
NODE_HELP="Raspberry Pi OS (Bookworm) ships Node 18 in apt, which is too old. Install Node 22 from
NodeSource:  curl -fsSL https://deb.nodesource.com/setup_22.x | sudo bash - && sudo apt-get install -y nodejs
or unpack the linux-arm64 build from https://nodejs.org/en/download into /usr/local."
command -v node >/dev/null || die "Node.js 20.19 or newer is required and none was found.
$NODE_HELP"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js 20.19 or newer is required (found $(node -v)).
$NODE_HELP"
NODE="$(command -v node)"
if [ -n "$MEDIA_DIR" ]; then
  case "$MEDIA_DIR" in /*) ;; *) die "--media-dir must be an absolute path" ;; esac
  [ -d "$MEDIA_DIR" ] || die "media folder $MEDIA_DIR does not exist"
fi

[ -f "$CONFIG_DIR/edge.yaml" ] || [ -n "$SIGNALING" ] || die "--signaling URL is required for a first install"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# The release: given, the one this script came in, or packed from this checkout.
if [ -z "$RELEASE" ]; then
  if [ -f "$HERE/package-lock.json" ] && grep -q '"peerfetch-edge-release"' "$HERE/package.json"; then
    RELEASE="$HERE"
  else
    RELEASE="$("$HERE/edge/scripts/pack-release.sh" "$WORK")" || die "could not pack a release"
  fi
fi
if [ -f "$RELEASE" ]; then
  tar -C "$WORK" -xzf "$RELEASE" || die "cannot unpack $RELEASE"
  RELEASE="$(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'peerfetch-edge-*' | head -n1)"
fi
[ -f "$RELEASE/package-lock.json" ] && [ -f "$RELEASE/edge/dist/cli/edge.js" ] \
  || die "$RELEASE is not a release (no package-lock.json or edge/dist): see edge/scripts/pack-release.sh"
VERSION="$(node -p 'require(process.argv[1]).version' "$RELEASE/package.json")"

# Install next to the old version and swap at the end, so a failed npm ci changes nothing.
echo "Installing peerfetch-edge $VERSION into $PREFIX"
install -d -m 0755 "$(dirname "$PREFIX")" "$CONFIG_DIR" "$UNIT_DIR" "$BIN_DIR"
rm -rf "$PREFIX.new" "$PREFIX.old"
install -d -m 0755 "$PREFIX.new"
cp -a "$RELEASE/package.json" "$RELEASE/package-lock.json" "$RELEASE/shared" "$RELEASE/edge" "$PREFIX.new/"
if [ "$SKIP_NPM" = 0 ]; then
  NPM_PLATFORM=()
  case "$CPU" in
    "") ;;
    aarch64|arm64) NPM_PLATFORM=(--cpu=arm64 --os=linux) ;;
    x86_64|x64) NPM_PLATFORM=(--cpu=x64 --os=linux) ;;
  esac
  # Exactly the locked versions; no install scripts (wrtc and sharp ship prebuilt binaries).
  (cd "$PREFIX.new" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund "${NPM_PLATFORM[@]}") \
    || { rm -rf "$PREFIX.new"; die "npm ci failed; the installed version (if any) is unchanged"; }
fi
[ ! -d "$PREFIX" ] || mv "$PREFIX" "$PREFIX.old"
mv "$PREFIX.new" "$PREFIX"
rm -rf "$PREFIX.old"

# peerfetch-edge and peerfetch on PATH: links to the package's own bin entries.
for name in peerfetch-edge peerfetch; do
  target="$(node -p 'require(process.argv[1]).bin[process.argv[2]]' "$PREFIX/edge/package.json" "$name")"
  chmod 0755 "$PREFIX/edge/$target"
  ln -sfn "/opt/peerfetch/edge/${target#./}" "$BIN_DIR/$name"
done

if [ ! -f "$CONFIG_DIR/edge.yaml" ]; then
  {
    echo "# PeerFetch edge agent settings: see /opt/peerfetch/edge/README.md for every option."
    echo "signaling:"
    echo "  url: $SIGNALING"
    [ -z "$SIGNALING_KEY" ] || echo "  key: $SIGNALING_KEY"
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

install -m 0644 "$PREFIX/edge/systemd/peerfetch-edge.service" "$UNIT_DIR/peerfetch-edge.service"
DROP_INS="$UNIT_DIR/peerfetch-edge.service.d"
if [ -n "$MEDIA_DIR" ]; then
  # The sandbox hides /home and makes the system read-only; open the media folder for reading.
  install -d -m 0755 "$DROP_INS"
  {
    echo "[Service]"
    case "$MEDIA_DIR" in /home/*|/root/*) echo "ProtectHome=read-only" ;; esac
    echo "ReadOnlyPaths=$MEDIA_DIR"
  } > "$DROP_INS/media.conf"
fi
# The unit runs /usr/bin/node (apt, NodeSource); Node unpacked elsewhere gets a drop-in.
if [ -z "$DESTDIR" ] && [ "$NODE" != /usr/bin/node ]; then
  install -d -m 0755 "$DROP_INS"
  {
    echo "[Service]"
    echo "ExecStart="
    grep '^ExecStart=' "$UNIT_DIR/peerfetch-edge.service" | sed "s|/usr/bin/node|$NODE|"
  } > "$DROP_INS/node.conf"
else
  rm -f "$DROP_INS/node.conf"
fi

PAIRING="To pair a phone: open $(sed -n 's/^  url: //p' "$CONFIG_DIR/edge.yaml") on it, tap \"Add device\" and
enter the code that
  sudo peerfetch-edge pair
shows (the window is open for 5 minutes; on first start one opens by itself). From a computer:
  peerfetch pair --signaling URL --code CODE   then   peerfetch fetch /api/device"
if [ -n "$DESTDIR" ] || [ "$START" = 0 ]; then
  echo "Installed. Start it with: systemctl daemon-reload && systemctl enable --now peerfetch-edge"
  echo "$PAIRING"
  exit 0
fi
systemctl daemon-reload
if systemctl is-active --quiet peerfetch-edge; then
  systemctl restart peerfetch-edge
  echo "Upgraded to $VERSION and restarted peerfetch-edge."
else
  systemctl enable --now peerfetch-edge
  echo "Started peerfetch-edge $VERSION."
fi
echo "Logs: journalctl -u peerfetch-edge -f    State: sudo peerfetch-edge status"
echo "$PAIRING"
