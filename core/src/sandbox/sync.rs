//! The sync use cases. With a VM (`impl Sandbox`), the loop between the VM's overlay and the
//! host project:
//! export the upper dir → the gate (check + queue) → review → apply on the host → drop the
//! applied entries from the upper dir. Also `reset` (discard the agent's writes) and the
//! overlay's state for `status`.
//!
//! Two roots can sync: the project (`/workspace`, the default) and, when the profile has a
//! vault, the Obsidian vault (`/workspace-obsidian`). Each has its own overlay in the VM; a
//! request records its root and its host folder, and goes through the same gate and queue.

use super::{Sandbox, SandboxError};
use crate::events::Event;
use crate::profile::Mode;
use crate::provision::overlay_ctl::{self, OverlayStatus};
use crate::scan::Scanner;
use crate::sync::apply::ApplyOutcome;
use crate::sync::apply::{FailMode, FailPoint};
use crate::sync::queue::{Queue, Request, RequestState, SyncRoot};
use crate::sync::{ChangeKind, CheckReport};
use std::path::PathBuf;

/// What one pass of the loop did.
#[derive(Debug, Clone)]
pub enum Collected {
    /// The agent changed nothing that is not already on the host.
    Nothing,
    /// A new request is waiting for review.
    Request(Request),
}

/// The review queue's use cases that need no VM — approve and apply, reject, undo — each
/// audited the same way whoever calls: the facade below, the CLI's offline gate
/// (`sandbox sync approve|reject|undo`, also with `--policy FILE`), the app's review window.
/// Callers hold the queue lock ([`Queue::lock`]).
pub struct SyncDesk<'a> {
    pub queue: &'a Queue,
    pub log_dir: &'a std::path::Path,
}

impl SyncDesk<'_> {
    fn audit(&self, action: &str, detail: serde_json::Value) -> Result<(), SandboxError> {
        Ok(crate::audit::AuditLog::in_dir(self.log_dir).append(action, detail)?)
    }

    /// Approve (all, or `paths`) a pending request under `policy` and apply it to its host
    /// folder; an approved one (left so by a conflict) is applied as approved, or as newly
    /// chosen when `paths` are given; a failed one is approved again.
    pub fn apply(
        &self,
        id: &str,
        paths: Option<&[String]>,
        force: bool,
        policy: &crate::sync::SyncPolicy,
        fail: Option<(FailPoint, FailMode)>,
    ) -> Result<(Request, ApplyOutcome), SandboxError> {
        let req = self.queue.load(id)?;
        // Approve what is asked: a pending or failed request as chosen; one left approved by a
        // conflict is applied as approved, unless new paths are chosen (then those, never the
        // old selection in their place).
        if matches!(req.state, RequestState::Pending | RequestState::Failed) || (req.state == RequestState::Approved && paths.is_some()) {
            self.queue.approve(id, paths, policy)?;
        }
        let (req, outcome) = self.queue.apply(id, force, fail)?;
        self.audit("sync.apply", serde_json::json!({"id": id, "root": req.root, "applied": outcome.applied, "forced": outcome.forced}))?;
        Ok((req, outcome))
    }

    /// Reject a pending request.
    pub fn reject(&self, id: &str) -> Result<Request, SandboxError> {
        let req = self.queue.reject(id)?;
        self.audit("sync.reject", serde_json::json!({"id": id}))?;
        Ok(req)
    }

    /// Put the host folder back as it was before request `id` was applied.
    pub fn undo(&self, id: &str, force: bool, fail: Option<(FailPoint, FailMode)>) -> Result<(Request, ApplyOutcome), SandboxError> {
        let (req, outcome) = self.queue.undo(id, force, fail)?;
        self.audit("sync.undo", serde_json::json!({"id": id, "root": req.root, "restored": outcome.applied}))?;
        Ok((req, outcome))
    }
}

impl Sandbox {
    /// The review queue (in the data folder), recovered from any interrupted apply.
    pub fn queue(&self) -> Result<Queue, SandboxError> {
        let q = Queue::open(&self.paths().data_dir.join("sync"))?;
        q.recover()?;
        Ok(q)
    }

    fn require_overlay(&self) -> Result<(), SandboxError> {
        if self.profile().mode == Mode::YoloUnsafe {
            return Err(SandboxError::NoOverlay);
        }
        Ok(())
    }

    /// The roots this profile syncs: the project, and the vault when it has one.
    pub fn sync_roots(&self) -> Vec<SyncRoot> {
        SyncRoot::ALL.into_iter().filter(|r| self.root_folder(*r).is_ok()).collect()
    }

    /// The host folder of `root` (the vault's only when the profile has a vault).
    pub fn root_folder(&self, root: SyncRoot) -> Result<PathBuf, SandboxError> {
        match root {
            SyncRoot::Project => Ok(self.profile().project().host.clone()),
            SyncRoot::Vault => crate::provision::vault_mount(self.profile()).map(|m| m.host.clone()).ok_or(SandboxError::NoVault),
        }
    }

    /// `root` has an overlay in the VM: not yolo-unsafe, and configured. Its host folder.
    fn require_root(&self, root: SyncRoot) -> Result<PathBuf, SandboxError> {
        self.require_overlay()?;
        self.root_folder(root)
    }

    /// The overlay's upper dir as a tar in a temp file in the data folder (removed on drop):
    /// streamed to disk, so host memory stays flat however much the agent wrote.
    async fn export_upper(&self, vm: &dyn crate::vm::Vm, root: SyncRoot) -> Result<tempfile::NamedTempFile, SandboxError> {
        let dir = self.paths().data_dir.join("sync");
        let io = |source| SandboxError::Io { path: dir.clone(), source };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let file = tempfile::Builder::new().prefix("upper-").suffix(".tar").tempfile_in(&dir).map_err(io)?;
        overlay_ctl::export_upper_to_in(vm, root, file.path()).await?;
        Ok(file)
    }

    /// Check the agent's changes without queueing anything (`sandbox sync --dry-run`).
    pub async fn sync_dry_run(&self) -> Result<CheckReport, SandboxError> {
        self.sync_dry_run_in(SyncRoot::Project).await
    }

    /// [`Sandbox::sync_dry_run`] of `root`'s overlay against its host folder.
    pub async fn sync_dry_run_in(&self, root: SyncRoot) -> Result<CheckReport, SandboxError> {
        let project = self.require_root(root)?;
        let vm = self.require_vm().await?;
        let tar = self.export_upper(&vm, root).await?;
        let policy = self.profile().sync_policy.clone();
        let reader = std::io::BufReader::with_capacity(256 * 1024, tar.reopen().map_err(|e| SandboxError::Io { path: tar.path().to_path_buf(), source: e })?);
        Ok(crate::sync::check(reader, &project, &policy, &Scanner::builtin())?)
    }

    /// Turn the agent's changes into a review request (and answer the agent's pending
    /// `openclaw-sync-request`s, whose messages become the request's message). Publishes
    /// `SyncRequested`.
    pub async fn sync_collect(&self) -> Result<Collected, SandboxError> {
        self.sync_collect_with(None).await
    }

    /// [`Sandbox::sync_collect`], with a message from the caller (an agent over MCP) added to the
    /// request's message. Agent input: shown to the user, never acted on.
    pub async fn sync_collect_with(&self, extra_message: Option<String>) -> Result<Collected, SandboxError> {
        self.sync_collect_in(SyncRoot::Project, extra_message).await
    }

    /// [`Sandbox::sync_collect_with`] for `root`'s overlay: the request applies to `root`'s
    /// host folder; only the agent's requests for `root` are answered.
    pub async fn sync_collect_in(&self, root: SyncRoot, extra_message: Option<String>) -> Result<Collected, SandboxError> {
        let project = self.require_root(root)?;
        let vm = self.require_vm().await?;
        let asked: Vec<overlay_ctl::SyncRequest> = overlay_ctl::requests(&vm).await?.into_iter().filter(|r| r.root == root).collect();
        let tar = self.export_upper(&vm, root).await?;
        let reader = std::io::BufReader::with_capacity(256 * 1024, tar.reopen().map_err(|e| SandboxError::Io { path: tar.path().to_path_buf(), source: e })?);
        let queue = self.queue()?;
        let _lock = queue.lock()?;
        let mut req = queue.create_for(root, reader, &project, &self.profile().sync_policy, &Scanner::builtin(), None)?;
        if !asked.is_empty() {
            let ids: Vec<String> = asked.iter().map(|r| r.id.clone()).collect();
            overlay_ctl::ack(&vm, &ids).await?;
        }
        if req.changes.is_empty() && req.findings.is_empty() {
            queue.reject(&req.id)?;
            return Ok(Collected::Nothing);
        }
        // Older pending requests of this root and folder are snapshots of the same upper dir,
        // wholly contained in this one: they are superseded (their messages carry over).
        let mut messages: Vec<String> = Vec::new();
        for old in queue.list()? {
            if old.id != req.id && old.state == RequestState::Pending && old.project == req.project && old.root == req.root {
                if let Some(m) = &old.message {
                    messages.push(m.clone());
                }
                queue.reject(&old.id)?;
                self.audit_log().append("sync.superseded", serde_json::json!({"id": old.id, "by": req.id}))?;
            }
        }
        messages.extend(asked.iter().map(|r| r.message.clone()));
        messages.extend(extra_message);
        if !messages.is_empty() {
            req.message = Some(messages.join("\n"));
            queue.save(&req)?;
        }
        self.bus().publish(Event::SyncRequested { id: req.id.clone(), message: req.message.clone(), changes: req.changes.len(), blocked: req.blocked, root });
        self.audit_log().append("sync.request", serde_json::json!({"id": req.id, "root": root, "changes": req.changes.len(), "blocked": req.blocked}))?;
        Ok(Collected::Request(req))
    }

    /// Approve (all, or `paths`) and apply a request to its host folder (the project, or the
    /// vault for a vault request), then drop what was applied from that root's upper dir (when the VM runs; otherwise at the next sync it is
    /// seen as already applied). Publishes `SyncApplied`.
    pub async fn sync_apply(&self, id: &str, paths: Option<&[String]>, force: bool) -> Result<(Request, ApplyOutcome), SandboxError> {
        let queue = self.queue()?;
        let (req, outcome) = {
            let _lock = queue.lock()?;
            self.sync_desk(&queue).apply(id, paths, force, &self.profile().sync_policy, None)?
        };
        self.bus().publish(Event::SyncApplied { id: id.into(), files: outcome.applied });
        // A vault request applied after the vault left the profile: no overlay left to drop from.
        if self.require_root(req.root).is_ok() {
            if let Some(vm) = self.running_vm().await? {
                let selected = req.select(req.selection.as_deref())?;
                // Folders first would drop their contents too: drop files and whiteouts, then
                // folders that were added, deepest first.
                let mut drop: Vec<String> = selected.iter().filter(|c| !(c.kind == ChangeKind::Added && c.new.is_dir())).map(|c| c.path.to_string()).collect();
                let mut dirs: Vec<String> = selected.iter().filter(|c| c.kind == ChangeKind::Added && c.new.is_dir()).map(|c| c.path.to_string()).collect();
                dirs.sort_by_key(|d| std::cmp::Reverse(d.matches('/').count()));
                drop.extend(dirs);
                if req.root == SyncRoot::Vault && !drop.is_empty() {
                    // a copied vault: the copy gets what was applied before the upper lets go
                    self.ship_applied_to_vault_copy(&vm, &drop).await?;
                }
                if !drop.is_empty() {
                    overlay_ctl::drop_entries_in(&vm, req.root, &drop).await?;
                }
            }
        }
        Ok((req, outcome))
    }

    /// Reject a pending request.
    pub fn sync_reject(&self, id: &str) -> Result<Request, SandboxError> {
        let queue = self.queue()?;
        let _lock = queue.lock()?;
        let req = self.sync_desk(&queue).reject(id)?;
        self.bus().publish(Event::SyncRejected { id: id.into() });
        Ok(req)
    }

    /// Undo request `id` (the last applied one when `None`). Publishes a `Notice`.
    pub fn sync_undo(&self, id: Option<&str>, force: bool) -> Result<(Request, ApplyOutcome), SandboxError> {
        let queue = self.queue()?;
        let _lock = queue.lock()?;
        let id = match id {
            Some(id) => id.to_string(),
            None => queue.last_applied()?.map(|r| r.id).ok_or(SandboxError::NothingToUndo)?,
        };
        let (req, outcome) = self.sync_desk(&queue).undo(&id, force, None)?;
        self.bus().publish(Event::Notice { message: format!("Undid request {id}: {} path(s) restored", outcome.applied) });
        Ok((req, outcome))
    }

    fn sync_desk<'a>(&'a self, queue: &'a Queue) -> SyncDesk<'a> {
        SyncDesk { queue, log_dir: &self.paths().log_dir }
    }

    /// Discard everything the agent wrote in `/workspace` (the overlay's upper dir).
    pub async fn reset_overlay(&self) -> Result<(), SandboxError> {
        self.reset_overlay_in(SyncRoot::Project).await
    }

    /// Discard everything the agent wrote in `root`'s overlay (`/workspace-obsidian` for the vault).
    pub async fn reset_overlay_in(&self, root: SyncRoot) -> Result<(), SandboxError> {
        self.require_root(root)?;
        let vm = self.require_vm().await?;
        overlay_ctl::reset_in(&vm, root).await?;
        self.audit_log().append("reset", serde_json::json!({"instance": self.profile().name, "root": root}))?;
        Ok(())
    }

    /// Requests waiting for the user.
    pub fn pending_requests(&self) -> Result<Vec<Request>, SandboxError> {
        Ok(self.queue()?.list()?.into_iter().filter(|r| r.state == RequestState::Pending).collect())
    }

    /// The overlay's state in the running VM (`None` when stopped or in yolo-unsafe).
    pub async fn overlay_status(&self) -> Result<Option<OverlayStatus>, SandboxError> {
        self.overlay_status_in(SyncRoot::Project).await
    }

    /// [`Sandbox::overlay_status`] of `root` (`None` also when the profile has no such root).
    pub async fn overlay_status_in(&self, root: SyncRoot) -> Result<Option<OverlayStatus>, SandboxError> {
        if self.require_root(root).is_err() {
            return Ok(None);
        }
        match self.running_vm().await? {
            Some(vm) => Ok(Some(overlay_ctl::overlay_status_in(&vm, root).await?)),
            None => Ok(None),
        }
    }
}

/// One line of the in-VM audit log → `OverlayChanged`. The project's paths are relative to
/// `/workspace`; the vault's (`"root": "vault"`) are given as absolute guest paths under
/// `/workspace-obsidian`, so the two cannot be confused.
pub fn overlay_event(line: &str) -> Option<Event> {
    let v: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    let path = v.get("path")?.as_str()?.to_string();
    let path = match v.get("root").and_then(|r| r.as_str()) {
        Some("vault") => format!("{}/{path}", crate::provision::layout::VAULT_WORKSPACE),
        _ => path,
    };
    let action = v
        .get("kind")
        .and_then(|k| k.as_str())
        .map(str::to_string)
        .or_else(|| v.get("events").and_then(|e| e.as_array()).and_then(|a| a.first()).and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| "changed".into());
    Some(Event::OverlayChanged { path, action })
}

impl Sandbox {
    /// Answer the agent's pending `openclaw-sync-request`s: one collect per root asked about.
    /// Requests for a vault the profile does not have are answered with an `Error` event.
    async fn collect_requested(&self, vm: &dyn crate::vm::Vm) -> Result<(), SandboxError> {
        let asked = overlay_ctl::requests(vm).await?;
        let roots: std::collections::BTreeSet<SyncRoot> = asked.iter().map(|r| r.root).collect();
        for root in roots {
            if let Err(SandboxError::NoVault) = self.root_folder(root) {
                let ids: Vec<String> = asked.iter().filter(|r| r.root == root).map(|r| r.id.clone()).collect();
                overlay_ctl::ack(vm, &ids).await?;
                self.bus().publish(Event::Error { message: format!("the agent asked for a review of the {root}, but {}", SandboxError::NoVault) });
                continue;
            }
            if let Err(e) = self.sync_collect_in(root, None).await {
                self.bus().publish(Event::Error { message: format!("the agent asked for a review of the {root}, but collecting its changes failed: {e}") });
            }
        }
        Ok(())
    }

    /// Follow the agent while `stop` is pending: each `openclaw-sync-request` in the VM becomes a
    /// review request (`SyncRequested`, with the root it asked about), each write in
    /// /workspace or /workspace-obsidian an `OverlayChanged` event.
    /// Event-driven (inotify in the VM, streamed over `limactl shell`), no polling. Returns
    /// when `stop` resolves or the VM goes away.
    pub async fn follow_agent(&self, stop: impl std::future::Future<Output = ()>) -> Result<(), SandboxError> {
        use crate::provision::layout;
        use crate::vm::Vm;
        use tokio::io::AsyncBufReadExt;
        self.require_overlay()?;
        let vm = self.require_vm().await?;
        let spool_argv: Vec<String> =
            ["sudo", "inotifywait", "-m", "-q", "-e", "moved_to,close_write", "--format", "%f", layout::SPOOL].iter().map(|s| s.to_string()).collect();
        let audit_argv: Vec<String> = ["sudo", "tail", "-n", "0", "-F", layout::AUDIT_LOG].iter().map(|s| s.to_string()).collect();
        let mut spool = vm.exec_stream(&spool_argv).await?.lines();
        let mut audit = vm.exec_stream(&audit_argv).await?.lines();
        // Requests filed before we started listening are answered first.
        self.collect_requested(&vm).await?;
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return Ok(()),
                line = spool.next_line() => match line {
                    Ok(Some(name)) if name.ends_with(".json") && !name.starts_with('.') => {
                        if let Err(e) = self.collect_requested(&vm).await {
                            self.bus().publish(Event::Error { message: format!("the agent asked for a review, but collecting its changes failed: {e}") });
                        }
                    }
                    Ok(Some(_)) => {}
                    _ => return Ok(()),
                },
                line = audit.next_line() => match line {
                    Ok(Some(l)) => {
                        if let Some(ev) = overlay_event(&l) {
                            self.bus().publish(ev);
                        }
                    }
                    _ => return Ok(()),
                },
            }
        }
    }
}

impl Sandbox {
    /// Yolo mode's loop while `stop` is pending: every `sync.yolo_interval_secs` the gate runs by
    /// itself and applies what nothing blocks (blocked requests wait for the user, as always).
    /// Returns at once in other modes.
    pub async fn yolo_loop(&self, stop: impl std::future::Future<Output = ()>) -> Result<(), SandboxError> {
        if self.profile().mode != Mode::Yolo {
            return Ok(());
        }
        let every = std::time::Duration::from_secs(self.profile().sync.yolo_interval_secs);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return Ok(()),
                _ = tokio::time::sleep(every) => {}
            }
            if self.running_vm().await?.is_none() {
                continue;
            }
            for root in self.sync_roots() {
                match self.sync_collect_in(root, None).await {
                    Ok(Collected::Request(req)) if !req.blocked => {
                        if let Err(e) = self.sync_apply(&req.id, None, false).await {
                            self.bus().publish(Event::Error { message: format!("yolo sync of request {} ({root}) failed: {e}", req.id) });
                        }
                    }
                    Ok(_) => {}
                    Err(e) => self.bus().publish(Event::Error { message: format!("yolo sync of the {root} failed: {e}") }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_lines_become_overlay_events() {
        let e = overlay_event(r#"{"time":"t","path":"src/a.rs","events":["CLOSE_WRITE"],"kind":"file"}"#).unwrap();
        assert_eq!(e, Event::OverlayChanged { path: "src/a.rs".into(), action: "file".into() });
        let e = overlay_event(r#"{"path":"b","events":["DELETE"]}"#).unwrap();
        assert_eq!(e, Event::OverlayChanged { path: "b".into(), action: "DELETE".into() });
        assert_eq!(overlay_event("not json"), None);
        assert_eq!(overlay_event(r#"{"events":[]}"#), None);
        let e = overlay_event(r#"{"path":"notes/n.md","events":["CLOSE_WRITE"],"kind":"file","root":"vault"}"#).unwrap();
        assert_eq!(e, Event::OverlayChanged { path: "/workspace-obsidian/notes/n.md".into(), action: "file".into() });
        let e = overlay_event(r#"{"path":"a","events":["CREATE"],"kind":"file","root":"project"}"#).unwrap();
        assert_eq!(e, Event::OverlayChanged { path: "a".into(), action: "file".into() });
    }

    #[test]
    fn sync_requested_names_its_root_and_old_json_reads_as_project() {
        let e = Event::SyncRequested { id: "1".into(), message: None, changes: 2, blocked: false, root: SyncRoot::Vault };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!((v["type"].as_str(), v["root"].as_str()), (Some("sync_requested"), Some("vault")));
        let old: Event = serde_json::from_str(r#"{"type":"sync_requested","id":"1","message":null,"changes":2,"blocked":false}"#).unwrap();
        assert_eq!(old, Event::SyncRequested { id: "1".into(), message: None, changes: 2, blocked: false, root: SyncRoot::Project });
    }
}
