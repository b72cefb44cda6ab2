#!/usr/bin/env bash
# Secret-scanner bench: scripts/bench scan [DIR] [--runs N] [--bulk-mb M] [--per-kind K] [--verbose]
# With no DIR: generates the labelled corpus + a 200 MB bulk tree in a temp dir, then scans it.
# Prints recall/precision (file level; overall, tune split, held-out split) when DIR has
# labels.tsv, and MB/s + files/s (median of N runs, release build, all cores).
set -euo pipefail
dir=""
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then dir=$1; shift; fi
runs=3; bulk_mb=200; per_kind=40; verbose=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --bulk-mb) bulk_mb=$2; shift 2 ;;
    --per-kind) per_kind=$2; shift 2 ;;
    --verbose) verbose=--verbose; shift ;;
    *) echo "scan bench: unknown option $1" >&2; exit 2 ;;
  esac
done
cargo build --release --locked -q -p sandbox-core --example scan_bench
bin=target/release/examples/scan_bench
cleanup=""
if [ -z "$dir" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/scan-bench.XXXXXX")
  cleanup=$dir
  trap '[ -n "$cleanup" ] && rm -rf "$cleanup"' EXIT
  "$bin" gen "$dir" --per-kind "$per_kind" --bulk-mb "$bulk_mb"
fi
echo "scan bench on $dir ($(nproc) cores; shared machine: figures are noisy)"
"$bin" run "$dir" --runs "$runs" $verbose
