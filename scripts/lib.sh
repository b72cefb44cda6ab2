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
    if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/sandbox-apt.log 2>&1; then
      # A package installed from elsewhere (e.g. a backport of qemu-utils) can block its
      # siblings from the distribution. Ask for the repository's version of every listed package
      # that is installed, so apt downgrades it instead of removing it (qemu-img stays).
      local pinned=() v
      while read -r p; do
        p=${p%%#*}; p=$(echo "$p" | xargs)
        [ -n "$p" ] || continue
        case " ${missing[*]} " in *" $p "*) continue;; esac
        v=$(apt-cache madison "$p" 2>/dev/null | awk -F'|' 'NR==1 {gsub(/ /, "", $2); print $2}')
        [ -n "$v" ] && pinned+=("$p=$v")
      done < "$file"
      echo "retrying with the repository's versions of: ${pinned[*]}" >>/tmp/sandbox-apt.log
      $sudo apt-get install -y --no-install-recommends --allow-downgrades "${missing[@]}" "${pinned[@]}" \
        >>/tmp/sandbox-apt.log 2>&1 \
        || { echo "apt-get install failed; see /tmp/sandbox-apt.log" >&2; tail -20 /tmp/sandbox-apt.log >&2; return 1; }
    fi
  fi
  # Check every listed package after installing too: an install can remove a package it conflicts
  # with (qemu-system-x86 from the distribution removes a newer qemu-utils, and with it qemu-img);
  # install what went missing once more, now against the siblings just installed.
  local round
  for round in 1 2; do
    missing=()
    while read -r p; do
      p=${p%%#*}; p=$(echo "$p" | xargs)
      [ -n "$p" ] || continue
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done < "$file"
    [ ${#missing[@]} -eq 0 ] && break
    [ "$round" = 1 ] || break
    echo "reinstalling what the install removed: ${missing[*]}"
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/sandbox-apt.log 2>&1 || true
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "after apt-get install these packages are still missing (a conflict removed them?): ${missing[*]}; see /tmp/sandbox-apt.log" >&2
    return 1
  fi
}

# use_testbed_lima_home NAME: a private Lima home for the VM test bed (tests/vm/limactl), exported
# as OPENCLAW_TESTBED_LIMA_HOME; whatever happens, its instances are deleted (which stops their
# QEMU and ssh processes) and the folder removed when the calling script exits.
use_testbed_lima_home() {
  export OPENCLAW_TESTBED_LIMA_HOME
  OPENCLAW_TESTBED_LIMA_HOME=$(mktemp -d "/tmp/$1.XXXXXX")
  trap _delete_testbed_instances EXIT
}
_delete_testbed_instances() {
  local d limactl
  limactl="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/vm/limactl"
  for d in "$OPENCLAW_TESTBED_LIMA_HOME"/*/; do
    [ -d "$d" ] || continue
    LIMA_HOME=$OPENCLAW_TESTBED_LIMA_HOME timeout 120 "$limactl" delete -f "$(basename "$d")" || true
  done
  rm -rf "$OPENCLAW_TESTBED_LIMA_HOME"
}
