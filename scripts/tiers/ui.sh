#!/usr/bin/env bash
# Tier: the web UI (ui/) in headless Chromium with the Tauri IPC mocked by @tauri-apps/api/mocks.
# playwright-core drives Debian's chromium (no browser download). Screenshots: target/artifacts/ui/.
set -euo pipefail
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y --no-install-recommends nodejs npm >/tmp/sandbox-apt-node.log 2>&1 \
    || { echo "ui tier: Node.js and npm are needed (apt-get install nodejs npm failed; see /tmp/sandbox-apt-node.log)" >&2; exit 1; }
fi
cd "$(dirname "$0")/../../tests/ui"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@tauri-apps/api ]; then
  npm ci --no-audit --no-fund
fi
export CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
timeout 600 node --test --test-concurrency=1 ui.test.mjs
echo "screenshots: $(cd ../.. && pwd)/target/artifacts/ui/"
