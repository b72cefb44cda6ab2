//! The VM side of a copied vault: ask the copy's manifest, ship packed streams to
//! `openclaw-vault-copy apply` (root, in the VM) over `limactl shell` stdin.

use super::stream::{self, Done, FileSource, Packed, Retry, Unreadable};
use super::tree::{self, Plan, Skipped, Tree};
use super::VaultError;
use crate::provision::layout;
use crate::vm::Vm;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// At most this much file data per `limactl shell` call.
const MAX_STREAM_BYTES: u64 = 64 << 20;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub shipped: usize,
    pub deleted: usize,
    pub bytes: u64,
    /// Files the provider did not deliver in time (or that failed for good).
    pub unreadable: Vec<Unreadable>,
    /// Entries that cannot travel (symlinks out of the vault, devices, non-UTF-8 names).
    pub skipped: Vec<Skipped>,
}

fn argv(args: &[&str]) -> Vec<String> {
    ["sudo", layout::VAULT_COPY_TOOL].iter().chain(args).map(|s| s.to_string()).collect()
}

/// The copy's entries as the VM has them.
pub async fn vm_manifest(vm: &dyn Vm) -> Result<Tree, VaultError> {
    let out = vm.exec(&argv(&["manifest"]), None).await?;
    if !out.success() {
        return Err(VaultError::remote(out.status, &out.stderr_str()));
    }
    Ok(tree::parse_manifest(&out.stdout_str()))
}

/// Where packed streams go: one `limactl shell` call each ([`OneShot`]), or a receiver kept
/// running in the VM ([`Receiver`], the follower's: no ssh, sudo or Python start per batch).
#[async_trait::async_trait]
pub trait Sink: Send {
    async fn send(&mut self, tar: Vec<u8>) -> Result<(), VaultError>;
}

/// `sudo openclaw-vault-copy apply` per stream.
pub struct OneShot<'a>(pub &'a dyn Vm);

#[async_trait::async_trait]
impl Sink for OneShot<'_> {
    async fn send(&mut self, tar: Vec<u8>) -> Result<(), VaultError> {
        let out = self.0.exec(&argv(&["apply"]), Some(tar)).await?;
        if !out.success() {
            return Err(VaultError::remote(out.status, &out.stderr_str()));
        }
        Ok(())
    }
}

/// `sudo openclaw-vault-copy serve`, kept running: each stream goes as `<length>\n<bytes>`,
/// answered by one line, `ok …` or `err <why>`.
pub struct Receiver {
    session: crate::vm::Session,
}

impl Receiver {
    pub async fn open(vm: &dyn Vm) -> Result<Receiver, VaultError> {
        Ok(Receiver { session: vm.exec_session(&argv(&["serve"])).await? })
    }
}

#[async_trait::async_trait]
impl Sink for Receiver {
    async fn send(&mut self, tar: Vec<u8>) -> Result<(), VaultError> {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let lost = |e: std::io::Error| VaultError::Remote { code: -1, message: format!("the receiver in the VM went away ({e})") };
        self.session.stdin.write_all(format!("{}\n", tar.len()).as_bytes()).await.map_err(lost)?;
        self.session.stdin.write_all(&tar).await.map_err(lost)?;
        self.session.stdin.flush().await.map_err(lost)?;
        let mut line = String::new();
        let n = self.session.stdout.read_line(&mut line).await.map_err(lost)?;
        if n == 0 {
            return Err(lost(std::io::ErrorKind::UnexpectedEof.into()));
        }
        match line.trim_end().split_once(' ').unwrap_or((line.trim_end(), "")) {
            ("ok", what) => {
                tracing::info!("vault copy in the VM: {what}");
                Ok(())
            }
            (_, why) => Err(VaultError::Remote { code: 3, message: why.to_string() }),
        }
    }
}

/// Ship packed streams in order.
async fn apply(sink: &mut dyn Sink, packs: Vec<Packed>, report: &mut CopyReport) -> Result<(), VaultError> {
    for p in packs {
        report.unreadable.extend(p.unreadable);
        if p.shipped.is_empty() && p.deleted.is_empty() {
            continue;
        }
        sink.send(p.tar).await?;
        report.shipped += p.shipped.len();
        report.deleted += p.deleted.len();
    }
    Ok(())
}

type ProgressFn = Box<dyn FnMut(Done) + Send>;

/// Read and pack off the async threads.
async fn pack(root: PathBuf, host: Tree, plan: Plan, source: Arc<dyn FileSource>, retry: Retry, mut progress: ProgressFn) -> Result<Vec<Packed>, VaultError> {
    let r = root.clone();
    tokio::task::spawn_blocking(move || stream::pack(&r, &host, &plan, source.as_ref(), &retry, MAX_STREAM_BYTES, &mut progress))
        .await
        .map_err(|e| VaultError::Task { detail: e.to_string() })?
        .map_err(|source| VaultError::Read { path: root, source })
}

/// Ask the provider for what it evicted before reading (macOS: placeholders and NotDownloaded
/// items; nothing to ask on Linux). Failures surface when the read fails.
fn start_downloads(root: &Path, walk: &tree::Walk) {
    for p in &walk.placeholders {
        let _ = super::cloud::start_download(&root.join(p));
    }
    if cfg!(target_os = "macos") {
        for (rel, m) in &walk.tree {
            if matches!(m, tree::Meta::File { .. }) {
                let _ = super::cloud::start_download(&root.join(rel));
            }
        }
    }
}

/// Make the VM's copy equal the host vault at `root`: materialize what the provider evicted,
/// then ship what differs (size, mtime, kind) and delete what the host no longer has.
pub async fn refresh(vm: &dyn Vm, root: &Path, source: Arc<dyn FileSource>, retry: Retry, progress: ProgressFn) -> Result<CopyReport, VaultError> {
    let r = root.to_path_buf();
    let walk = tokio::task::spawn_blocking(move || {
        let w = tree::walk(&r);
        if let Ok(w) = &w {
            start_downloads(&r, w);
        }
        w
    })
    .await
    .map_err(|e| VaultError::Task { detail: e.to_string() })?
    .map_err(|source| VaultError::Read { path: root.to_path_buf(), source })?;
    let in_vm = vm_manifest(vm).await?;
    let plan = tree::diff(&walk.tree, &in_vm);
    let mut report = CopyReport { skipped: walk.skipped.clone(), ..CopyReport::default() };
    if plan.is_empty() {
        return Ok(report);
    }
    report.bytes = plan
        .ship
        .iter()
        .filter_map(|p| match walk.tree.get(p) {
            Some(tree::Meta::File { size, .. }) => Some(*size),
            _ => None,
        })
        .sum();
    let packs = pack(root.to_path_buf(), walk.tree, plan, source, retry, progress).await?;
    apply(&mut OneShot(vm), packs, &mut report).await?;
    Ok(report)
}

/// Ship the entries at `changed` (relative paths the watcher saw): what exists on the host is
/// shipped (a folder with everything under it), what does not is deleted in the copy.
pub async fn ship_changes(sink: &mut dyn Sink, root: &Path, changed: Vec<String>, source: Arc<dyn FileSource>, retry: Retry) -> Result<CopyReport, VaultError> {
    let r = root.to_path_buf();
    let (host, plan, skipped) = tokio::task::spawn_blocking(move || -> std::io::Result<(Tree, Plan, Vec<Skipped>)> {
        let mut walk = tree::Walk::default();
        let mut plan = Plan::default();
        for rel in changed {
            if !tree::safe_rel(&rel) || super::exclude::excluded(&rel).is_some() {
                continue;
            }
            match tree::meta_of(&rel, &r.join(&rel)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => plan.delete.push(rel),
                Err(e) => walk.skipped.push(Skipped { path: rel, why: e.to_string() }),
                Ok(Err(why)) => walk.skipped.push(Skipped { path: rel, why }),
                Ok(Ok(m)) => {
                    if m == tree::Meta::Dir {
                        tree::walk_under(&r, &rel, &mut walk)?;
                    }
                    walk.tree.insert(rel, m);
                }
            }
        }
        start_downloads(&r, &walk);
        plan.ship = walk.tree.keys().cloned().collect();
        Ok((walk.tree, plan, walk.skipped))
    })
    .await
    .map_err(|e| VaultError::Task { detail: e.to_string() })?
    .map_err(|source| VaultError::Read { path: root.to_path_buf(), source })?;
    let mut report = CopyReport { skipped, ..CopyReport::default() };
    if plan.is_empty() {
        return Ok(report);
    }
    let packs = pack(root.to_path_buf(), host, plan, source, retry, Box::new(|_| {})).await?;
    apply(sink, packs, &mut report).await?;
    Ok(report)
}
