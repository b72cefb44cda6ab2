//! The vault's way into the VM (issue 17): mounted, or copied and kept current. The decision
//! is `crate::vault::plan`'s; here the use cases: render Lima's mounts and the provisioning
//! for it, refresh the copy at `up`, follow the host vault while the VM runs (a part of
//! [`Sandbox::watch`], so `sandbox watch` and the app both run it).

use super::{Sandbox, SandboxError};
use crate::events::{Event, Progress};
use crate::profile::{MountRole, Profile};
use crate::provision::VaultLower;
use crate::vault::{self, copy, stream, Batcher, VaultError};
use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

impl From<VaultError> for SandboxError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::Vm(v) => SandboxError::Vm(v),
            e => SandboxError::Vault(e),
        }
    }
}

/// How long to wait for a provider to deliver evicted files: `SANDBOX_VAULT_DOWNLOAD_TIMEOUT`
/// seconds (tests make it short), else 120 s at `up`, 30 s for the follower's batches.
fn retry(default_secs: u64) -> stream::Retry {
    let secs = std::env::var("SANDBOX_VAULT_DOWNLOAD_TIMEOUT").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(default_secs);
    stream::Retry { deadline: std::time::Duration::from_secs(secs), ..Default::default() }
}

impl Sandbox {
    /// How this profile's vault reaches the VM (`None` without a vault).
    pub fn vault_plan(&self) -> Option<vault::VaultPlan> {
        vault::plan(&self.profile)
    }

    pub(super) fn vault_lower(&self) -> VaultLower {
        match self.vault_plan() {
            Some(p) if p.copy => VaultLower::Copy,
            _ => VaultLower::Mount,
        }
    }

    /// The profile as Lima renders it: a copied vault is not mounted at all (nothing in the VM
    /// can then read an evicted file's hole).
    pub(super) fn lima_profile(&self) -> Cow<'_, Profile> {
        if self.vault_lower() == VaultLower::Copy {
            let mut p = self.profile.clone();
            p.mounts.retain(|m| m.role != MountRole::Vault);
            Cow::Owned(p)
        } else {
            Cow::Borrowed(&self.profile)
        }
    }

    fn vault_progress(&self) -> Box<dyn FnMut(stream::Done) + Send> {
        let bus = self.bus.clone();
        let mut last = std::time::Instant::now();
        Box::new(move |d: stream::Done| {
            let now = std::time::Instant::now();
            if d.files == d.files_total || now.duration_since(last) >= std::time::Duration::from_millis(250) {
                last = now;
                let mb = |b: u64| b as f64 / 1e6;
                bus.publish(Event::Progress(Progress {
                    operation: "vault".into(),
                    step: "copy".into(),
                    message: format!("Copying the vault into the VM: {}/{} files, {:.1}/{:.1} MB", d.files, d.files_total, mb(d.bytes), mb(d.bytes_total)),
                    fraction: (d.bytes_total > 0).then(|| d.bytes as f32 / d.bytes_total as f32),
                }));
            }
        })
    }

    /// Bring a copied vault up to date in the running VM (no-op for a mounted one). Files the
    /// provider did not deliver are a warning (returned and published), not a failure: the
    /// agent sees the rest.
    pub async fn refresh_vault_copy(&self) -> Result<Option<String>, SandboxError> {
        let Some(plan) = self.vault_plan().filter(|p| p.copy) else { return Ok(None) };
        let vm = self.require_vm().await?;
        self.progress("up", "vault", format!("Copying the vault from {}", plan.kind.label()), None);
        let t = std::time::Instant::now();
        let report = copy::refresh(&vm, &plan.host, Arc::new(stream::HostFiles), retry(120), self.vault_progress()).await?;
        self.audit().append(
            "vault.copy",
            serde_json::json!({"instance": self.profile.name, "shipped": report.shipped, "deleted": report.deleted, "bytes": report.bytes, "unreadable": report.unreadable.len(), "millis": t.elapsed().as_millis() as u64}),
        )?;
        for s in &report.skipped {
            self.bus.publish(Event::Notice { message: format!("vault: {} was not copied into the VM: {}", s.path, s.why) });
        }
        Ok(VaultError::not_downloaded(&plan.kind.label(), &report.unreadable).map(|e| {
            let message = e.to_string();
            self.bus.publish(Event::Error { message: message.clone() });
            message
        }))
    }

    /// While the VM runs, until `stop`: keep a copied vault current. The host vault is watched
    /// with `notify` (FSEvents / inotify, never polled); changed paths are batched until the
    /// writes settle ([`Batcher`]: 300 ms quiet, at most 1.5 s) and shipped in one
    /// `limactl shell` call — changed files, and deletions. Only the copy (the overlay's lower)
    /// is written: what the agent changed lives in the upper layer and is left alone; the sync
    /// gate's snapshot and conflict check decide between the two. Starts with a full refresh.
    pub async fn follow_vault_copy(&self, stop: impl Future<Output = ()>) -> Result<(), SandboxError> {
        use notify::{RecursiveMode, Watcher};
        let Some(plan) = self.vault_plan().filter(|p| p.copy) else { return Ok(()) };
        let root = plan.host.canonicalize().map_err(|source| VaultError::Read { path: plan.host.clone(), source })?;
        // `None`: look at everything again (the watcher lost events).
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<std::path::PathBuf>>();
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
            // reads (ours too: shipping a file opens it) change nothing (crate::fs_watch)
            Ok(ev) if !crate::fs_watch::is_change(&ev) => {}
            Ok(ev) if ev.need_rescan() => {
                let _ = tx.send(None);
            }
            Ok(ev) => {
                for p in ev.paths {
                    let _ = tx.send(Some(p));
                }
            }
            Err(_) => {
                let _ = tx.send(None);
            }
        })
        .map_err(|e| SandboxError::Watch { detail: e.to_string() })?;
        watcher.watch(&root, RecursiveMode::Recursive).map_err(|e| SandboxError::Watch { detail: format!("{}: {e}", root.display()) })?;
        // What changed while nobody followed (watching first, so nothing falls in between).
        // The VM may not be provisioned yet (the follower starts as the VM boots, `up`
        // provisions after): then try again a little later, and meanwhile keep the events.
        let mut full_due: Option<tokio::time::Instant> = Some(tokio::time::Instant::now());
        let mut full_wait = std::time::Duration::from_secs(2);
        let vm = self.require_vm().await?;
        let mut batch = Batcher::default();
        let mut receiver: Option<copy::Receiver> = None;
        tokio::pin!(stop);
        loop {
            let due = batch.due().filter(|_| full_due.is_none());
            tokio::select! {
                _ = &mut stop => return Ok(()),
                _ = async { tokio::time::sleep_until(full_due.expect("guarded")).await }, if full_due.is_some() => {
                    match self.refresh_vault_copy().await {
                        Ok(w) => {
                            if let Some(w) = w {
                                tracing::warn!("{w}");
                            }
                            // (events seen meanwhile are shipped again: harmless, and none is lost)
                            full_due = None;
                        }
                        Err(e) => {
                            tracing::info!("the vault copy is not ready yet ({e}); trying again in {} s", full_wait.as_secs());
                            full_due = Some(tokio::time::Instant::now() + full_wait);
                            full_wait = (full_wait * 2).min(std::time::Duration::from_secs(30));
                        }
                    }
                }
                p = rx.recv() => {
                    let Some(p) = p else { return Ok(()) };
                    match p {
                        Some(p) => {
                            // (the root's own events, e.g. its attributes, say nothing about its entries)
                            if let Some(rel) = p.strip_prefix(&root).ok().and_then(|r| r.to_str()).filter(|r| !r.is_empty()) {
                                batch.push(rel.to_string(), std::time::Instant::now());
                            }
                        }
                        // the watcher lost events (an overflow): look at everything again
                        None if full_due.is_none() => full_due = Some(tokio::time::Instant::now()),
                        None => {}
                    }
                }
                _ = async { tokio::time::sleep_until(due.expect("guarded").into()).await }, if due.is_some() => {
                    let Some(paths) = batch.take_ready(std::time::Instant::now()) else { continue };
                    let t = std::time::Instant::now();
                    // the receiver in the VM, opened at the first batch and kept; a batch it
                    // cannot take goes the one-shot way, and the next opens a new receiver
                    if receiver.is_none() {
                        receiver = copy::Receiver::open(&vm).await.map_err(|e| tracing::info!("no vault receiver in the VM ({e}); one call per batch")).ok();
                    }
                    let source: Arc<dyn stream::FileSource> = Arc::new(stream::HostFiles);
                    let shipped = match receiver.as_mut() {
                        Some(r) => match copy::ship_changes(r, &root, paths.clone(), source.clone(), retry(30)).await {
                            Err(e @ VaultError::Remote { code: -1, .. }) => {
                                tracing::info!("{e}; shipping this batch with one call");
                                receiver = None;
                                copy::ship_changes(&mut copy::OneShot(&vm), &root, paths, source, retry(30)).await
                            }
                            other => other,
                        },
                        None => copy::ship_changes(&mut copy::OneShot(&vm), &root, paths, source, retry(30)).await,
                    };
                    match shipped {
                        Ok(r) => {
                            if r.shipped + r.deleted > 0 {
                                self.bus.publish(Event::Progress(Progress {
                                    operation: "vault".into(),
                                    step: "follow".into(),
                                    message: format!("Vault copy: {} changed, {} deleted in {} ms", r.shipped, r.deleted, t.elapsed().as_millis()),
                                    fraction: Some(1.0),
                                }));
                            }
                            if let Some(e) = VaultError::not_downloaded(&plan.kind.label(), &r.unreadable) {
                                self.bus.publish(Event::Error { message: e.to_string() });
                            }
                        }
                        Err(e) => self.bus.publish(Event::Error { message: format!("the vault copy in the VM is behind: {e}") }),
                    }
                }
            }
        }
    }
}

impl Sandbox {
    /// After the gate applied `paths` to a copied vault's host folder: ship them into the copy
    /// first, so the agent never sees the copy's older version once the upper lets go of them.
    pub(super) async fn ship_applied_to_vault_copy(&self, vm: &dyn crate::vm::Vm, paths: &[String]) -> Result<(), SandboxError> {
        let Some(plan) = self.vault_plan().filter(|p| p.copy) else { return Ok(()) };
        copy::ship_changes(&mut copy::OneShot(vm), &plan.host, paths.to_vec(), Arc::new(stream::HostFiles), retry(30)).await?;
        Ok(())
    }
}
