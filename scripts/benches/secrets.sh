#!/usr/bin/env bash
# Secrets benchmark: wall-clock medians of `sandbox secrets set/list/push` against the kernel
# keyutils store and (when gnome-keyring-daemon is installed) a real Secret Service in a
# private D-Bus session. push runs against the scripted limactl stand-in, so it measures our
# side only (store reads + payload), not SSH. Usage: scripts/bench secrets [RUNS] (default 15)
# Set BENCH_PROFILE=release to measure an optimised build (default: the dev build tests use).
set -euo pipefail
runs=${1:-15}
profile=${BENCH_PROFILE:-dev}
root=$(pwd)
if [ "$profile" = release ]; then cargo build -q --release -p sandbox-cli; bin=$root/target/release/sandbox
else cargo build -q -p sandbox-cli; bin=$root/target/debug/sandbox; fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export SANDBOX_BIN=$bin BENCH_RUNS=$runs BENCH_SCRATCH=$scratch
export SANDBOX_LIMACTL=$root/tests/support/fake-limactl

cat >"$scratch/measure.sh" <<'INNER'
set -euo pipefail
store=$1
export SANDBOX_SECRET_STORE=$store SANDBOX_HOME=$BENCH_SCRATCH/home-$store FAKE_LIMA_DIR=$BENCH_SCRATCH/lima-$store
mkdir -p "$SANDBOX_HOME" "$FAKE_LIMA_DIR/instances"
profile=$SANDBOX_HOME/profile.toml
echo 'name = "openclaw-sandbox"' >"$profile"
echo '{"name":"openclaw-sandbox","status":"Running"}' >"$FAKE_LIMA_DIR/instances/openclaw-sandbox.json"
reply="tmpfs ok\n"; for i in $(seq -w 1 10); do reply+="wrote KEY_$i\n"; done; reply+="env written\n"
printf '[{"match":"openclaw-secrets-push","stdout":"%s"}]' "$reply" >"$FAKE_LIMA_DIR/shell.json"
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for i in $(seq -w 1 10); do printf 'value-%s-%s' "$i" "$RANDOM$RANDOM" | "$SANDBOX_BIN" --profile "$profile" secrets set "KEY_$i" --stdin >/dev/null; done
set_ms=$(for r in $(seq "$BENCH_RUNS"); do ms sh -c 'printf v-1234567890 | "$SANDBOX_BIN" --profile "$1" secrets set KEY_01 --stdin' _ "$profile"; done | median)
list_ms=$(for r in $(seq "$BENCH_RUNS"); do ms "$SANDBOX_BIN" --profile "$profile" secrets list; done | median)
push_ms=$(for r in $(seq "$BENCH_RUNS"); do ms "$SANDBOX_BIN" --profile "$profile" secrets push; done | median)
"$SANDBOX_BIN" --profile "$profile" secrets push >/dev/null
for i in $(seq -w 1 10); do "$SANDBOX_BIN" --profile "$profile" secrets rm "KEY_$i" >/dev/null; done
printf '%-16s set: %5s ms   list (20 names): %5s ms   push (10 secrets, fake VM): %5s ms\n' "$store" "$set_ms" "$list_ms" "$push_ms"
INNER

echo "secrets bench: median of $runs runs, $profile build (shared, noisy machine)"
# keyutils needs a session keyring shared by the CLI processes: join a fresh one first.
python3 -c 'import ctypes,os,sys; l=ctypes.CDLL(None,use_errno=True); assert l.syscall(250,1,None)>0; os.execvp(sys.argv[1],sys.argv[1:])' \
  bash "$scratch/measure.sh" keyutils
if command -v gnome-keyring-daemon >/dev/null && command -v dbus-run-session >/dev/null; then
  mkdir -m 0700 "$scratch/xdg"
  XDG_DATA_HOME=$scratch/xdg XDG_RUNTIME_DIR=$scratch/xdg dbus-run-session -- bash -c '
    eval "$(printf %s bench-throwaway | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
    bash "$BENCH_SCRATCH/measure.sh" secret-service' 2> >(grep -v dbus-daemon >&2)
else
  echo "secret-service: skipped (gnome-keyring-daemon not installed; see scripts/tiers/keychain.packages)"
fi
