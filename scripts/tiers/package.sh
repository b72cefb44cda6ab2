#!/usr/bin/env bash
# Tier: the installable package. scripts/package builds the .deb (debug profile: this tier proves
# the packaging, not the optimiser), dpkg installs it, tests/package/test_installed.py runs the
# installed app under Xvfb as an unprivileged user (its tray, the bundled `sandbox --version`),
# then dpkg removes it and every file it put down must be gone. Needs root (dpkg).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
if [ "$(id -u)" != 0 ]; then
  echo "the package tier needs root (dpkg -i / dpkg --purge)" >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends nodejs npm >/tmp/sandbox-apt-node.log 2>&1 \
    || { echo "package tier: Node.js and npm are needed for the Tauri CLI (see /tmp/sandbox-apt-node.log)" >&2; exit 1; }
fi
rm -rf target/debug/bundle/deb
scripts/package --debug --bundles deb >/dev/null
debs=(target/debug/bundle/deb/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "package tier: expected one .deb, found: ${debs[*]}" >&2; exit 1; }
deb=${debs[0]}
pkg=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
crate_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
echo "package tier: $(basename "$deb"): $pkg $version, $(( $(stat -c %s "$deb") / 1024 / 1024 )) MiB"
[ "$version" = "$crate_version" ] || { echo "package tier: the package says $version, the workspace $crate_version" >&2; exit 1; }
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
  echo "package tier: $pkg is already installed on this machine; this tier will not touch an install it did not make (remove it with: dpkg --purge $pkg)" >&2
  exit 1
fi
# Every non-directory the package puts down.
mapfile -t files < <(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); sub(/^\.?\//, ""); print "/" $0 }')
for want in /usr/bin/openclaw-sandbox-app /usr/bin/openclaw-sandbox-menubar /usr/bin/sandbox; do
  printf '%s\n' "${files[@]}" | grep -qx "$want" || { echo "package tier: the package lacks $want" >&2; exit 1; }
done

installed=0
display=:$(( 70 + RANDOM % 9 ))
xvfb=""
cleanup() {
  [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null || true
  [ "$installed" = 1 ] && dpkg --purge "$pkg" >/dev/null 2>&1 || true
}
trap cleanup EXIT
dpkg -i "$deb" >/dev/null
installed=1
for f in "${files[@]}"; do [ -e "$f" ] || { echo "package tier: dpkg -i did not put down $f" >&2; exit 1; }; done
echo "package tier: installed $pkg: ${#files[@]} files ($(printf '%s ' "${files[@]}" | cut -c1-200)…)"

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
user_home=$(mktemp -d /tmp/openclaw-package-user.XXXXXX)
chown 65534:65534 "$user_home"
if ! timeout 180 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    env -i PATH=/usr/bin:/bin HOME="$user_home" DISPLAY="$display" LANG=C.UTF-8 \
    INSTALLED_APP=/usr/bin/openclaw-sandbox-app INSTALLED_CLI=/usr/bin/sandbox EXPECTED_VERSION="$crate_version" \
    dbus-run-session -- /usr/bin/python3 tests/package/test_installed.py \
    2> >(grep -v -e 'Failed to set fd limit' -e 'org.a11y.Bus' >&2); then
  rm -rf "$user_home"
  echo "package tier: the installed app failed (above)" >&2
  exit 1
fi
rm -rf "$user_home"

dpkg --purge "$pkg" >/dev/null
installed=0
left=()
for f in "${files[@]}"; do [ -e "$f" ] && left+=("$f"); done
[ ${#left[@]} -eq 0 ] || { echo "package tier: dpkg --purge left: ${left[*]}" >&2; exit 1; }
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q installed; then
  echo "package tier: dpkg still lists $pkg after --purge" >&2
  exit 1
fi
echo "package tier: removed $pkg; none of its ${#files[@]} files is left"
