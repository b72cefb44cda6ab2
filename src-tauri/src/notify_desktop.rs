//! Shows [`notify::Notice`]s through the official notification plugin (Linux: the Desktop
//! Notifications spec over D-Bus; macOS: the plugin's notify-rust path, where several actions
//! collapse into an "Options" menu whose own click reports the first action — which is why the
//! first action is never a decision, see [`notify::action_types`]) and performs the user's action.

use crate::notify::{self, Reaction, Subject, Throttle};
use crate::state::AppState;
use crate::windows;
use sandbox_core::events::Event;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::{Action, ActionType, NotificationExt};

/// The official notification plugin.
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_notification::init()
}

/// Managed state: the throttle and the next notification id.
#[derive(Default)]
pub struct Notifier {
    throttle: Mutex<Throttle>,
    next_id: AtomicI32,
}

/// Register the action types and the action handler (once, at start-up).
pub fn register<R: Runtime>(app: &AppHandle<R>) {
    app.manage(Notifier::default());
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

fn project_name(state: &AppState) -> String {
    sandbox_core::profile::Profile::load(&state.profile_path)
        .ok()
        .and_then(|p| p.project().host.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "your project".into())
}

/// Show the notification `event` deserves, unless throttled.
pub fn on_event<R: Runtime>(app: &AppHandle<R>, event: &Event) {
    let state = app.state::<AppState>();
    let Some(notice) = notify::plan(event, &project_name(&state)) else { return };
    let notifier = app.state::<Notifier>();
    if !notifier.throttle.lock().unwrap_or_else(|e| e.into_inner()).allow(&notice.key, Instant::now()) {
        return;
    }
    let id = notifier.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let mut b = app.notification().builder().id(id).title(&notice.title).body(&notice.body).extra("subject", &notice.subject);
    if let Some(t) = notice.action_type {
        b = b.action_type_id(t);
    }
    if let Err(e) = b.show() {
        tracing::warn!("cannot show a notification: {e}");
    }
}

fn perform<R: Runtime>(app: &AppHandle<R>, reaction: Reaction) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let result = match reaction {
            Reaction::Approve(id) => state.reviewer.approve(&id, None).await.map(|_| ()),
            Reaction::Reject(id) => state.reviewer.reject(&id).await,
            Reaction::Open(label) => windows::show(&app, label).map_err(crate::error::CommandError::failed),
            Reaction::Allow(target) => state.firewall.allow(&target).await,
            Reaction::ApprovePairing(code) => approve_pairing(&state, &code).await,
            Reaction::Nothing => Ok(()),
        };
        if let Err(e) = result {
            state.bus.publish(Event::Error { message: e.message });
        }
    });
}

/// The user clicked "Approve pairing": core checks the code, runs the approval in the VM and
/// audits it.
async fn approve_pairing(state: &AppState, code: &str) -> crate::error::CmdResult<()> {
    let profile = sandbox_core::profile::Profile::load(&state.profile_path)?;
    let sandbox = sandbox_core::sandbox::Sandbox::new(profile, state.paths.clone(), sandbox_core::lima::Limactl::locate()?, state.bus.clone());
    sandbox.pairing_approve(code, true).await.map_err(crate::error::CommandError::failed)?;
    state.bus.publish(Event::Notice { message: format!("Approved Telegram pairing code {code}") });
    Ok(())
}
