#!/usr/bin/env bash
# Tier: the web UI (ui/) in headless Chromium with the Tauri IPC mocked by @tauri-apps/api/mocks.
# playwright-core drives Debian's chromium (no browser download). Screenshots: target/artifacts/ui/.
set -euo pipefail
cd "$(dirname "$0")/../../tests/ui"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@tauri-apps/api ]; then
  npm ci --no-audit --no-fund
fi
export CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
timeout 600 node --test --test-concurrency=1 ui.test.mjs
echo "screenshots: $(cd ../.. && pwd)/target/artifacts/ui/"
