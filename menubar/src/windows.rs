//! The app's windows, from the menu-bar process (which links no web engine): each window is a
//! window process (`openclaw-sandbox-app --window LABEL`, `src-tauri/src/window_process.rs`) it
//! starts on first use, talks to over the process's stdin/stdout (`sandbox_desk::window_link`)
//! and forgets when it ends. Closing a window ends its process.

use crate::app::App;
use crate::model::AppModel;
use crate::window_link::{self, ToTray, ToWindow, TrayCall};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::Mutex;

/// Known window labels.
pub const ALL: &[&str] = crate::ipc_names::WINDOWS;

/// The tray's window processes, by label.
#[derive(Default)]
pub struct WindowProcesses {
    open: Mutex<HashMap<String, (u64, mpsc::Sender<ToWindow>)>>,
    started: std::sync::atomic::AtomicU64,
}

impl WindowProcesses {
    /// Hand `msg` to the window process `label`; false when there is none.
    fn send(&self, label: &str, msg: ToWindow) -> bool {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(label).is_some_and(|(_, tx)| tx.send(msg).is_ok())
    }

    /// Hand `msg` to every window process.
    pub fn broadcast(&self, msg: &ToWindow) {
        for (_, tx) in self.open.lock().unwrap_or_else(|e| e.into_inner()).values() {
            let _ = tx.send(msg.clone());
        }
    }

    fn ended(&self, label: &str, generation: u64) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.get(label).is_some_and(|(g, _)| *g == generation) {
            open.remove(label);
        }
    }
}

/// Show the window `label` (from the tray): focus its process's window, or start one.
pub fn show(app: &App, label: &str) -> std::io::Result<()> {
    show_at(app, label, None)
}

/// [`show`], then ask the window for one of its views (e.g. Settings → "network").
pub fn show_at(app: &App, label: &str, view: Option<&str>) -> std::io::Result<()> {
    if !ALL.contains(&label) {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("no window is called {label:?}")));
    }
    let procs = &app.windows;
    if !procs.send(label, ToWindow::Focus) {
        start(app, label)?;
    }
    if let Some(view) = view {
        procs.send(label, ToWindow::Navigate { view: view.into() });
    }
    Ok(())
}

/// The window processes' binary: `openclaw-sandbox-app`, beside this one (bundle, package or
/// build folder).
fn window_binary() -> std::io::Result<std::path::PathBuf> {
    crate::platform::required_beside_this_binary(WINDOW_BINARY, "window program").map_err(|e| std::io::Error::new(std::io::ErrorKind::NotFound, e))
}

/// The binary with the web view (Tauri), which runs each window.
pub const WINDOW_BINARY: &str = "openclaw-sandbox-app";

/// Start the window process `label`: a writer thread feeds its stdin, a reader thread acts on
/// its stdout, a waiter forgets the process when it ends.
fn start(app: &App, label: &str) -> std::io::Result<()> {
    let exe = window_binary()?;
    let mut child = Command::new(exe)
        .arg("--window")
        .arg(label)
        .env(window_link::ENV_SPAWNED_BY_TRAY, std::process::id().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let (mut stdin, stdout) = (child.stdin.take().expect("piped"), child.stdout.take().expect("piped"));
    let (tx, rx) = mpsc::channel::<ToWindow>();
    let _ = tx.send(ToWindow::Model { model: app.state.model() });
    let procs = &app.windows;
    let generation = procs.started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    procs.open.lock().unwrap_or_else(|e| e.into_inner()).insert(label.to_string(), (generation, tx.clone()));
    std::thread::spawn(move || {
        for msg in rx {
            if stdin.write_all(window_link::encode(&msg).as_bytes()).and_then(|_| stdin.flush()).is_err() {
                break;
            }
        }
    });
    let reader_app = app.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(msg) = window_link::decode::<ToTray>(&line) {
                on_message(&reader_app, &tx, msg);
            }
        }
    });
    // Forgotten when it exits, not when its stdout closes (the web engine's helpers may hold
    // that a moment longer): a window asked for after that starts a new process.
    let (app, label) = (app.clone(), label.to_string());
    std::thread::spawn(move || {
        let status = child.wait();
        app.windows.ended(&label, generation);
        match status {
            Ok(s) if !s.success() => tracing::warn!("the {label} window's process ended: {s}"),
            Err(e) => tracing::warn!("the {label} window's process: {e}"),
            Ok(_) => {}
        }
    });
    Ok(())
}

/// Act on one line from a window process.
fn on_message(app: &App, reply: &mpsc::Sender<ToWindow>, msg: ToTray) {
    match msg {
        ToTray::Event { event } => app.state.bus.publish(event),
        ToTray::Call { id, call } => {
            let (task, reply) = (app.clone(), reply.clone());
            app.spawn(async move {
                let state = &task.state;
                let result = match call {
                    TrayCall::Start => state.start().await,
                    TrayCall::Stop { force } => state.stop(force).await,
                    TrayCall::ProfileWritten => {
                        state.profile_written().await;
                        Ok(())
                    }
                };
                let _ = reply.send(ToWindow::Reply { id, result });
            });
        }
    }
}

/// The tray's model changed: every window process gets it whole.
pub fn model_changed(app: &App, model: &AppModel) {
    app.windows.broadcast(&ToWindow::Model { model: model.clone() });
}

/// Windows asked for on the command line (`--show LABEL`, repeatable) or in
/// `OPENCLAW_SANDBOX_SHOW=LABEL[,LABEL]` — how tests make windows visible, hence interactable.
pub fn requested(args: &[String], env: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = if a == "--show" { it.next().cloned() } else { a.strip_prefix("--show=").map(str::to_string) };
        if let Some(v) = v {
            out.push(v);
        }
    }
    out.extend(env.unwrap_or_default().split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    out.retain(|l| ALL.contains(&l.as_str()));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_requests_come_from_flags_and_env_and_unknown_labels_are_dropped() {
        let args: Vec<String> = ["app", "--show", "settings", "--show=review", "--show", "bogus"].iter().map(|s| s.to_string()).collect();
        assert_eq!(requested(&args, Some("onboarding, x")), vec!["settings", "review", "onboarding"]);
        assert!(requested(&[], None).is_empty());
    }
}
