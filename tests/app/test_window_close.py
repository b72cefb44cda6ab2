"""Footprint (scripts/bench app measures it): at idle the app has loaded no GL driver (GTK's
GL probe is off), and closing a window for real — the WM_DELETE_WINDOW message a window
manager sends — destroys it: the window goes, its WebKitWebProcess ends, the app lives on."""
import subprocess
import sys

import footprint as fp
from harness import APP, Sandbox, wait_for, stop_app, wait_app_up


def gl_drivers(pid):
    with open(f"/proc/{pid}/maps") as f:
        return sorted({line.split()[-1] for line in f if "/dri/" in line or "libLLVM" in line})


def main():
    sb = Sandbox()
    sb.write_profile()
    app = subprocess.Popen([str(APP)], env=sb.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_app_up()
        assert not gl_drivers(app.pid), f"GL driver loaded at idle: {gl_drivers(app.pid)}"
        title = "OpenClaw Sandbox Settings"
        second = subprocess.run([str(APP), "--show", "settings"], env=sb.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        assert second.returncode == 0, second.returncode
        fp.wait_shown(title)
        wait_for(lambda: fp.web_processes(app.pid), 30, "the window's WebKitWebProcess")
        fp.close_window(title)
        fp.wait_gone(title, 15)
        took = fp.wait_web_processes_gone(app.pid, 10)
        assert app.poll() is None, "the app lives on when its last window closes"
        print(f"ok: no GL driver at idle; a closed window is destroyed and its web process ended after {took:.1f} s")
    finally:
        stop_app(app, 5)
        sb.cleanup()


if __name__ == "__main__":
    main()
    sys.exit(0)
