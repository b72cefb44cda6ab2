# Shared helpers for scripts/*. Sourced, not run.

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is not installed. Install Rust (https://rustup.rs), then run this again." >&2
    exit 1
  fi
}

# ensure_packages FILE: apt-get install the Debian packages listed in FILE (one per line,
# '#' comments) that are not installed yet. Needs root on Debian/Ubuntu; elsewhere it says
# what is missing and carries on (the tier then fails with its own message).
ensure_packages() {
  local file=$1 missing=() p
  [ -f "$file" ] || return 0
  while read -r p; do
    p=${p%%#*}; p=$(echo "$p" | xargs)
    [ -n "$p" ] || continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done < "$file"
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing packages (install them yourself): ${missing[*]}" >&2
    return 0
  fi
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/sandbox-apt.log 2>&1; then
    $sudo apt-get update >/tmp/sandbox-apt.log 2>&1 || true
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/sandbox-apt.log 2>&1 \
      || { echo "apt-get install failed; see /tmp/sandbox-apt.log" >&2; tail -20 /tmp/sandbox-apt.log >&2; return 1; }
  fi
}
