// Settings: the same fields as the wizard, saved through core's validation.
import { call } from "./ipc.js";
import { COMMANDS } from "./names.js";
import { readForm, fillForm, showProblems, loadPresets, wireBrowse, wireModeWarning } from "./form.js";

const SECTIONS = [["folders", "Folders"], ["mode", "Mode"], ["resources", "Resources"], ["network", "Network"], ["secrets", "API keys"]];

export async function startSettings(root) {
  const form = root.querySelector("#settings");
  // Reuse the wizard's field markup: one source of inputs and labels.
  for (const [step, title] of SECTIONS) {
    const sec = root.querySelector(`#wizard section[data-step="${step}"]`);
    sec.hidden = false;
    sec.id = `settings-${step}`;
    sec.querySelector("h1").outerHTML = `<h2 id="h-${step}">${title}</h2>`;
    form.append(sec);
  }
  root.querySelector("#view-onboarding").remove();
  const status = document.createElement("p");
  status.id = "settings-result";
  status.setAttribute("aria-live", "polite");
  const box = document.createElement("div");
  box.className = "error"; box.id = "settings-error"; box.hidden = true; box.setAttribute("role", "alert");
  const nav = document.createElement("nav");
  nav.className = "buttons";
  nav.innerHTML = `<button type="submit" id="settings-save">Save</button>`;
  form.append(box, status, nav);
  wireBrowse(root);
  await loadPresets(root);
  try {
    fillForm(root, await call(COMMANDS.settings_load));
  } catch (e) {
    showProblems(root, e, box);
  }
  wireModeWarning(root);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.textContent = "";
    try {
      await call(COMMANDS.settings_save, { form: readForm(root) });
      showProblems(root, { problems: [] }, box);
      box.hidden = true;
      status.textContent = "Saved. Changes to folders and resources apply at the next start.";
    } catch (e) {
      showProblems(root, e, box);
    }
  });
}

export function focusSection(root, name) {
  const sec = root.querySelector(`#settings-${name}`);
  sec?.scrollIntoView();
  sec?.querySelector("input, textarea")?.focus();
}
