//! A window process: `openclaw-sandbox-app --window LABEL`, started by the menu-bar process
//! (`menubar/src/windows.rs` is that side; `sandbox_desk::window_link` says why and what they
//! say). It shows one
//! window, runs that window's commands, and ends when the window closes — after any command
//! still at work (an apply, a keychain import) has finished — or when the tray is gone.

use crate::ipc_names::{EVENT_CORE, EVENT_NAVIGATE, EVENT_VIEW, WINDOWS};
use crate::state::AppState;
use crate::window_link::{self, ToTray, ToWindow, TrayLink};
use std::io::BufRead;
use std::sync::Arc;
use tauri::{AppHandle, Emitter, Manager, Runtime};

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
    if !WINDOWS.contains(&label.as_str()) {
        eprintln!("no window is called {label:?} (windows: {})", WINDOWS.join(", "));
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
            // Like the menu bar: no Dock icon, no app menu (LSUIElement says the same).
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);
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
