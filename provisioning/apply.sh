#!/usr/bin/env bash
# OpenClaw Sandbox in-VM apply step. `sandbox up` renders every config file from the profile
# (core/src/provision), packs them with this script into one tar and pipes it over stdin to
# `limactl shell NAME -- sudo bash -s`; a few-line bootstrap unpacks it and runs
#   apply.sh DIR        (as root; DIR holds manifest, units, files/)
# It is idempotent: it compares every file with what is there, touches only what changed,
# restarts only the units whose files changed, and prints one line per item:
# "changed <item>" or "unchanged <item>". Health checks at the end; non-zero exit on failure.
#
# DIR/manifest, DIR/units: see lib.sh (provisioning/lib/apply-files.sh)
# DIR/env:      sandbox.env (also placed as a file): the paths and the mode
#
# Unit names may hold backslashes (systemd's escaping: /workspace-obsidian is mounted by
# `workspace\x2dobsidian.mount`): every read here and in lib.sh is `read -r`, every use quoted.
set -euo pipefail
umask 022
d=$1
# shellcheck disable=SC1091
source "$d/env"
: "${OPENCLAW_MODE:?}" "${OPENCLAW_AGENT_USER:?}" "${OPENCLAW_OVERLAY:?}" "${OPENCLAW_SPOOL:?}" "${OPENCLAW_PROJECT:?}"

# shellcheck source=provisioning/lib/apply-files.sh
source "$d/lib.sh"

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
  # The vault's overlay, the same way (only when the profile has a vault).
  if [ -n "${OPENCLAW_VAULT:-}" ]; then
    ensure_dir "$OPENCLAW_VAULT_OVERLAY" 0700 root:root
    ensure_dir "$OPENCLAW_VAULT_OVERLAY/upper" 0755 "$OPENCLAW_AGENT_USER:$OPENCLAW_AGENT_USER"
    ensure_dir "$OPENCLAW_VAULT_OVERLAY/work" 0700 root:root
  fi
fi

apply_manifest "$d" /var/lib/openclaw/provisioned.list
apply_units "$d"

# Health checks: what the profile promises is in place.
fail() { echo "health check failed: $*" >&2; exit 1; }
mountpoint -q "$OPENCLAW_PROJECT" || fail "the project folder is not mounted at $OPENCLAW_PROJECT"
mountpoint -q "$OPENCLAW_WORKSPACE" || fail "$OPENCLAW_WORKSPACE is not mounted (journalctl -u workspace.mount)"
if [ "$OPENCLAW_MODE" != yolo-unsafe ]; then
  findmnt -n -o FSTYPE "$OPENCLAW_WORKSPACE" | grep -qx overlay || fail "$OPENCLAW_WORKSPACE is not an overlay"
  systemctl is-active --quiet openclaw-audit.service || fail "the audit watcher is not running (journalctl -u openclaw-audit)"
fi
if [ -n "${OPENCLAW_VAULT:-}" ]; then
  mountpoint -q "$OPENCLAW_VAULT" || fail "the vault folder is not mounted at $OPENCLAW_VAULT"
  mountpoint -q "$OPENCLAW_VAULT_WORKSPACE" || fail "$OPENCLAW_VAULT_WORKSPACE is not mounted (journalctl -u '$OPENCLAW_VAULT_UNIT')"
  if [ "$OPENCLAW_MODE" != yolo-unsafe ]; then
    findmnt -n -o FSTYPE "$OPENCLAW_VAULT_WORKSPACE" | grep -qx overlay || fail "$OPENCLAW_VAULT_WORKSPACE is not an overlay"
    systemctl is-active --quiet "$OPENCLAW_VAULT_AUDIT_UNIT" || fail "the vault's audit watcher is not running (journalctl -u $OPENCLAW_VAULT_AUDIT_UNIT)"
  fi
fi
if sudo -l -U "$OPENCLAW_AGENT_USER" 2>/dev/null | grep -q '(.*)'; then
  fail "the agent user $OPENCLAW_AGENT_USER may run commands with sudo"
fi
echo "unchanged health"
