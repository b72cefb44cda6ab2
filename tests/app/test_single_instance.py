"""Single instance (menubar/src/single_instance.rs): a second launch hands its request to the running app —
which opens the window asked for — and exits; the first keeps running."""
import subprocess
import sys

from harness import APP, Sandbox, wait_for, stop_app, wait_app_up


def windows():
    out = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout
    return out


def main():
    sb = Sandbox()
    sb.write_profile()
    first = subprocess.Popen([str(APP)], env=sb.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # With a profile, the app starts with no window (menu bar only); wait until it owns
        # its single-instance socket, i.e. is up.
        wait_app_up(sb)
        assert "OpenClaw Sandbox Settings" not in windows()
        second = subprocess.run([str(APP), "--show", "settings"], env=sb.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        assert second.returncode == 0, second.returncode
        wait_for(lambda: "OpenClaw Sandbox Settings" in windows(), 30, "the Settings window in the first instance")
        assert first.poll() is None, "the first instance keeps running"
        print("ok: a second launch exits and the running app opens Settings")
    finally:
        stop_app(first, 5)
        sb.cleanup()


if __name__ == "__main__":
    main()
    sys.exit(0)
