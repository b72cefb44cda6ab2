//! Builds without the notification plugin (`--no-default-features`, also how the macOS build is
//! type-checked on Linux): on macOS run from its bundle, the system's notification center
//! ([`crate::notify_macos`]); otherwise nothing is shown. Alerts still reach the tray and windows.

use crate::notify_actions::{register_native, Notifier};
use sandbox_core::events::Event;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::{AppHandle, Manager, Runtime};

static NATIVE: AtomicBool = AtomicBool::new(false);

pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("notification-off").build()
}

pub fn register<R: Runtime>(app: &AppHandle<R>) {
    app.manage(Notifier::default());
    NATIVE.store(register_native(app), Ordering::Relaxed);
}

pub fn on_event<R: Runtime>(app: &AppHandle<R>, event: &Event) {
    if !NATIVE.load(Ordering::Relaxed) {
        return;
    }
    let Some((id, notice)) = app.state::<Notifier>().next(app, event) else { return };
    #[cfg(target_os = "macos")]
    crate::notify_macos::show(id, &notice);
    #[cfg(not(target_os = "macos"))]
    let _ = (id, notice);
}
