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

/// [`beside_this_binary`], or a sentence saying it (`what`, e.g. "menu-bar program") is missing
/// from which folder and what to do.
pub fn required_beside_this_binary(name: &str, what: &str) -> Result<std::path::PathBuf, String> {
    beside_this_binary(name).ok_or_else(|| {
        let here = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.display().to_string())).unwrap_or_default();
        format!("the app's {what} {name} is missing from {here}; reinstall OpenClaw Sandbox (in a build: cargo build -p {name})")
    })
}

/// Create `dir` (and its parents) private to this user (0700 for what it creates).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}
