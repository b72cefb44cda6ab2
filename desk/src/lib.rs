//! What OpenClaw Sandbox's two desktop processes share, with no GUI toolkit in it: the menu-bar
//! process (`menubar/`, tray + notifications, no web engine) and the window processes
//! (`src-tauri/`, one Tauri webview window each).
//!
//! - `model`: the app's state folded from core events → tray view (pure, unit-tested)
//! - `state`: the model over core's facade, with the commands both processes run
//! - `services`: core's facade, keychain and review queue behind small traits
//! - `form`, `wizard_store`: wizard/settings form ↔ profile TOML, validated by core
//! - `notify`: which core events become notifications, their actions and what a click does
//! - `window_link`: what the menu-bar and a window process say to each other
//! - `ipc_names`: names shared with the web UI; `error`: the one error type of commands
//! - `platform`: per-OS code, one whole file per OS

pub mod error;
pub mod form;
pub mod ipc_names;
pub mod model;
pub mod network;
pub mod notify;
pub mod platform;
pub mod services;
pub mod state;
pub mod window_link;
pub mod wizard_store;

use crate::services::{CoreControl, CoreFirewall, CoreKeychain, CoreReviewer, Services};
use crate::state::AppState;
use sandbox_core::events::EventBus;
use sandbox_core::paths::Paths;
use std::sync::Arc;

/// The state the real app runs with.
pub fn core_state() -> AppState {
    let paths = Paths::from_env();
    let profile_path = paths.profile_file();
    let bus = EventBus::default();
    let services = Services {
        control: Arc::new(CoreControl { paths: paths.clone(), profile_path: profile_path.clone(), bus: bus.clone() }),
        keychain: Arc::new(CoreKeychain::new(paths.clone())),
        reviewer: Arc::new(CoreReviewer { paths: paths.clone(), profile_path: profile_path.clone(), bus: bus.clone() }),
        firewall: Arc::new(CoreFirewall { paths: paths.clone(), profile_path: profile_path.clone(), bus: bus.clone() }),
    };
    AppState::new(paths, profile_path, bus, services)
}
