// The only way the UI talks to the app: Tauri's IPC (mocked by @tauri-apps/api/mocks in tests).
// No dependency: the same two internals @tauri-apps/api uses.

const internals = () => {
  const t = window.__TAURI_INTERNALS__;
  if (!t) throw new Error("Not running inside the OpenClaw Sandbox app");
  return t;
};

/** Call an app command. Rejects with the app's CommandError: {kind, message, problems}. */
export async function call(cmd, args = {}) {
  try {
    return await internals().invoke(cmd, args);
  } catch (e) {
    if (e && typeof e === "object" && "kind" in e) throw e;
    throw { kind: "failed", message: String(e && e.message ? e.message : e), problems: [] };
  }
}

/** Listen to an app event; `cb` gets the payload. */
export async function listen(event, cb) {
  const t = internals();
  const handler = t.transformCallback((e) => cb(e.payload));
  return t.invoke("plugin:event|listen", { event, target: { kind: "Any" }, handler });
}
