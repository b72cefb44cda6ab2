"""The real app under Xvfb, driven over WebDriver: first launch (no profile) opens the
onboarding wizard; completing it writes a profile that core accepts and starts the sandbox
(through the scripted limactl)."""
import sys
import tomllib

from harness import ARTIFACTS, Sandbox, WebDriver, wait_for


def main():
    sb = Sandbox()
    wd = None
    try:
        wd = WebDriver(sb.env())
        wait_for(lambda: wd.js("return document.body.dataset.ready") == "true", 30, "the wizard to load")
        assert wd.js("return location.hash") == "#onboarding", "first launch opens the wizard"
        step = lambda: wd.js('return document.querySelector("section[data-step]:not([hidden])").dataset.step')
        wd.click("#wizard-next")  # welcome
        wait_for(lambda: step() == "lima", 10, "the Lima step")
        wait_for(lambda: wd.js('return document.querySelector("#lima-result").dataset.health') == "ok", 20, "the Lima check (fake limactl 2.2.0)")
        wd.click("#wizard-next")
        wait_for(lambda: step() == "folders", 10, "the folders step")
        # An invalid folder first: core's message shows next to the field.
        wd.type("#f-project", str(sb.root / "does-not-exist"))
        wd.click("#wizard-next")
        msg = wait_for(lambda: wd.js('const p = document.querySelector(".problem"); return p && p.textContent'), 10, "core's problem")
        assert "does not exist" in msg, msg
        assert step() == "folders"
        wd.screenshot(ARTIFACTS / "wizard-folders-error-real-app.png")
        wd.type("#f-project", str(sb.project))
        wd.click("#wizard-next")
        for s in ("secrets", "network", "mode", "resources"):
            wait_for(lambda: step() == s, 10, f"the {s} step")
            if s == "resources":
                wd.type("#f-cpus", "2")
            wd.click("#wizard-next")
        wait_for(lambda: step() == "summary", 10, "the summary")
        wd.screenshot(ARTIFACTS / "wizard-summary-real-app.png")
        wd.click("#wizard-next")
        wait_for(lambda: sb.profile.exists(), 20, "the profile file")
        profile = tomllib.loads(sb.profile.read_text())
        assert profile["mounts"]["project"] == str(sb.project), profile
        assert profile["resources"]["cpus"] == 2, profile
        assert profile["mode"] == "secure", profile
        # "Create and start" reached core: limactl start was called for the instance.
        wait_for(lambda: "start" in sb.verbs(), 30, "limactl start")
        wait_for(lambda: "running" in (wd.js('return document.querySelector("#finish-result").textContent') or ""), 60, "the sandbox to report running")
        # The status line follows core's StateChanged events (delivered after the command's reply).
        wait_for(lambda: wd.js('return document.querySelector("#status-line").textContent').startswith("Running"), 30, "the status line to say Running")
        print("ok: wizard completed, profile written, sandbox started;", "limactl verbs:", sb.verbs())
    finally:
        if wd:
            wd.quit()
        sb.cleanup()


if __name__ == "__main__":
    main()
    sys.exit(0)
