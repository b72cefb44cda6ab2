// The onboarding wizard: every step is checked by the app (core's profile validation);
// progress is saved on every move, so closing and reopening resumes.
import { call } from "./ipc.js";
import { COMMANDS } from "./names.js";
import { readForm, fillForm, showProblems, clearProblems, loadPresets, wireBrowse, wireModeWarning, wireVaultHint } from "./form.js";

export const STEPS = ["welcome", "lima", "folders", "secrets", "network", "mode", "resources", "summary"];
const TITLES = { welcome: "Welcome", lima: "Lima", folders: "Folders", secrets: "API keys", network: "Network", mode: "Mode", resources: "Resources", summary: "Summary" };

export async function startWizard(root) {
  const form = root.querySelector("#wizard");
  const errorBox = root.querySelector("#wizard-error");
  const back = root.querySelector("#wizard-back");
  const next = root.querySelector("#wizard-next");
  const stepList = root.querySelector("#step-list");
  let step = "welcome";

  for (const s of STEPS) {
    const li = document.createElement("li");
    li.textContent = TITLES[s];
    li.dataset.step = s;
    stepList.append(li);
  }
  wireBrowse(root);
  await loadPresets(root);

  const snapshot = await call(COMMANDS.wizard_load);
  if (snapshot.profile_exists) {
    root.querySelector("#finish-result").textContent = `A profile already exists at ${snapshot.profile_path}. Open Settings to change it.`;
  }
  fillForm(root, snapshot.form);
  wireModeWarning(root);
  wireVaultHint(root)();

  function show(s) {
    step = s;
    for (const sec of form.querySelectorAll("section[data-step]")) sec.hidden = sec.dataset.step !== s;
    for (const li of stepList.children) {
      if (li.dataset.step === s) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
    back.disabled = s === STEPS[0];
    next.textContent = s === "summary" ? "Create and start" : "Next";
    errorBox.hidden = true;
    clearProblems(root);
    if (s === "lima") checkLima();
    if (s === "summary") summarize();
    form.querySelector(`section[data-step="${s}"] h1`)?.setAttribute("tabindex", "-1");
    form.querySelector(`section[data-step="${s}"] h1`)?.focus();
  }

  async function checkLima() {
    const box = root.querySelector("#lima-result");
    box.textContent = "Checking…";
    const c = await call(COMMANDS.lima_check);
    box.dataset.health = c.health;
    box.replaceChildren();
    const d = document.createElement("p");
    d.textContent = c.health === "ok" ? `Found: ${c.detail}` : c.detail;
    box.append(d);
    if (c.fix) {
      const p = document.createElement("p");
      p.append("To fix: ");
      const code = document.createElement("code");
      code.textContent = c.fix;
      p.append(code);
      box.append(p);
    }
  }

  function summarize() {
    const f = readForm(root);
    const dl = root.querySelector("#summary");
    dl.replaceChildren();
    const rows = [["Project", f.project], ["Vault", f.vault || "—"], ["Config", f.config || "—"], ["Agent data", f.agent_data || "—"],
      ["VM name", f.name], ["Mode", f.mode], ["Resources", `${f.cpus} CPUs, ${f.memory} memory, ${f.disk} disk`],
      ["API keys", f.secrets.join(", ") || "—"], ["Network", [...f.presets, ...f.allowed_domains].join(", ") || "nothing but the gateway"]];
    for (const [k, v] of rows) {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v;
      dl.append(dt, dd);
    }
  }

  const save = (s) => call(COMMANDS.wizard_save, { step: s, form: readForm(root) }).catch(() => {});

  back.addEventListener("click", async () => {
    const i = STEPS.indexOf(step);
    if (i > 0) { await save(STEPS[i - 1]); show(STEPS[i - 1]); }
  });

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    next.disabled = true;
    try {
      const data = readForm(root);
      await call(COMMANDS.wizard_check, { step, form: data });
      if (step === "summary") {
        const path = await call(COMMANDS.wizard_finish, { form: data });
        root.querySelector("#finish-result").textContent = `Profile written to ${path}. Starting the sandbox…`;
        document.body.dataset.finished = "true";
        call(COMMANDS.sandbox_start).then(
          () => { root.querySelector("#finish-result").textContent = "The sandbox is running. You can close this window; the menu bar icon has everything else."; },
          (e) => { root.querySelector("#finish-result").textContent = `Profile written to ${path}, but starting failed: ${e.message}`; },
        );
        return;
      }
      const nextStep = STEPS[STEPS.indexOf(step) + 1];
      await save(nextStep);
      show(nextStep);
    } catch (e) {
      showProblems(root, e, errorBox);
    } finally {
      next.disabled = false;
    }
  });

  show(STEPS.includes(snapshot.step) ? snapshot.step : "welcome");
}
