"""`sandbox mcp` driven by the official MCP Python SDK, against the scripted limactl stand-in."""
import asyncio
import json
import os
import pathlib
import subprocess
import tempfile

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import McpError

ROOT = pathlib.Path(__file__).resolve().parents[2]
SANDBOX = os.environ.get("SANDBOX_BIN", str(ROOT / "target" / "debug" / "sandbox"))
FAKE = str(ROOT / "tests" / "support" / "fake-limactl")

EXPECTED_TOOLS = {
    "sandbox_status", "sandbox_up", "sandbox_down", "sandbox_exec", "sandbox_validate",
    "sandbox_ssh_info", "sandbox_gateway_info", "sandbox_firewall_log",
    "sandbox_sync_status", "sandbox_sync_request",
}
# Words no agent-callable tool may carry: approvals, firewall changes, secrets, destruction.
FORBIDDEN = ["approve", "reject", "apply", "undo", "allow", "deny", "secret", "destroy", "reset", "delete", "force"]


class Env:
    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = pathlib.Path(self.tmp.name)
        for d in ["home", "fake", "project"]:
            (self.root / d).mkdir()
        self.env = dict(os.environ, SANDBOX_HOME=str(self.root / "home"), SANDBOX_LIMACTL=FAKE,
                        FAKE_LIMA_DIR=str(self.root / "fake"), HOME=str(self.root / "home"))

    def init(self):
        subprocess.run([SANDBOX, "init", "--non-interactive", "--project", str(self.root / "project")],
                       env=self.env, check=True, capture_output=True)

    def calls(self):
        p = self.root / "fake" / "calls.jsonl"
        return [json.loads(l) for l in p.read_text().splitlines()] if p.exists() else []

    def params(self):
        return StdioServerParameters(command=SANDBOX, args=["mcp"], env=self.env)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def with_session(env, fn):
    async with stdio_client(env.params()) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            return await fn(session, init)


def test_tool_set_is_exactly_the_safe_one():
    env = Env()

    async def body(s, init):
        assert init.capabilities.tools is not None
        tools = (await s.list_tools()).tools
        names = {t.name for t in tools}
        assert names == EXPECTED_TOOLS, names
        for t in tools:
            text = (t.name + " " + (t.description or "")).lower()
            for word in FORBIDDEN:
                assert word not in t.name, (t.name, word)
        exec_tool = next(t for t in tools if t.name == "sandbox_exec")
        assert exec_tool.inputSchema["properties"]["command"]["type"] == "string"
        assert "command" in exec_tool.inputSchema["required"]
        assert "timeout_secs" in exec_tool.inputSchema["properties"]

    run(with_session(env, body))


def test_validate_without_profile_says_how_to_create_one():
    env = Env()

    async def body(s, _):
        r = await s.call_tool("sandbox_validate", {})
        assert not r.isError
        assert r.structuredContent["valid"] is False
        assert "sandbox init" in r.structuredContent["error"]
        st = await s.call_tool("sandbox_status", {})
        assert st.isError
        assert "sandbox init" in st.content[0].text

    run(with_session(env, body))


def test_validate_names_field_and_line():
    env = Env()
    env.init()
    prof = env.root / "home" / "config" / "profile.toml"
    prof.write_text(prof.read_text().replace("cpus = 4", "cpus = 99"))

    async def body(s, _):
        r = await s.call_tool("sandbox_validate", {})
        p = r.structuredContent["problems"]
        assert p[0]["field"] == "resources.cpus"
        assert p[0]["line"] is not None

    run(with_session(env, body))


def test_lifecycle_with_progress_exec_and_down():
    env = Env()
    env.init()
    drop = ("OPENCLAW-DROP-OUT IN= OUT=eth0 SRC=192.168.5.15 DST=203.0.113.7 LEN=60 PROTO=TCP "
            "SPT=40112 DPT=443 SYN URGP=0 ")
    journal = json.dumps({"__CURSOR": "s=1", "_TRANSPORT": "kernel", "MESSAGE": drop})
    (env.root / "fake" / "shell.json").write_text(json.dumps([
        {"match": "echo hello", "stdout": "hello\n", "stderr": "warn\n", "exit": 3},
        {"match": "journalctl", "stdout": journal + "\n" + journal + "\n"}]))
    progress = []

    async def on_progress(p, total, message):
        progress.append((p, total, message))

    async def body(s, _):
        st = await s.call_tool("sandbox_status", {})
        assert st.structuredContent["state"] == "absent"
        up = await s.call_tool("sandbox_up", {}, progress_callback=on_progress)
        assert not up.isError, up.content
        assert up.structuredContent["created"] is True
        st = await s.call_tool("sandbox_status", {})
        assert st.structuredContent["state"] == "running"
        ex = await s.call_tool("sandbox_exec", {"command": "echo hello", "timeout_secs": 30})
        assert not ex.isError, ex.content
        assert ex.structuredContent == {"exit_code": 3, "stdout": "hello\n", "stderr": "warn\n",
                                        "truncated": False, "timed_out": False}
        info = await s.call_tool("sandbox_ssh_info", {})
        assert info.structuredContent["running"] is True
        gw = await s.call_tool("sandbox_gateway_info", {})
        assert gw.structuredContent["url"] == "http://127.0.0.1:18789"
        fw = await s.call_tool("sandbox_firewall_log", {"since": "-10min"})
        assert not fw.isError, fw.content
        assert fw.structuredContent["alerts"][0]["count"] == 2
        assert fw.structuredContent["alerts"][0]["dport"] == 443
        down = await s.call_tool("sandbox_down", {})
        assert down.structuredContent == {"result": "stopped"}
        ex = await s.call_tool("sandbox_exec", {"command": "echo hello"})
        assert ex.isError and "not running" in ex.content[0].text

    run(with_session(env, body))
    assert any(m and "Ready" in m for _, _, m in progress), progress
    # exec ran as the agent user, bounded by a timeout, the command as one argument
    shell = [c["argv"] for c in env.calls() if c["argv"][0] == "shell" and "echo hello" in c["argv"]]
    argv = shell[0]
    i = argv.index("sudo")
    assert argv[i:i + 6] == ["sudo", "-n", "-u", "openclaw", "-H", "--"]
    assert argv[i + 6:i + 10] == ["timeout", "-k", "5", "30s"]
    assert argv[-3:] == ["bash", "-c", "echo hello"]


def join_session_keyring():
    """A fresh session keyring for this process and its children (the kernel keyutils store
    needs one; login sessions get it from pam_keyinit, test runners do not)."""
    import ctypes, platform
    nr = {"x86_64": 250, "aarch64": 219}[platform.machine()]
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.syscall(nr, 1, None) > 0, ctypes.get_errno()


def test_exec_output_is_redacted():
    join_session_keyring()
    env = Env()
    env.env["SANDBOX_SECRET_STORE"] = "keyutils"
    env.init()
    canary = "canary-" + os.urandom(12).hex()
    subprocess.run([SANDBOX, "secrets", "set", "ANTHROPIC_API_KEY", "--stdin"], input=canary.encode(),
                   env=env.env, check=True, capture_output=True)
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    (env.root / "fake" / "shell.json").write_text(json.dumps([
        {"match": "printenv", "stdout": f"key={canary}\ntoken={token}\n", "stderr": canary}]))

    async def body(s, _):
        assert not (await s.call_tool("sandbox_up", {})).isError
        ex = await s.call_tool("sandbox_exec", {"command": "printenv"})
        out = ex.structuredContent
        assert canary not in json.dumps(out), out
        assert "[REDACTED:ANTHROPIC_API_KEY]" in out["stdout"] and "[REDACTED:ANTHROPIC_API_KEY]" in out["stderr"]
        assert token not in out["stdout"] and "[REDACTED]" in out["stdout"]
        # a failing tool's error carries what Lima printed: redacted at the door too
        fail = env.root / "fake" / "fail"
        fail.mkdir(exist_ok=True)
        (fail / "stop").write_text(f'1\ntime="t" level=fatal msg="cannot stop: {canary} {token}"\n')
        down = await s.call_tool("sandbox_down", {})
        text = down.content[0].text
        assert down.isError, text
        assert canary not in text and token not in text, text
        assert "[REDACTED:ANTHROPIC_API_KEY]" in text and "[REDACTED]" in text, text

    run(with_session(env, body))


def make_upper_tar(env, files):
    import tarfile, io
    path = env.root / "upper.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        d = tarfile.TarInfo("."); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)
        for name, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo("./" + name); info.size = len(data); info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return path


def test_sync_request_asks_the_user_and_never_applies():
    env = Env()
    env.init()
    tar = make_upper_tar(env, {"feature.txt": "new work\n", ".env": "TOKEN=1\n"})
    (env.root / "fake" / "shell.json").write_text(json.dumps([
        {"match": "openclaw-sandbox-ctl export-upper", "stdout_file": str(tar)},
        {"match": "openclaw-sandbox-ctl requests", "stdout": ""},
        {"match": "openclaw-sandbox-ctl status", "stdout": json.dumps({"mode": "secure", "upper_entries": 2, "watcher": "active", "pending_requests": 0}) + "\n"}]))

    async def body(s, _):
        assert not (await s.call_tool("sandbox_up", {})).isError
        r = await s.call_tool("sandbox_sync_request", {"message": "added the feature"})
        assert not r.isError, r.content
        assert r.structuredContent["changes"] == 2 and r.structuredContent["blocked"] is True
        st = await s.call_tool("sandbox_sync_status", {})
        pending = st.structuredContent["pending"]
        assert len(pending) == 1 and pending[0]["message"] == "added the feature", st.structuredContent
        assert st.structuredContent["unsynced_entries"] == 2
        bad = await s.call_tool("sandbox_sync_request", {"message": "  "})
        assert bad.isError

    run(with_session(env, body))
    # nothing reached the host project: only the user applies
    assert not (env.root / "project" / "feature.txt").exists()
    assert not (env.root / "project" / ".env").exists()


def test_bad_arguments_are_errors_and_the_server_survives():
    env = Env()
    env.init()

    async def body(s, _):
        r = await s.call_tool("sandbox_exec", {"command": "true", "timeout_secs": 0})
        assert r.isError and "use 1 to 600" in r.content[0].text
        r = await s.call_tool("sandbox_exec", {"command": "   "})
        assert r.isError
        for bad in [{"command": 5}, {}, {"command": "x", "bogus": 1}]:
            try:
                r = await s.call_tool("sandbox_exec", bad)
                assert r.isError, bad
            except McpError as e:
                assert "invalid" in str(e).lower() or "parameters" in str(e).lower(), e
        with pytest.raises(McpError):
            await s.call_tool("sandbox_approve", {})
        st = await s.call_tool("sandbox_status", {})
        assert st.structuredContent["state"] == "absent"

    run(with_session(env, body))


def test_closed_stdin_ends_the_server_cleanly():
    env = Env()
    p = subprocess.Popen([SANDBOX, "mcp"], env=env.env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.close()
    assert p.wait(timeout=10) == 0, p.stderr.read()
