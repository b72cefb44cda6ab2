//! What the menu-bar process and a window process say to each other: one JSON object per line,
//! the tray writing to the window process's stdin and reading its stdout.
//!
//! Why two processes: a web engine, once started, stays in the process that started it
//! (WebKitGTK keeps its network process and the GL driver for the process's lifetime; `scripts/
//! bench app` measured 73 MiB idle and 220 MiB after a window had been opened and closed). So the
//! menu-bar process never starts one: each window runs in a short-lived `--window LABEL` process
//! of the same binary, and closing the window ends it, web engine and all.
//!
//! Who owns what: the tray owns the model (it folds core's events, as before) and the VM's
//! start and stop (a start outlives the window that asked for it; a stop during a start is the
//! user's intent, which only the tray can tell). The window process runs the other commands
//! itself (they are calls into core over files and the keychain) and tells the tray about the
//! events they publish.

use crate::error::CommandError;
use crate::model::AppModel;
use sandbox_core::events::Event;
use serde::{Deserialize, Serialize};

/// Set by the tray on the window processes it starts; `--window` without it is refused.
pub const ENV_SPAWNED_BY_TRAY: &str = "OPENCLAW_SANDBOX_WINDOW_OF";

/// Tray → window process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "to_window", rename_all = "snake_case")]
pub enum ToWindow {
    /// The whole model, first on start and again whenever it changed (the window renders it).
    Model { model: AppModel },
    /// A core event, for the window's live views (review list, progress, errors).
    Event { event: Event },
    /// Bring the window to the front (the user asked for it again).
    Focus,
    /// Show one view inside the window (e.g. Settings → "network").
    Navigate { view: String },
    /// The answer to a [`ToTray::Call`].
    Reply { id: u64, result: Result<(), CommandError> },
}

/// What the window process asks the tray to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum TrayCall {
    Start,
    Stop {
        force: bool,
    },
    /// The wizard wrote the profile: the tray starts following the VM it names.
    ProfileWritten,
}

/// Window process → tray.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "to_tray", rename_all = "snake_case")]
pub enum ToTray {
    /// An event one of the window's commands published (a sync applied, a secret stored…).
    Event {
        event: Event,
    },
    Call {
        id: u64,
        call: TrayCall,
    },
}

/// One message as one line (JSON never contains a raw newline).
pub fn encode<T: Serialize>(msg: &T) -> String {
    let mut line = serde_json::to_string(msg).unwrap_or_default();
    line.push('\n');
    line
}

/// A line from the other side; `None` (and a log line) for anything else, so a stray line on
/// stdout cannot stop the conversation.
pub fn decode<T: for<'de> Deserialize<'de>>(line: &str) -> Option<T> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    match serde_json::from_str(line) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!("ignored a line between the app's processes ({e}): {}", line.chars().take(120).collect::<String>());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use sandbox_core::events::VmState;

    #[test]
    fn every_message_survives_its_line() {
        let mut model = AppModel { profile_present: true, instance: Some("openclaw".into()), state: VmState::Running, ..AppModel::default() };
        model.apply(&Event::SyncRequested { id: "r1".into(), message: Some("m".into()), changes: 3, blocked: false, root: Default::default() });
        let to_window = [
            ToWindow::Model { model },
            ToWindow::Event { event: Event::Notice { message: "hi\nthere".into() } },
            ToWindow::Focus,
            ToWindow::Navigate { view: "network".into() },
            ToWindow::Reply { id: 7, result: Ok(()) },
            ToWindow::Reply { id: 8, result: Err(CommandError::new(ErrorKind::Failed, "limactl failed")) },
        ];
        for m in to_window {
            let line = encode(&m);
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            assert_eq!(decode::<ToWindow>(&line), Some(m));
        }
        for m in [
            ToTray::Event { event: Event::ProfileChanged { path: "/p".into() } },
            ToTray::Call { id: 1, call: TrayCall::Start },
            ToTray::Call { id: 2, call: TrayCall::Stop { force: true } },
            ToTray::Call { id: 3, call: TrayCall::ProfileWritten },
        ] {
            assert_eq!(decode::<ToTray>(&encode(&m)), Some(m));
        }
    }

    #[test]
    fn a_stray_line_is_ignored_not_fatal() {
        assert_eq!(decode::<ToTray>("Gtk-WARNING: something"), None);
        assert_eq!(decode::<ToTray>(""), None);
        assert_eq!(decode::<ToTray>(r#"{"to_tray":"call","id":1,"call":"format_disk"}"#), None);
    }
}
