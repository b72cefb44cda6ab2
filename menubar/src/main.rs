//! OpenClaw Sandbox's menu-bar process: the tray icon and its menu, notifications and their
//! actions, Start/Stop, Start at Login, the MCP and CLI tools — on `sandbox-core` through
//! `sandbox-desk`, with a toolkit event loop (tao) and a tray (tray-icon) but no web engine.
//! Windows run in `openclaw-sandbox-app --window LABEL` processes it starts (`windows`);
//! `openclaw-sandbox-app` without arguments hands over to this binary (its `main`).
//!
//! Why a binary of its own: a process that links a web engine (WebKitGTK, ~25 MiB of relocated
//! library data on Linux) pays for it at idle even with no window; a menu-bar app idles for
//! days.
//!
//! - `app`: the process's shared context and its event loop
//! - `tray`: the icon and menu, rendered from [`model::TrayView`]; clicks dispatched to core
//! - `windows`: the window processes (start, focus, forward events, answer their calls)
//! - `notify_actions`, `notify_desktop`, `notify_macos`: notifications and their clicks
//! - `single_instance`: a second launch hands its request to the running one and exits
//! - `autostart`, `tools`: Start at Login; "Connect an MCP Client…", "Install Command-Line Tool…"

mod app;
mod autostart;
mod notify_actions;
#[cfg(feature = "desktop-notifications")]
mod notify_desktop;
#[cfg(not(feature = "desktop-notifications"))]
#[path = "notify_none.rs"]
mod notify_desktop;
#[cfg(target_os = "macos")]
mod notify_macos;
mod single_instance;
mod tools;
mod tray;
mod windows;

use sandbox_desk::{error, ipc_names, model, notify, platform, state, window_link};

fn main() {
    #[cfg(target_os = "linux")]
    gl_probe_off();
    // the app's log (stderr; SANDBOX_LOG=info|debug for more), through core's redactor
    sandbox_core::secrets::redact_log::init_stderr();
    let args: Vec<String> = std::env::args().collect();
    let show = windows::requested(&args, std::env::var("OPENCLAW_SANDBOX_SHOW").ok().as_deref());
    match app::run(show, args) {
        Ok(()) => {}
        Err(e) => {
            tracing::error!("the app could not start: {e}");
            eprintln!("OpenClaw Sandbox could not start: {e}");
            std::process::exit(1);
        }
    }
}

/// Idle footprint on Linux (`scripts/bench app`): opening the X display, GTK 3 probes GLX to
/// pick its visuals, which loads the GL driver into a process that, at idle, draws nothing
/// (with Mesa: the llvmpipe driver and libLLVM, ≈ 50 MiB RSS). The menu-bar process draws no
/// GL, so switch the probe off with GTK's `GDK_GL=disable`, unless the user set `GDK_GL`
/// themselves (window processes inherit it and need no GDK GL either: WebKitGTK renders through
/// its own EGL display). Called first thing in `main`, while the process has a single thread.
#[cfg(target_os = "linux")]
fn gl_probe_off() {
    if std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
}
