#!/bin/sh
# OpenClaw Sandbox: install the firewall helper and units in the VM (root, idempotent).
# Run from this folder. Provisioning then stages the rendered files and commits them:
#   openclaw-firewall-apply stage nftables < rules.nft; … stage dns < dnsmasq.conf; … commit
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }

need=""
command -v nft >/dev/null 2>&1 || need="$need nftables"
command -v dnsmasq >/dev/null 2>&1 || need="$need dnsmasq-base"
if [ -n "$need" ]; then
  # A fresh cloud image has no package lists, and its apt timers may hold the dpkg lock.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends $need
fi

# The ruleset names these users (only they may reach the upstream DNS / NTP); nft refuses to
# load a ruleset naming a user that does not exist.
id dnsmasq >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin dnsmasq
id systemd-network >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin systemd-network
id systemd-timesync >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin systemd-timesync

changed=0
place() { # place SRC DEST MODE: copy only when different
  if ! cmp -s "$1" "$2"; then
    install -o root -g root -m "$3" "$1" "$2"
    changed=1
  fi
}
install -d -o root -g root -m 0755 /etc/openclaw /etc/openclaw/firewall
place "$here/openclaw-firewall-apply" /usr/local/sbin/openclaw-firewall-apply 0755
place "$here/openclaw-firewall.service" /etc/systemd/system/openclaw-firewall.service 0644
place "$here/openclaw-dns.service" /etc/systemd/system/openclaw-dns.service 0644

# The full dnsmasq package would start a second resolver on :53.
if systemctl is-enabled dnsmasq.service >/dev/null 2>&1; then
  systemctl disable --now dnsmasq.service
fi
# Our resolver replaces systemd-resolved's stub; /etc/resolv.conf points at it.
if systemctl is-enabled systemd-resolved.service >/dev/null 2>&1; then
  systemctl disable --now systemd-resolved.service
fi
resolv='# OpenClaw Sandbox: the VM resolves only through its allowlisting resolver (dnsmasq)
nameserver 127.0.0.1
options edns0 trust-ad'
if [ -L /etc/resolv.conf ] || [ "$(cat /etc/resolv.conf 2>/dev/null)" != "$resolv" ]; then
  rm -f /etc/resolv.conf
  printf '%s\n' "$resolv" > /etc/resolv.conf
  chmod 0644 /etc/resolv.conf
fi

# The agent user must not be able to change any of this.
if id openclaw >/dev/null 2>&1; then
  for g in sudo wheel admin adm netdev; do
    if id -nG openclaw | tr ' ' '\n' | grep -qx "$g"; then
      echo "install.sh: the agent user openclaw is in group $g; remove it (it could change the firewall)" >&2
      exit 1
    fi
  done
fi

[ "$changed" = 1 ] && systemctl daemon-reload
systemctl enable openclaw-firewall.service openclaw-dns.service >/dev/null
echo "firewall helper installed"
