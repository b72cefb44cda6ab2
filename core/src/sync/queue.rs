//! The review queue: one folder per sync request under `<data>/sync/requests/<id>/`
//! (`request.json`, written atomically, and `blobs/` with the new contents).
//! States: pending → approved | rejected; approved → applied | failed; applied → undone.

use super::apply::{self, ApplyOptions, ApplyOutcome, FailMode, FailPoint, Plan, TxPaths};
use super::blobs::BlobStore;
use super::changeset::Change;
use super::error::SyncError;
use super::finding::{rules, Finding};
use super::fsutil;
use super::host::FileState;
use super::journal::{self, Journal, JournalOp, Phase, Recovered};
use super::policy::SyncPolicy;
use super::probe::HostFsBehaviour;
use super::relpath::RelPath;
use super::safefs::ProjectRoot;
use super::{check_with, undo, CheckOptions};
use crate::scan::Scanner;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    Pending,
    Approved,
    Rejected,
    Applied,
    Failed,
    Undone,
}

impl std::fmt::Display for RequestState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
            RequestState::Applied => "applied",
            RequestState::Failed => "failed",
            RequestState::Undone => "undone",
        })
    }
}

pub use crate::events::SyncRoot;

/// A sync request: the change set, its findings and the snapshot (`Change::old`) of the host.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    /// The host folder the request applies to (the project, or the vault for `root = vault`).
    pub project: PathBuf,
    /// Which overlay in the VM the changes came from (and are dropped from after apply).
    #[serde(default)]
    pub root: SyncRoot,
    pub state: RequestState,
    pub created_unix: u64,
    pub updated_unix: u64,
    pub changes: Vec<Change>,
    pub findings: Vec<Finding>,
    pub blocked: bool,
    /// Approved paths (after expansion); `None` = all.
    #[serde(default)]
    pub selection: Option<Vec<String>>,
    #[serde(default)]
    pub error: Option<String>,
    /// What the agent said when it asked for the review (agent input: show it, never act on it).
    #[serde(default)]
    pub message: Option<String>,
}

impl Request {
    /// The changes an approval of `paths` covers: each path names a change or a folder whose
    /// changes it covers; new parent folders of covered changes are included.
    pub fn select(&self, paths: Option<&[String]>) -> Result<Vec<&Change>, SyncError> {
        let Some(paths) = paths else { return Ok(self.changes.iter().collect()) };
        let mut wanted: BTreeSet<&RelPath> = BTreeSet::new();
        for raw in paths {
            let p = match RelPath::parse(raw.trim_end_matches('/')) {
                Ok(Some(p)) => p,
                _ => return Err(SyncError::UnknownPath { id: self.id.clone(), path: raw.clone() }),
            };
            let before = wanted.len();
            for c in &self.changes {
                if c.path.is_within(&p) {
                    wanted.insert(&c.path);
                }
            }
            if wanted.len() == before && !self.changes.iter().any(|c| c.path == p) {
                return Err(SyncError::UnknownPath { id: self.id.clone(), path: raw.clone() });
            }
        }
        let new_dirs: std::collections::HashMap<&RelPath, &Change> =
            self.changes.iter().filter(|c| c.new.is_dir() && !c.old.is_dir()).map(|c| (&c.path, c)).collect();
        let selected: Vec<&RelPath> = wanted.iter().copied().collect();
        for p in selected {
            for anc in p.ancestors() {
                if let Some(c) = new_dirs.get(&anc) {
                    wanted.insert(&c.path);
                }
            }
        }
        Ok(self.changes.iter().filter(|c| wanted.contains(&c.path)).collect())
    }

    /// Blocking findings that concern a selection.
    pub fn blocking_for(&self, selected: &[&Change], policy: &SyncPolicy, all: bool) -> Vec<Finding> {
        if all {
            return self.findings.iter().filter(|f| f.is_block()).cloned().collect();
        }
        let paths: BTreeSet<&str> = selected.iter().map(|c| c.path.as_str()).collect();
        let mut out: Vec<Finding> = self
            .findings
            .iter()
            .filter(|f| f.is_block())
            .filter(|f| match &f.path {
                Some(p) => paths.contains(p.as_str()),
                None => f.rule != rules::TOTAL_TOO_LARGE,
            })
            .cloned()
            .collect();
        policy.evaluate_total(selected, &mut out);
        out
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// An exclusive lock on the queue (released on drop): one process changes it at a time.
pub struct QueueLock {
    _file: std::fs::File,
}

/// The persistent queue rooted at `<data>/sync`.
pub struct Queue {
    root: PathBuf,
}

impl Queue {
    pub fn open(sync_dir: &Path) -> Result<Queue, SyncError> {
        let q = Queue { root: sync_dir.to_path_buf() };
        for d in [q.requests_dir(), q.tx_root()] {
            std::fs::create_dir_all(&d).map_err(|e| SyncError::state(&d, e))?;
        }
        Ok(q)
    }

    /// Wait for and take the queue lock (`<data>/sync/lock`, `flock`).
    pub fn lock(&self) -> Result<QueueLock, SyncError> {
        let path = self.root.join("lock");
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(|e| SyncError::state(&path, e))?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive).map_err(|e| SyncError::state(&path, e.into()))?;
        Ok(QueueLock { _file: file })
    }

    pub fn requests_dir(&self) -> PathBuf {
        self.root.join("requests")
    }

    pub fn tx_root(&self) -> PathBuf {
        self.root.join("tx")
    }

    fn request_dir(&self, id: &str) -> PathBuf {
        self.requests_dir().join(id)
    }

    fn request_file(&self, id: &str) -> PathBuf {
        self.request_dir(id).join("request.json")
    }

    pub fn blob_dir(&self, id: &str) -> PathBuf {
        self.request_dir(id).join("blobs")
    }

    /// Allocate the next numeric id by creating its folder (atomic: concurrent callers differ).
    fn allocate(&self) -> Result<String, SyncError> {
        let mut next = self.ids()?.into_iter().max().unwrap_or(0) + 1;
        loop {
            let dir = self.request_dir(&next.to_string());
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(next.to_string()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => next += 1,
                Err(e) => return Err(SyncError::state(&dir, e)),
            }
        }
    }

    fn ids(&self) -> Result<Vec<u64>, SyncError> {
        let dir = self.requests_dir();
        let rd = std::fs::read_dir(&dir).map_err(|e| SyncError::state(&dir, e))?;
        Ok(rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok()).collect())
    }

    /// Check a change stream and queue it as a pending request (contents kept for apply).
    pub fn create<R: Read>(
        &self,
        tar: R,
        project: &Path,
        policy: &SyncPolicy,
        scanner: &Scanner,
        host_fs: Option<HostFsBehaviour>,
    ) -> Result<Request, SyncError> {
        self.create_for(SyncRoot::Project, tar, project, policy, scanner, host_fs)
    }

    /// [`Queue::create`] for the overlay `root`, whose host folder is `project`.
    pub fn create_for<R: Read>(
        &self,
        root: SyncRoot,
        tar: R,
        project: &Path,
        policy: &SyncPolicy,
        scanner: &Scanner,
        host_fs: Option<HostFsBehaviour>,
    ) -> Result<Request, SyncError> {
        let id = self.allocate()?;
        let result = (|| {
            let blobs = BlobStore::open(self.blob_dir(&id))?;
            let report = check_with(tar, project, policy, scanner, &CheckOptions { blobs: Some(&blobs), host_fs })?;
            // Not flushed here: apply flushes before it commits, and verifies every blob's hash.
            let project = project.canonicalize().map_err(|e| SyncError::Project { path: project.to_path_buf(), source: e })?;
            let t = now();
            let req = Request {
                id: id.clone(),
                project,
                root,
                state: RequestState::Pending,
                created_unix: t,
                updated_unix: t,
                changes: report.changes,
                findings: report.findings,
                blocked: report.blocked,
                selection: None,
                error: None,
                message: None,
            };
            self.save(&req)?;
            Ok(req)
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(self.request_dir(&id));
        }
        result
    }

    pub fn save(&self, req: &Request) -> Result<(), SyncError> {
        fsutil::write_json(&self.request_file(&req.id), req)
    }

    pub fn load(&self, id: &str) -> Result<Request, SyncError> {
        let path = self.request_file(id);
        if id.parse::<u64>().is_err() || !path.is_file() {
            return Err(SyncError::NoSuchRequest { id: id.into() });
        }
        fsutil::read_json(&path)
    }

    /// All requests, oldest first (folders without a request file — interrupted creations — are skipped).
    pub fn list(&self) -> Result<Vec<Request>, SyncError> {
        let mut ids = self.ids()?;
        ids.sort();
        let mut out = Vec::new();
        for id in ids {
            if self.request_file(&id.to_string()).is_file() {
                out.push(self.load(&id.to_string())?);
            }
        }
        Ok(out)
    }

    /// Approve all of a request or some paths. Blocking findings on the selection refuse it.
    pub fn approve(&self, id: &str, paths: Option<&[String]>, policy: &SyncPolicy) -> Result<Request, SyncError> {
        let mut req = self.load(id)?;
        if !matches!(req.state, RequestState::Pending | RequestState::Failed | RequestState::Approved) {
            return Err(SyncError::WrongState { id: id.into(), state: req.state.to_string(), hint: "only pending or failed requests can be approved".into() });
        }
        let selected = req.select(paths)?;
        let blocking = req.blocking_for(&selected, policy, paths.is_none());
        if let Some(first) = blocking.first() {
            return Err(SyncError::Blocked { count: blocking.len(), first: format!("{} {}", first.path.as_deref().unwrap_or("(whole request)"), first.rule) });
        }
        let selection: Vec<String> = selected.iter().map(|c| c.path.to_string()).collect();
        req.selection = if paths.is_none() { None } else { Some(selection) };
        req.state = RequestState::Approved;
        req.error = None;
        req.updated_unix = now();
        self.save(&req)?;
        Ok(req)
    }

    pub fn reject(&self, id: &str) -> Result<Request, SyncError> {
        let mut req = self.load(id)?;
        if !matches!(req.state, RequestState::Pending | RequestState::Failed) {
            return Err(SyncError::WrongState { id: id.into(), state: req.state.to_string(), hint: "only pending or failed requests can be rejected".into() });
        }
        req.state = RequestState::Rejected;
        req.updated_unix = now();
        self.save(&req)?;
        let _ = std::fs::remove_dir_all(self.blob_dir(id));
        Ok(req)
    }

    /// Apply an approved request (its selection). Conflicts leave it approved (retry with force).
    pub fn apply(&self, id: &str, force: bool, fail: Option<(FailPoint, FailMode)>) -> Result<(Request, ApplyOutcome), SyncError> {
        let mut req = self.load(id)?;
        if req.state != RequestState::Approved {
            return Err(SyncError::WrongState { id: id.into(), state: req.state.to_string(), hint: "approve it first with `sandbox sync approve`".into() });
        }
        let selected = req.select(req.selection.as_deref())?;
        let plan = Plan {
            id: id.to_string(),
            project: req.project.clone(),
            blob_dir: self.blob_dir(id),
            ops: selected.iter().map(|c| JournalOp { path: c.path.clone(), old: c.old.clone(), new: c.new.clone() }).collect(),
        };
        let opts = ApplyOptions { tx_root: self.tx_root(), force, fail };
        match apply::apply(&plan, &opts) {
            Ok(outcome) => {
                req.state = RequestState::Applied;
                req.updated_unix = now();
                self.save(&req)?;
                // The new contents now live in the project (and backups of the old in the
                // transaction folder, for undo): the request's copy is no longer needed.
                let _ = std::fs::remove_dir_all(self.blob_dir(id));
                Ok((req, outcome))
            }
            Err(e @ (SyncError::Conflict { .. } | SyncError::Injected { .. })) => Err(e),
            Err(e) => {
                req.state = RequestState::Failed;
                req.error = Some(e.to_string());
                req.updated_unix = now();
                self.save(&req)?;
                Err(e)
            }
        }
    }

    /// Revert an applied request from its backups.
    pub fn undo(&self, id: &str, force: bool, fail: Option<(FailPoint, FailMode)>) -> Result<(Request, ApplyOutcome), SyncError> {
        let mut req = self.load(id)?;
        if req.state != RequestState::Applied {
            return Err(SyncError::NothingToUndo { id: id.into(), reason: format!("it is {}", req.state) });
        }
        let outcome = undo::undo(&self.tx_root(), id, &ApplyOptions { tx_root: self.tx_root(), force, fail })?;
        req.state = RequestState::Undone;
        req.updated_unix = now();
        self.save(&req)?;
        Ok((req, outcome))
    }

    /// The newest applied request (what `sandbox sync undo` without an id reverts).
    pub fn last_applied(&self) -> Result<Option<Request>, SyncError> {
        Ok(self.list()?.into_iter().filter(|r| r.state == RequestState::Applied).max_by_key(|r| (r.updated_unix, r.id.parse::<u64>().unwrap_or(0))))
    }

    /// Finish interrupted transactions, then bring request states in line with their journals.
    pub fn recover(&self) -> Result<Vec<Recovered>, SyncError> {
        let done = journal::recover(&self.tx_root())?;
        // A corrupt request file is reported by `list`/`show`; it must not stop recovery.
        let mut ids = self.ids()?;
        ids.sort();
        for id in ids {
            let Ok(mut req) = self.load(&id.to_string()) else { continue };
            let (tx_id, from) = match req.state {
                RequestState::Approved => (req.id.clone(), RequestState::Approved),
                RequestState::Applied => (undo::undo_id(&req.id), RequestState::Applied),
                _ => continue,
            };
            let tx = TxPaths::for_id(&self.tx_root(), &tx_id);
            if !tx.journal().is_file() {
                continue;
            }
            let Ok(j) = Journal::load(&tx.journal()) else { continue };
            let new_state = match (from, j.phase) {
                (RequestState::Approved, Phase::Committed) => RequestState::Applied,
                (RequestState::Approved, Phase::RolledBack) => RequestState::Failed,
                (RequestState::Applied, Phase::Committed) => RequestState::Undone,
                _ => continue,
            };
            if new_state == RequestState::Applied {
                let _ = std::fs::remove_dir_all(self.blob_dir(&req.id));
            }
            req.state = new_state;
            req.error = j.error.clone();
            req.updated_unix = now();
            self.save(&req)?;
        }
        Ok(done)
    }

    /// A unified diff of one text change: the host file now vs the new content. Withheld for
    /// files with a secret finding or a blocked extension: a secret value must not reach a
    /// terminal or log.
    pub fn diff(&self, req: &Request, change: &Change) -> Option<String> {
        let FileState::File { sha256, size, .. } = &change.new else { return None };
        let path = change.path.as_str();
        let secretive = |f: &&Finding| f.path.as_deref() == Some(path) && (f.rule.starts_with(rules::SECRET_PREFIX) || f.rule == rules::BLOCKED_EXTENSION);
        if let Some(f) = req.findings.iter().find(secretive) {
            return Some(format!("--- a/{path}\n+++ b/{path}\n(diff withheld because of {}: the file may hold a secret)\n", f.rule));
        }
        if change.binary || *size as usize > super::diff::MAX_DIFF_BYTES {
            return None;
        }
        let new = std::fs::read(self.blob_dir(&req.id).join(sha256)).ok()?;
        let old = match &change.old {
            FileState::File { .. } => {
                let root = ProjectRoot::open(&req.project).ok()?;
                let mut buf = Vec::new();
                root.copy_out(&change.path, &mut buf).ok()?;
                buf
            }
            _ => Vec::new(),
        };
        super::diff::unified(change.path.as_str(), &old, &new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_tar() -> Vec<u8> {
        vec![0u8; 1024]
    }

    #[test]
    fn requests_record_their_root_and_old_request_files_read_as_project() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("vault");
        std::fs::create_dir(&project).unwrap();
        let q = Queue::open(&dir.path().join("sync")).unwrap();
        let policy = SyncPolicy::default();
        let v = q.create_for(SyncRoot::Vault, &empty_tar()[..], &project, &policy, &Scanner::builtin(), None).unwrap();
        assert_eq!(q.load(&v.id).unwrap().root, SyncRoot::Vault);
        let p = q.create(&empty_tar()[..], &project, &policy, &Scanner::builtin(), None).unwrap();
        assert_eq!(q.load(&p.id).unwrap().root, SyncRoot::Project);
        let raw: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(q.request_file(&v.id)).unwrap()).unwrap();
        assert_eq!(raw["root"], "vault");

        // a request queued before roots existed has no `root`: it is the project's
        let mut old = raw.clone();
        old.as_object_mut().unwrap().remove("root");
        std::fs::write(q.request_file(&v.id), serde_json::to_vec(&old).unwrap()).unwrap();
        let loaded = q.load(&v.id).unwrap();
        assert_eq!(loaded.root, SyncRoot::Project);
        assert_eq!(q.list().unwrap().len(), 2);
    }

    #[test]
    fn roots_parse_and_print_as_the_cli_and_json_spell_them() {
        for r in SyncRoot::ALL {
            assert_eq!(r.as_str().parse::<SyncRoot>().unwrap(), r);
            assert_eq!(r.to_string(), r.as_str());
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        let e = "obsidian".parse::<SyncRoot>().unwrap_err();
        assert!(e.contains("obsidian") && e.contains("vault"), "{e}");
        assert_eq!(SyncRoot::default(), SyncRoot::Project);
    }
}
