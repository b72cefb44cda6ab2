//! Builds without native notifications (`--no-default-features`, used to type-check the macOS
//! build on Linux): the same functions, showing nothing. Alerts still reach the tray and windows.

use sandbox_core::events::Event;
use tauri::{AppHandle, Runtime};

pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("notification-off").build()
}

pub fn register<R: Runtime>(_app: &AppHandle<R>) {}

pub fn on_event<R: Runtime>(_app: &AppHandle<R>, _event: &Event) {}
