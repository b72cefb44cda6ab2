// The sync review window: pending requests with files, diffs and findings; approve (all or
// selected), reject, undo. Live: re-lists whenever core publishes a sync event.
import { call, listen } from "./ipc.js";
import { COMMANDS, EVENTS } from "./names.js";

const fmtSize = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderDiff(text) {
  const pre = el("pre", { class: "diff" });
  for (const line of text.split("\n")) {
    const span = el("span", { class: line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "" }, line + "\n");
    pre.append(span);
  }
  return pre;
}

function renderRequest(req, onDone, showError) {
  const box = el("article", { class: "request", "aria-labelledby": `req-${req.id}` });
  box.dataset.id = req.id;
  box.append(el("h2", { id: `req-${req.id}` }, `${req.files.length} change${req.files.length === 1 ? "" : "s"} in ${req.root === "vault" ? "the Obsidian vault " : ""}${req.project}`));
  if (req.message) box.append(el("p", {}, req.message));
  if (req.blocked) box.append(el("p", { class: "warning", role: "note" }, "Something here is blocked: review the findings. Only unblocked files can be approved."));
  const table = el("table");
  const head = el("tr");
  for (const h of ["", "File", "Change", "Size"]) head.append(el("th", { scope: "col" }, h));
  table.append(head);
  const findingsFor = (path) => req.findings.filter((f) => f.path === path);
  for (const f of req.files) {
    const tr = el("tr");
    const cb = el("input", { type: "checkbox", "aria-label": `Select ${f.path}` });
    cb.checked = true;
    cb.value = f.path;
    const td0 = el("td"); td0.append(cb);
    const td1 = el("td"); td1.append(el("code", {}, f.path));
    for (const fi of findingsFor(f.path)) td1.append(el("div", { class: `sev-${fi.severity}` }, `${fi.severity}: ${fi.message}${fi.line ? ` (line ${fi.line})` : ""}`));
    if (f.diff) {
      const d = el("details"); d.append(el("summary", {}, "Diff"), renderDiff(f.diff)); td1.append(d);
    } else if (f.binary) td1.append(el("div", { class: "hint" }, "binary file"));
    tr.append(td0, td1, el("td", {}, f.type_change ? `${f.kind} (${f.type_change})` : f.kind), el("td", {}, fmtSize(f.size)));
    table.append(tr);
  }
  box.append(table);
  for (const fi of req.findings.filter((f) => !f.path)) box.append(el("p", { class: `sev-${fi.severity}` }, `${fi.severity}: ${fi.message}`));
  const nav = el("nav", { class: "buttons" });
  const approve = el("button", { type: "button", "data-act": "approve" }, "Approve all");
  approve.disabled = req.blocked;
  const some = el("button", { type: "button", class: "secondary", "data-act": "approve-selected" }, "Approve selected");
  const reject = el("button", { type: "button", class: "danger", "data-act": "reject" }, "Reject");
  const act = (fn) => async () => { try { await fn(); onDone(); } catch (e) { showError(e); } };
  approve.addEventListener("click", act(() => call(COMMANDS.sync_approve, { id: req.id, paths: null })));
  some.addEventListener("click", act(() => call(COMMANDS.sync_approve, { id: req.id, paths: [...table.querySelectorAll("input:checked")].map((c) => c.value) })));
  reject.addEventListener("click", act(() => call(COMMANDS.sync_reject, { id: req.id })));
  nav.append(reject, some, approve);
  box.append(nav);
  return box;
}

export async function startReview(root) {
  const list = root.querySelector("#review-list");
  const errorBox = root.querySelector("#review-error");
  const showError = (e) => { errorBox.textContent = e.message; errorBox.hidden = false; };
  async function refresh() {
    errorBox.hidden = true;
    try {
      const reqs = await call(COMMANDS.sync_list);
      list.replaceChildren();
      if (!reqs.length) list.append(el("p", { class: "hint" }, "Nothing waiting for review."));
      for (const r of reqs) list.append(renderRequest(r, refresh, showError));
    } catch (e) {
      list.replaceChildren();
      showError(e);
    }
  }
  root.querySelector("#review-undo").addEventListener("click", async () => {
    try { await call(COMMANDS.sync_undo); await refresh(); } catch (e) { showError(e); }
  });
  await listen(EVENTS.core, (ev) => { if (ev && String(ev.type).startsWith("sync_")) refresh(); });
  await refresh();
}
