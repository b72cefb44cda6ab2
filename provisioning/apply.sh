#!/usr/bin/env bash
# OpenClaw Sandbox in-VM apply step. `sandbox up` runs it as root over stdin
# (`limactl shell NAME -- sudo env K=V… bash -s`), after every boot. It must be idempotent:
# it compares what it would write with what is there and only touches what changed, then
# prints one line per item: "changed <item>" or "unchanged <item>".
# Later provisioning steps (overlay, audit watcher, firewall, gateway) plug in as functions.
set -euo pipefail
umask 022

: "${OPENCLAW_INSTANCE:?OPENCLAW_INSTANCE is required}"
: "${OPENCLAW_MODE:?OPENCLAW_MODE is required}"
: "${OPENCLAW_GATEWAY_PORT:?OPENCLAW_GATEWAY_PORT is required}"

# place FILE MODE: write stdin to FILE if its content differs; report.
place() {
  local file=$1 mode=$2 tmp
  tmp=$(mktemp "${file}.XXXXXX")
  cat > "$tmp"
  chmod "$mode" "$tmp"
  if [ -f "$file" ] && cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
    echo "unchanged $file"
  else
    mv -f "$tmp" "$file"
    echo "changed $file"
  fi
}

install -d -m 0755 /etc/openclaw /var/lib/openclaw
place /etc/openclaw/sandbox.env 0644 <<ENV
OPENCLAW_INSTANCE=${OPENCLAW_INSTANCE}
OPENCLAW_MODE=${OPENCLAW_MODE}
OPENCLAW_GATEWAY_PORT=${OPENCLAW_GATEWAY_PORT}
ENV
