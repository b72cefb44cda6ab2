//! What differs per desktop OS, behind one trait; each OS is one whole file.

use std::path::Path;

pub trait Desktop {
    /// Per-OS app set-up (on macOS: menu-bar only, no Dock icon).
    fn configure<R: tauri::Runtime>(app: &mut tauri::App<R>);
    /// Open a terminal window running `program args…`.
    fn open_terminal(program: &Path, args: &[&str]) -> std::io::Result<()>;
}

#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod imp;
#[cfg(not(target_os = "macos"))]
#[path = "linux.rs"]
mod imp;

pub use imp::Native;

/// The `sandbox` CLI: beside the app's own binary when bundled together, else on PATH.
pub fn sandbox_cli() -> std::path::PathBuf {
    std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("sandbox"))).filter(|p| p.is_file()).unwrap_or_else(|| "sandbox".into())
}
