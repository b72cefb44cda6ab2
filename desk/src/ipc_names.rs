//! Names shared by Rust and the web UI: events the app emits and windows it opens.
//!
//! This file is the one place they are defined. `ui/js/names.js` is generated from it
//! (`render_js`); a unit test fails when the two drift, and `UPDATE_IPC_NAMES=1 cargo test -p
//! sandbox-desk ipc_names` rewrites the JS file.

/// Every core [`sandbox_core::events::Event`], as published (payload: the event's JSON).
pub const EVENT_CORE: &str = "sandbox://event";
/// The tray/app model changed (payload: [`crate::model::AppView`]).
pub const EVENT_VIEW: &str = "sandbox://view";
/// Ask a window to show one of its views (payload: a view name, e.g. "review").
pub const EVENT_NAVIGATE: &str = "sandbox://navigate";

/// Window labels; the UI picks its view from the label (`#<label>` in the URL).
pub const WINDOW_ONBOARDING: &str = "onboarding";
pub const WINDOW_SETTINGS: &str = "settings";
pub const WINDOW_REVIEW: &str = "review";
/// Every window label.
pub const WINDOWS: &[&str] = &[WINDOW_ONBOARDING, WINDOW_SETTINGS, WINDOW_REVIEW];

/// Every command the app registers (the UI calls them by these names).
pub const COMMANDS: &[&str] = &[
    "app_view",
    "lima_check",
    "wizard_load",
    "wizard_save",
    "wizard_check",
    "wizard_finish",
    "vault_hint",
    "network_presets",
    "pick_folder",
    "secret_set",
    "secret_remove",
    "secrets_list",
    "secrets_import",
    "pick_file",
    "settings_load",
    "settings_save",
    "sandbox_start",
    "sandbox_stop",
    "firewall_allow",
    "sync_list",
    "sync_approve",
    "sync_reject",
    "sync_undo",
];

/// The JS module the UI imports (`ui/js/names.js`).
pub fn render_js() -> String {
    let mut s = String::from("// Generated from desk/src/ipc_names.rs — do not edit.\n");
    s.push_str("// Regenerate: UPDATE_IPC_NAMES=1 cargo test -p sandbox-desk ipc_names\n");
    s.push_str("export const EVENTS = Object.freeze({\n");
    for (k, v) in [("core", EVENT_CORE), ("view", EVENT_VIEW), ("navigate", EVENT_NAVIGATE)] {
        s.push_str(&format!("  {k}: \"{v}\",\n"));
    }
    s.push_str("});\nexport const WINDOWS = Object.freeze({\n");
    for (k, v) in [("onboarding", WINDOW_ONBOARDING), ("settings", WINDOW_SETTINGS), ("review", WINDOW_REVIEW)] {
        s.push_str(&format!("  {k}: \"{v}\",\n"));
    }
    s.push_str("});\nexport const COMMANDS = Object.freeze({\n");
    for c in COMMANDS {
        s.push_str(&format!("  {c}: \"{c}\",\n"));
    }
    s.push_str("});\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipc_names_js_file_is_generated_from_rust() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/js/names.js");
        let want = render_js();
        if std::env::var_os("UPDATE_IPC_NAMES").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(have, want, "ui/js/names.js is stale: run UPDATE_IPC_NAMES=1 cargo test -p sandbox-desk ipc_names");
    }
}
