// The web UI in headless Chromium (Debian's chromium via playwright-core), with the Tauri IPC
// mocked by @tauri-apps/api/mocks. Screenshots go to target/artifacts/ui/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const uiDir = path.join(repo, "ui");
const shots = path.join(repo, "target/artifacts/ui");
fs.mkdirSync(shots, { recursive: true });
const cases = JSON.parse(fs.readFileSync(path.join(here, "fixtures/wizard-cases.json"), "utf8"));
const fakeApp = fs.readFileSync(path.join(here, "fake-app.js"), "utf8");

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json" };
let server, base, browser;

function serve(req, res) {
  const url = new URL(req.url, "http://x");
  let file;
  if (url.pathname === "/__mock/install.js") {
    res.writeHead(200, { "content-type": "text/javascript" });
    return res.end(`import { mockIPC } from "/__node/@tauri-apps/api/mocks.js";\nmockIPC((cmd, args) => window.__handle(cmd, args), { shouldMockEvents: true });\nimport { emit } from "/__node/@tauri-apps/api/event.js";\nwindow.__emit = emit;\n`);
  }
  if (url.pathname.startsWith("/__node/")) file = path.join(here, "node_modules", url.pathname.slice(8));
  else file = path.join(uiDir, url.pathname === "/" ? "index.html" : url.pathname);
  if (!file.startsWith(uiDir) && !file.startsWith(path.join(here, "node_modules"))) { res.writeHead(403); return res.end(); }
  fs.readFile(file, (err, body) => {
    if (err) { res.writeHead(404); return res.end(); }
    if (file.endsWith("index.html")) {
      // The mock goes in before the app's own module (module scripts run in document order).
      body = body.toString().replace('<script type="module" src="js/app.js">', '<script type="module" src="/__mock/install.js"></script>\n  <script type="module" src="js/app.js">');
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] || "application/octet-stream" });
    res.end(body);
  });
}

before(async () => {
  server = http.createServer(serve);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
});
after(async () => { await browser?.close(); server?.close(); });

async function open(view, scenario = {}, opts = {}) {
  const page = await browser.newPage({ viewport: { width: 680, height: 720 }, colorScheme: opts.dark ? "dark" : "light" });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.addInitScript(`window.__scenario = ${JSON.stringify(scenario)};\n${fakeApp}`);
  await page.goto(`${base}/index.html#${view}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 10000 });
  page.errors = errors;
  return page;
}
const calls = (page, cmd) => page.evaluate((c) => window.__calls.filter((x) => x.cmd === c).map((x) => x.args), cmd);
const visibleStep = (page) => page.$eval("section[data-step]:not([hidden])", (s) => s.dataset.step);
const next = (page) => page.click("#wizard-next");

test("wizard happy path: every step, then the profile is written and the sandbox starts", async () => {
  const page = await open("onboarding");
  await page.screenshot({ path: `${shots}/wizard-1-welcome.png` });
  assert.equal(await visibleStep(page), "welcome");
  assert.equal(await page.isDisabled("#wizard-back"), true);
  await next(page);
  await page.waitForSelector("#lima-result[data-health=ok]");
  assert.match(await page.textContent("#lima-result"), /Lima 2\.2\.0/);
  await page.screenshot({ path: `${shots}/wizard-2-lima.png` });
  await next(page);
  assert.equal(await visibleStep(page), "folders");
  await page.click('button.browse[data-for="f-project"]');
  await page.waitForFunction(() => document.querySelector("#f-project").value !== "");
  assert.equal(await page.inputValue("#f-project"), "/home/me/code/my-app");
  await page.fill("#f-agent_data", "~/.openclaw-agents");
  await page.screenshot({ path: `${shots}/wizard-3-folders.png` });
  await next(page);
  await page.waitForSelector('section[data-step="secrets"]:not([hidden])');
  await page.fill('input[name="secret-value"]', "sk-test-value");
  await page.click('button[data-act="store"]');
  await page.waitForSelector("text=Stored in keychain");
  assert.equal(await page.inputValue('input[name="secret-value"]'), "", "the value is cleared once stored");
  assert.deepEqual(await calls(page, "secret_set"), [{ name: "ANTHROPIC_API_KEY", value: "sk-test-value" }]);
  await page.screenshot({ path: `${shots}/wizard-4-secrets.png` });
  await next(page);
  await page.waitForSelector('section[data-step="network"]:not([hidden])');
  await page.check('input[name="preset"][value="github"]');
  await page.fill("#f-allowed_domains", "pypi.org\n*.pythonhosted.org");
  await page.screenshot({ path: `${shots}/wizard-5-network.png` });
  await next(page);
  await page.waitForSelector('section[data-step="mode"]:not([hidden])');
  assert.equal(await page.isHidden("#mode-warning"), true, "secure needs no warning");
  await page.check('input[name="mode"][value="yolo"]');
  assert.equal(await page.isVisible("#mode-warning"), true, "yolo is explained with a warning");
  await page.screenshot({ path: `${shots}/wizard-6-mode.png` });
  await next(page);
  await page.waitForSelector('section[data-step="resources"]:not([hidden])');
  await page.fill("#f-cpus", "2");
  await next(page);
  await page.waitForSelector('section[data-step="summary"]:not([hidden])');
  assert.match(await page.textContent("#summary"), /\/home\/me\/code\/my-app/);
  assert.equal(await page.textContent("#wizard-next"), "Create and start");
  await page.screenshot({ path: `${shots}/wizard-7-summary.png` });
  await next(page);
  await page.waitForSelector("body[data-finished=true]");
  await page.waitForSelector("text=The sandbox is running");
  const [finish] = await calls(page, "wizard_finish");
  assert.equal(finish.form.project, "/home/me/code/my-app");
  assert.equal(finish.form.agent_data, "~/.openclaw-agents");
  assert.equal(finish.form.mode, "yolo");
  assert.equal(finish.form.cpus, "2");
  assert.deepEqual(finish.form.presets, ["llm", "github"]);
  assert.deepEqual(finish.form.allowed_domains, ["pypi.org", "*.pythonhosted.org"]);
  assert.deepEqual(finish.form.secrets, ["ANTHROPIC_API_KEY"]);
  assert.ok(!JSON.stringify(finish).includes("sk-test-value"), "secret values never travel with the form");
  assert.equal((await calls(page, "sandbox_start")).length, 1);
  // Each step was checked by the app before moving on, and progress saved for resuming.
  const checked = (await calls(page, "wizard_check")).map((c) => c.step);
  assert.deepEqual(checked, ["welcome", "lima", "folders", "secrets", "network", "mode", "resources", "summary"]);
  const saved = (await calls(page, "wizard_save")).map((c) => c.step);
  assert.deepEqual(saved, ["lima", "folders", "secrets", "network", "mode", "resources", "summary"]);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("wizard: .env import stores the values through the app and lists the names", async () => {
  const page = await open("onboarding", { step: "secrets" });
  await page.click("#secret-import");
  await page.waitForSelector("text=Stored ANTHROPIC_API_KEY, OPENAI_API_KEY in the keychain.");
  assert.deepEqual(await calls(page, "secrets_import"), [{ path: "/home/me/code/my-app/.env", delete: true }]);
  const names = await page.$$eval('input[name="secret-name"]', (xs) => xs.map((x) => x.value));
  assert.deepEqual(names, ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]);
  assert.match(await page.textContent("#secret-import-result"), /overwritten and deleted/);
  await page.screenshot({ path: `${shots}/wizard-secrets-import.png` });
  await page.close();
  const failing = await open("onboarding", { step: "secrets", importFails: "line 2 of /home/me/code/my-app/.env is not NAME=value; nothing was imported" });
  await failing.uncheck("#secret-import-delete");
  await failing.click("#secret-import");
  await failing.waitForSelector('.problem[data-problem-for="secrets-import"]');
  assert.match(await failing.textContent('.problem[data-problem-for="secrets-import"]'), /nothing was imported/);
  assert.deepEqual(await calls(failing, "secrets_import"), [{ path: "/home/me/code/my-app/.env", delete: false }]);
  await failing.close();
});

test("wizard resumes where it was closed", async () => {
  const page = await open("onboarding", { step: "mode", form: { project: "/home/me/code/my-app", mode: "yolo-unsafe" } });
  assert.equal(await visibleStep(page), "mode");
  assert.equal(await page.isChecked('input[name="mode"][value="yolo-unsafe"]'), true);
  assert.match(await page.textContent("#mode-warning"), /no review/);
  await page.click("#wizard-back");
  assert.equal(await visibleStep(page), "network");
  await page.close();
});

for (const c of cases) {
  test(`wizard shows core's message next to the field: ${c.name}`, async () => {
    const page = await open("onboarding", { step: c.step, cases: [c], form: { project: "/tmp" } });
    assert.equal(await visibleStep(page), c.step);
    if (c.input === "secrets") await page.fill('input[name="secret-name"]', c.value);
    else await page.fill(`#f-${c.input}`, c.value);
    await next(page);
    const want = c.error.problems[0];
    const msg = page.locator(`.problem[data-problem-for="${want.field}"]`);
    await msg.waitFor();
    assert.equal(await msg.textContent(), want.message);
    const input = c.input === "secrets" ? 'input[name="secret-name"]' : `#f-${c.input}`;
    assert.equal(await page.getAttribute(input, "aria-invalid"), "true");
    assert.equal(await page.getAttribute(input, "aria-describedby"), await msg.getAttribute("id"));
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-invalid")), "true", "focus moves to the first invalid field");
    assert.equal(await visibleStep(page), c.step, "the wizard does not move on");
    await page.screenshot({ path: `${shots}/wizard-error-${c.name}.png` });
    // Fixing the value clears the problem and moves on.
    if (c.input === "secrets") await page.fill('input[name="secret-name"]', "OPENAI_API_KEY");
    else await page.fill(`#f-${c.input}`, ({ project: "/home/me/code/my-app", name: "openclaw-sandbox", cpus: "4", allowed_domains: "pypi.org" })[c.input] ?? "8GiB");
    await next(page);
    await page.waitForFunction((s) => document.querySelector(`section[data-step="${s}"]`).hidden, c.step);
    assert.equal(await page.locator(".problem").count(), 0);
    await page.close();
  });
}

test("settings: loads the profile, shows core's problems, saves", async () => {
  const disk = cases.find((c) => c.name === "disk-unreadable");
  const page = await open("settings", { view: { profile_present: true, state: "running", icon: "running", status_line: "Running", pending: [], blocked: 0 }, cases: [disk], stored: ["ANTHROPIC_API_KEY"], form: { secrets: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"] } });
  assert.equal(await page.inputValue("#f-project"), "/home/me/code/my-app");
  const marks = await page.$$eval("#secret-rows .row .saved", (xs) => xs.map((x) => x.textContent));
  assert.deepEqual(marks, ["Stored in keychain", "No value stored yet"], "names only: which keys have a value");
  assert.deepEqual(await calls(page, "secrets_list"), [{ names: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"] }]);
  assert.equal(await page.textContent("#status-line"), "Running");
  assert.equal(await page.isVisible("#f-memory"), true);
  await page.fill("#f-disk", disk.value);
  await page.click("#settings-save");
  const msg = page.locator('.problem[data-problem-for="resources.disk"]');
  await msg.waitFor();
  assert.equal(await msg.textContent(), disk.error.problems[0].message);
  await page.screenshot({ path: `${shots}/settings-error.png`, fullPage: true });
  await page.fill("#f-disk", "60GiB");
  await page.click("#settings-save");
  await page.waitForSelector("text=Saved.");
  const saves = await calls(page, "settings_save");
  assert.equal(saves.at(-1).form.disk, "60GiB");
  // The tray's "Blocked connections" opens Settings at the network section.
  await page.evaluate(() => window.__emit("sandbox://navigate", "network"));
  await page.waitForFunction(() => document.activeElement?.closest("#settings-network"));
  await page.close();
  const dark = await open("settings", { view: { profile_present: true, state: "stopped", icon: "stopped", status_line: "Stopped", pending: [], blocked: 0 } }, { dark: true });
  await dark.screenshot({ path: `${shots}/settings-dark.png`, fullPage: true });
  const bg = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(22, 25, 29)", "dark mode follows the system");
  await dark.close();
});

test("a newer OpenClaw (the opt-in release check) is a line in the window's header, gone when there is none", async () => {
  const view = { profile_present: true, state: "running", icon: "running", status_line: "Running", pending: [], blocked: 0 };
  const page = await open("settings", { view: { ...view, release_line: "OpenClaw 2026.10.1 available (profile pins 2026.9.6)" } });
  assert.equal(await page.textContent("#release-line"), "OpenClaw 2026.10.1 available (profile pins 2026.9.6)");
  assert.equal(await page.isVisible("#release-line"), true);
  await page.evaluate((v) => window.__emit("sandbox://view", v), { ...view, release_line: null });
  await page.waitForFunction(() => document.querySelector("#release-line").hidden);
  await page.close();
});

test("settings: a profile changed elsewhere reloads the form, unless it has unsaved edits", async () => {
  const page = await open("settings", { view: { profile_present: true, state: "stopped", icon: "stopped", status_line: "Stopped", pending: [], blocked: 0 } });
  assert.equal(await page.inputValue("#f-memory"), "8GiB");
  // Another process (an editor, `sandbox firewall allow`) rewrote the profile.
  await page.evaluate(() => { window.__scenario.form = { memory: "12GiB" }; });
  await page.evaluate(() => window.__emit("sandbox://event", { type: "profile_changed", path: "/home/me/.config/openclaw-sandbox/profile.toml" }));
  await page.waitForFunction(() => document.querySelector("#f-memory").value === "12GiB");
  // With an unsaved edit the form is kept and says why.
  await page.fill("#f-cpus", "6");
  await page.evaluate(() => { window.__scenario.form = { memory: "16GiB" }; });
  await page.evaluate(() => window.__emit("sandbox://event", { type: "profile_changed", path: "/home/me/.config/openclaw-sandbox/profile.toml" }));
  await page.waitForSelector("text=The profile was changed elsewhere.");
  assert.equal(await page.inputValue("#f-cpus"), "6", "the user's edit is kept");
  assert.equal(await page.inputValue("#f-memory"), "12GiB");
  await page.close();
});

const REQUESTS = [
  { id: "r1", project: "/home/me/code/my-app", message: "Refactored the parser", blocked: false,
    files: [{ path: "src/parser.rs", kind: "modified", size: 2048, binary: false, diff: "--- a/src/parser.rs\n+++ b/src/parser.rs\n-old\n+new" },
            { path: "README.md", kind: "added", size: 120, binary: false }], findings: [] },
  { id: "r2", project: "/home/me/code/my-app", message: null, blocked: true,
    files: [{ path: ".env", kind: "added", size: 64, binary: false }],
    findings: [{ path: ".env", line: 1, rule: "secret", severity: "block", message: "looks like an Anthropic API key" }] },
];

test("settings: the vault field says which kind of vault it is (core's text, asked for the folder)", async () => {
  const hint = "The vault /Users/me/Library/Mobile Documents/iCloud~md~obsidian/Documents/Main is in iCloud Drive: …; it is copied into the VM.";
  const page = await open("settings", { view: { profile_present: true, state: "stopped", icon: "stopped", status_line: "Stopped", pending: [], blocked: 0 }, vaultHint: hint, form: { vault: "/Users/me/Library/Mobile Documents/iCloud~md~obsidian/Documents/Main" } });
  await page.locator("#vault-hint:not([hidden])").waitFor();
  assert.equal(await page.textContent("#vault-hint"), hint);
  assert.deepEqual((await calls(page, "vault_hint")).at(-1), { path: "/Users/me/Library/Mobile Documents/iCloud~md~obsidian/Documents/Main" });
  await page.fill("#f-vault", "");
  await page.locator("#vault-hint[hidden]").waitFor({ state: "attached" });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("settings: recently blocked connections can be allowed (core edits the allowlist)", async () => {
  const view = { profile_present: true, state: "running", icon: "attention", status_line: "Running", pending: [], blocked: 2,
    recent_blocks: [{ title: "Blocked connection to 203.0.113.7:443 (3 times)", target: "203.0.113.7:443/tcp" }, { title: "Blocked an incoming connection on port 22", target: "" }] };
  const page = await open("settings", { view });
  await page.waitForSelector("#recent-blocks:not([hidden])");
  assert.equal(await page.locator("#recent-blocks li").count(), 2);
  assert.equal(await page.locator("#recent-blocks li").nth(1).locator("button").count(), 0, "nothing to allow for inbound");
  const loadsBefore = (await calls(page, "settings_load")).length;
  await page.click('button[aria-label="Allow 203.0.113.7:443/tcp"]');
  await page.waitForSelector("text=203.0.113.7:443/tcp allowed");
  assert.deepEqual(await calls(page, "firewall_allow"), [{ target: "203.0.113.7:443/tcp" }]);
  assert.equal((await calls(page, "settings_load")).length, loadsBefore + 1, "the form reloads the edited profile");
  await page.screenshot({ path: `${shots}/settings-blocked.png`, fullPage: true });
  await page.close();
});

test("review window: approve, approve selected, reject; blocked requests cannot be approved whole", async () => {
  const page = await open("review", { requests: REQUESTS, view: { profile_present: true, state: "running", icon: "attention", status_line: "Running — 3 changes waiting", pending: [], blocked: 0 } });
  await page.waitForSelector('article[data-id="r2"]');
  await page.screenshot({ path: `${shots}/review.png`, fullPage: true });
  assert.equal(await page.isDisabled('article[data-id="r2"] [data-act="approve"]'), true);
  assert.equal(await page.isEnabled('article[data-id="r1"] [data-act="approve"]'), true);
  assert.match(await page.textContent('article[data-id="r2"]'), /looks like an Anthropic API key/);
  await page.uncheck('article[data-id="r1"] input[value="README.md"]');
  await page.click('article[data-id="r1"] [data-act="approve-selected"]');
  await page.waitForSelector('article[data-id="r1"]', { state: "detached" });
  assert.deepEqual(await calls(page, "sync_approve"), [{ id: "r1", paths: ["src/parser.rs"] }]);
  await page.click('article[data-id="r2"] [data-act="reject"]');
  await page.waitForSelector("text=Nothing waiting for review.");
  assert.deepEqual(await calls(page, "sync_reject"), [{ id: "r2" }]);
  // Live: a new request from core re-lists.
  await page.evaluate((r) => { window.__scenario.requests.push(r); }, REQUESTS[0]);
  await page.evaluate(() => window.__emit("sandbox://event", { type: "sync_requested", id: "r1", message: null, changes: 2, blocked: false }));
  await page.waitForSelector('article[data-id="r1"]');
  await page.click('article[data-id="r1"] [data-act="approve"]');
  await page.waitForSelector('article[data-id="r1"]', { state: "detached" });
  assert.deepEqual((await calls(page, "sync_approve")).at(-1), { id: "r1", paths: null });
  await page.click("#review-undo");
  assert.equal((await calls(page, "sync_undo")).length, 1);
  await page.close();
});

test("review window says so when the sync queue is unavailable", async () => {
  const page = await browser.newPage();
  await page.addInitScript(`window.__scenario = {};\n${fakeApp}\nconst h = window.__handle; window.__handle = (c, a) => { if (c === "sync_list") throw { kind: "unavailable", message: "The sync review queue is not part of this build yet", problems: [] }; return h(c, a); };`);
  await page.goto(`${base}/index.html#review`);
  await page.waitForSelector("#review-error:not([hidden])");
  assert.match(await page.textContent("#review-error"), /not part of this build/);
  await page.close();
});

test("accessibility: every control has a label, steps are announced", async () => {
  for (const view of ["onboarding", "settings"]) {
    const page = await open(view, { view: { profile_present: view === "settings", state: "stopped", icon: "stopped", status_line: "Stopped", pending: [], blocked: 0 } });
    const unlabeled = await page.evaluate(() =>
      [...document.querySelectorAll("input, textarea, button")]
        .filter((e) => !(e.labels?.length || e.getAttribute("aria-label") || e.textContent.trim()))
        .map((e) => e.outerHTML));
    assert.deepEqual(unlabeled, [], `${view}: unlabeled controls`);
    if (view === "onboarding") assert.equal(await page.getAttribute('#step-list li[data-step="welcome"]', "aria-current"), "step");
    assert.equal(await page.getAttribute("header.status", "role"), "status");
    await page.close();
  }
});
