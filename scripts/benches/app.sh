#!/usr/bin/env bash
# Benchmark: the menu-bar app at idle — RSS and CPU over 60 s — and the release binary's size.
# Runs the release build under Xvfb + a private D-Bus session with a fake StatusNotifierWatcher
# (so the tray is really exported), a profile, and the scripted limactl (VM stopped).
# Usage: scripts/bench app [SECONDS]   (default 60). Prints figures; asserts nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
secs=${1:-60}
cargo build --release -p openclaw-sandbox-app --locked >&2
bin="$root/target/release/openclaw-sandbox-app"
size=$(stat -c %s "$bin")

display=:$(( 80 + RANDOM % 9 ))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true' EXIT
export DISPLAY=$display
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done

APP_BIN="$bin" BENCH_SECONDS="$secs" timeout $(( secs + 120 )) dbus-run-session -- /usr/bin/python3 - <<'PY' 2> >(grep -v -e 'Failed to set fd limit' -e 'org.a11y.Bus' >&2)
import asyncio, os, subprocess, sys, time
sys.path.insert(0, "tests/app")
from harness import Sandbox, Tray, session_bus, start_watcher, watch_senders

HZ = os.sysconf("SC_CLK_TCK")

def tree(pid):
    """pid and its descendants (the app's own webview processes, if any)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out

def comm(p):
    try:
        return open(f"/proc/{p}/comm").read().strip()
    except OSError:
        return "?"

def cpu_ticks(p):
    with open(f"/proc/{p}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime

def rss_kib(p):
    for line in open(f"/proc/{p}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0

async def main():
    secs = int(os.environ["BENCH_SECONDS"])
    sb = Sandbox()
    sb.write_profile()
    bus = await session_bus()
    await watch_senders(bus)
    items = await start_watcher(bus)
    app = subprocess.Popen([os.environ["APP_BIN"]], env=sb.env(FAKE_LIMA_NO_WATCH="1"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await Tray.find(bus, items)
        await asyncio.sleep(5)  # let start-up settle
        # Only the app's own processes count (limactl children are Lima's, not the app's).
        procs = [p for p in tree(app.pid) if comm(p) not in ("python3", "limactl", "fake-limactl")]
        t0 = {p: cpu_ticks(p) for p in procs}
        w0 = time.monotonic()
        await asyncio.sleep(secs)
        wall = time.monotonic() - w0
        used = sum(cpu_ticks(p) - t0[p] for p in procs if os.path.exists(f"/proc/{p}"))
        rss = sum(rss_kib(p) for p in procs if os.path.exists(f"/proc/{p}"))
        print(f"idle processes: {', '.join(f'{comm(p)}({p})' for p in procs)}")
        print(f"idle RSS: {rss / 1024:.1f} MiB")
        print(f"idle CPU over {wall:.0f} s: {used / HZ:.2f} s of CPU = {100 * used / HZ / wall:.2f} % of one core")
    finally:
        app.terminate()
        app.wait(10)
        sb.cleanup()

asyncio.run(main())
PY
echo "release binary: $bin"
echo "release binary size: $(( size / 1024 / 1024 )) MiB ($size bytes)"
echo "(2-core shared noisy machine: quote medians of several runs)"
