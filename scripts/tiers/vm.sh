#!/usr/bin/env bash
# Tier 3: `sandbox` end to end in a real VM: a Debian 12 image (built once with debootstrap,
# cached outside the repo, see tests/vm/build-image) booted under QEMU by the limactl shim
# tests/vm/limactl. Needs root. Prints its timings.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "the vm tier needs root (debootstrap and chroot build the image)" >&2
  exit 1
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
# Instances live here, so whatever happens to the test, this trap deletes them (and so stops
# their QEMU and ssh processes).
source "$root/scripts/lib.sh"
use_testbed_lima_home openclaw-vm-tier
start=$(date +%s)
"$root/tests/vm/build-image" >/dev/null
echo "vm tier: image ready after $(( $(date +%s) - start )) s"
# One VM at a time: two TCG guests on two cores would only slow each other down.
cargo test -p sandbox-cli --locked --no-fail-fast --features vm-tests --test 'vm_*' -- --nocapture --test-threads=1
