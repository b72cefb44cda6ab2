//! The Obsidian vault's two ways into the VM (issue 17).
//!
//! A plain local vault is mounted read-only (`/mnt/obsidian`) under the `/workspace-obsidian`
//! overlay. A vault a cloud provider fills on demand — iCloud Drive (most Obsidian users on a
//! Mac), another File Provider folder, a FUSE mount — cannot be read reliably through the VM's
//! mount (virtiofs cannot read evicted files or ones under file coordination: holes, EIO,
//! ESTALE). Such a vault is **copied** instead: the host materializes evicted files
//! ([`stream`]: read with retry; macOS asks iCloud first), ships a tar stream to
//! `openclaw-vault-copy` in the VM, which writes a root-only folder
//! ([`crate::provision::layout::VAULT_COPY`]) that the same id-mapped lower and overlay lie over;
//! the follower in `Sandbox::watch` keeps it current from `notify` events ([`Batcher`]).
//! The agent's changes still leave only through the sync gate into the host vault folder.
//!
//! [`kind`] decides what a folder is, [`exclude`] what never travels, [`tree`] walks and
//! diffs, [`copy`] talks to the VM. `[mounts] vault_mode` forces either way.

pub mod copy;
pub mod exclude;
pub mod kind;
pub mod stream;
pub mod tree;

#[cfg(target_os = "linux")]
#[path = "cloud_linux.rs"]
pub mod cloud;
#[cfg(target_os = "macos")]
#[path = "cloud_macos.rs"]
pub mod cloud;
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub mod cloud {
    //! No provider detection on this OS: path rules only.
    pub fn probe(_path: &std::path::Path) -> Option<super::kind::VaultKind> {
        None
    }
    pub fn start_download(_path: &std::path::Path) -> Result<(), String> {
        Ok(())
    }
}

pub use kind::VaultKind;

use crate::profile::{Mode, Profile, VaultMode};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Errors of the vault copy.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("cannot read the vault folder {path}: {source}. Check that it exists and that you may read it, then run `sandbox up` again")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Vm(#[from] crate::vm::VmError),
    #[error("copying the vault into the VM failed (exit {code}): {message}. Run `sandbox up` again; if it keeps failing, `sandbox ssh` in and check `sudo journalctl -b`")]
    Remote { code: i32, message: String },
    #[error("{count} vault file(s) could not be downloaded from {provider}: {list}. Is this computer offline? Connect (or open the files once to download them), then run `sandbox up` again; the agent sees the rest of the vault meanwhile")]
    NotDownloaded { count: usize, provider: String, list: String },
    #[error("the vault copy stopped: {detail}")]
    Task { detail: String },
}

impl VaultError {
    fn remote(code: i32, stderr: &str) -> Self {
        let message = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no error output").trim().to_string();
        VaultError::Remote { code, message }
    }

    /// The error for files a pass could not read, naming the first few.
    pub fn not_downloaded(provider: &str, unreadable: &[stream::Unreadable]) -> Option<VaultError> {
        if unreadable.is_empty() {
            return None;
        }
        let mut list: Vec<String> = unreadable.iter().take(5).map(|u| format!("{} ({})", u.path, u.error)).collect();
        if unreadable.len() > 5 {
            list.push(format!("and {} more", unreadable.len() - 5));
        }
        Some(VaultError::NotDownloaded { count: unreadable.len(), provider: provider.to_string(), list: list.join(", ") })
    }
}

/// How this profile's vault reaches the VM, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultPlan {
    pub host: PathBuf,
    pub kind: VaultKind,
    pub mode: VaultMode,
    /// Copied into the VM (else mounted read-only).
    pub copy: bool,
}

/// The plan for `profile`'s vault (`None` without one). Detection reads the host (statfs,
/// Foundation); yolo-unsafe always mounts (the agent writes to the vault itself there).
pub fn plan(profile: &Profile) -> Option<VaultPlan> {
    let m = crate::provision::vault_mount(profile)?;
    Some(plan_for(&m.host, profile.vault_mode, profile.mode))
}

/// The plan for a vault folder `host` under `vault_mode` and the sandbox's `mode` (also for a
/// folder the wizard is about to put in a profile).
pub fn plan_for(host: &std::path::Path, vault_mode: VaultMode, mode: Mode) -> VaultPlan {
    let kind = kind::detect(host);
    let copy = mode != Mode::YoloUnsafe
        && match vault_mode {
            VaultMode::Copy => true,
            VaultMode::Mount => false,
            VaultMode::Auto => kind.is_provider(),
        };
    VaultPlan { host: host.to_path_buf(), kind, mode: vault_mode, copy }
}

impl VaultPlan {
    /// Worth a warning: a provider vault mounted directly (forced), where the agent may see holes.
    pub fn risky(&self) -> bool {
        self.kind.is_provider() && !self.copy
    }

    /// What was detected and what will happen, in one or two sentences (doctor, wizard, Settings).
    pub fn describe(&self) -> String {
        let what = match &self.kind {
            VaultKind::Local => format!("The vault {} is a local folder", self.host.display()),
            VaultKind::Provider { provider, why } => format!("The vault {} is in {provider}: {why}", self.host.display()),
        };
        let excluded: Vec<&str> = exclude::EXCLUSIONS.iter().map(|e| e.pattern).collect();
        let how = if self.copy {
            let forced = if self.mode == VaultMode::Copy && !self.kind.is_provider() { " (vault_mode = \"copy\")" } else { "" };
            format!(
                "it is copied into the VM{forced} (files the provider evicted are downloaded first) and kept current while `sandbox watch` or the app runs; /workspace-obsidian lies over that copy, and the agent's changes come back only through the sync gate. Left out of the copy: {}",
                excluded.join(", ")
            )
        } else if self.risky() {
            "vault_mode = \"mount\" mounts it read-only as it is: the agent may see holes or read errors where files are evicted. Use vault_mode = \"auto\" to copy it".into()
        } else {
            "it is mounted read-only at /mnt/obsidian under /workspace-obsidian".into()
        };
        format!("{what}; {how}.")
    }

    /// What to do about a risky plan.
    pub fn fix(&self) -> Option<String> {
        self.risky().then(|| "set `vault_mode = \"auto\"` (or remove it) under [mounts] in the profile".into())
    }
}

/// Turns a stream of changed paths into batches: a batch is ready once nothing changed for
/// `quiet` (the write settled), or `max_wait` after its first change while changes keep coming.
#[derive(Debug)]
pub struct Batcher {
    pub quiet: Duration,
    pub max_wait: Duration,
    paths: std::collections::BTreeSet<String>,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Default for Batcher {
    fn default() -> Self {
        Batcher::new(Duration::from_millis(300), Duration::from_millis(1500))
    }
}

impl Batcher {
    pub fn new(quiet: Duration, max_wait: Duration) -> Self {
        Batcher { quiet, max_wait, paths: Default::default(), first: None, last: None }
    }

    pub fn push(&mut self, rel: String, now: Instant) {
        self.paths.insert(rel);
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    /// When the current batch will be ready (`None` when empty).
    pub fn due(&self) -> Option<Instant> {
        Some((self.last? + self.quiet).min(self.first? + self.max_wait))
    }

    /// The batch, if it is ready at `now` (and a new one starts).
    pub fn take_ready(&mut self, now: Instant) -> Option<Vec<String>> {
        if self.due()? > now {
            return None;
        }
        self.first = None;
        self.last = None;
        Some(std::mem::take(&mut self.paths).into_iter().collect())
    }
}

#[cfg(test)]
mod tests;
