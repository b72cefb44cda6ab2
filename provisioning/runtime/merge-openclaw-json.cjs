// merge-openclaw-json TARGET PATCH.json... — merge the sandbox's settings into OpenClaw's
// config file (run by provisioning/runtime/apply.sh as the agent user, with the pinned Node).
//
// Objects merge key by key; any other value in a patch replaces the file's. Every key the
// patches do not name is kept as the user wrote it. The file may be JSON5 (OpenClaw reads
// JSON5): it is parsed with OpenClaw's own json5 package (OPENCLAW_JSON5 = its path) and written
// back as plain JSON; the first time that drops comments, the original is kept beside it as
// openclaw.json.before-sandbox. A file that does not parse is moved aside, never lost.
// Prints "changed openclaw.json" or "unchanged openclaw.json".
"use strict";
const fs = require("fs");
const path = require("path");

function fail(msg) {
  process.stderr.write(`merge-openclaw-json: ${msg}\n`);
  process.exit(1);
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function merge(base, patch) {
  for (const [k, v] of Object.entries(patch)) {
    if (isObject(v) && isObject(base[k])) merge(base[k], v);
    else base[k] = JSON.parse(JSON.stringify(v));
  }
  return base;
}

const [target, ...patches] = process.argv.slice(2);
if (!target || patches.length === 0) fail("usage: merge-openclaw-json TARGET PATCH.json...");

let text = null;
try {
  text = fs.readFileSync(target, "utf8");
} catch (e) {
  if (e.code !== "ENOENT") fail(`cannot read ${target}: ${e.message}`);
}

let current = {};
let strict = true;
if (text !== null && text.trim() !== "") {
  try {
    current = JSON.parse(text);
  } catch {
    strict = false;
    try {
      current = require(process.env.OPENCLAW_JSON5 || "json5").parse(text);
    } catch (e) {
      const aside = `${target}.unreadable-${Date.now()}`;
      fs.renameSync(target, aside);
      process.stderr.write(`merge-openclaw-json: ${target} does not parse (${e.message}); moved it to ${aside} and started from the sandbox's settings\n`);
      current = {};
      text = null;
    }
  }
  if (!isObject(current)) {
    const aside = `${target}.unreadable-${Date.now()}`;
    fs.renameSync(target, aside);
    process.stderr.write(`merge-openclaw-json: ${target} is not a JSON object; moved it to ${aside}\n`);
    current = {};
    text = null;
  }
}

const desired = JSON.parse(JSON.stringify(current));
for (const p of patches) {
  let patch;
  try {
    patch = JSON.parse(fs.readFileSync(p, "utf8"));
  } catch (e) {
    fail(`cannot read the patch ${p}: ${e.message}`);
  }
  if (!isObject(patch)) fail(`the patch ${p} is not a JSON object`);
  merge(desired, patch);
}

const out = JSON.stringify(desired, null, 2) + "\n";
// Unchanged when the merge adds nothing, however the file is formatted (OpenClaw may rewrite it).
if (text !== null && strict && JSON.stringify(desired) === JSON.stringify(current)) {
  console.log("unchanged openclaw.json");
  process.exit(0);
}
if (text !== null && !strict) {
  const keep = `${target}.before-sandbox`;
  if (!fs.existsSync(keep)) fs.writeFileSync(keep, text, { mode: 0o600 });
}
const tmp = path.join(path.dirname(target), `.openclaw.json.${process.pid}.tmp`);
const fd = fs.openSync(tmp, "w", 0o600);
fs.writeSync(fd, out);
fs.fsyncSync(fd);
fs.closeSync(fd);
fs.renameSync(tmp, target);
console.log("changed openclaw.json");
