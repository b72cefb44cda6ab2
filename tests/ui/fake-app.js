// A fake of the app's command surface for UI tests, installed as the handler of
// @tauri-apps/api/mocks' mockIPC. Every call is recorded in window.__calls.
// window.__scenario (set by the test before the page loads) shapes the answers.
(() => {
  const s = window.__scenario || {};
  const calls = (window.__calls = []);
  const defaults = {
    name: "openclaw-sandbox", project: "", vault: "", config: "", agent_data: "", mode: "secure",
    cpus: "4", memory: "8GiB", disk: "50GiB", secrets: ["ANTHROPIC_API_KEY"], presets: ["llm"], allowed_domains: [],
  };
  const view = s.view || { profile_present: false, state: "unknown", icon: "stopped", status_line: "Not set up yet", progress: null, last_error: null, pending: [], blocked: 0 };
  const matches = (c, form) => (Array.isArray(form[c.input]) ? form[c.input].includes(c.value) : form[c.input] === c.value);
  window.__handle = (cmd, args) => {
    calls.push({ cmd, args: JSON.parse(JSON.stringify(args ?? {})) });
    switch (cmd) {
      case "app_view": return view;
      case "lima_check": return s.lima || { name: "limactl", health: "ok", detail: "/usr/local/bin/limactl (Lima 2.2.0)", fix: null };
      case "network_presets": return [
        { name: "llm", about: "LLM APIs: Anthropic, OpenAI, Google Gemini", domains: ["api.anthropic.com"], default_on: true },
        { name: "github", about: "GitHub: web, API, git over HTTPS", domains: ["github.com"], default_on: false },
      ];
      case "wizard_load": return { step: s.step || "welcome", form: { ...defaults, ...(s.form || {}) }, profile_exists: false, profile_path: "/home/me/.config/openclaw-sandbox/profile.toml" };
      case "wizard_save": return null;
      case "wizard_check": {
        const bad = (s.cases || []).find((c) => c.step === args.step && matches(c, args.form));
        if (bad) throw bad.error;
        return null;
      }
      case "wizard_finish": return "/home/me/.config/openclaw-sandbox/profile.toml";
      // core's text for a vault folder (sandbox_core::vault::VaultPlan::describe)
      case "vault_hint": return s.vaultHint ?? null;
      case "sandbox_start": return null;
      case "pick_folder": return "/home/me/code/my-app";
      case "secret_set": return null;
      case "secret_remove": return true;
      case "secrets_list": return (args.names || []).filter((n) => (s.stored || []).includes(n));
      case "pick_file": return "/home/me/code/my-app/.env";
      case "secrets_import":
        if (s.importFails) throw { kind: "failed", message: s.importFails, problems: [] };
        return ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"];
      case "settings_load": return { ...defaults, project: "/home/me/code/my-app", ...(s.form || {}) };
      case "settings_save": {
        const bad = (s.cases || []).find((c) => matches(c, args.form));
        if (bad) throw bad.error;
        return null;
      }
      case "firewall_allow": return null;
      case "sync_list": return s.requests || [];
      case "sync_approve": s.requests = (s.requests || []).filter((r) => r.id !== args.id); return { applied: true };
      case "sync_reject": s.requests = (s.requests || []).filter((r) => r.id !== args.id); return null;
      case "sync_undo": return { undone: true };
      default: throw { kind: "failed", message: `fake app: unknown command ${cmd}`, problems: [] };
    }
  };
})();
