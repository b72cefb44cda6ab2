//! What the app does with a notification and with a click on it, whatever shows it (the
//! desktop's notification server, or macOS's own notification center): the throttle, the subjects of
//! the notifications shown (so a click maps to its target), and performing the reaction.

use crate::app::App;
use crate::notify::{Notice, Reaction, Subject, Throttle};
use crate::state::AppState;
use crate::windows;
use sandbox_core::events::Event;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The throttle, the next notification id, and what each shown one is about.
#[derive(Default)]
pub struct Notifier {
    throttle: Mutex<Throttle>,
    next_id: AtomicI32,
    subjects: Mutex<HashMap<i32, Subject>>,
}

/// How many shown notifications' subjects are remembered (older ones open a window on click).
const REMEMBERED: usize = 256;

impl Notifier {
    /// The notification `event` deserves with its id, unless there is none or it is throttled.
    pub fn next(&self, state: &AppState, event: &Event) -> Option<(i32, Notice)> {
        let notice = crate::notify::plan(event, &project_name(state))?;
        if !self.throttle.lock().unwrap_or_else(|e| e.into_inner()).allow(&notice.key, Instant::now()) {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut subjects = self.subjects.lock().unwrap_or_else(|e| e.into_inner());
        if subjects.len() >= REMEMBERED {
            subjects.retain(|k, _| *k > id - REMEMBERED as i32);
        }
        subjects.insert(id, notice.subject.clone());
        Some((id, notice))
    }

    #[cfg_attr(not(target_os = "macos"), allow(dead_code))]
    /// What notification `id` was about (`None` after a restart or for a forgotten one).
    pub fn subject(&self, id: i32) -> Option<Subject> {
        self.subjects.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned()
    }
}

fn project_name(state: &AppState) -> String {
    sandbox_core::profile::Profile::load(&state.profile_path)
        .ok()
        .and_then(|p| p.project().host.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "your project".into())
}

/// Do what the user's click means.
pub fn perform(app: &App, reaction: Reaction) {
    let task = app.clone();
    app.spawn(async move {
        let (app, state) = (&task, &task.state);
        let result = match reaction {
            Reaction::Approve(id) => state.reviewer.approve(&id, None).await.map(|_| ()),
            Reaction::Reject(id) => state.reviewer.reject(&id).await,
            Reaction::Open(label) => windows::show(app, label).map_err(crate::error::CommandError::failed),
            Reaction::Allow(target) => state.firewall.allow(&target).await,
            Reaction::ApprovePairing(code) => approve_pairing(state, &code).await,
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

/// macOS's own notification center, when the app runs from its bundle (it needs one): real
/// buttons, Approve/Allow only on an unlocked Mac. Returns whether it took over.
#[cfg(target_os = "macos")]
pub fn register_native(app: &App) -> bool {
    if !crate::notify_macos::available() {
        return false;
    }
    let handle = app.clone();
    crate::notify_macos::register(move |action, id| {
        let notifier = &handle.notifier;
        // A notification from before a restart: its target is unknown, so open the window.
        let reaction = match id.parse::<i32>().ok().and_then(|id| notifier.subject(id)) {
            Some(subject) => crate::notify::reaction(&action, &subject),
            None => Reaction::Open(crate::ipc_names::WINDOW_REVIEW),
        };
        perform(&handle, reaction);
    });
    true
}

#[cfg(not(target_os = "macos"))]
pub fn register_native(_app: &App) -> bool {
    false
}
