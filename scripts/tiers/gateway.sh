#!/usr/bin/env bash
# The real OpenClaw gateway from npm at native speed with the sandbox's rendered settings
# (tests/gateway/run). Needs the npm registry (cached under target/openclaw-gateway after the
# first run).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec bash "$root/tests/gateway/run"
