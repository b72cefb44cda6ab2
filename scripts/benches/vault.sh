#!/usr/bin/env bash
# scripts/bench vault [EDITS]: host edit -> the agent sees it, for a vault copied into the VM
# (issue 17: a provider folder, played by tests/vm/evicting-fs). Reuses the vm tier's
# vm_vault test rather than a harness of its own: the figure needs the whole path (notify on
# the host, the follower's debounce, one `limactl shell` call, the in-VM apply, overlay over
# bindfs), and only the VM test bed has it. EDITS (default 9) host edits are timed on the host,
# from the write to the agent's poller in the VM printing "seen"; prints their median and every
# timing of the run. Needs root, QEMU and the vm tier's packages (scripts/tiers/vm.packages).
set -euo pipefail
edits=${1:-9}
if [ "$(id -u)" != 0 ]; then
  echo "scripts/bench vault needs root (the vm tier's VM and the FUSE stand-in)" >&2
  exit 1
fi
root=$PWD
source "$root/scripts/lib.sh"
use_testbed_lima_home openclaw-vault-bench
"$root/tests/vm/build-image" >/dev/null
log=$(mktemp)
OPENCLAW_VAULT_BENCH_EDITS=$edits cargo test -p sandbox-cli --locked --features vm-tests --test vm_vault -- --nocapture >"$log" 2>&1 || {
  tail -40 "$log"
  echo "the vm_vault run failed (whole log: $log)" >&2
  exit 1
}
echo "vault copy, host edit -> agent (a 2-core shared machine, QEMU under TCG unless KVM is usable):"
grep -E '^host edit -> agent sees it' "$log"
sed -n '/vm vault timings/,/^$/p' "$log"
rm -f "$log"
