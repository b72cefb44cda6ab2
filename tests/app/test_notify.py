"""Notifications with actions, end to end: a firewall denial in the VM's journal (scripted
limactl) → core's follower → a throttled "Blocked connection" notification with Allow / Ignore
on the session bus → the desktop invokes "Allow" over D-Bus → core::firewall adds the address
to the profile's allowlist."""
import asyncio
import json
import subprocess
import sys
import tomllib

from harness import APP, FAKE_LIMACTL, Sandbox, session_bus, start_notification_server, wait_async, stop_app

KERNEL = "OPENCLAW-DROP-OUT IN= OUT=eth0 SRC=192.168.5.15 DST=203.0.113.7 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=40112 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0 "


async def main():
    sb = Sandbox()
    sb.write_profile()
    env = sb.env()
    # The VM is running, and its journal holds three denials of one connection.
    subprocess.run([str(FAKE_LIMACTL), "--tty=false", "start", "apptest"], env=env, check=True, stderr=subprocess.DEVNULL)
    line = json.dumps({"__CURSOR": "s=1", "_TRANSPORT": "kernel", "MESSAGE": KERNEL})
    (sb.lima / "shell.json").write_text(json.dumps([{"match": "journalctl", "stdout": f"{line}\n{line}\n{line}\n"}]))
    bus = await session_bus()
    server = await start_notification_server(bus)
    app = subprocess.Popen([str(APP)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        async def shown():
            return [n for n in server.shown if "203.0.113.7" in n["summary"]]
        notes = await wait_async(shown, 60, "the blocked-connection notification")
        n = notes[0]
        assert n["summary"] == "Blocked connection to 203.0.113.7:443 (3 times)", n
        assert n["actions"].get("allow") == "Allow" and n["actions"].get("ignore") == "Ignore", n
        assert [k for k in n["actions"] if k != "default"][0] == "show", n  # first: harmless
        print("ok: denial in the VM → notification", repr(n["summary"]), "with", n["actions"])
        # The follower reconnects and replays the same journal lines; the app's throttle keeps
        # it to one notification per connection.
        await wait_async(lambda: asyncio.sleep(0, result=sum(1 for c in sb.calls() if "journalctl" in " ".join(c["argv"])) >= 2), 30, "the follower to reconnect")
        assert len([x for x in server.shown if "203.0.113.7" in x["summary"]]) == 1, server.shown
        print("ok: repeated alerts for one connection are throttled to one notification")

        server.ActionInvoked(n["id"], "allow")

        async def allowed():
            p = tomllib.loads(sb.profile.read_text())
            return "203.0.113.7:443/tcp" in p.get("network", {}).get("allowed_destinations", [])
        await wait_async(allowed, 30, "the address in network.allowed_destinations")
        audit = sb.home / "logs/audit.jsonl"
        await wait_async(lambda: asyncio.sleep(0, result=audit.exists() and "firewall.allow" in audit.read_text()), 30, "the audit record")
        print("ok: Allow (invoked over D-Bus) → core::firewall added 203.0.113.7:443/tcp to the profile and audited it")
    finally:
        stop_app(app, 5)
        sb.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
