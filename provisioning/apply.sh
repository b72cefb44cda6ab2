#!/usr/bin/env bash
# OpenClaw Sandbox in-VM apply step. `sandbox up` renders every config file from the profile
# (core/src/provision), packs them with this script into one tar and pipes it over stdin to
# `limactl shell NAME -- sudo bash -s`; a few-line bootstrap unpacks it and runs
#   apply.sh DIR        (as root; DIR holds manifest, units, files/)
# It is idempotent: it compares every file with what is there, touches only what changed,
# restarts only the units whose files changed, and prints one line per item:
# "changed <item>" or "unchanged <item>". Health checks at the end; non-zero exit on failure.
#
# DIR/manifest: one line per file: MODE OWNER GUEST_PATH [UNIT_TO_RESTART...]
# DIR/units:    the units to enable and keep running (one per line; may be empty)
# DIR/env:      sandbox.env (also placed as a file): the paths and the mode
set -euo pipefail
umask 022
d=$1
# shellcheck disable=SC1091
source "$d/env"
: "${OPENCLAW_MODE:?}" "${OPENCLAW_AGENT_USER:?}" "${OPENCLAW_OVERLAY:?}" "${OPENCLAW_SPOOL:?}" "${OPENCLAW_PROJECT:?}"

declare -A restart=()
reload=no
state=/var/lib/openclaw/provisioned.list

# The agent user: no sudo, no root-equivalent groups. Its uid is the project owner's when
# that is a free, ordinary uid, so it can edit the project's files through the overlay.
ensure_agent_user() {
  local u=$OPENCLAW_AGENT_USER owner args=()
  if ! getent passwd "$u" >/dev/null; then
    owner=$(stat -c %u "$OPENCLAW_PROJECT" 2>/dev/null || echo 0)
    if [ "$owner" -ge 1000 ] && [ "$owner" -lt 60000 ] && ! getent passwd "$owner" >/dev/null && ! getent group "$owner" >/dev/null; then
      args=(--uid "$owner")
    fi
    useradd --create-home --shell /bin/bash --user-group "${args[@]}" "$u"
    passwd --lock "$u" >/dev/null
    echo "changed user $u"
  else
    echo "unchanged user $u"
  fi
  local g groups
  groups=" $(id -nG "$u") "   # one process: under emulation every spawn costs ~0.2 s
  for g in root sudo adm wheel disk shadow staff docker lxd kvm libvirt systemd-journal; do
    if [[ $groups == *" $g "* ]]; then
      gpasswd --delete "$u" "$g" >/dev/null
      echo "changed removed $u from $g"
    fi
  done
  if grep -rqsw -- "$u" /etc/sudoers /etc/sudoers.d; then
    echo "the agent user $u is named in sudoers; remove it (the agent must not get root)" >&2
    exit 1
  fi
}

# ensure_dir PATH MODE OWNER:GROUP
ensure_dir() {
  if [ -d "$1" ] && [ "$(stat -c '%a %U:%G' "$1")" = "$(printf '%o' "0$2") $3" ]; then
    echo "unchanged $1"
  else
    install -d -m "$2" -o "${3%%:*}" -g "${3##*:}" "$1"
    echo "changed $1"
  fi
}

# place MODE OWNER PATH UNITS...: install DIR/files/PATH when its content or mode differs.
place() {
  local mode=$1 owner=$2 path=$3 src="$d/files$3" u
  shift 3
  if [ -f "$path" ] && [ ! -L "$path" ] && cmp -s "$src" "$path" \
    && [ "$(stat -c '%a %U:%G' "$path")" = "$(printf '%o' "0$mode") $owner" ]; then
    echo "unchanged $path"
    return
  fi
  install -D -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$src" "$path.openclaw-new"
  mv -f "$path.openclaw-new" "$path"
  echo "changed $path"
  case $path in /etc/systemd/system/*) reload=yes ;; esac
  for u in "$@"; do restart[$u]=1; done
}

ensure_agent_user
# 0755 like the boot-time provision step in lima.yaml makes it; the overlay below is 0700.
ensure_dir /var/lib/openclaw 0755 root:root
ensure_dir /var/log/openclaw 0755 root:root
ensure_dir "$(dirname "$OPENCLAW_SPOOL")" 0755 root:root
# The agent may file requests, not read or delete anyone's: -wx + sticky.
ensure_dir "$OPENCLAW_SPOOL" 1730 "root:$OPENCLAW_AGENT_USER"
if [ "$OPENCLAW_MODE" != yolo-unsafe ]; then
  ensure_dir "$OPENCLAW_OVERLAY" 0700 root:root
  # The overlay's root takes the upper dir's owner: the agent may create files in /workspace.
  ensure_dir "$OPENCLAW_OVERLAY/upper" 0755 "$OPENCLAW_AGENT_USER:$OPENCLAW_AGENT_USER"
  ensure_dir "$OPENCLAW_OVERLAY/work" 0700 root:root
fi

listed=()
while read -r mode owner path units; do
  [ -n "$path" ] || continue
  # shellcheck disable=SC2086
  place "$mode" "$owner" "$path" $units
  listed+=("$path")
done < "$d/manifest"

# Files an earlier run placed that this profile no longer renders (e.g. after a mode change).
if [ -f "$state" ]; then
  while read -r old; do
    keep=no
    for p in "${listed[@]}"; do [ "$p" = "$old" ] && keep=yes; done
    if [ $keep = no ] && [ -e "$old" ]; then
      unit=$(basename "$old")
      case $old in /etc/systemd/system/*) systemctl disable --now "$unit" >/dev/null 2>&1 || true; reload=yes ;; esac
      rm -f "$old"
      echo "changed removed $old"
    fi
  done < "$state"
fi
printf '%s\n' "${listed[@]}" > "$state.new" && mv -f "$state.new" "$state"

[ $reload = yes ] && systemctl daemon-reload
while read -r unit; do
  [ -n "$unit" ] || continue
  if ! systemctl is-enabled --quiet "$unit" 2>/dev/null; then
    systemctl enable "$unit" >/dev/null 2>&1
    echo "changed enabled $unit"
  fi
  if [ -n "${restart[$unit]:-}" ] && systemctl is-active --quiet "$unit"; then
    systemctl restart "$unit"
    echo "changed restarted $unit"
  elif ! systemctl is-active --quiet "$unit"; then
    systemctl start "$unit"
    echo "changed started $unit"
  fi
done < "$d/units"

# Health checks: what the profile promises is in place.
fail() { echo "health check failed: $*" >&2; exit 1; }
mountpoint -q "$OPENCLAW_PROJECT" || fail "the project folder is not mounted at $OPENCLAW_PROJECT"
mountpoint -q "$OPENCLAW_WORKSPACE" || fail "$OPENCLAW_WORKSPACE is not mounted (journalctl -u workspace.mount)"
if [ "$OPENCLAW_MODE" != yolo-unsafe ]; then
  findmnt -n -o FSTYPE "$OPENCLAW_WORKSPACE" | grep -qx overlay || fail "$OPENCLAW_WORKSPACE is not an overlay"
  systemctl is-active --quiet openclaw-audit.service || fail "the audit watcher is not running (journalctl -u openclaw-audit)"
fi
if sudo -l -U "$OPENCLAW_AGENT_USER" 2>/dev/null | grep -q '(.*)'; then
  fail "the agent user $OPENCLAW_AGENT_USER may run commands with sudo"
fi
echo "unchanged health"
