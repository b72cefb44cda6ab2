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
        Paths {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
            log_dir: root.join("logs"),
        }
    }

    /// Resolve from the environment: `SANDBOX_HOME` if set and non-empty, else platform dirs.
    pub fn from_env() -> Self {
        match std::env::var_os("SANDBOX_HOME") {
            Some(root) if !root.is_empty() => Self::under(Path::new(&root)),
            _ => {
                let home = dirs::home_dir().unwrap_or_else(|| PathBuf::from("."));
                let config = dirs::config_dir().unwrap_or_else(|| home.join(".config"));
                let data = dirs::data_dir().unwrap_or_else(|| home.join(".local/share"));
                Paths {
                    config_dir: config.join(APP_DIR),
                    data_dir: data.join(APP_DIR),
                    log_dir: data.join(APP_DIR).join("logs"),
                }
            }
        }
    }

    /// The default profile file.
    pub fn profile_file(&self) -> PathBuf {
        self.config_dir.join("profile.toml")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_root_puts_everything_below_it() {
        let p = Paths::under(Path::new("/tmp/x"));
        assert_eq!(p.profile_file(), PathBuf::from("/tmp/x/config/profile.toml"));
        assert!(p.data_dir.starts_with("/tmp/x"));
        assert!(p.log_dir.starts_with("/tmp/x"));
    }
}
