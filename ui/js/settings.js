// Settings: the same fields as the wizard, saved through core's validation.
import { call, listen } from "./ipc.js";
import { COMMANDS, EVENTS } from "./names.js";
import { readForm, fillForm, showProblems, loadPresets, wireBrowse, wireModeWarning, wireVaultHint } from "./form.js";

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
    const form = await call(COMMANDS.settings_load);
    fillForm(root, form);
    await markStored(root, form.secrets);
  } catch (e) {
    showProblems(root, e, box);
  }
  wireModeWarning(root);
  const vaultHint = wireVaultHint(root);
  vaultHint();
  // Unsaved edits: a change of the profile elsewhere (`sandbox firewall allow`, an editor, another
  // window) reloads the form only when there are none, and never silently discards them.
  let dirty = false;
  form.addEventListener("input", () => { dirty = true; });
  const reload = async () => {
    const loaded = await call(COMMANDS.settings_load);
    fillForm(root, loaded);
    dirty = false;
    await markStored(root, loaded.secrets);
    await vaultHint();
  };
  renderRecentBlocks(root, await call(COMMANDS.app_view), reload);
  await listen(EVENTS.view, (v) => renderRecentBlocks(root, v, reload));
  await listen(EVENTS.core, async (ev) => {
    if (!ev || ev.type !== "profile_changed") return;
    if (dirty) {
      status.textContent = "The profile was changed elsewhere. Saving now replaces that change with what you see here; close and reopen Settings to see it instead.";
      return;
    }
    try {
      await reload();
    } catch (e) {
      showProblems(root, e, box);
    }
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.textContent = "";
    try {
      await call(COMMANDS.settings_save, { form: readForm(root) });
      dirty = false;
      showProblems(root, { problems: [] }, box);
      box.hidden = true;
      status.textContent = "Saved. Changes to folders and resources apply at the next start.";
    } catch (e) {
      showProblems(root, e, box);
    }
  });
}

/** Say which keys have a value in the keychain (names only; values never leave it). */
async function markStored(root, names) {
  let stored = [];
  try {
    stored = await call(COMMANDS.secrets_list, { names });
  } catch {
    return; // keychain locked or unavailable: the Store buttons say why when used
  }
  for (const row of root.querySelectorAll("#secret-rows .row")) {
    const name = row.querySelector('[name="secret-name"]').value.trim();
    row.querySelector(".saved").textContent = stored.includes(name) ? "Stored in keychain" : "No value stored yet";
  }
}

/** Recently blocked connections with an Allow button each (core edits the allowlist). */
export function renderRecentBlocks(root, view, onAllowed) {
  const box = root.querySelector("#recent-blocks");
  if (!box || !root.querySelector("#settings")) return;
  const list = box.querySelector("ul");
  list.replaceChildren();
  for (const b of view.recent_blocks ?? []) {
    const li = document.createElement("li");
    li.textContent = b.title + " ";
    if (b.target) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "secondary";
      btn.textContent = "Allow";
      btn.setAttribute("aria-label", `Allow ${b.target}`);
      btn.addEventListener("click", async () => {
        try {
          await call(COMMANDS.firewall_allow, { target: b.target });
          li.textContent = `${b.target} allowed`;
          await onAllowed();
        } catch (e) {
          li.append(` — ${e.message}`);
        }
      });
      li.append(btn);
    }
    list.append(li);
  }
  box.hidden = list.children.length === 0;
}

export function focusSection(root, name) {
  const sec = root.querySelector(`#settings-${name}`);
  sec?.scrollIntoView();
  sec?.querySelector("input, textarea")?.focus();
}
