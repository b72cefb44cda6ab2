"""The app's footprint (scripts/benches/app.sh runs this under Xvfb + a private D-Bus session):
idle CPU and memory with no window, then each window opened the app's own way (a second launch
with `--show LABEL`, handed over through the single-instance socket; the window runs in a window
process the app starts, counted with it while open) and closed for real (the X11
WM_DELETE_WINDOW message a window manager sends on a click on the close button), memory read
while it is open and again after it closed. Memory is RSS, PSS, USS and anon (see
tests/app/footprint.py), summed over the app and its WebKitGTK processes. A reading of 0, a
process gone, or a window that does not open or close is an error (exit 1), not a result.
The app started is `openclaw-sandbox-app`, which hands over to the menu-bar binary beside it
(the same pid): what idles is `openclaw-sandbox-menubar`, which links no web engine."""
import asyncio
import os
import subprocess
import sys
import time

sys.path.insert(0, "tests/app")
import footprint as fp  # noqa: E402
from harness import Sandbox, Tray, session_bus, start_watcher, watch_senders, stop_app  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")
TITLES = {"onboarding": "Set Up OpenClaw Sandbox", "settings": "OpenClaw Sandbox Settings", "review": "Review Changes"}
TARGET_MIB = 60
RETURN_WITHIN = 0.10


def cpu_ticks(p):
    with open(f"/proc/{p}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def mib(kib):
    return f"{kib / 1024:6.1f}"


def row(tag, m):
    out = f"{tag:<24} RSS {mib(m['rss'])}  PSS {mib(m['pss'])}  USS {mib(m['uss'])}  anon {mib(m['anon'])} MiB"
    for p, c, t, rss, pss, uss, anon in m["procs"]:
        out += f"\n    {c + '(' + str(p) + ')':<26} {t:3} threads  RSS {mib(rss)}  PSS {mib(pss)}  USS {mib(uss)}  anon {mib(anon)}"
    return out


async def main():
    secs = int(os.environ["BENCH_SECONDS"])
    app_bin = os.environ["APP_BIN"]
    sb = Sandbox()
    sb.write_profile()
    env = sb.env(FAKE_LIMA_NO_WATCH="1")
    bus = await session_bus()
    await watch_senders(bus)
    items = await start_watcher(bus)
    app = subprocess.Popen([app_bin], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await Tray.find(bus, items)
        await asyncio.sleep(5)  # let start-up settle
        procs = fp.tree(app.pid)
        t0 = {p: cpu_ticks(p) for p in procs}
        w0 = time.monotonic()
        await asyncio.sleep(secs)
        wall = time.monotonic() - w0
        idle = fp.measure(app.pid)
        used = sum(cpu_ticks(p) - t0[p] for p in procs if os.path.exists(f"/proc/{p}"))
        print(f"idle CPU over {wall:.0f} s: {used / HZ:.2f} s of CPU = {100 * used / HZ / wall:.2f} % of one core")
        print("idle: largest mappings of the app (RSS / PSS / private, MiB):")
        for name, r, ps, pr in fp.by_mapping(app.pid, 10):
            print(f"  {mib(r)} {mib(ps)} {mib(pr)}  {name}")
        print(row("idle", idle))
        after = {}
        for label, title in TITLES.items():
            t_ask = time.monotonic()
            second = subprocess.run([app_bin, "--show", label], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
            if second.returncode != 0:
                raise fp.MeasureError(f"the second launch (--show {label}) exited {second.returncode}")
            fp.wait_shown(title)
            print(f"{label}: window shown {time.monotonic() - t_ask:.2f} s after `--show {label}` (the second launch's hand-over included)")
            await asyncio.sleep(3)  # let the page load and paint
            print(row(f"{label} open", fp.measure(app.pid)))
            fp.close_window(title)
            fp.wait_gone(title)
            gone = fp.wait_web_processes_gone(app.pid)
            t0 = time.monotonic()
            while fp.window_processes(app.pid) or fp.engine_processes(app.pid):
                if time.monotonic() - t0 > 15:
                    raise fp.MeasureError(f"the {label} window's process is still running 15 s after its window closed")
                await asyncio.sleep(0.1)
            ended = gone + time.monotonic() - t0
            await asyncio.sleep(5)  # let the app settle
            after[label] = fp.measure(app.pid)
            print(f"{label}: window closed (WM_DELETE_WINDOW); its web process ended {gone:.1f} s later, its window process {ended:.1f} s later")
            print(row(f"after {label} closed", after[label]))
        print(f"summary (MiB; target: idle <= {TARGET_MIB}, after each window within {RETURN_WITHIN:.0%} of idle):")
        for k, _ in fp.METRICS:
            worst = max(after.values(), key=lambda m: m[k])[k]
            meets = "meets" if idle[k] <= TARGET_MIB * 1024 else "misses"
            back = "within" if worst <= idle[k] * (1 + RETURN_WITHIN) else "not within"
            print(f"  {k:<5} idle {mib(idle[k])} ({meets} {TARGET_MIB}); after windows up to {mib(worst)} = {100 * (worst / idle[k] - 1):+.0f} % ({back} {RETURN_WITHIN:.0%})")
        if app.poll() is not None:
            raise fp.MeasureError(f"the app exited ({app.returncode}) during the bench")
    finally:
        stop_app(app, 10)
        sb.cleanup()


try:
    asyncio.run(main())
except fp.MeasureError as e:
    print(f"bench app: {e}", file=sys.stderr)
    sys.exit(1)
