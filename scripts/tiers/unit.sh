#!/usr/bin/env bash
# Tier 1: unit and process-level tests. Fast, no root, no network.
set -euo pipefail
cargo test --workspace --locked
