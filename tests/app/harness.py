"""Helpers for the real-app tests (scripts/test app): a tiny WebDriver client for tauri-driver,
a fake StatusNotifierWatcher so the app's tray registers on the session bus, dbusmenu access,
and an isolated SANDBOX_HOME with the scripted limactl stand-in.

Each test file runs in its own `dbus-run-session` under `timeout` (see scripts/tiers/app.sh),
with DISPLAY pointing at the tier's Xvfb.
"""
import asyncio
import http.client
import json
import os
import shutil
import sys
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP = Path(os.environ.get("APP_BIN", REPO / "target/debug/openclaw-sandbox-app"))
FAKE_LIMACTL = REPO / "tests/support/fake-limactl"
ARTIFACTS = REPO / "target/artifacts/app"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def wait_for(pred, timeout=30.0, what="condition", interval=0.1):
    """Wait (bounded) for an external process to reach a state; the test fails with `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # the app may not be up yet
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def wait_app_up(sb, timeout=30):
    """Wait until the menu-bar process listens on its single-instance socket (in the app's data
    folder, `menubar/src/single_instance.rs`), i.e. is up and would take a second launch."""
    sock = sb.home / "data/menubar.sock"
    wait_for(lambda: sock.is_socket(), timeout, f"the app's single-instance socket {sock}")


def stop_app(proc, wait=5):
    """End an app started by a test: SIGTERM, then SIGKILL if it is still there after `wait` s."""
    proc.terminate()
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(wait)


class Sandbox:
    """An isolated SANDBOX_HOME + fake limactl state, and the env the app runs with."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="openclaw-app-test-"))
        self.home = self.root / "home"
        self.lima = self.root / "lima"
        self.project = self.root / "project"
        for d in (self.home, self.lima, self.project):
            d.mkdir(parents=True)
        self.profile = self.home / "config/profile.toml"

    def env(self, **extra):
        env = dict(os.environ)
        env.update({
            "SANDBOX_HOME": str(self.home),
            "SANDBOX_LIMACTL": str(FAKE_LIMACTL),
            "FAKE_LIMA_DIR": str(self.lima),
            "HOME": str(self.root),  # autostart entries and dialogs stay in the sandbox
            "XDG_CONFIG_HOME": str(self.root / ".config"),
            "NO_AT_BRIDGE": "1",
        })
        env.update(extra)
        return env

    def write_profile(self):
        self.profile.parent.mkdir(parents=True, exist_ok=True)
        self.profile.write_text(f'version = 1\nname = "apptest"\nmode = "secure"\n[mounts]\nproject = "{self.project}"\n')

    def agent_request(self, files, message):
        """The VM running with one review request from the agent: `files` ({path: text}) are
        its upper layer, exported as a real GNU tar by `openclaw-sandbox-ctl export-upper`."""
        upper = self.root / "upper"
        for rel, text in files.items():
            (upper / rel).parent.mkdir(parents=True, exist_ok=True)
            (upper / rel).write_text(text)
        tar = self.root / "upper.tar"
        subprocess.run(["tar", "--xattrs", "-C", str(upper), "-cf", str(tar), "."], check=True)
        subprocess.run([str(FAKE_LIMACTL), "--tty=false", "start", "apptest"], env=self.env(), check=True, stderr=subprocess.DEVNULL)
        (self.lima / "shell.json").write_text(json.dumps([
            {"match": "openclaw-sandbox-ctl export-upper", "stdout_file": str(tar)},
            {"match": "openclaw-sandbox-ctl requests", "stdout": json.dumps({"id": "r1", "time": "t", "user": "openclaw", "message": message}) + "\n"},
        ]))

    def calls(self):
        f = self.lima / "calls.jsonl"
        return [json.loads(l) for l in f.read_text().splitlines()] if f.exists() else []

    def verbs(self):
        """The limactl verb of each call (global flags such as --tty=false skipped)."""
        out = []
        for c in self.calls():
            words = [a for a in c["argv"] if not a.startswith("-")]
            out.append(words[0] if words else c["argv"][0] if c["argv"] else "")
        return out

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


class WebDriver:
    """Just enough of the W3C WebDriver protocol, against tauri-driver.

    tauri-driver starts the menu-bar app; the session drives the window process the app starts
    (the test asks for one window). That works as the user's app does: WebKitWebDriver hands the
    app its inspector address in the environment, the window process inherits it, and the
    menu-bar process never starts a web engine, so never claims that address itself."""

    def __init__(self, env, port=4444):
        self.base = f"http://127.0.0.1:{port}"
        driver = shutil.which("tauri-driver") or str(Path.home() / ".cargo/bin/tauri-driver")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log = open(ARTIFACTS / "tauri-driver.log", "wb")
        self.proc = subprocess.Popen([driver, "--port", str(port)], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: self._req("GET", "/status") is not None, 20, "tauri-driver to listen")
        # A wrapper keeps the app's own stderr (WebKitWebDriver drops it) for post-mortems.
        wrapper = Path(env["SANDBOX_HOME"]).parent / "app-wrapper.sh"
        wrapper.write_text(f'#!/bin/sh\nexec "{APP}" "$@" 2>>"{ARTIFACTS}/app-stderr.log"\n')
        wrapper.chmod(0o755)
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": str(wrapper)}}}}
        self.sid = self._req("POST", "/session", caps)["value"]["sessionId"]

    def _req(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        # tauri-driver 2.1.0 forwards over pooled keep-alive connections without retrying; when
        # WebKitWebDriver has just closed the pooled one, the forward fails before anything
        # reached the browser ("SendRequest ... Connection reset by peer") and tauri-driver drops
        # our connection. Resending is then safe, so do it (a couple of times at most).
        for attempt in range(3):
            req = urllib.request.Request(self.base + path, data=data, method=method, headers={"content-type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=timeout) as r:
                    return json.loads(r.read() or b"null")
            except http.client.RemoteDisconnected:
                if attempt == 2:
                    raise

    def cmd(self, method, path, body=None):
        return self._req(method, f"/session/{self.sid}{path}", body)["value"]

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css, timeout=15):
        def look():
            r = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
            return r[0][ELEMENT] if r else None
        return wait_for(look, timeout, f"element {css}")

    def click(self, css):
        self.cmd("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text, clear=True):
        el = self.find(css)
        if clear:
            self.cmd("POST", f"/element/{el}/clear", {})
        self.cmd("POST", f"/element/{el}/value", {"text": text})

    def text(self, css):
        return self.cmd("GET", f"/element/{self.find(css)}/text")

    def screenshot(self, path):
        """Save a PNG of the (visible) window. An artifact, not a check: a failure is reported."""
        import base64
        try:
            png = self._req("GET", f"/session/{self.sid}/screenshot", timeout=20)["value"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(png))
        except Exception as e:  # WebKitWebDriver can hang on screenshots of hidden windows
            print(f"note: no screenshot {path.name}: {e}", file=sys.stderr)

    def quit(self):
        try:
            self._req("DELETE", f"/session/{self.sid}", timeout=10)
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- D-Bus: a fake StatusNotifierWatcher and dbusmenu access -------------------------------

WATCHER_XML_NAME = "org.kde.StatusNotifierWatcher"


async def start_watcher(bus):
    """Own org.kde.StatusNotifierWatcher on `bus`; returns the list registered items land in."""
    from dbus_next.service import ServiceInterface, method, dbus_property, signal
    from dbus_next.constants import PropertyAccess

    items = []

    class Watcher(ServiceInterface):
        def __init__(self):
            super().__init__(WATCHER_XML_NAME)

        @method()
        def RegisterStatusNotifierItem(self, service: "s"):  # noqa: F821
            items.append(service)
            self.StatusNotifierItemRegistered(service)

        @method()
        def RegisterStatusNotifierHost(self, service: "s"):  # noqa: F821
            pass

        @dbus_property(access=PropertyAccess.READ)
        def RegisteredStatusNotifierItems(self) -> "as":  # noqa: F821
            return list(items)

        @dbus_property(access=PropertyAccess.READ)
        def IsStatusNotifierHostRegistered(self) -> "b":  # noqa: F821
            return True

        @dbus_property(access=PropertyAccess.READ)
        def ProtocolVersion(self) -> "i":  # noqa: F821
            return 0

        @signal()
        def StatusNotifierItemRegistered(self, service) -> "s":  # noqa: F821
            return service

        @signal()
        def StatusNotifierHostRegistered(self):
            pass

    bus.export("/StatusNotifierWatcher", Watcher())
    await bus.request_name(WATCHER_XML_NAME)
    return items


class Tray:
    """The app's StatusNotifierItem and its dbusmenu, as a panel would see them."""

    def __init__(self, bus, sender, item_path):
        self.bus, self.sender, self.item_path = bus, sender, item_path

    @classmethod
    async def find(cls, bus, items, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for it in list(items):
                # libayatana registers an object path; the sender is the app's unique name.
                if it.startswith("/"):
                    return cls(bus, cls.sender_of.get(it), it)
                name, _, path = it.partition("/")
                return cls(bus, name, "/" + path if path else "/StatusNotifierItem")
            await asyncio.sleep(0.1)
        raise AssertionError("the app never registered a tray item with the watcher")

    sender_of = {}

    async def _iface(self, path, name):
        intro = await self.bus.introspect(self.sender, path)
        return self.bus.get_proxy_object(self.sender, path, intro).get_interface(name)

    async def prop(self, name):
        props = await self._iface(self.item_path, "org.freedesktop.DBus.Properties")
        v = await props.call_get("org.kde.StatusNotifierItem", name)
        return v.value

    async def menu(self, separators=False):
        """[(id, label, enabled, toggle_state)] of the top-level items (separators as
        (id, None, False, None) when asked for)."""
        menu = await self._iface(await self.prop("Menu"), "com.canonical.dbusmenu")
        _rev, (_id, _props, children) = await menu.call_get_layout(0, -1, [])
        out = []
        for c in children:
            cid, props, _ = c.value
            if props.get("type") and props["type"].value == "separator":
                if separators:
                    out.append((cid, None, False, None))
                continue
            label = props["label"].value if "label" in props else ""
            enabled = props["enabled"].value if "enabled" in props else True
            toggle = props["toggle-state"].value if "toggle-state" in props else None
            out.append((cid, label.replace("_", ""), enabled, toggle))
        return out

    async def click(self, label_prefix):
        from dbus_next import Variant
        items = await self.menu()
        match = [i for i in items if i[1].startswith(label_prefix)]
        assert match, f"no menu item starting with {label_prefix!r} in {[i[1] for i in items]}"
        menu = await self._iface(await self.prop("Menu"), "com.canonical.dbusmenu")
        await menu.call_event(match[0][0], "clicked", Variant("s", ""), int(time.time()) & 0xFFFFFFFF)


async def watch_senders(bus):
    """Remember which unique name registered each item path (the register call's sender)."""
    from dbus_next import Message, MessageType

    def handler(msg: Message):
        if msg.message_type == MessageType.METHOD_CALL and msg.member == "RegisterStatusNotifierItem" and msg.body:
            Tray.sender_of[msg.body[0]] = msg.sender
        return None

    bus.add_message_handler(handler)


async def session_bus():
    from dbus_next.aio import MessageBus
    return await MessageBus().connect()


async def wait_async(pred, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = await pred()
            if last:
                return last
        except Exception as e:
            last = e
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


async def start_notification_server(bus):
    """Own org.freedesktop.Notifications on `bus`: records every Notify and lets the test
    invoke an action the way a desktop does (the ActionInvoked signal)."""
    from dbus_next.service import ServiceInterface, method, signal

    class Server(ServiceInterface):
        def __init__(self):
            super().__init__("org.freedesktop.Notifications")
            self.shown = []  # dicts: id, summary, body, actions {key: label}

        @method()
        def Notify(self, app_name: "s", replaces_id: "u", app_icon: "s", summary: "s", body: "s", actions: "as", hints: "a{sv}", expire_timeout: "i") -> "u":  # noqa: F821
            nid = len(self.shown) + 1
            self.shown.append({"id": nid, "app": app_name, "summary": summary, "body": body, "actions": dict(zip(actions[::2], actions[1::2]))})
            return nid

        @method()
        def GetCapabilities(self) -> "as":  # noqa: F821
            return ["actions", "body"]

        @method()
        def GetServerInformation(self) -> "ssss":  # noqa: F821
            return ["fake-notifications", "openclaw-tests", "1.0", "1.2"]

        @method()
        def CloseNotification(self, nid: "u"):  # noqa: F821
            self.NotificationClosed(nid, 3)

        @signal()
        def ActionInvoked(self, nid, key) -> "us":  # noqa: F821
            return [nid, key]

        @signal()
        def NotificationClosed(self, nid, reason) -> "uu":  # noqa: F821
            return [nid, reason]

    server = Server()
    bus.export("/org/freedesktop/Notifications", server)
    await bus.request_name("org.freedesktop.Notifications")
    return server


def render_menu(menu, path):
    """Draw the menu as a panel would (from the dbusmenu layout) — the README's tray picture,
    since Xvfb has no panel to screenshot."""
    from PIL import Image, ImageDraw, ImageFont
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 14)
    except OSError:
        font = ImageFont.load_default()
    row, pad, width = 26, 10, 300
    height = pad * 2 + sum(9 if label is None else row for _, label, _, _ in menu)
    img = Image.new("RGB", (width, height), (246, 247, 249))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, width - 1, height - 1], outline=(200, 205, 212))
    y = pad
    for _, label, enabled, toggle in menu:
        if label is None:
            d.line([(pad, y + 4), (width - pad, y + 4)], fill=(210, 214, 220))
            y += 9
            continue
        color = (27, 31, 36) if enabled else (150, 156, 165)
        if toggle is not None and toggle >= 0:
            d.text((pad, y + 4), "✓" if toggle == 1 else " ", font=font, fill=color)
        d.text((pad + 20, y + 4), label, font=font, fill=color)
        y += row
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
