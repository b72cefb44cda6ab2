//! OpenClaw Sandbox's menu-bar app: a thin Tauri v2 shell over `sandbox-core`.
//!
//! - `model`: the app's state folded from core events → tray view (pure, unit-tested)
//! - `tray`: the menu-bar icon and menu; clicks go to core
//! - `windows`, `window_process`, `window_link`: each window in a short-lived process of its own
//!   (the menu-bar process starts no web engine), and what the two say to each other
//! - `tools`: "Connect an MCP Client…" and "Install Command-Line Tool…" (dialogs over core)
//! - `commands`: what the web UI (`ui/`) calls; one error type (`error`)
//! - `form`: wizard/settings form ↔ profile TOML, validated by core
//! - `services`: core's facade, keychain and review queue behind small traits
//! - `platform`: per-OS code, one whole file per OS

pub mod autostart;
pub mod commands;
pub mod error;
pub mod form;
pub mod ipc_names;
pub mod model;
pub mod network;
pub mod notify;
pub mod notify_actions;
#[cfg(feature = "desktop-notifications")]
pub mod notify_desktop;
#[cfg(not(feature = "desktop-notifications"))]
#[path = "notify_none.rs"]
pub mod notify_desktop;
#[cfg(target_os = "macos")]
pub mod notify_macos;
pub mod platform;
pub mod services;
pub mod state;
pub mod tools;
pub mod tray;
pub mod window_link;
pub mod window_process;
pub mod windows;
pub mod wizard_store;

use crate::platform::{Desktop, Native};
use crate::services::{CoreControl, CoreFirewall, CoreKeychain, CoreReviewer, Services};
use crate::state::AppState;
use sandbox_core::events::{Event, EventBus};
use sandbox_core::paths::Paths;
use std::sync::Arc;
use tauri::{AppHandle, Manager, Runtime};

/// The state the real app runs with.
pub fn core_state() -> AppState {
    let paths = Paths::from_env();
    let profile_path = paths.profile_file();
    let bus = EventBus::default();
    let services = Services {
        control: Arc::new(CoreControl { paths: paths.clone(), profile_path: profile_path.clone(), bus: bus.clone() }),
        keychain: Arc::new(CoreKeychain::new(paths.clone())),
        reviewer: Arc::new(CoreReviewer { paths: paths.clone(), profile_path: profile_path.clone(), bus: bus.clone() }),
        firewall: Arc::new(CoreFirewall { paths: paths.clone(), profile_path: profile_path.clone(), bus: bus.clone() }),
    };
    AppState::new(paths, profile_path, bus, services)
}

/// Forward every core event to the window processes and fold it into the model (which
/// re-renders the tray). This task sleeps until core publishes: no timers, no polling.
fn forward_events<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    let mut rx = app.state::<AppState>().bus.subscribe();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match rx.recv().await {
                Ok(event) => {
                    if let Event::StateChanged { state, .. } = &event {
                        if let Some(follower) = app.state::<AppState>().alerts_on_state(*state) {
                            let app = app.clone();
                            tauri::async_runtime::spawn(async move { app.state::<AppState>().run_alerts(follower).await });
                        }
                    }
                    app.state::<windows::WindowProcesses>().broadcast(&window_link::ToWindow::Event { event: event.clone() });
                    app.state::<AppState>().apply(&event);
                    notify_desktop::on_event(&app, &event);
                }
                Err(RecvError::Lagged(n)) => tracing::warn!("the app missed {n} core events"),
                Err(RecvError::Closed) => break,
            }
        }
    });
}

fn setup<R: Runtime>(app: &AppHandle<R>, show: Vec<String>) -> tauri::Result<()> {
    let state = app.state::<AppState>();
    let autostart = autostart::is_enabled(app);
    state.update(|m| {
        m.autostart = autostart;
        false
    });
    tray::create(app, &state.model().tray())?;
    let handle = app.clone();
    state.set_renderer(move |m| {
        tray::render(&handle, &m.tray());
        windows::model_changed(&handle, m);
    });
    notify_desktop::register(app);
    forward_events(app);
    let handle = app.clone();
    tauri::async_runtime::spawn(async move { handle.state::<AppState>().follow_vm().await });
    let mut show = show;
    if !state.model().profile_present && !show.iter().any(|s| s == ipc_names::WINDOW_ONBOARDING) {
        show.insert(0, ipc_names::WINDOW_ONBOARDING.into());
    }
    for label in show {
        windows::show(app, &label).map_err(|e| tauri::Error::Io(std::io::Error::new(e.kind(), format!("cannot open the {label} window: {e}"))))?;
    }
    Ok(())
}

/// A second launch focuses the running app (and shows what it asked for, or Settings).
fn second_launch<R: Runtime>(app: &AppHandle<R>, args: Vec<String>) {
    let mut show = windows::requested(&args, None);
    if show.is_empty() {
        let present = app.state::<AppState>().model().profile_present;
        show.push(if present { ipc_names::WINDOW_SETTINGS } else { ipc_names::WINDOW_ONBOARDING }.into());
    }
    for label in show {
        if let Err(e) = windows::show(app, &label) {
            tracing::warn!("cannot open the {label} window: {e}");
        }
    }
}

/// Run the menu-bar app.
pub fn run() {
    // the app's log (stderr; SANDBOX_LOG=info|debug for more), through core's redactor
    sandbox_core::secrets::redact_log::init_stderr();
    let args: Vec<String> = std::env::args().collect();
    if let Some(label) = windows::window_requested(&args) {
        return window_process::run(label);
    }
    let show = windows::requested(&args, std::env::var("OPENCLAW_SANDBOX_SHOW").ok().as_deref());
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| second_launch(app, args)))
        .plugin(tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, None))
        .plugin(notify_desktop::plugin())
        .plugin(tauri_plugin_dialog::init())
        .manage(core_state())
        .manage(windows::WindowProcesses::default())
        .setup(move |app| {
            Native::configure(app);
            if let Err(e) = setup(app.handle(), show) {
                // Tauri would panic on a failed set-up; say what failed and exit instead.
                tracing::error!("the app could not start: {e}");
                eprintln!("OpenClaw Sandbox could not start: {e}");
                std::process::exit(1);
            }
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("the app could not start (see the messages above)")
        .run(|_app, event| {
            // A menu-bar app lives on without windows (it has none of its own: see `windows`).
            if let tauri::RunEvent::ExitRequested { code: None, api, .. } = event {
                api.prevent_exit();
            }
        });
}
