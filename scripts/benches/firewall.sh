#!/usr/bin/env bash
# Firewall figures: log parsing + de-dup throughput, and (as root) how long an atomic ruleset
# reload takes in a scratch network namespace. Prints medians of 5 runs.
set -euo pipefail
cargo build --release -q -p sandbox-cli
bin=target/release/sandbox
work=$(mktemp -d)
ns="ocfwbench$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# 200,000 journal-JSON lines: 100 destinations, plus resolver refusals and noise
python3 - "$work/lines" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(200000):
        if i % 10 == 0:
            f.write(json.dumps({"SYSLOG_IDENTIFIER": "dnsmasq", "MESSAGE": f"{i} 127.0.0.1/4000 config n{i%50}.example.test is NXDOMAIN"}) + "\n")
        elif i % 10 == 1:
            f.write(json.dumps({"MESSAGE": "unrelated kernel line"}) + "\n")
        else:
            f.write(json.dumps({"MESSAGE": f"OPENCLAW-DROP-OUT IN= OUT=eth0 SRC=192.168.5.15 DST=203.0.113.{i%100} LEN=60 PROTO=TCP SPT=40000 DPT=443"}) + "\n")
PY
for _ in 1 2 3 4 5; do
  s=$(date +%s%N); "$bin" firewall parse-log < "$work/lines" > /dev/null 2>&1; e=$(date +%s%N)
  echo $(( (e - s) / 1000000 ))
done | median | awk '{printf "parse-log: 200000 journal lines -> 150 alerts in %d ms (median of 5), %.0f lines/s\n", $1, 200000000/$1}'

if [ "$(id -u)" = 0 ] && command -v nft >/dev/null; then
  ip netns add "$ns"
  for n in 10 200; do
    dests=$(python3 -c "print(', '.join('\"10.50.%d.%d:%d\"' % (i // 250, i % 250 + 1, 1000 + i) for i in range($n)))")
    printf '[network]\nallowed_destinations = [%s]\n' "$dests" > "$work/p.toml"
    "$bin" --profile "$work/p.toml" firewall render --part nftables > "$work/rules.nft"
    for _ in 1 2 3 4 5; do
      s=$(date +%s%N); ip netns exec "$ns" nft -f "$work/rules.nft"; e=$(date +%s%N)
      echo $(( (e - s) / 1000 ))
    done | median | awk -v n="$n" '{printf "nft -f (atomic replace, %d static destinations): %.1f ms (median of 5)\n", n, $1/1000}'
  done
else
  echo "nft reload timing skipped (needs root and nft)"
fi
echo "(2-core shared, noisy machine: treat as rough figures)"
