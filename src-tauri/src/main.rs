//! `openclaw-sandbox-app`: the bundle's main program. With `--window LABEL` it is a window
//! process (the menu-bar process starts those); otherwise — a launch from the Dock, Finder,
//! a login item or a terminal — it becomes the menu-bar binary beside it (`exec`: same process,
//! same arguments), so nothing of the web engine it links stays in the process that idles.

use openclaw_sandbox_app::{window_process, windows};

/// The menu-bar binary, beside this one in the bundle, the package and the build folder.
const MENUBAR: &str = "openclaw-sandbox-menubar";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(label) = windows::window_requested(&args) else {
        hand_over(&args);
    };
    #[cfg(target_os = "linux")]
    gl_probe_off();
    // the window's log (stderr; SANDBOX_LOG=info|debug for more), through core's redactor
    sandbox_core::secrets::redact_log::init_stderr();
    window_process::run(label);
}

/// Become the menu-bar process; only returns by exiting with a sentence.
fn hand_over(args: &[String]) -> ! {
    use std::os::unix::process::CommandExt;
    let menubar = match openclaw_sandbox_app::platform::required_beside_this_binary(MENUBAR, "menu-bar program") {
        Ok(path) => path,
        Err(e) => {
            eprintln!("OpenClaw Sandbox could not start: {e}");
            std::process::exit(1);
        }
    };
    let e = std::process::Command::new(&menubar).args(args.iter().skip(1)).exec();
    eprintln!("OpenClaw Sandbox could not start {}: {e}", menubar.display());
    std::process::exit(1);
}

/// Idle footprint on Linux: opening the X display, GTK 3 probes GLX to pick its visuals, which
/// loads the GL driver (with Mesa: llvmpipe and libLLVM, ≈ 50 MiB RSS). The window doesn't use
/// GDK's GL (WebKitGTK renders through its own EGL display), so switch the probe off with GTK's
/// `GDK_GL=disable`, unless the user set `GDK_GL` themselves. Called while single-threaded.
#[cfg(target_os = "linux")]
fn gl_probe_off() {
    if std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
}
