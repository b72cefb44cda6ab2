#!/usr/bin/env bash
# MCP tier: `sandbox mcp` driven by the official MCP Python SDK (from PyPI) over stdio.
set -euo pipefail
cargo build --locked -p sandbox-cli
venv=target/mcp-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/mcp/requirements.txt
"$venv/bin/python" -m pytest -q tests/mcp
