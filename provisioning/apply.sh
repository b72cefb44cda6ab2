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

# The agent user: no sudo, no root-equivalent groups, never the admin's uid (on Lima the admin
# is the host user: 501 on a Mac). Its uid is an ordinary free one; it edits the user's files
# through the id-mapped lower layer (openclaw-lower-*.service), whoever owns them on the host.
ensure_agent_user() {
  local u=$OPENCLAW_AGENT_USER
  if ! getent passwd "$u" >/dev/null; then
    useradd --create-home --shell /bin/bash --user-group "$u"
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

# Lima's /etc/hosts has no line for the guest's own name (boot.Linux/06-etc-hosts.sh): once the
# sandbox's resolver replaces the distribution's, every sudo would warn "unable to resolve host".
ensure_hostname() {
  local h
  h=$(hostname)
  if ! grep -qE "^127\.0\.1\.1[[:space:]]+$h\$" /etc/hosts; then
    sed -i '/^127\.0\.1\.1[[:space:]]/d' /etc/hosts
    printf '127.0.1.1 %s\n' "$h" >> /etc/hosts
    echo "changed hosts $h"
  fi
}

# bindfs maps the host folders to the agent (see render.rs lower_unit). The test bed's image
# has it; a Lima cloud image gets it from the distribution (its lists first, the dpkg lock awaited).
ensure_bindfs() {
  command -v bindfs >/dev/null && return 0
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends bindfs fuse3 >/dev/null
  echo "changed installed bindfs"
}

ensure_hostname
ensure_agent_user
ensure_bindfs
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
mountpoint -q "$OPENCLAW_WORKSPACE" || fail "$OPENCLAW_WORKSPACE is not mounted (journalctl -u workspace.mount -u openclaw-lower-project.service)"
if [ "$OPENCLAW_MODE" != yolo-unsafe ]; then
  findmnt -n -o FSTYPE "$OPENCLAW_WORKSPACE" | grep -qx overlay || fail "$OPENCLAW_WORKSPACE is not an overlay"
  systemctl is-active --quiet openclaw-audit.service || fail "the audit watcher is not running (journalctl -u openclaw-audit)"
fi
if [ -n "${OPENCLAW_VAULT:-}" ]; then
  if [ "${OPENCLAW_VAULT_COPY:-0}" = 1 ]; then
    [ -d "$OPENCLAW_VAULT" ] || fail "the vault copy $OPENCLAW_VAULT is missing (journalctl -u openclaw-lower-vault.service)"
  else
    mountpoint -q "$OPENCLAW_VAULT" || fail "the vault folder is not mounted at $OPENCLAW_VAULT"
  fi
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
