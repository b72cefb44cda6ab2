"""The review window runs in a window process of its own; an Approve clicked there is applied by
that process (core's gate, as from the CLI) and the menu-bar process shows it: the tray's
"Review Changes (N)" drops from 1 to 0 and is disabled. (The tray hears of it twice over: the
events the window process hands it, and core's follower of the review queue, which is also how
an approval from a terminal reaches it; the scripted limactl keeps listing the request, so the
VM's side cannot be what takes the count down.)"""
import asyncio
import sys

from harness import Sandbox, Tray, WebDriver, session_bus, start_watcher, wait_async, watch_senders


async def main():
    sb = Sandbox()
    sb.write_profile()
    (sb.project / "a.txt").write_text("alpha\n")
    sb.agent_request({"a.txt": "alpha\nfrom the review window\n"}, "one edit")
    bus = await session_bus()
    await watch_senders(bus)
    items = await start_watcher(bus)
    wd = WebDriver(sb.env(OPENCLAW_SANDBOX_SHOW="review"))
    try:
        tray = await Tray.find(bus, items)

        async def review_item():
            return next((e for e in await tray.menu() if e[1] and e[1].startswith("Review Changes")), None)

        await wait_async(lambda: asyncio.sleep(0, result=wd.js("return document.querySelectorAll('article.request').length") == 1), 30, "the request in the review window")
        item = await wait_async(review_item, 30, "the tray's Review Changes item")
        assert item[1] == "Review Changes (1)…" and item[2], item
        wd.click("button[data-act='approve']")
        await wait_async(lambda: asyncio.sleep(0, result=(sb.project / "a.txt").read_text() == "alpha\nfrom the review window\n"), 30, "the change applied to the project")
        audit = (sb.home / "logs/audit.jsonl").read_text()
        assert '"sync.apply"' in audit, audit

        async def count_dropped():
            it = await review_item()
            return it if it and it[1] == "Review Changes (0)…" and not it[2] else None
        await wait_async(count_dropped, 15, "the tray's count to drop to 0")
        print("ok: Approve in the review window (its own process) → applied, audited; the tray's Review Changes went from (1) to (0), disabled")
    finally:
        wd.quit()
        sb.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
