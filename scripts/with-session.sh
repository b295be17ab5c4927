#!/usr/bin/env bash
# Runs a command the way a desktop session would see the machine, but private and throwaway:
#   - its own D-Bus session bus (dbus-run-session),
#   - a gnome-keyring Secret Service on that bus, with a fresh login keyring already unlocked
#     (its files live in a temporary directory, deleted afterwards),
#   - with --display, a virtual X server (xvfb-run) for real windows.
#
# Usage: scripts/with-session.sh [--display] [--] COMMAND [ARGS...]
# The exit status is COMMAND's.
set -euo pipefail

usage() {
  echo "usage: $0 [--display] [--] COMMAND [ARGS...]" >&2
  exit 2
}

display=0
while [ $# -gt 0 ]; do
  case "$1" in
    --display) display=1; shift ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || usage

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

# 1. X display (outermost, so the bus and keyring below inherit DISPLAY).
if [ "$display" = 1 ] && [ -z "${EASEL_SESSION_DISPLAY:-}" ]; then
  export EASEL_SESSION_DISPLAY=1
  exec xvfb-run --auto-servernum --server-args="-screen 0 1440x900x24" \
    "$self" -- "$@"
fi

# 2. Private session bus.
if [ -z "${EASEL_SESSION_BUS:-}" ]; then
  export EASEL_SESSION_BUS=1
  exec dbus-run-session -- "$self" -- "$@"
fi

# 3. Unlocked keyring on that bus (once per bus: nested calls reuse it).
if [ -z "${EASEL_SESSION_KEYRING:-}" ]; then
  keyring_home="$(mktemp -d "${TMPDIR:-/tmp}/easel-session.XXXXXX")"
  keyring_pid=""
  cleanup() {
    if [ -n "$keyring_pid" ]; then kill "$keyring_pid" 2>/dev/null || true; wait "$keyring_pid" 2>/dev/null || true; fi
    rm -rf "$keyring_home"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -w "${XDG_RUNTIME_DIR}" ]; then
    mkdir -m 700 "$keyring_home/run"
    export XDG_RUNTIME_DIR="$keyring_home/run"
  fi
  mkdir -p "$keyring_home/data"

  # The password only protects this throwaway keyring; it never holds a real secret.
  printf '%s' "easel-session" |
    XDG_DATA_HOME="$keyring_home/data" gnome-keyring-daemon --foreground --unlock --components=secrets \
      >"$keyring_home/keyring.log" 2>&1 &
  keyring_pid=$!

  ready=0
  for _ in $(seq 1 100); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
      ready=1
      break
    fi
    if ! kill -0 "$keyring_pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [ "$ready" != 1 ]; then
    echo "with-session: gnome-keyring did not start its Secret Service:" >&2
    cat "$keyring_home/keyring.log" >&2 || true
    exit 1
  fi
  export EASEL_SESSION_KEYRING=1

  set +e
  "$@"
  status=$?
  set -e
  exit "$status"
fi

exec "$@"
