//! A window process: `openclaw-sandbox-app --window LABEL`, started by the menu-bar process
//! (see `windows.rs` for that side and `window_link.rs` for why and what they say). It shows one
//! window, runs that window's commands, and ends when the window closes — after any command
//! still at work (an apply, a keychain import) has finished — or when the tray is gone.

use crate::error::{CmdResult, CommandError};
use crate::ipc_names::{EVENT_CORE, EVENT_NAVIGATE, EVENT_VIEW};
use crate::platform::{Desktop, Native};
use crate::state::AppState;
use crate::window_link::{self, ToTray, ToWindow, TrayCall};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Emitter, Manager, Runtime};

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
    fn over(out: std::fs::File) -> Self {
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
        if (self.write)(window_link::encode(msg).as_bytes()).is_err() {
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

/// Handle one line from the tray.
fn on_message<R: Runtime>(app: &AppHandle<R>, label: &str, link: &TrayLink, msg: ToWindow) {
    let state = app.state::<AppState>();
    match msg {
        ToWindow::Model { model } => state.update(|m| {
            let changed = *m != model;
            *m = model;
            changed
        }),
        ToWindow::Event { event } => {
            let _ = app.emit(EVENT_CORE, &event);
        }
        ToWindow::Focus => {
            if let Err(e) = crate::windows::create_or_focus(app, label) {
                tracing::warn!("cannot bring the {label} window to the front: {e}");
            }
        }
        ToWindow::Navigate { view } => {
            let _ = app.emit_to(label, EVENT_NAVIGATE, view);
        }
        ToWindow::Reply { id, result } => link.answered(id, result),
    }
}

/// Read the tray's lines until it closes its pipe; then end (once idle).
fn read_tray<R: Runtime>(app: AppHandle<R>, label: String, link: Arc<TrayLink>, from_tray: std::fs::File) {
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(from_tray).lines() {
            let Ok(line) = line else { break };
            if let Some(msg) = window_link::decode::<ToWindow>(&line) {
                on_message(&app, &label, &link, msg);
            }
        }
        link.close();
        exit_when_idle(app);
    });
}

/// End this process once no command is at work (an apply, an import is never cut off).
fn exit_when_idle<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        app.state::<AppState>().until_idle().await;
        app.exit(0);
    });
}

/// Tell the tray about every event this process's commands publish.
fn forward_to_tray<R: Runtime>(app: &AppHandle<R>, link: Arc<TrayLink>) {
    let mut rx = app.state::<AppState>().bus.subscribe();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match rx.recv().await {
                Ok(event) => link.send(&ToTray::Event { event }),
                Err(RecvError::Lagged(n)) => tracing::warn!("the window missed {n} of its own events"),
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// Take the tray's pipes off stdin and stdout: the conversation moves to private copies that no
/// child inherits (close-on-exec), stdin becomes /dev/null and stdout goes to stderr. A program
/// core runs with inherited stdio (limactl, ssh) can then neither read the tray's lines nor write
/// into the conversation.
fn take_pipes() -> std::io::Result<(std::fs::File, std::fs::File)> {
    use std::os::fd::{AsFd, AsRawFd};
    let from_tray = std::fs::File::from(std::io::stdin().as_fd().try_clone_to_owned()?);
    let to_tray = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
    let null = std::fs::File::open("/dev/null")?;
    // SAFETY: dup2 on descriptors this process owns; 0 and 1 are replaced atomically, and the
    // originals stay open through the copies above.
    let (a, b) = unsafe { (libc::dup2(null.as_raw_fd(), 0), libc::dup2(2, 1)) };
    if a < 0 || b < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((from_tray, to_tray))
}

/// Run the window process for `label`.
pub fn run(label: String) {
    if std::env::var_os(window_link::ENV_SPAWNED_BY_TRAY).is_none() {
        eprintln!("--window is how the menu-bar app opens its own windows; to open one yourself, run `openclaw-sandbox-app --show {label}`");
        std::process::exit(2);
    }
    if !crate::windows::ALL.contains(&label.as_str()) {
        eprintln!("no window is called {label:?} (windows: {})", crate::windows::ALL.join(", "));
        std::process::exit(2);
    }
    let (from_tray, to_tray) = match take_pipes() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("OpenClaw Sandbox could not open the {label} window: its pipes to the menu-bar app: {e}");
            std::process::exit(1);
        }
    };
    let link = Arc::new(TrayLink::over(to_tray));
    let state = crate::core_state();
    state.set_tray(link.clone());
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .invoke_handler(crate::commands::handler())
        .setup(move |app| {
            Native::configure(app);
            let handle = app.handle().clone();
            app.state::<AppState>().set_renderer(move |m| {
                let _ = handle.emit(EVENT_VIEW, m.view());
            });
            forward_to_tray(app.handle(), link.clone());
            if let Err(e) = crate::windows::create_or_focus(app.handle(), &label) {
                eprintln!("OpenClaw Sandbox could not open the {label} window: {e}");
                std::process::exit(1);
            }
            read_tray(app.handle().clone(), label, link, from_tray);
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("the window could not start (see the messages above)")
        .run(|app, event| {
            // The window closed: end, but not in the middle of a command (an apply, an import).
            if let tauri::RunEvent::ExitRequested { code: None, api, .. } = event {
                if app.state::<AppState>().is_busy() {
                    api.prevent_exit();
                    exit_when_idle(app.clone());
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window_link::decode;

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
