# shellcheck shell=bash
# Shared by the provisioning apply scripts (provisioning/apply.sh: the sandbox base;
# provisioning/runtime/apply.sh: the agent runtime). Sourced, never run. Every function prints
# one line per item, "changed <item>" or "unchanged <item>", which core collects.
#
# DIR/manifest: one line per file: MODE OWNER GUEST_PATH [UNIT_TO_RESTART...]
# DIR/units:    the units to enable and keep running (one per line; may be empty)

declare -A restart=()
reload=no

# ensure_dir PATH MODE OWNER:GROUP
ensure_dir() {
  if [ -d "$1" ] && [ "$(stat -c '%a %U:%G' "$1")" = "$(printf '%o' "0$2") $3" ]; then
    echo "unchanged $1"
  else
    install -d -m "$2" -o "${3%%:*}" -g "${3##*:}" "$1"
    echo "changed $1"
  fi
}

# place DIR MODE OWNER PATH UNITS...: install DIR/files/PATH when its content or mode differs.
place() {
  local d=$1 mode=$2 owner=$3 path=$4 u
  local src="$d/files$path"
  shift 4
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

# apply_manifest DIR STATE_FILE: place every file of DIR/manifest; remove the files an earlier
# run with the same STATE_FILE placed that this run no longer renders (e.g. after a mode or
# feature change), disabling their units.
apply_manifest() {
  local d=$1 state=$2 mode owner path units old p keep unit
  local listed=()
  while read -r mode owner path units; do
    [ -n "$path" ] || continue
    # shellcheck disable=SC2086
    place "$d" "$mode" "$owner" "$path" $units
    listed+=("$path")
  done < "$d/manifest"
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
  mkdir -p "$(dirname "$state")"
  printf '%s\n' "${listed[@]}" > "$state.new" && mv -f "$state.new" "$state"
  if [ $reload = yes ]; then systemctl daemon-reload; fi
}

# unit_running UNIT: active, or being (re)started by systemd itself — `activating` covers a
# Restart= loop's wait (a gateway that keeps failing is systemd's to restart, not a change of
# ours to report on every `up`).
unit_running() {
  case $(systemctl is-active "$1" 2>/dev/null) in active | activating | reloading) return 0 ;; *) return 1 ;; esac
}

# apply_units DIR: enable and run every unit of DIR/units; restart those whose files changed.
# Lima calls a VM ready when ssh, its boot scripts and the guest agent are (the requirements in
# lima:pkg/hostagent/requirements.go), not when systemd has finished booting: on a slow boot this
# runs while the boot's own jobs are still queued. A unit the boot has yet to start is not a
# change, so before starting an inactive unit, wait (once, at most 2 minutes) for the boot to
# finish (`systemctl is-system-running --wait`) and look again.
apply_units() {
  local d=$1 unit booted=no
  while read -r unit; do
    [ -n "$unit" ] || continue
    if ! systemctl is-enabled --quiet "$unit" 2>/dev/null; then
      systemctl enable "$unit" >/dev/null 2>&1
      echo "changed enabled $unit"
    fi
    if [ -n "${restart[$unit]:-}" ] && systemctl is-active --quiet "$unit"; then
      systemctl restart "$unit"
      echo "changed restarted $unit"
    elif ! unit_running "$unit"; then
      if [ $booted = no ]; then
        booted=yes
        timeout 120 systemctl is-system-running --wait >/dev/null 2>&1 || true
        if unit_running "$unit"; then continue; fi
      fi
      systemctl start "$unit"
      echo "changed started $unit"
    fi
  done < "$d/units"
}
