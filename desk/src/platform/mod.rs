//! What differs per desktop OS, behind one trait; each OS is one whole file.

use std::path::Path;

pub trait Desktop {
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
    beside_this_binary("sandbox").unwrap_or_else(|| "sandbox".into())
}

/// The app's binary `name` in the folder of the running one (a bundle's `Contents/MacOS`,
/// `/usr/bin` from the `.deb`, `target/<profile>` in a build), if it is there.
pub fn beside_this_binary(name: &str) -> Option<std::path::PathBuf> {
    std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join(name))).filter(|p| p.is_file())
}
