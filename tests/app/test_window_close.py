"""Footprint (scripts/bench app measures it): the app's program hands over to the menu-bar
binary (`openclaw-sandbox-menubar`, same process), which links no web engine at all — at
idle it has no WebKit library mapped, no GL driver (GTK's GL probe is off) and no WebKit process; a window runs in a window
process of its own (`--window LABEL`, started by the tray, reused when asked for again), and
closing it for real — the WM_DELETE_WINDOW message a window manager sends — ends that process
with its web engine, while the app lives on. The pipes between the two are private to them."""
import os
import subprocess
import sys
import time

import footprint as fp
from harness import APP, Sandbox, wait_for, stop_app, wait_app_up


def web_libraries(pid):
    with open(f"/proc/{pid}/maps") as f:
        return sorted({line.split()[-1] for line in f if "webkit" in line.lower() or "javascriptcore" in line.lower()})


def gl_drivers(pid):
    with open(f"/proc/{pid}/maps") as f:
        return sorted({line.split()[-1] for line in f if "/dri/" in line or "libLLVM" in line})


def fds(pid):
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            pass
    return out


def show(sb, label):
    second = subprocess.run([str(APP), "--show", label], env=sb.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    assert second.returncode == 0, second.returncode


def main():
    sb = Sandbox()
    sb.write_profile()
    app = subprocess.Popen([str(APP)], env=sb.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_app_up(sb)
        time.sleep(1)
        exe = os.readlink(f"/proc/{app.pid}/exe")
        assert exe.endswith("/openclaw-sandbox-menubar"), f"the app did not hand over to the menu-bar binary: {exe}"
        assert not web_libraries(app.pid), f"the menu-bar process maps a web engine: {web_libraries(app.pid)}"
        assert not gl_drivers(app.pid), f"GL driver loaded at idle: {gl_drivers(app.pid)}"
        assert not fp.engine_processes(app.pid), f"a web engine at idle: {fp.engine_processes(app.pid)}"
        assert not fp.window_processes(app.pid), fp.window_processes(app.pid)
        title = "OpenClaw Sandbox Settings"
        show(sb, "settings")
        fp.wait_shown(title)
        wait_for(lambda: fp.web_processes(app.pid), 30, "the window's WebKitWebProcess")
        procs = fp.window_processes(app.pid)
        assert list(procs.values()) == ["settings"], procs
        window_pid = next(iter(procs))
        assert all(p in fp.tree(window_pid) for p in fp.engine_processes(app.pid)), "the web engine runs under the window process"
        assert not gl_drivers(app.pid), f"the menu-bar process loaded a GL driver: {gl_drivers(app.pid)}"
        assert not web_libraries(app.pid), f"the menu-bar process mapped a web engine: {web_libraries(app.pid)}"
        # The conversation's pipes are the window process's own: its stdin is /dev/null, its stdout
        # goes to stderr, and no program it starts (here WebKit's) holds the tray's pipes.
        mine = fds(window_pid)
        assert mine[0] == "/dev/null" and mine[1] == mine[2], {k: mine[k] for k in (0, 1, 2)}
        shared = {t for t in mine.values() if t.startswith("pipe:")} & {t for t in fds(app.pid).values() if t.startswith("pipe:")}
        assert len(shared) >= 2, (shared, mine)
        for p in fp.engine_processes(app.pid):
            leaked = shared & set(fds(p).values())
            assert not leaked, f"{fp.comm(p)} ({p}) holds the tray's pipes {leaked}"
        show(sb, "settings")  # asked for again: the same process brings its window to the front
        time.sleep(1)
        assert fp.window_processes(app.pid) == procs, fp.window_processes(app.pid)
        fp.close_window(title)
        fp.wait_gone(title, 15)
        wait_for(lambda: not fp.window_processes(app.pid), 15, "the window process to end")
        t0 = time.monotonic()
        wait_for(lambda: not fp.engine_processes(app.pid), 15, "the web engine's processes to end")
        assert app.poll() is None, "the app lives on when its last window closes"
        assert not gl_drivers(app.pid), gl_drivers(app.pid)
        print(f"ok: the menu-bar binary maps no web engine library and loads no GL driver; the window ran in its own process (reused when asked again); closing it ended that process and its engine ({time.monotonic() - t0:.1f} s after)")
        show(sb, "settings")  # and a new one opens after that
        fp.wait_shown(title)
        procs = fp.window_processes(app.pid)
        assert list(procs.values()) == ["settings"], procs
        stop_app(app, 5)  # the menu-bar app quits: its window goes with it
        window_pid = next(iter(procs))
        wait_for(lambda: fp.comm(window_pid) == "?" or open(f"/proc/{window_pid}/stat").read().split(")")[1].split()[0] == "Z", 15, "the window process to end with the app")
        print("ok: the window process ends when the menu-bar app does")
    finally:
        stop_app(app, 5)
        sb.cleanup()


if __name__ == "__main__":
    main()
    sys.exit(0)
