#!/usr/bin/env bash
# Runs a command inside a fresh network namespace that has only loopback, so WebRTC
# offers loopback candidates only and no test packet can leave the machine.
set -euo pipefail
if [ "$#" -eq 0 ]; then echo "usage: run-in-netns.sh COMMAND [ARGS...]" >&2; exit 2; fi
if [ "${PEERFETCH_IN_NETNS:-}" = 1 ]; then exec "$@"; fi
export PEERFETCH_IN_NETNS=1
if [ "$(id -u)" = 0 ]; then
  exec unshare -n -- sh -c 'ip link set lo up && exec "$@"' sh "$@"
fi
exec unshare -rn -- sh -c 'ip link set lo up && exec "$@"' sh "$@"
