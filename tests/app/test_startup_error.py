"""A set-up that cannot finish (the tray icon's folder cannot be created; no desktop session) ends
the app with a sentence naming what failed and exit code 1 — not a panic. A window process (`--window`) run
by hand, or asked for a window that does not exist, says what to do instead and exits 2."""
import subprocess
import sys

from harness import APP, Sandbox


def main():
    sb = Sandbox()
    sb.write_profile()
    try:
        out = subprocess.run([str(APP)], env=sb.env(XDG_RUNTIME_DIR="/proc/nonexistent"), capture_output=True, text=True, timeout=60)
        assert out.returncode == 1, (out.returncode, out.stderr[-2000:])
        assert "OpenClaw Sandbox could not start: cannot create the tray icon's folder /proc/nonexistent/" in out.stderr, out.stderr[-2000:]
        assert "panicked" not in out.stderr, out.stderr[-2000:]
        print("ok: a failed set-up says what failed and exits 1, without a panic")
        env = sb.env()
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        out = subprocess.run([str(APP)], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 1, (out.returncode, out.stderr[-2000:])
        assert "OpenClaw Sandbox could not start: cannot open the desktop session (DISPLAY unset" in out.stderr, out.stderr[-2000:]
        assert "use the `sandbox` command" in out.stderr and "panicked" not in out.stderr, out.stderr[-2000:]
        print("ok: without a desktop session the app says so and points to the CLI (exit 1, no panic)")
        out = subprocess.run([str(APP), "--window", "settings"], env=sb.env(), capture_output=True, text=True, timeout=60)
        assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
        assert "run `openclaw-sandbox-app --show settings`" in out.stderr, out.stderr[-2000:]
        out = subprocess.run([str(APP), "--window", "bogus"], env=sb.env(OPENCLAW_SANDBOX_WINDOW_OF="1"), capture_output=True, text=True, timeout=60)
        assert out.returncode == 2 and 'no window is called "bogus"' in out.stderr, (out.returncode, out.stderr[-2000:])
        print("ok: --window by hand, or for an unknown window, says what to do and exits 2")
    finally:
        sb.cleanup()


if __name__ == "__main__":
    main()
    sys.exit(0)
