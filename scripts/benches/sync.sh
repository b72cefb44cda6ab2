#!/usr/bin/env bash
# scripts/bench sync [FILES] [MB] [RUNS]: a generated upper-dir tar (default 10,000 files /
# 200 MB: 80% new, 20% modified, 500 whiteouts) → `sandbox sync check` and → `sandbox sync
# apply --yes`; prints wall seconds and peak RSS, median of RUNS (default 3) runs each.
# Every run is under a descriptor limit of FD_LIMIT (default 256, macOS's default).
# Then one request holding a DEEP-deep path (default 4096: refused, the gate caps depth at
# 256) is checked, and one at the cap is applied. (Issue 14: 100000 1024 1 is the big run.)
set -euo pipefail
files=${1:-10000}
mb=${2:-200}
runs=${3:-3}
fd_limit=${FD_LIMIT:-256}
deep=${DEEP:-4096}
cargo build --release --locked -q -p sandbox-cli
cargo build --release --locked -q -p sandbox-core --example sync_bench_gen
bin=$PWD/target/release/sandbox
gen=$PWD/target/release/examples/sync_bench_gen
work=$(mktemp -d "${TMPDIR:-/tmp}/sync-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$gen" "$work/in" "$files" "$mb"
echo "input: $(du -sh "$work/in/upper.tar" | cut -f1) tar, $(find "$work/in/project" -type f | wc -l) host files"

# measure LABEL CMD...: one run; prints "seconds peak_rss_kib exit_code".
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
dt = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{dt:.3f} {rss} {p.returncode}")
PY
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for verb in check apply; do
  secs=(); rss=()
  for i in $(seq "$runs"); do
    rm -rf "$work/run" && mkdir -p "$work/run/home"
    cp -a "$work/in/project" "$work/run/project"
    sync
    extra=(); [ "$verb" = apply ] && extra=(--yes)
    read -r s r rc < <(ulimit -n "$fd_limit"; SANDBOX_HOME="$work/run/home" measure "$bin" sync "$verb" --from-tar "$work/in/upper.tar" --project "$work/run/project" --json "${extra[@]}")
    [ "$rc" = 0 ] || { echo "sync $verb exited $rc" >&2; exit 1; }
    secs+=("$s"); rss+=("$r")
    echo "  run $i: sync $verb ${s}s, peak RSS $((r / 1024)) MiB"
  done
  ms=$(printf '%s\n' "${secs[@]}" | median)
  mr=$(printf '%s\n' "${rss[@]}" | median)
  echo "sync $verb: median ${ms}s, peak RSS $((mr / 1024)) MiB ($files files, ${mb} MB, $runs runs, ulimit -n $fd_limit; 2-core shared machine)"
done

# deep_run DEPTH VERB OK_EXIT: one request holding one DEPTH-deep path.
deep_run() {
  rm -rf "$work/deep" && mkdir -p "$work/deep/run/home"
  "$gen" "$work/deep/in" deep "$1"
  extra=(); [ "$2" = apply ] && extra=(--yes)
  read -r s r rc < <(ulimit -n "$fd_limit"; SANDBOX_HOME="$work/deep/run/home" measure "$bin" sync "$2" --from-tar "$work/deep/in/upper.tar" --project "$work/deep/in/project" --json "${extra[@]}")
  [ "$rc" = "$3" ] || { echo "sync $2 of a $1-deep path exited $rc, expected $3" >&2; exit 1; }
  echo "sync $2, one $1-deep path: ${s}s, peak RSS $((r / 1024)) MiB (exit $rc$([ "$rc" = 3 ] && echo ': refused, deeper than the cap'))"
}
deep_run "$deep" check 3
deep_run 255 apply 0
