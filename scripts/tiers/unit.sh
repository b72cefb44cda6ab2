#!/usr/bin/env bash
# Tier 1: the house style (rustfmt, clippy with warnings as errors), then unit and
# process-level tests. Fast, no root, no network.
set -euo pipefail
for c in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
done
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
