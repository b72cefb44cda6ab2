// Generated from desk/src/ipc_names.rs — do not edit.
// Regenerate: UPDATE_IPC_NAMES=1 cargo test -p sandbox-desk ipc_names
export const EVENTS = Object.freeze({
  core: "sandbox://event",
  view: "sandbox://view",
  navigate: "sandbox://navigate",
});
export const WINDOWS = Object.freeze({
  onboarding: "onboarding",
  settings: "settings",
  review: "review",
});
export const COMMANDS = Object.freeze({
  app_view: "app_view",
  lima_check: "lima_check",
  wizard_load: "wizard_load",
  wizard_save: "wizard_save",
  wizard_check: "wizard_check",
  wizard_finish: "wizard_finish",
  vault_hint: "vault_hint",
  network_presets: "network_presets",
  pick_folder: "pick_folder",
  secret_set: "secret_set",
  secret_remove: "secret_remove",
  secrets_list: "secrets_list",
  secrets_import: "secrets_import",
  pick_file: "pick_file",
  settings_load: "settings_load",
  settings_save: "settings_save",
  sandbox_start: "sandbox_start",
  sandbox_stop: "sandbox_stop",
  firewall_allow: "firewall_allow",
  sync_list: "sync_list",
  sync_approve: "sync_approve",
  sync_reject: "sync_reject",
  sync_undo: "sync_undo",
});
