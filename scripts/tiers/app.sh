#!/usr/bin/env bash
# Tier: the real menu-bar app under Xvfb + D-Bus.
#  - test_tray.py: the tray exported over D-Bus (StatusNotifierItem + dbusmenu, with a fake
#    StatusNotifierWatcher): items per state; Start/Stop/Start at Login clicked for real.
#  - test_wizard.py: the onboarding wizard driven over WebDriver (tauri-driver 2.1.0 +
#    WebKitWebDriver) until a profile exists and the sandbox started.
#  - test_notify.py: a firewall denial → notification with actions (fake notification server) →
#    "Allow" invoked over D-Bus → core::firewall edits the profile.
#  - test_sync_notify.py: the agent's review request → notification with Approve / Review /
#    Reject → "Approve" invoked over D-Bus → core applies it to the project.
#  - test_review_window.py: Approve clicked in the review window (a window process of its own)
#    → applied by core; the tray's Review Changes count drops to 0.
#  - test_window_close.py: no web engine in the menu-bar process; one process per window, ended
#    by a close and by Quit.
#  - test_single_instance.py: a second launch hands over to the running app and exits.
# Each test runs in its own dbus-run-session under timeout. VM: the scripted fake limactl.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build -p openclaw-sandbox-app -p openclaw-sandbox-menubar --locked
export APP_BIN="$root/target/debug/openclaw-sandbox-app"
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  cargo install tauri-driver@2.1.0 --locked
fi
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p target/artifacts/app

display=:$(( 90 + RANDOM % 9 ))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true' EXIT
export DISPLAY=$display
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done

failed=()
for t in tests/app/test_*.py; do
  echo "--- $t"
  if ! timeout 240 dbus-run-session -- /usr/bin/python3 "$t" 2> >(grep -v -e 'Failed to set fd limit' -e 'org.a11y.Bus' >&2); then
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "app tier: failed: ${failed[*]}" >&2
  exit 1
fi
