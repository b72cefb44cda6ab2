//! Shows [`crate::notify::Notice`]s and performs the user's action. On macOS, run from its
//! bundle, through the system's notification center ([`crate::notify_macos`]: real buttons,
//! decisions only on an unlocked Mac); elsewhere through the official notification plugin
//! (Linux: the Desktop Notifications spec over D-Bus; macOS without a bundle: notify-rust, which
//! folds several actions under an "Options" button whose own click reports the first action —
//! which is why the first action is never a decision, see [`crate::notify::action_types`]).

use crate::notify::{self, Subject};
use crate::notify_actions::{perform, register_native, Notifier};
use sandbox_core::events::Event;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::{Action, ActionType, NotificationExt};

/// Whether macOS's own notification center took over from the plugin.
static NATIVE: AtomicBool = AtomicBool::new(false);

/// The official notification plugin.
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_notification::init()
}

/// Register the action types and the action handler (once, at start-up).
pub fn register<R: Runtime>(app: &AppHandle<R>) {
    app.manage(Notifier::default());
    if register_native(app) {
        NATIVE.store(true, Ordering::Relaxed);
        return;
    }
    let n = app.notification();
    // the order matters: see notify::action_types (the first action is never a decision)
    let types = notify::action_types()
        .into_iter()
        .map(|(t, acts)| ActionType::builder(t).actions(acts.into_iter().map(|(id, title)| Action::builder(id, title).build()).collect()).build())
        .collect();
    let _ = n.register_action_types(types);
    let handle = app.clone();
    let _ = n.on_action(move |performed| {
        let subject = performed.notification().and_then(|n| n.extra().get("subject").cloned()).and_then(|v| serde_json::from_value::<Subject>(v).ok());
        if let Some(subject) = subject {
            perform(&handle, notify::reaction(performed.action_id(), &subject));
        }
    });
}

/// Show the notification `event` deserves, unless throttled.
pub fn on_event<R: Runtime>(app: &AppHandle<R>, event: &Event) {
    let Some((id, notice)) = app.state::<Notifier>().next(app, event) else { return };
    #[cfg(target_os = "macos")]
    if NATIVE.load(Ordering::Relaxed) {
        crate::notify_macos::show(id, &notice);
        return;
    }
    let mut b = app.notification().builder().id(id).title(&notice.title).body(&notice.body).extra("subject", &notice.subject);
    if let Some(t) = notice.action_type {
        b = b.action_type_id(t);
    }
    if let Err(e) = b.show() {
        tracing::warn!("cannot show a notification: {e}");
    }
}
