"""A sync request from core → a notification with Review… / Approve / Reject → "Approve"
invoked over D-Bus → core applies the agent's change to the host project.

The VM is the scripted limactl: the agent has filed a review request, and
`openclaw-sandbox-ctl export-upper` returns a real GNU tar of an upper dir."""
import asyncio
import sys

from harness import ARTIFACTS, Sandbox, WebDriver, session_bus, start_notification_server, wait_async


async def main():
    sb = Sandbox()
    sb.write_profile()
    (sb.project / "a.txt").write_text("alpha\n")
    sb.agent_request({"a.txt": "alpha\nmore\n", "new/n.txt": "new\n"}, "please review")
    bus = await session_bus()
    server = await start_notification_server(bus)
    # The app runs under WebDriver with its review window shown, to watch it update live.
    wd = WebDriver(sb.env(OPENCLAW_SANDBOX_SHOW="review"))
    try:
        async def shown():
            return [n for n in server.shown if n["summary"].startswith("Agent changed")]
        n = (await wait_async(shown, 60, "the sync notification"))[0]
        assert n["summary"] == "Agent changed 3 files in project", n
        # the first action is the harmless one (macOS's "Options" button reports the first)
        assert [k for k in n["actions"] if k != "default"] == ["review", "approve", "reject"], n
        print("ok: the agent's review request → notification", repr(n["summary"]), "with", list(n["actions"]))
        assert (sb.project / "a.txt").read_text() == "alpha\n", "nothing applied before approval"
        # The review window lists it (live: it arrived after the window opened).
        await wait_async(lambda: asyncio.sleep(0, result=wd.js("return document.querySelectorAll('article.request').length") == 1), 30, "the request in the review window")
        text = wd.text("article.request")
        assert "a.txt" in text and "new/n.txt" in text and "please review" in text, text
        wd.screenshot(ARTIFACTS / "review-real-app.png")

        server.ActionInvoked(n["id"], "approve")

        await wait_async(lambda: asyncio.sleep(0, result=(sb.project / "a.txt").read_text() == "alpha\nmore\n"), 30, "the change applied to the project")
        assert (sb.project / "new/n.txt").read_text() == "new\n"
        audit = (sb.home / "logs/audit.jsonl").read_text()
        assert '"sync.apply"' in audit, audit
        await wait_async(lambda: asyncio.sleep(0, result=any("drop" in c["argv"] for c in sb.calls())), 30, "the applied entries dropped from the VM's upper dir")
        await wait_async(lambda: asyncio.sleep(0, result="Nothing waiting for review" in wd.text("#review-list")), 30, "the review window to update")
        print("ok: Approve (invoked over D-Bus) → core applied the request to the project, audited, dropped it from the VM; the review window emptied itself")
    finally:
        wd.quit()
        sb.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
