#!/usr/bin/env bash
# Tier: the real OS secret store on Linux. Starts a private D-Bus session bus with
# gnome-keyring-daemon unlocked on a throwaway keyring (its own XDG dirs, so the user's real
# keyring is never touched), then runs the keychain_*.rs tests (feature `keychain-tests`)
# against it. Needs no root.
set -euo pipefail
for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
  command -v "$tool" >/dev/null 2>&1 || { echo "keychain tier: $tool is missing (see scripts/tiers/keychain.packages)" >&2; exit 1; }
done
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -m 0700 -p "$scratch/data" "$scratch/runtime" "$scratch/config"
# Build first, outside the D-Bus session, so the daemon only lives as long as the tests.
cargo test --workspace --locked --features sandbox-core/keychain-tests,sandbox-cli/keychain-tests --test 'keychain_*' --no-run
export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/runtime" XDG_CONFIG_HOME="$scratch/config"
dbus-run-session -- bash -c '
  set -euo pipefail
  # The password comes over stdin; the daemon creates and unlocks the "login" keyring.
  eval "$(printf %s "keychain-tier-throwaway" | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  echo "keychain tier: gnome-keyring-daemon running on $DBUS_SESSION_BUS_ADDRESS"
  cargo test --workspace --locked --features sandbox-core/keychain-tests,sandbox-cli/keychain-tests --test "keychain_*"
'
