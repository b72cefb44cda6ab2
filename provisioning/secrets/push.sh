# openclaw-secrets-push: runs INSIDE the VM as root (`sudo -n /bin/bash -c "$(this)" …`).
# Writes the secrets sent on stdin to BASE/secrets/NAME (0600, owned by the agent user,
# directory 0700) and BASE/secrets.env (0600, root, for systemd EnvironmentFile=), on tmpfs
# only; removes files for names no longer sent.
#
# Arguments: $1 = agent user, $2 = BASE (default /run/openclaw). Never a value.
# stdin, line by line (values are base64 so any byte is safe; nothing here prints them):
#   openclaw-secrets v1
#   secret NAME BASE64        zero or more
#   env BASE64                the complete secrets.env
#   end                       without it nothing is changed (truncated input)
# stdout: one report line per action ("tmpfs ok|mounted", "wrote NAME", "removed NAME",
# "env written"). stderr: errors naming at most a secret name. No `set -x`, no history.
set -euo pipefail
set +x
unset HISTFILE
umask 077
export LC_ALL=C

die() { printf 'openclaw-secrets: %s\n' "$1" >&2; exit 1; }

agent=${1:-}
base=${2:-/run/openclaw}
[[ $agent =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "invalid agent user name"
[[ $base == /* && $base != *..* ]] || die "base directory must be an absolute path"
uid=$(id -u -- "$agent" 2>/dev/null) || die "agent user '$agent' does not exist in the VM; provision the VM first"
gid=$(id -g -- "$agent")

# --- read and check the whole payload before touching anything --------------------------
IFS= read -r header || die "no input"
[[ $header == "openclaw-secrets v1" ]] || die "unknown payload format"
declare -A b64=()
env_b64=
complete=0
while IFS=' ' read -r kind field extra; do
  case $kind in
    secret)
      name=$field
      value=${extra-}
      [[ $name =~ ^[A-Z_][A-Z0-9_]{0,127}$ ]] || die "invalid secret name in payload"
      [[ $value =~ ^[A-Za-z0-9+/]*=*$ ]] || die "invalid encoding for $name"
      b64[$name]=$value ;;
    env)
      [[ $field =~ ^[A-Za-z0-9+/]*=*$ ]] || die "invalid encoding for secrets.env"
      env_b64=$field ;;
    end) complete=1; break ;;
    *) die "unknown payload line" ;;
  esac
done
[[ $complete == 1 ]] || die "payload truncated; nothing was changed"

# --- tmpfs only ----------------------------------------------------------------------------
[[ -L $base ]] && die "$base is a symlink"
mkdir -p -m 0755 -- "$base"
fs=$(stat -f -c %T -- "$base")
if [[ $fs != tmpfs && $fs != ramfs ]]; then
  mount -t tmpfs -o mode=0755,nosuid,nodev,noexec,size=8m openclaw-secrets "$base" \
    || die "cannot mount a tmpfs on $base"
  fs=$(stat -f -c %T -- "$base")
  [[ $fs == tmpfs ]] || die "$base is not on tmpfs after mounting"
  echo "tmpfs mounted"
else
  echo "tmpfs ok"
fi

dir=$base/secrets
[[ -L $dir ]] && die "$dir is a symlink"
mkdir -p -- "$dir"
# Root owns the directory while writing, so nobody can swap entries under us.
chown root:root -- "$dir"
chmod 0700 -- "$dir"

tmp=
cleanup() { [[ -n $tmp ]] && rm -f -- "$tmp"; return 0; }
trap cleanup EXIT

write_file() { # write_file B64 DEST OWNER: atomically (temp file in the same dir + rename)
  tmp=$(mktemp -p "${2%/*}" ".${2##*/}.XXXXXX")
  printf '%s' "$1" | base64 -d >"$tmp" || die "cannot decode ${2##*/}"
  chown -h -- "$3" "$tmp"
  chmod 0600 -- "$tmp"
  mv -f -T -- "$tmp" "$2"
  tmp=
}

for name in "${!b64[@]}"; do
  write_file "${b64[$name]}" "$dir/$name" "$uid:$gid"
  echo "wrote $name"
done

shopt -s nullglob dotglob
for f in "$dir"/*; do
  n=${f##*/}
  if [[ $n == .* ]]; then
    rm -f -- "$f"  # a temp file left by an interrupted push
  elif [[ -z ${b64[$n]+set} ]]; then
    rm -f -- "$f"
    echo "removed $n"
  fi
done

write_file "$env_b64" "$base/secrets.env" "0:0"
echo "env written"

chown -- "$uid:$gid" "$dir"
chmod 0700 -- "$dir"
