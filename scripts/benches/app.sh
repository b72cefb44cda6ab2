#!/usr/bin/env bash
# Benchmark: the menu-bar app's CPU at idle (over SECONDS), its memory at idle and after each
# window (onboarding, settings, review) has been opened and closed — RSS, PSS, USS and anon,
# app + WebKitGTK processes (scripts/benches/app.py, tests/app/footprint.py) — and the release
# binary's size. Runs the release build under Xvfb + a private D-Bus session with a fake
# StatusNotifierWatcher (so the tray is really exported), a profile, and the scripted limactl
# (VM stopped). Usage: scripts/bench app [SECONDS]   (default 60). Prints figures against the
# footprint targets (idle <= 60 MiB, back within 10 % of idle after each window) without
# failing on them; a reading of 0, a process gone or a window that won't open/close fails it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
secs=${1:-60}
# APP_BIN=/path/to/openclaw-sandbox-app measures that build instead (e.g. main's, to compare).
if [ -n "${APP_BIN:-}" ]; then
  bin=$APP_BIN
else
  cargo build --release -p openclaw-sandbox-app -p openclaw-sandbox-menubar --locked >&2
  bin="$root/target/release/openclaw-sandbox-app"
fi
menubar="$(dirname "$bin")/openclaw-sandbox-menubar"
[ -x "$menubar" ] || { echo "bench app: no menu-bar binary beside $bin (build it: cargo build --release -p openclaw-sandbox-menubar)" >&2; exit 1; }

display=:$(( 80 + RANDOM % 9 ))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true' EXIT
export DISPLAY=$display
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done

APP_BIN="$bin" BENCH_SECONDS="$secs" timeout $(( secs + 180 )) dbus-run-session -- /usr/bin/python3 scripts/benches/app.py \
  2> >(grep -v -e 'Failed to set fd limit' -e 'org.a11y.Bus' -e 'dbus-daemon' -e 'SpiRegistry' -e 'GNOME_KEYRING' >&2)
for b in "$menubar" "$bin"; do
  size=$(stat -c %s "$b")
  echo "binary: $b: $(( size / 1024 / 1024 )) MiB ($size bytes)"
done
echo "(2-core shared noisy machine: quote medians of several runs)"
