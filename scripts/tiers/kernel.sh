#!/usr/bin/env bash
# Tier 2: real overlayfs, nftables and network namespaces on this Linux host. Needs root.
# Kernel tests are integration-test files named kernel_*.rs behind the `kernel-tests` feature.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "the kernel tier needs root (overlay mounts, nftables, network namespaces)" >&2
  exit 1
fi
cargo test --workspace --locked --features sandbox-core/kernel-tests,sandbox-cli/kernel-tests --test 'kernel_*'
