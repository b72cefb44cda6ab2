"""The tray menu as a desktop panel sees it: StatusNotifierItem + dbusmenu on the session bus
(with a fake StatusNotifierWatcher). Items per state, and Start/Stop reaching core."""
import asyncio
import json
import subprocess
import sys

import footprint as fp
from harness import APP, ARTIFACTS, Sandbox, Tray, render_menu, session_bus, start_watcher, wait_async, watch_senders, stop_app


def labels(menu):
    return {label: (enabled, toggle) for _id, label, enabled, toggle in menu}


BUS = {}


async def run_app(sb, **env):
    """Start the app; one session bus connection owns the fake watcher for the whole file."""
    if not BUS:
        BUS["bus"] = await session_bus()
        await watch_senders(BUS["bus"])
        BUS["items"] = await start_watcher(BUS["bus"])
    bus, items = BUS["bus"], BUS["items"]
    items.clear()
    app = subprocess.Popen([str(APP)], env=sb.env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tray = await Tray.find(bus, items)
    return bus, app, tray


async def no_profile():
    sb = Sandbox()
    bus, app, tray = await run_app(sb)
    try:
        menu = await wait_async(lambda: tray.menu(), what="the menu")
        m = labels(menu)
        assert "Not set up yet" in m and m["Not set up yet"][0] is False, m
        assert m["Set Up OpenClaw Sandbox…"][0] is True, m
        assert "Start" not in m, m
        assert m["Connect an MCP Client…"][0] is True, m
        assert m["Install Command-Line Tool…"][0] is True, m
        render_menu(await tray.menu(separators=True), ARTIFACTS / "tray-no-profile.png")
        print("ok: no profile → status line + Set Up only")
        # The tools' native dialogs (rfd on the menu-bar's GTK main loop): shown, then dismissed
        # as a window manager would; the tray answers after each.
        for item, title in (("Install Command-Line Tool…", "Install Command-Line Tool"), ("Connect an MCP Client…", "Connect an MCP Client")):
            await tray.click(item)
            fp.wait_shown(title, 20)
            fp.close_window(title)
            fp.wait_gone(title, 10)
            assert labels(await tray.menu())["Set Up OpenClaw Sandbox…"][0] is True
        assert app.poll() is None
        print("ok: Install Command-Line Tool… and Connect an MCP Client… open their dialogs; closing one changes nothing")
    finally:
        stop_app(app)
        sb.cleanup()


async def stopped_then_start_then_stop():
    sb = Sandbox()
    sb.write_profile()
    # The instance exists and is stopped (the fake limactl keeps instances as JSON files).
    (sb.lima / "instances").mkdir(parents=True, exist_ok=True)
    bus, app, tray = await run_app(sb)
    try:
        async def stopped_menu():
            m = labels(await tray.menu())
            return m if ("Not created yet" in m or "Stopped" in m) else None
        m = await wait_async(stopped_menu, what="the stopped/absent menu")
        assert m["Start"][0] is True and m["Stop"][0] is False, m
        assert m["Open Shell"][0] is False, m
        assert m["Review Changes (0)…"][0] is False, m
        assert "Force Stop" not in m, m
        assert m["Start at Login"][1] == 0, m
        render_menu(await tray.menu(separators=True), ARTIFACTS / "tray-stopped.png")
        print("ok: stopped → Start enabled, Stop/Open Shell disabled")

        await tray.click("Start")

        async def running_menu():
            m = labels(await tray.menu())
            return m if "Running" in m else None
        m = await wait_async(running_menu, 60, "the running menu after Start")
        assert m["Start"][0] is False and m["Stop"][0] is True and m["Open Shell"][0] is True, m
        verbs = sb.verbs()
        assert "start" in verbs, verbs
        render_menu(await tray.menu(separators=True), ARTIFACTS / "tray-running.png")
        print("ok: Start reached core (limactl", verbs, ") → menu shows Running")

        await tray.click("Stop")

        async def stopped_again():
            m = labels(await tray.menu())
            return m if "Stopped" in m else None
        m = await wait_async(stopped_again, 60, "the stopped menu after Stop")
        assert "stop" in sb.verbs(), sb.verbs()
        print("ok: Stop reached core → menu shows Stopped")

        await tray.click("Start at Login")
        async def autostart_on():
            m = labels(await tray.menu())
            return m["Start at Login"][1] == 1
        await wait_async(autostart_on, 10, "Start at Login checked")
        assert list((sb.root / ".config/autostart").glob("*.desktop")), "autostart entry written"
        print("ok: Start at Login toggles an XDG autostart entry")

        try:
            await tray.click("Quit OpenClaw Sandbox")
        except Exception as e:  # the app may be gone before dbusmenu's reply to the click
            if "disconnected" not in str(e):
                raise
        code = await asyncio.get_running_loop().run_in_executor(None, lambda: app.wait(15))
        assert code == 0, f"Quit ended the app with {code}"
        print("ok: Quit ends the app (exit 0)")
    finally:
        stop_app(app)
        sb.cleanup()


async def broken():
    sb = Sandbox()
    sb.write_profile()
    (sb.lima / "list-override.jsonl").write_text(json.dumps({"name": "apptest", "status": "Broken", "dir": str(sb.lima), "vmType": "qemu", "arch": "x86_64", "cpus": 2, "memory": 4294967296, "disk": 10737418240}) + "\n")
    bus, app, tray = await run_app(sb)
    try:
        async def broken_menu():
            m = labels(await tray.menu())
            return m if any(k.startswith("Broken") for k in m) else None
        m = await wait_async(broken_menu, what="the Broken menu")
        assert m["Force Stop"][0] is True, m
        assert m["Stop"][0] is False, m
        render_menu(await tray.menu(separators=True), ARTIFACTS / "tray-broken.png")
        print("ok: Broken → Force Stop offered")
    finally:
        stop_app(app)
        sb.cleanup()


async def started_and_stopped_elsewhere():
    """The VM started, stopped and crashed by another process (the CLI, a terminal) shows in
    the tray: core's follower sees Lima's files and processes; the stand-in's `watch` never
    ends, as Lima's does not."""
    import os
    import signal
    import time
    from harness import FAKE_LIMACTL
    sb = Sandbox()
    sb.write_profile()
    bus, app, tray = await run_app(sb)
    env = sb.env(LIMA_HOME=str(sb.home / "lima"))   # the app's private Lima home

    def limactl(*args):
        subprocess.run([str(FAKE_LIMACTL), *args], env=env, check=True, capture_output=True)

    async def shows(word, within):
        t = time.monotonic()

        async def menu_says():
            m = labels(await tray.menu())
            return m if any(k.startswith(word) for k in m) else None
        m = await wait_async(menu_says, within, f"the menu showing {word}")
        return m, time.monotonic() - t
    try:
        await shows("Not created yet", 30)
        limactl("create", "--name", "apptest")
        limactl("start", "apptest")
        m, took = await shows("Running", 5)
        assert m["Stop"][0] is True, m
        print(f"ok: started by another process → Running in the tray after {took:.2f} s")
        limactl("stop", "apptest")
        m, took = await shows("Stopped", 5)
        assert m["Start"][0] is True, m
        print(f"ok: stopped by another process → Stopped in the tray after {took:.2f} s")
        limactl("start", "apptest")
        await shows("Running", 5)
        ha = int((sb.home / "lima/apptest/ha.pid").read_text())
        os.kill(ha, signal.SIGKILL)
        m, took = await shows("Broken", 5)
        assert m["Force Stop"][0] is True, m
        print(f"ok: host agent crashed → Broken in the tray after {took:.2f} s")
    finally:
        stop_app(app)
        limactl("stop", "-f", "apptest")
        sb.cleanup()


async def renamed_in_the_profile():
    """The profile names the VM: renamed (in Settings, an editor), the tray follows the new one."""
    import time
    from harness import FAKE_LIMACTL
    sb = Sandbox()
    sb.write_profile()
    bus, app, tray = await run_app(sb)
    env = sb.env(LIMA_HOME=str(sb.home / "lima"))

    def limactl(*args):
        subprocess.run([str(FAKE_LIMACTL), *args], env=env, check=True, capture_output=True)

    async def shows(word, within):
        async def menu_says():
            m = labels(await tray.menu())
            return m if any(k.startswith(word) for k in m) else None
        return await wait_async(menu_says, within, f"the menu showing {word}")
    try:
        await shows("Not created yet", 30)
        limactl("create", "--name", "renamed")
        limactl("start", "renamed")
        await asyncio.sleep(1)
        assert any(k.startswith("Not created yet") for k in labels(await tray.menu())), "another VM is not ours"
        t = time.monotonic()
        sb.profile.write_text(sb.profile.read_text().replace('name = "apptest"', 'name = "renamed"'))
        await shows("Running", 10)
        print(f"ok: the profile renamed the VM → the tray follows the new one (Running after {time.monotonic() - t:.2f} s)")
    finally:
        stop_app(app)
        limactl("stop", "-f", "renamed")
        sb.cleanup()


async def main():
    await no_profile()
    await stopped_then_start_then_stop()
    await broken()
    await started_and_stopped_elsewhere()
    await renamed_in_the_profile()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
