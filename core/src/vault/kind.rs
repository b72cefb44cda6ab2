//! Which kind of vault a folder is: a plain local folder, or one a cloud provider fills on
//! demand (iCloud Drive, another macOS File Provider, a FUSE mount such as rclone's). Decided
//! from the path first, then from what the host says about the folder (see `cloud_macos.rs`,
//! `cloud_linux.rs`).

use serde::Serialize;
use std::path::{Component, Path};

/// The kind of the vault folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VaultKind {
    /// A plain local folder: every file is on the disk.
    Local,
    /// A folder a provider fills on demand: files may be evicted (only a placeholder on disk)
    /// or held under file coordination, which the VM's mount cannot read.
    Provider {
        /// "iCloud Drive", "File Provider (OneDrive-Personal)", "FUSE (fuse.rclone)".
        provider: String,
        /// Why we think so, for the user.
        why: String,
    },
}

impl VaultKind {
    pub fn is_provider(&self) -> bool {
        matches!(self, VaultKind::Provider { .. })
    }

    /// A short label: "a local folder", "iCloud Drive".
    pub fn label(&self) -> String {
        match self {
            VaultKind::Local => "a local folder".into(),
            VaultKind::Provider { provider, .. } => provider.clone(),
        }
    }
}

/// The kind as far as the path alone tells (no I/O): macOS keeps iCloud Drive under
/// `~/Library/Mobile Documents/` (Obsidian's own container is `iCloud~md~obsidian`) and other
/// File Provider folders (OneDrive, Google Drive, Dropbox, Box) under `~/Library/CloudStorage/<name>`.
pub fn from_path(path: &Path) -> Option<VaultKind> {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    for (i, w) in parts.windows(2).enumerate() {
        if w[0] == "Library" && w[1] == "Mobile Documents" {
            return Some(VaultKind::Provider {
                provider: "iCloud Drive".into(),
                why: "it lies in iCloud Drive (~/Library/Mobile Documents), which may keep only placeholders of files on this Mac".into(),
            });
        }
        if w[0] == "Library" && w[1] == "CloudStorage" {
            let name = parts.get(i + 2).cloned().unwrap_or_else(|| "CloudStorage".into());
            return Some(VaultKind::Provider {
                provider: format!("File Provider ({name})"),
                why: format!("it lies in ~/Library/CloudStorage/{name}, a File Provider folder that downloads files on demand"),
            });
        }
    }
    None
}

/// The vault's kind: from its path, else from the host (macOS: the file's ubiquitous-item
/// attributes; Linux: a FUSE file system), else local.
pub fn detect(path: &Path) -> VaultKind {
    from_path(path).or_else(|| super::cloud::probe(path)).unwrap_or(VaultKind::Local)
}
