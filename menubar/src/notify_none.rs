//! Builds without notify-rust (`--no-default-features`, also how the macOS build is
//! type-checked on Linux): on macOS run from its bundle, the system's notification center
//! ([`crate::notify_macos`]); otherwise nothing is shown. Alerts still reach the tray and windows.

use crate::app::App;
use crate::notify_actions::register_native;
use sandbox_core::events::Event;
use std::sync::atomic::{AtomicBool, Ordering};

static NATIVE: AtomicBool = AtomicBool::new(false);

pub fn register(app: &App) {
    NATIVE.store(register_native(app), Ordering::Relaxed);
}

pub fn on_event(app: &App, event: &Event) {
    if !NATIVE.load(Ordering::Relaxed) {
        return;
    }
    let Some((id, notice)) = app.notifier.next(&app.state, event) else { return };
    #[cfg(target_os = "macos")]
    crate::notify_macos::show(id, &notice);
    #[cfg(not(target_os = "macos"))]
    let _ = (id, notice);
}
