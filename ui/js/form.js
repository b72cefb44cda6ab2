// The profile form shared by the wizard and Settings: read/fill inputs, show core's problems.
import { call } from "./ipc.js";
import { COMMANDS } from "./names.js";

const TEXT_FIELDS = ["name", "project", "vault", "config", "agent_data", "cpus", "memory", "disk"];

const lines = (s) => s.split("\n").map((x) => x.trim()).filter(Boolean);

/** Read the form (the app's ProfileForm) out of `root`. */
export function readForm(root) {
  const form = {};
  for (const f of TEXT_FIELDS) form[f] = root.querySelector(`#f-${f}`)?.value ?? "";
  form.mode = root.querySelector('input[name="mode"]:checked')?.value ?? "";
  form.secrets = [...root.querySelectorAll('input[name="secret-name"]')].map((i) => i.value.trim()).filter(Boolean);
  form.presets = [...root.querySelectorAll('input[name="preset"]:checked')].map((i) => i.value);
  form.allowed_domains = lines(root.querySelector("#f-allowed_domains")?.value ?? "");
  return form;
}

/** Put a ProfileForm into the inputs. */
export function fillForm(root, form) {
  for (const f of TEXT_FIELDS) {
    const el = root.querySelector(`#f-${f}`);
    if (el) el.value = form[f] ?? "";
  }
  for (const r of root.querySelectorAll('input[name="mode"]')) r.checked = r.value === form.mode;
  const rows = root.querySelector("#secret-rows");
  if (rows) {
    rows.replaceChildren();
    for (const n of form.secrets ?? []) addSecretRow(root, n);
  }
  for (const p of root.querySelectorAll('input[name="preset"]')) p.checked = (form.presets ?? []).includes(p.value);
  const d = root.querySelector("#f-allowed_domains");
  if (d) d.value = (form.allowed_domains ?? []).join("\n");
}

let problemSeq = 0;

export function clearProblems(root) {
  for (const p of root.querySelectorAll(".problem")) p.remove();
  for (const i of root.querySelectorAll('[aria-invalid="true"]')) {
    i.removeAttribute("aria-invalid");
    i.removeAttribute("aria-describedby");
  }
}

/** Show each problem next to its field (longest matching data-field); the rest in `box`. */
export function showProblems(root, err, box) {
  clearProblems(root);
  const fields = [...root.querySelectorAll("[data-field]")].filter((el) => !el.closest("[hidden]"));
  const loose = [];
  let first = null;
  for (const p of err.problems ?? []) {
    const match = fields
      .filter((el) => { const f = el.dataset.field; return p.field === f || p.field.startsWith(f + ".") || p.field.startsWith(f + "["); })
      .sort((a, b) => b.dataset.field.length - a.dataset.field.length)[0];
    if (!match) { loose.push(`${p.field}: ${p.message}`); continue; }
    const msg = document.createElement("p");
    msg.className = "problem";
    msg.id = `problem-${++problemSeq}`;
    msg.dataset.problemFor = p.field;
    msg.textContent = p.message;
    match.append(msg);
    const input = match.querySelector("input:not([type=radio]):not([type=checkbox]), textarea") ?? match.querySelector("input");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", msg.id);
      first ??= input;
    }
  }
  if (!(err.problems?.length)) loose.push(err.message);
  if (box) {
    box.textContent = loose.join("\n");
    box.hidden = loose.length === 0;
  }
  first?.focus();
}

/** One secret row: name, value (password), store and remove buttons. */
export function addSecretRow(root, name = "") {
  const rows = root.querySelector("#secret-rows");
  const row = document.createElement("div");
  row.className = "row";
  const n = rows.children.length;
  row.innerHTML = `
    <input name="secret-name" aria-label="Key name ${n + 1}" placeholder="ANTHROPIC_API_KEY" spellcheck="false" autocomplete="off">
    <input name="secret-value" type="password" aria-label="Value for key ${n + 1}" placeholder="value (goes to the keychain)" autocomplete="off">
    <button type="button" class="secondary" data-act="store">Store</button>
    <button type="button" class="danger" data-act="remove" aria-label="Remove key ${n + 1}">Remove</button>
    <span class="saved" aria-live="polite"></span>`;
  row.querySelector('[name="secret-name"]').value = name;
  row.querySelector('[data-act="store"]').addEventListener("click", async () => {
    const nameV = row.querySelector('[name="secret-name"]').value.trim();
    const valueInput = row.querySelector('[name="secret-value"]');
    const saved = row.querySelector(".saved");
    saved.textContent = "";
    try {
      await call(COMMANDS.secret_set, { name: nameV, value: valueInput.value });
      valueInput.value = "";
      saved.textContent = "Stored in keychain";
      clearProblems(root.querySelector('[data-field="secrets"]'));
    } catch (e) {
      valueInput.value = "";
      showProblems(root.querySelector('[data-field="secrets"]').parentElement, { ...e, problems: [{ field: "secrets", message: e.message }] });
    }
  });
  row.querySelector('[data-act="remove"]').addEventListener("click", async () => {
    const nameV = row.querySelector('[name="secret-name"]').value.trim();
    row.remove();
    if (nameV) { try { await call(COMMANDS.secret_remove, { name: nameV }); } catch { /* not stored or no keychain: the name is gone from the form either way */ } }
  });
  rows.append(row);
  return row;
}

/** Import a .env file into the keychain; its names join the list. */
export async function importDotenv(root) {
  const result = root.querySelector("#secret-import-result");
  const field = root.querySelector('[data-field="secrets-import"]');
  clearProblems(field);
  result.textContent = "";
  const path = await call(COMMANDS.pick_file);
  if (!path) return;
  const del = root.querySelector("#secret-import-delete").checked;
  try {
    const names = await call(COMMANDS.secrets_import, { path, delete: del });
    const have = new Set([...root.querySelectorAll('input[name="secret-name"]')].map((i) => i.value.trim()));
    for (const n of names) if (!have.has(n)) addSecretRow(root, n);
    for (const row of root.querySelectorAll("#secret-rows .row")) {
      if (names.includes(row.querySelector('[name="secret-name"]').value.trim())) row.querySelector(".saved").textContent = "Stored in keychain";
    }
    result.textContent = names.length
      ? `Stored ${names.join(", ")} in the keychain.${del ? " The file was overwritten and deleted." : " The file still holds the values: delete it."}`
      : "The file has no values; nothing was imported.";
  } catch (e) {
    showProblems(field.parentElement, { ...e, problems: [{ field: "secrets-import", message: e.message }] });
  }
}

/** Fill the preset checkboxes from core's list. */
export async function loadPresets(root) {
  const list = root.querySelector("#preset-list");
  if (!list) return;
  const presets = await call(COMMANDS.network_presets);
  list.replaceChildren();
  if (!presets.length) {
    const p = document.createElement("p");
    p.className = "hint";
    p.textContent = "Presets arrive with the sandbox's firewall module; list domains below.";
    list.append(p);
  }
  for (const pr of presets) {
    const label = document.createElement("label");
    label.className = "choice";
    label.innerHTML = `<input type="checkbox" name="preset"> <span><strong></strong> — <span></span></span>`;
    label.querySelector("input").value = pr.name;
    label.querySelector("input").checked = pr.default_on;
    label.querySelector("strong").textContent = pr.name;
    label.querySelector("span span").textContent = pr.about;
    list.append(label);
  }
}

/** Wire "Choose…" buttons to the native folder picker. */
export function wireBrowse(root) {
  for (const b of root.querySelectorAll("button.browse")) {
    b.addEventListener("click", async () => {
      const path = await call(COMMANDS.pick_folder);
      if (path) {
        const input = root.querySelector(`#${b.dataset.for}`);
        input.value = path;
        input.dispatchEvent(new Event("change"));
      }
    });
  }
  root.querySelector("#secret-add")?.addEventListener("click", () => addSecretRow(root).querySelector("input").focus());
  root.querySelector("#secret-import")?.addEventListener("click", () => importDotenv(root));
}

/** Mode warnings come with the mode's description; yolo modes get one. */
export function wireModeWarning(root) {
  const warn = root.querySelector("#mode-warning");
  const update = () => {
    const m = root.querySelector('input[name="mode"]:checked')?.value;
    warn.hidden = !(m === "yolo" || m === "yolo-unsafe");
    warn.textContent = m === "yolo-unsafe"
      ? "Yolo-unsafe lets the agent change or delete files in your folders directly, with no review and no backup. Use it only for throwaway projects."
      : "Yolo applies the agent's changes without asking you. Blocked changes (secrets, forbidden paths) still wait for review.";
  };
  for (const r of root.querySelectorAll('input[name="mode"]')) r.addEventListener("change", update);
  update();
}

/** Under the vault field: which kind of vault the folder is and what will happen (core's text). */
export function wireVaultHint(root) {
  const input = root.querySelector("#f-vault");
  const hint = root.querySelector("#vault-hint");
  if (!input || !hint) return async () => {};
  let timer;
  const update = async () => {
    const path = input.value.trim();
    let text = null;
    if (path) {
      try {
        text = await call(COMMANDS.vault_hint, { path });
      } catch {
        text = null;
      }
    }
    if (input.value.trim() !== path) return;
    hint.textContent = text ?? "";
    hint.hidden = !text;
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 400);
  });
  input.addEventListener("change", update);
  return update;
}
