//! What the menu-bar process and a window process say to each other: one JSON object per line,
//! the tray writing to the window process's stdin and reading its stdout.
//!
//! Why two processes: a web engine, once started, stays in the process that started it
//! (WebKitGTK keeps its network process and the GL driver for the process's lifetime; `scripts/
//! bench app` measured 73 MiB idle and 220 MiB after a window had been opened and closed). So the
//! menu-bar process (`openclaw-sandbox-menubar`, which links no web engine at all) never starts
//! one: each window runs in a short-lived `openclaw-sandbox-app --window LABEL` process, and
//! closing the window ends it, web engine and all.
//!
//! Who owns what: the tray owns the model (it folds core's events, as before) and the VM's
//! start and stop (a start outlives the window that asked for it; a stop during a start is the
//! user's intent, which only the tray can tell). The window process runs the other commands
//! itself (they are calls into core over files and the keychain) and tells the tray about the
//! events they publish.

use crate::error::{CmdResult, CommandError};
use crate::model::AppModel;
use sandbox_core::events::Event;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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

type Writer = Box<dyn Fn(&[u8]) -> std::io::Result<()> + Send + Sync>;

/// The window process's line to its tray: messages out on the pipe that was its stdout, replies
/// matched by id.
pub struct TrayLink {
    write: Writer,
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, tokio::sync::oneshot::Sender<CmdResult<()>>>>,
    gone: std::sync::atomic::AtomicBool,
}

impl TrayLink {
    /// The link over the tray's pipe (see [`take_pipes`]).
    pub fn over(out: std::fs::File) -> Self {
        let out = Mutex::new(out);
        Self::new(move |line| {
            let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
            out.write_all(line).and_then(|_| out.flush())
        })
    }

    /// A link that writes its lines with `write` (tests).
    pub fn new(write: impl Fn(&[u8]) -> std::io::Result<()> + Send + Sync + 'static) -> Self {
        TrayLink { write: Box::new(write), next: AtomicU64::new(1), waiting: Mutex::new(HashMap::new()), gone: Default::default() }
    }

    pub fn send(&self, msg: &ToTray) {
        if (self.write)(encode(msg).as_bytes()).is_err() {
            self.gone.store(true, Ordering::SeqCst);
        }
    }

    /// Ask the tray to do something and wait for its answer.
    pub async fn call(&self, call: TrayCall) -> CmdResult<()> {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).insert(id, tx);
        if !self.gone.load(Ordering::SeqCst) {
            self.send(&ToTray::Call { id, call });
        }
        if self.gone.load(Ordering::SeqCst) {
            self.waiting.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        }
        rx.await.unwrap_or_else(|_| Err(Self::tray_gone()))
    }

    pub fn answered(&self, id: u64, result: CmdResult<()>) {
        if let Some(tx) = self.waiting.lock().unwrap_or_else(|e| e.into_inner()).remove(&id) {
            let _ = tx.send(result);
        }
    }

    /// The tray closed its pipe: every waiting call fails with a message, none hangs.
    pub fn close(&self) {
        self.gone.store(true, Ordering::SeqCst);
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn tray_gone() -> CommandError {
        CommandError::failed("the OpenClaw Sandbox menu-bar app has quit; open it again and retry")
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

#[cfg(test)]
mod link_tests {
    use super::*;
    use std::sync::Arc;

    fn captured() -> (Arc<TrayLink>, Arc<Mutex<Vec<ToTray>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let link = TrayLink::new(move |l| {
            sink.lock().unwrap().extend(decode::<ToTray>(std::str::from_utf8(l).unwrap()));
            Ok(())
        });
        (Arc::new(link), lines)
    }

    async fn next_call(lines: &Mutex<Vec<ToTray>>) -> (u64, TrayCall) {
        for _ in 0..200 {
            if let Some(ToTray::Call { id, call }) = lines.lock().unwrap().pop() {
                return (id, call);
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("no call reached the tray");
    }

    #[tokio::test]
    async fn a_call_waits_for_the_tray_and_gets_its_own_answer() {
        let (link, lines) = captured();
        let first = tokio::spawn({
            let link = link.clone();
            async move { link.call(TrayCall::Start).await }
        });
        let (id1, call1) = next_call(&lines).await;
        let second = tokio::spawn({
            let link = link.clone();
            async move { link.call(TrayCall::Stop { force: false }).await }
        });
        let (id2, call2) = next_call(&lines).await;
        assert_eq!((call1, call2), (TrayCall::Start, TrayCall::Stop { force: false }));
        assert_ne!(id1, id2);
        link.answered(id2, Err(CommandError::failed("no VM")));
        link.answered(id1, Ok(()));
        assert_eq!(first.await.unwrap(), Ok(()));
        assert_eq!(second.await.unwrap().unwrap_err().message, "no VM");
        link.answered(99, Ok(())); // an answer nobody waits for is dropped
    }

    #[tokio::test]
    async fn when_the_tray_is_gone_a_call_fails_with_a_sentence_and_never_hangs() {
        let (link, lines) = captured();
        let waiting = tokio::spawn({
            let link = link.clone();
            async move { link.call(TrayCall::ProfileWritten).await }
        });
        next_call(&lines).await;
        link.close();
        let e = waiting.await.unwrap().unwrap_err();
        assert!(e.message.contains("has quit"), "{e:?}");
        // and a call after that fails at once, as does one whose line cannot be written
        assert!(link.call(TrayCall::Start).await.is_err());
        let broken = TrayLink::new(|_| Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe)));
        assert!(broken.call(TrayCall::Start).await.is_err());
    }
}
