//! "Start at Login", through the official autostart plugin.

use crate::state::AppState;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::ManagerExt;

pub fn is_enabled<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.autolaunch().is_enabled().unwrap_or(false)
}

/// Flip the setting; the menu shows what the OS reports afterwards.
pub fn toggle<R: Runtime>(app: &AppHandle<R>) {
    let launcher = app.autolaunch();
    let result = if is_enabled(app) { launcher.disable() } else { launcher.enable() };
    let state = app.state::<AppState>();
    if let Err(e) = result {
        state.bus.publish(sandbox_core::events::Event::Error { message: format!("cannot change Start at Login: {e}") });
    }
    let now = is_enabled(app);
    state.update(|m| {
        m.autostart = now;
        true
    });
}
