"""The installed package (scripts/test package): the app as dpkg put it in /usr/bin, run the way a
user runs it (an unprivileged user, its own session bus, the tier's Xvfb), shows its tray; the
`sandbox` CLI installed beside it (the bundle's sidecar) answers --version with the workspace's
version and reads the same profile as the app. The VM is the scripted limactl stand-in.

Env: INSTALLED_APP, INSTALLED_CLI (paths in the installed package), EXPECTED_VERSION.
"""
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from harness import Sandbox, Tray, session_bus, start_watcher, wait_async, watch_senders, stop_app  # noqa: E402

APP = os.environ["INSTALLED_APP"]
CLI = os.environ["INSTALLED_CLI"]
VERSION = os.environ["EXPECTED_VERSION"]


async def main():
    assert os.getuid() != 0, "run this test as an unprivileged user, as the app runs on a desktop"
    sb = Sandbox()
    sb.write_profile()
    out = subprocess.run([CLI, "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.strip() == f"sandbox {VERSION}", (out.returncode, out.stdout, out.stderr)
    print(f"ok: the installed CLI says {out.stdout.strip()!r}")
    status = subprocess.run([CLI, "status", "--json"], capture_output=True, text=True, env=sb.env(), timeout=60)
    assert status.returncode == 0, status.stderr
    mounts = json.loads(status.stdout)["mounts"]
    assert [m["host"] for m in mounts if m["role"] == "project"] == [str(sb.project)], status.stdout
    print("ok: the installed CLI reads the profile the app uses")

    bus = await session_bus()
    await watch_senders(bus)
    items = await start_watcher(bus)
    app = subprocess.Popen([APP], env=sb.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        tray = await Tray.find(bus, items)
        menu = await wait_async(lambda: tray.menu(), what="the installed app's tray menu")
        labels = [m[1] for m in menu]
        for want in ("Start", "Connect an MCP Client", "Install Command-Line Tool", "Quit"):
            assert any(label.startswith(want) for label in labels), f"{want!r} missing from the tray menu {labels}"
        assert app.poll() is None, "the installed app exited"
        exe = os.readlink(f"/proc/{app.pid}/exe")
        assert exe == "/usr/bin/openclaw-sandbox-menubar", f"the installed app did not hand over to its menu-bar binary: {exe}"
        print(f"ok: the installed app (uid {os.getuid()}) shows its tray from {exe}: {labels}")
    finally:
        stop_app(app, 10)
        err = app.stderr.read() if app.stderr else ""
        if err.strip():
            print(f"(the app's stderr)\n{err[-3000:]}", file=sys.stderr)
        sb.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
