//! Where the product keeps its state on the host.
//!
//! With `SANDBOX_HOME` set, everything (config, data, logs) lives under that one folder;
//! tests and CI rely on this so they never touch the real user's state. Otherwise the
//! platform's config and data directories are used.

use std::path::{Path, PathBuf};

/// The host-side folders of one installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Holds `profile.toml`.
    pub config_dir: PathBuf,
    /// Holds the review queue, journals, backups, state files.
    pub data_dir: PathBuf,
    /// Holds the audit log and other logs.
    pub log_dir: PathBuf,
}

/// Name of the app's folder inside the platform folders.
pub const APP_DIR: &str = "openclaw-sandbox";

impl Paths {
    /// All state under one root (what `SANDBOX_HOME` selects).
    pub fn under(root: &Path) -> Self {
        Paths { config_dir: root.join("config"), data_dir: root.join("data"), log_dir: root.join("logs") }
    }

    /// Resolve from the environment: `SANDBOX_HOME` if set and non-empty, else platform dirs.
    pub fn from_env() -> Self {
        match std::env::var_os("SANDBOX_HOME") {
            Some(root) if !root.is_empty() => Self::under(Path::new(&root)),
            _ => {
                let home = dirs::home_dir().unwrap_or_else(|| PathBuf::from("."));
                let config = dirs::config_dir().unwrap_or_else(|| home.join(".config"));
                let data = dirs::data_dir().unwrap_or_else(|| home.join(".local/share"));
                Paths { config_dir: config.join(APP_DIR), data_dir: data.join(APP_DIR), log_dir: data.join(APP_DIR).join("logs") }
            }
        }
    }

    /// The default profile file.
    pub fn profile_file(&self) -> PathBuf {
        self.config_dir.join("profile.toml")
    }
}

/// Where the sandbox's own Lima keeps its instances (`LIMA_HOME` for every limactl call).
///
/// Private, so the user's `$LIMA_HOME/_config/default.yaml` and `override.yaml`, which Lima
/// merges into every instance it loads (lima:pkg/limayaml/load.go; mounts are combined and
/// override port forwards come first, lima:pkg/limayaml/defaults.go), never reach the sandbox.
/// `$SANDBOX_LIMA_HOME` when set, else `$SANDBOX_HOME/lima`, else `~/.openclaw-sandbox/lima`:
/// short, because macOS limits unix-socket paths (`<home>/<name>/ha.sock`, `ssh.sock.*`) to
/// 104 bytes (lima:pkg/osutil/osutil_others.go `UnixPathMax`). The user's `LIMA_HOME` is ignored.
pub fn lima_home() -> PathBuf {
    lima_home_from(|k| std::env::var_os(k), dirs::home_dir())
}

fn lima_home_from(get: impl Fn(&str) -> Option<std::ffi::OsString>, home: Option<PathBuf>) -> PathBuf {
    let set = |k: &str| get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(p) = set("SANDBOX_LIMA_HOME") {
        return p;
    }
    if let Some(root) = set("SANDBOX_HOME") {
        return root.join("lima");
    }
    home.unwrap_or_else(|| PathBuf::from(".")).join(".openclaw-sandbox").join("lima")
}

/// The user's own Lima home, as plain `limactl` would use it: `$LIMA_HOME`, else `~/.lima`
/// (lima:pkg/limatype/dirnames/dirnames.go `LimaDir`).
pub fn user_lima_home() -> Option<PathBuf> {
    match std::env::var_os("LIMA_HOME") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => dirs::home_dir().map(|h| h.join(".lima")),
    }
}

/// Longest unix-socket path macOS accepts (Lima refuses longer ones).
pub const UNIX_PATH_MAX: usize = 104;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lima_home_is_private_and_ignores_the_users_lima_home() {
        let env = |pairs: &'static [(&'static str, &'static str)]| move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| std::ffi::OsString::from(v));
        let home = Some(PathBuf::from("/Users/me"));
        assert_eq!(lima_home_from(env(&[("LIMA_HOME", "/Users/me/.lima")]), home.clone()), PathBuf::from("/Users/me/.openclaw-sandbox/lima"));
        assert_eq!(lima_home_from(env(&[("SANDBOX_HOME", "/tmp/sb")]), home.clone()), PathBuf::from("/tmp/sb/lima"));
        assert_eq!(lima_home_from(env(&[("SANDBOX_HOME", "/tmp/sb"), ("SANDBOX_LIMA_HOME", "/tmp/l")]), home.clone()), PathBuf::from("/tmp/l"));
        assert_eq!(lima_home_from(env(&[("SANDBOX_LIMA_HOME", "")]), home), PathBuf::from("/Users/me/.openclaw-sandbox/lima"));
        // short enough for Lima's sockets on a Mac: <home>/<76-char name max>/ssh.sock.<16 hex>
        let typical = "/Users/firstname.lastname/.openclaw-sandbox/lima/openclaw-sandbox/ssh.sock.0123456789abcdef";
        assert!(typical.len() < UNIX_PATH_MAX);
    }

    #[test]
    fn under_root_puts_everything_below_it() {
        let p = Paths::under(Path::new("/tmp/x"));
        assert_eq!(p.profile_file(), PathBuf::from("/tmp/x/config/profile.toml"));
        assert!(p.data_dir.starts_with("/tmp/x"));
        assert!(p.log_dir.starts_with("/tmp/x"));
    }
}
