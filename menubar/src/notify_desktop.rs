//! Shows [`crate::notify::Notice`]s and performs the user's action. On macOS, run from its
//! bundle, through the system's notification center ([`crate::notify_macos`]: real buttons,
//! decisions only on an unlocked Mac). Elsewhere through notify-rust: on Linux the Desktop
//! Notifications spec over D-Bus, with the notice's actions as buttons and a click on the body
//! reported as the spec's `default` action (→ [`actions::TAP`], which only opens a window); on
//! macOS without a bundle, title and body only — its fallback folds several actions under an
//! "Options" button whose own click reports the first action, so no button is offered there
//! (the menu and the windows hold every decision). The first action is never a decision anyway
//! ([`crate::notify::action_types`]).

use crate::app::App;
use crate::notify::{self, actions, Notice};
use crate::notify_actions::register_native;
use sandbox_core::events::Event;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether macOS's own notification center took over.
static NATIVE: AtomicBool = AtomicBool::new(false);

/// The name notifications are shown under, and their icon (the one the package installs).
const APP_NAME: &str = "OpenClaw Sandbox";
const ICON: &str = "openclaw-sandbox-app";

/// Choose the backend (once, at start-up).
pub fn register(app: &App) {
    NATIVE.store(register_native(app), Ordering::Relaxed);
}

/// Show the notification `event` deserves, unless throttled.
pub fn on_event(app: &App, event: &Event) {
    let Some((id, notice)) = app.notifier.next(&app.state, event) else { return };
    #[cfg(target_os = "macos")]
    if NATIVE.load(Ordering::Relaxed) {
        crate::notify_macos::show(id, &notice);
        return;
    }
    let _ = id;
    show(app, notice);
}

#[cfg_attr(target_os = "macos", allow(dead_code))]
/// The buttons of `notice`: its action type's actions, in order.
fn buttons(notice: &Notice) -> Vec<(&'static str, &'static str)> {
    let Some(kind) = notice.action_type else { return Vec::new() };
    notify::action_types().into_iter().find(|(t, _)| *t == kind).map(|(_, acts)| acts).unwrap_or_default()
}

#[cfg_attr(target_os = "macos", allow(dead_code))]
/// What the Desktop Notifications spec's action key means for us.
fn action_of(key: &str) -> Option<&str> {
    match key {
        // the spec's click on the body
        "default" => Some(actions::TAP),
        // notify-rust's "closed without an action"
        "__closed" => None,
        other => Some(other),
    }
}

#[cfg(not(target_os = "macos"))]
fn show(app: &App, notice: Notice) {
    let mut n = notify_rust::Notification::new();
    n.appname(APP_NAME).summary(&notice.title).body(&notice.body).icon(ICON);
    for (id, title) in buttons(&notice) {
        n.action(id, title);
    }
    n.action("default", "");
    let app = app.clone();
    // One thread per shown notification, parked until it is clicked or closed; the throttle
    // bounds how many there are.
    let spawned = std::thread::Builder::new().name("notification".into()).spawn(move || match n.show() {
        Ok(handle) => handle.wait_for_action(|key| {
            if let Some(action) = action_of(key) {
                crate::notify_actions::perform(&app, notify::reaction(action, &notice.subject));
            }
        }),
        Err(e) => tracing::warn!("cannot show a notification: {e}"),
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot show a notification: {e}");
    }
}

#[cfg(target_os = "macos")]
fn show(_app: &App, notice: Notice) {
    std::thread::spawn(move || {
        let mut n = notify_rust::Notification::new();
        n.appname(APP_NAME).summary(&notice.title).body(&notice.body);
        if let Err(e) = n.show() {
            tracing::warn!("cannot show a notification: {e}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Subject;

    fn sync_notice() -> Notice {
        Notice {
            key: "k".into(),
            title: "t".into(),
            body: "b".into(),
            action_type: Some(actions::TYPE_SYNC),
            subject: Subject::Sync { id: "r1".into(), blocked: false },
        }
    }

    #[test]
    fn buttons_come_from_the_action_type_and_the_first_decides_nothing() {
        let b = buttons(&sync_notice());
        assert_eq!(b.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![actions::REVIEW, actions::APPROVE, actions::REJECT]);
        assert_eq!(buttons(&Notice { action_type: None, ..sync_notice() }), vec![]);
    }

    #[test]
    fn a_click_on_the_body_only_opens_the_review_and_a_close_does_nothing() {
        let n = sync_notice();
        assert_eq!(action_of("__closed"), None);
        assert_eq!(notify::reaction(action_of("default").unwrap(), &n.subject), notify::Reaction::Open(crate::ipc_names::WINDOW_REVIEW));
        assert_eq!(notify::reaction(action_of(actions::APPROVE).unwrap(), &n.subject), notify::Reaction::Approve("r1".into()));
    }
}
