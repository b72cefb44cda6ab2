// Entry point: pick the view from the window's label (`#onboarding`, `#settings`, `#review`),
// keep the status line (and the release check's line, when a newer OpenClaw is out) current
// from the app's view events.
import { call, listen } from "./ipc.js";
import { COMMANDS, EVENTS, WINDOWS } from "./names.js";
import { startWizard } from "./wizard.js";
import { startSettings, focusSection } from "./settings.js";
import { startReview } from "./review.js";

function renderStatus(view) {
  document.getElementById("status-line").textContent = view.status_line;
  document.getElementById("status-dot").dataset.icon = view.icon;
  const release = document.getElementById("release-line");
  release.textContent = view.release_line ?? "";
  release.hidden = !view.release_line;
}

async function main() {
  const which = (location.hash || `#${WINDOWS.settings}`).slice(1);
  const root = document;
  await listen(EVENTS.view, renderStatus);
  renderStatus(await call(COMMANDS.app_view));
  if (which === WINDOWS.onboarding) {
    root.getElementById("view-onboarding").hidden = false;
    await startWizard(root);
  } else if (which === WINDOWS.review) {
    root.getElementById("view-onboarding").remove();
    root.getElementById("view-review").hidden = false;
    await startReview(root);
  } else {
    root.getElementById("view-settings").hidden = false;
    await startSettings(root);
    await listen(EVENTS.navigate, (name) => focusSection(root, name));
  }
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  const box = document.createElement("div");
  box.className = "error";
  box.setAttribute("role", "alert");
  box.textContent = e.message ?? String(e);
  document.body.append(box);
});
