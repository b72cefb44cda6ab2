"""Memory of the running app, and closing its windows the way a window manager does.

- `measure(pid)`: RSS, PSS, USS (private = Private_Clean + Private_Dirty) and anon
  (Anonymous + Swap) summed over the app's process and its descendants (WebKitGTK's web
  and network processes), from /proc/PID/smaps_rollup. macOS Activity Monitor's "Memory" is
  phys_footprint: the process's own dirty memory + compressed, not file pages. USS is the
  usual Linux stand-in, but it also counts file pages of libraries that only this process
  maps (re-readable from disk; Private_Dirty even counts a freshly copied binary whose page
  cache is not yet written back); "anon" (heap, stacks, relocated library data) leaves file
  pages out and is the closer match.
- `close_window(title)`: sends the X11 `WM_DELETE_WINDOW` client message to the top-level
  window with that title — what a window manager sends when the user clicks the close button
  (Xvfb has no window manager). Uses libX11 through ctypes: nothing to install.
"""
import ctypes
import ctypes.util
import os
import subprocess
import time


class MeasureError(Exception):
    """A reading that is not a result: a process gone, a zero figure, no window."""


# --- /proc ---------------------------------------------------------------------------------

def children(pid):
    out = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def tree(pid, skip=("python3", "limactl", "fake-limactl", "sh", "bash")):
    """pid and its descendants, minus processes that are not the app's (Lima's stand-in)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p == pid or comm(p) not in skip:
            out.append(p)
        todo += children(p)
    return out


def comm(p):
    try:
        with open(f"/proc/{p}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def threads(p):
    try:
        return len(os.listdir(f"/proc/{p}/task"))
    except OSError:
        return 0


def rollup(p):
    """{field: KiB} from /proc/p/smaps_rollup; MeasureError if the process is gone."""
    try:
        with open(f"/proc/{p}/smaps_rollup") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise MeasureError(f"process {p} ({comm(p)}) is gone: {e}") from e
    out = {}
    for line in lines[1:]:
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
            out[parts[0][:-1]] = int(parts[1])
    return out


METRICS = (("rss", 3), ("pss", 4), ("uss", 5), ("anon", 6))


def measure(pid):
    """{'procs': [(pid, comm, threads, rss, pss, uss, anon)], 'rss','pss','uss','anon': KiB
    totals}; MeasureError if the app is gone or a total reads 0."""
    if not os.path.exists(f"/proc/{pid}"):
        raise MeasureError(f"the app (pid {pid}) is gone")
    procs = []
    for p in tree(pid):
        r = rollup(p)
        uss = r.get("Private_Clean", 0) + r.get("Private_Dirty", 0)
        anon = r.get("Anonymous", 0) + r.get("Swap", 0)
        procs.append((p, comm(p), threads(p), r.get("Rss", 0), r.get("Pss", 0), uss, anon))
    totals = {k: sum(x[i] for x in procs) for k, i in METRICS}
    for k, v in totals.items():
        if v <= 0:
            raise MeasureError(f"{k} of the app read as {v} KiB")
    return {"procs": procs, **totals}


def by_mapping(p, top=15):
    """The largest mappings of p by RSS, grouped by backing file (anonymous as [anon]):
    [(name, rss, pss, private)] in KiB — where the memory goes."""
    groups = {}
    name = None
    with open(f"/proc/{p}/smaps") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if not parts[0].endswith(":"):
                name = parts[5] if len(parts) > 5 else "[anon]"
                groups.setdefault(name, [0, 0, 0])
            elif parts[0] == "Rss:":
                groups[name][0] += int(parts[1])
            elif parts[0] == "Pss:":
                groups[name][1] += int(parts[1])
            elif parts[0] in ("Private_Clean:", "Private_Dirty:"):
                groups[name][2] += int(parts[1])
    rows = sorted(((n, *v) for n, v in groups.items()), key=lambda r: -r[1])
    return rows[:top]


# --- X11 -----------------------------------------------------------------------------------

class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def window_id(title):
    """The X window id of the top-level window named `title`, or None."""
    r = subprocess.run(["xwininfo", "-name", title], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if "Window id:" in line:
            return int(line.split("Window id:")[1].split()[0], 16)
    return None


def close_window(title):
    """Ask the window titled `title` to close, as a window manager would (WM_DELETE_WINDOW)."""
    wid = window_id(title)
    if wid is None:
        raise MeasureError(f"no window titled {title!r}")
    path = ctypes.util.find_library("X11") or "libX11.so.6"
    x = ctypes.CDLL(path)
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XInternAtom.restype = ctypes.c_ulong
    x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.POINTER(_XEvent)]
    x.XFlush.argtypes = [ctypes.c_void_p]
    x.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x.XOpenDisplay(None)
    if not dpy:
        raise MeasureError("cannot open the X display")
    try:
        ev = _XEvent()
        ev.xclient.type = 33  # ClientMessage
        ev.xclient.window = wid
        ev.xclient.message_type = x.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
        ev.xclient.format = 32
        ev.xclient.data[0] = x.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
        ev.xclient.data[1] = 0  # CurrentTime
        if not x.XSendEvent(dpy, wid, 0, 0, ctypes.byref(ev)):
            raise MeasureError(f"XSendEvent to {title!r} failed")
        x.XFlush(dpy)
    finally:
        x.XCloseDisplay(dpy)


def wait_gone(title, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if window_id(title) is None:
            return
        time.sleep(0.1)
    raise MeasureError(f"the window {title!r} is still there {timeout:.0f} s after it was closed")


def wait_shown(title, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if window_id(title) is not None:
            return
        time.sleep(0.1)
    raise MeasureError(f"the window {title!r} did not appear within {timeout:.0f} s")


def cmdline(p):
    try:
        with open(f"/proc/{p}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def window_processes(pid):
    """The app's window processes (`--window LABEL`, one per open window): {pid: label}."""
    out = {}
    for p in children(pid):
        args = cmdline(p)
        if "--window" in args[:-1]:
            out[p] = args[args.index("--window") + 1]
    return out


def engine_processes(pid):
    """Every WebKitGTK helper process (web content, network) under the app."""
    return [p for p in tree(pid) if comm(p).startswith("WebKit")]


def web_processes(pid):
    """The app's WebKitGTK web-content processes (one per open webview)."""
    return [p for p in tree(pid) if comm(p).startswith("WebKitWebProces")]


def wait_web_processes_gone(pid, timeout=15.0):
    """Seconds until the app has no web-content process left; MeasureError after `timeout`."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if not web_processes(pid):
            return time.monotonic() - t0
        time.sleep(0.1)
    raise MeasureError(f"WebKitWebProcess {web_processes(pid)} still running {timeout:.0f} s after its window closed")
