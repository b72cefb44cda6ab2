//! OpenClaw Sandbox's window processes: each app window (onboarding, settings, review) is an
//! `openclaw-sandbox-app --window LABEL` process with one Tauri v2 web view, started by the
//! menu-bar process (`menubar/`, which links no web engine) and ended when its window closes.
//! Run without `--window`, this binary hands over to the menu-bar binary beside it (`main`).
//!
//! - `window_process`: this process's life — its window, its link to the tray, its end
//! - `windows`: the window itself
//! - `commands`: what the web UI (`ui/`) calls; one error type (`error`)
//! - what it shares with the menu-bar process comes from `sandbox-desk` (re-exported below):
//!   the model and state over core, the forms, the services, the link's messages

pub mod commands;
pub mod window_process;
pub mod windows;

pub use sandbox_desk::{core_state, error, form, ipc_names, model, network, notify, platform, services, state, window_link, wizard_store};
