//! Applying a plan to the host project: all or nothing, journaled, conflict-aware, backed up.
//!
//! 1. Preflight: read every touched path (no symlink following); any difference from the
//!    reviewed snapshot is a conflict → nothing is written (unless `force`).
//! 2. Back up every file that will be overwritten or deleted (content-addressed, verified).
//! 3. Journal `prepared`; stage new files as temp files beside their targets, fsynced.
//! 4. Journal `committing`; removals deepest first, then renames/creations parents first.
//! 5. fsync the touched folders; journal `committed`.
//!
//! Any error rolls every step back from the backups. A crash is finished by
//! [`super::journal::recover`].

use super::blobs::{hex, BlobStore};
use sha2::{Digest, Sha256};
use super::error::SyncError;
use super::host::FileState;
use super::journal::{Journal, JournalOp, Phase};
use super::relpath::RelPath;
use super::safefs::{self, Parent, ProjectRoot};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What to apply: one transition per path, `old` being the reviewed snapshot.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Transaction id (the request id, or `<id>.undo`).
    pub id: String,
    pub project: PathBuf,
    /// Where new file contents are, by sha256.
    pub blob_dir: PathBuf,
    pub ops: Vec<JournalOp>,
}

/// Test hooks: stop at a journal step as if the process died there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// After backing up the n-th file (0-based), before the journal exists.
    AfterBackup(usize),
    AfterPrepared,
    /// After staging the n-th temp file.
    AfterStage(usize),
    AfterCommitting,
    /// After the n-th commit step (removal, rename or creation).
    AfterStep(usize),
    BeforeCommitted,
}

impl FailPoint {
    /// Parse `after-backup:N`, `after-prepared`, `after-stage:N`, `after-committing`, `after-step:N`, `before-committed`.
    pub fn parse(s: &str) -> Option<FailPoint> {
        let (name, n) = match s.split_once(':') {
            Some((a, b)) => (a, b.parse::<usize>().ok()?),
            None => (s, 0),
        };
        Some(match name {
            "after-backup" => FailPoint::AfterBackup(n),
            "after-prepared" => FailPoint::AfterPrepared,
            "after-stage" => FailPoint::AfterStage(n),
            "after-committing" => FailPoint::AfterCommitting,
            "after-step" => FailPoint::AfterStep(n),
            "before-committed" => FailPoint::BeforeCommitted,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailMode {
    /// Return `SyncError::Injected` without cleaning up.
    Error,
    /// `abort()` the process (a real crash).
    Abort,
}

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Folder of transactions (journals and backups): `<data>/sync/tx`.
    pub tx_root: PathBuf,
    /// Overwrite host changes made since the review (they are backed up).
    pub force: bool,
    pub fail: Option<(FailPoint, FailMode)>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApplyOutcome {
    pub id: String,
    pub applied: usize,
    /// Paths that differed from the snapshot and were overwritten because of `force`.
    pub forced: Vec<String>,
    pub backups: PathBuf,
}

/// Where one transaction keeps its journal and backups.
pub struct TxPaths {
    pub dir: PathBuf,
}

impl TxPaths {
    pub fn at(dir: PathBuf) -> Self {
        TxPaths { dir }
    }
    pub fn for_id(tx_root: &Path, id: &str) -> Self {
        let safe: String = id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
        TxPaths { dir: tx_root.join(safe) }
    }
    pub fn journal(&self) -> PathBuf {
        self.dir.join("journal.json")
    }
    pub fn backup_dir(&self) -> PathBuf {
        self.dir.join("backup")
    }
}

fn fail_check(opts: &ApplyOptions, here: FailPoint) -> Result<(), SyncError> {
    match opts.fail {
        Some((p, mode)) if p == here => match mode {
            FailMode::Error => Err(SyncError::Injected { point: format!("{here:?}") }),
            FailMode::Abort => std::process::abort(),
        },
        _ => Ok(()),
    }
}

fn failed(path: &RelPath, e: impl std::fmt::Display) -> SyncError {
    SyncError::ApplyFailed { path: path.to_string(), detail: e.to_string() }
}

/// Commit order: removals deepest first, then creations/replacements parents first.
pub fn steps(ops: &[JournalOp]) -> Vec<usize> {
    let mut removals: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].new.is_missing()).collect();
    removals.sort_by(|&a, &b| ops[b].path.depth().cmp(&ops[a].path.depth()).then(ops[b].path.cmp(&ops[a].path)));
    let mut places: Vec<usize> = (0..ops.len()).filter(|&i| !ops[i].new.is_missing()).collect();
    places.sort_by(|&a, &b| ops[a].path.cmp(&ops[b].path));
    removals.extend(places);
    removals
}

/// Apply a plan. On success the journal is `committed` and backups stay for `undo`.
pub fn apply(plan: &Plan, opts: &ApplyOptions) -> Result<ApplyOutcome, SyncError> {
    let root = ProjectRoot::open(&plan.project).map_err(|e| SyncError::Project { path: plan.project.clone(), source: e })?;
    let tx = TxPaths::for_id(&opts.tx_root, &plan.id);
    if tx.journal().is_file() {
        let j = Journal::load(&tx.journal())?;
        match j.phase {
            Phase::Committed => return Err(SyncError::WrongState { id: plan.id.clone(), state: "applied".into(), hint: "it cannot be applied twice; `sandbox sync undo` reverts it".into() }),
            Phase::Prepared | Phase::Committing => return Err(SyncError::WrongState { id: plan.id.clone(), state: "interrupted".into(), hint: "run `sandbox sync recover` first".into() }),
            Phase::RolledBack => std::fs::remove_dir_all(&tx.dir).map_err(|e| SyncError::state(&tx.dir, e))?,
        }
    }

    // 1. Preflight against the snapshot.
    let mut ops = Vec::with_capacity(plan.ops.len());
    let mut conflicts = Vec::new();
    for op in &plan.ops {
        let actual = root.state(&op.path).map_err(|e| failed(&op.path, e))?;
        if actual == FileState::Special {
            return Err(failed(&op.path, "the host has a device, fifo or socket there; remove it on the host first"));
        }
        if actual != op.old {
            conflicts.push(op.path.to_string());
        }
        ops.push(JournalOp { path: op.path.clone(), old: actual, new: op.new.clone() });
    }
    if !conflicts.is_empty() && !opts.force {
        return Err(SyncError::Conflict { count: conflicts.len(), first: conflicts[0].clone(), paths: conflicts });
    }

    // 2. Backups of everything overwritten or deleted.
    std::fs::create_dir_all(&tx.dir).map_err(|e| SyncError::state(&tx.dir, e))?;
    let backups = BlobStore::open(tx.backup_dir())?;
    for (i, op) in ops.iter().enumerate() {
        if let FileState::File { sha256, .. } = &op.old {
            if !backups.contains(sha256) {
                let mut w = backups.writer()?;
                let mut sink = WriterAdapter(&mut w, None);
                let (sha, _) = root.copy_out(&op.path, &mut sink).map_err(|e| failed(&op.path, e))?;
                if let Some(e) = sink.1 {
                    return Err(e);
                }
                if &sha != sha256 {
                    let _ = std::fs::remove_dir_all(&tx.dir);
                    return Err(SyncError::Conflict { count: 1, first: op.path.to_string(), paths: vec![op.path.to_string()] });
                }
                w.finish(&sha)?;
            }
        }
        fail_check(opts, FailPoint::AfterBackup(i))?;
    }

    // 3. Journal, then stage temps.
    let mut journal = Journal { id: plan.id.clone(), project: root.path().to_path_buf(), blob_dir: plan.blob_dir.clone(), phase: Phase::Prepared, ops, error: None };
    journal.save(&tx.journal())?;
    fail_check(opts, FailPoint::AfterPrepared)?;
    let mut staged = 0usize;
    for i in 0..journal.ops.len() {
        let op = &journal.ops[i];
        if matches!(op.new, FileState::File { .. } | FileState::Symlink { .. }) {
            if let Err(e) = stage(&root, &journal.id, &journal.blob_dir, op) {
                let err = failed(&op.path, e);
                rollback(&journal, &tx, true)?;
                return Err(finish_rolled_back(&mut journal, &tx, err));
            }
            fail_check(opts, FailPoint::AfterStage(staged))?;
            staged += 1;
        }
    }

    // Staged temps, backups and the request's contents must be durable before the journal
    // says `committing`: one flush per file system involved.
    let flushed = root.syncfs().map_err(|e| SyncError::state(root.path(), e)).and_then(|()| {
        if same_fs(root.path(), backups.dir()) && same_fs(root.path(), &journal.blob_dir) {
            Ok(())
        } else {
            backups.sync()?;
            BlobStore::open(journal.blob_dir.clone())?.sync()
        }
    });
    if let Err(e) = flushed {
        rollback(&journal, &tx, true)?;
        return Err(finish_rolled_back(&mut journal, &tx, e));
    }

    // 4. Commit.
    journal.phase = Phase::Committing;
    journal.save(&tx.journal())?;
    fail_check(opts, FailPoint::AfterCommitting)?;
    for (n, i) in steps(&journal.ops).into_iter().enumerate() {
        let op = &journal.ops[i];
        if let Err(e) = ensure(&root, &op.path, &op.new, &journal.blob_dir, &journal.id, false) {
            let err = failed(&op.path, e);
            if let Err(rb) = rollback(&journal, &tx, false) {
                let path = journal.ops[i].path.to_string();
                return Err(SyncError::RollbackFailed { path, detail: err.to_string(), rollback: rb.to_string(), backups: tx.backup_dir() });
            }
            return Err(finish_rolled_back(&mut journal, &tx, err));
        }
        fail_check(opts, FailPoint::AfterStep(n))?;
    }

    // 5. Durability, then done.
    sync_parents(&root, &journal.ops);
    fail_check(opts, FailPoint::BeforeCommitted)?;
    journal.phase = Phase::Committed;
    journal.save(&tx.journal())?;
    Ok(ApplyOutcome { id: plan.id.clone(), applied: journal.ops.len(), forced: conflicts, backups: tx.backup_dir() })
}

fn same_fs(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev(),
        _ => false,
    }
}

fn finish_rolled_back(journal: &mut Journal, tx: &TxPaths, err: SyncError) -> SyncError {
    journal.phase = Phase::RolledBack;
    journal.error = Some(err.to_string());
    if let Err(e) = journal.save(&tx.journal()) {
        return e;
    }
    err
}

/// Adapts a blob writer to `io::Write`, keeping the first state error.
struct WriterAdapter<'a>(&'a mut super::blobs::BlobWriter, Option<SyncError>);
impl std::io::Write for WriterAdapter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                let msg = e.to_string();
                self.1 = Some(e);
                Err(std::io::Error::other(msg))
            }
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Stage the new content of `op` beside its target, if its folder exists already.
fn stage(root: &ProjectRoot, tx_id: &str, blob_dir: &Path, op: &JournalOp) -> std::io::Result<()> {
    let dir = match root.parent(&op.path)? {
        Parent::Open(fd) => fd,
        _ => return Ok(()), // its folder is created during commit; written then
    };
    let tmp = safefs::temp_name(tx_id, op.path.file_name());
    match &op.new {
        FileState::File { sha256, mode, .. } => {
            write_verified(&dir, &tmp, blob_dir, sha256, *mode, false)
        }
        FileState::Symlink { target } => safefs::write_temp_symlink(&dir, &tmp, target),
        _ => Ok(()),
    }
}

/// Write blob `sha256` from `store` as temp `tmp`, checking the bytes really hash to it (a
/// stored blob damaged by a crash or a disk error must never reach the project).
fn write_verified(dir: &std::os::fd::OwnedFd, tmp: &str, store: &Path, sha256: &str, mode: u32, durable: bool) -> std::io::Result<()> {
    let file = std::fs::File::open(store.join(sha256))?;
    let mut src = HashingReader { inner: file, hasher: Sha256::new() };
    safefs::write_temp(dir, tmp, &mut src, mode, durable)?;
    let got = hex(&src.hasher.finalize());
    if got != sha256 {
        let _ = safefs::unlink(dir, tmp);
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("the stored content {sha256} is damaged (it hashes to {got})")));
    }
    Ok(())
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Bring `path` to `target`, idempotently. With `verify`, a path already in the target state
/// is left alone and a staged temp is never trusted (recovery and rollback).
pub(crate) fn ensure(root: &ProjectRoot, path: &RelPath, target: &FileState, source: &Path, tx_id: &str, verify: bool) -> std::io::Result<()> {
    let dir = match root.parent(path)? {
        Parent::Open(fd) => fd,
        Parent::Missing | Parent::NotADir(_) if target.is_missing() => return Ok(()),
        Parent::Missing => return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("the folder of {path} does not exist"))),
        Parent::NotADir(a) => return Err(std::io::Error::other(format!("`{a}` is a symlink or not a folder; refusing to write through it"))),
    };
    let name = path.file_name();
    let cur = if verify {
        safefs::state_in(&dir, name)?
    } else {
        shallow(&dir, name)?
    };
    if cur == FileState::Special {
        return Err(std::io::Error::other("a device, fifo or socket is in the way; the gate never touches those"));
    }
    if verify && &cur == target {
        return safefs::unlink(&dir, &safefs::temp_name(tx_id, name));
    }
    let tmp = safefs::temp_name(tx_id, name);
    match target {
        FileState::Missing | FileState::Special => match cur {
            FileState::Missing => Ok(()),
            FileState::Dir { .. } => safefs::rmdir(&dir, name),
            _ => safefs::unlink(&dir, name),
        },
        FileState::Dir { mode } => {
            if !cur.is_dir() && !cur.is_missing() {
                safefs::unlink(&dir, name)?;
            }
            safefs::mkdir(&dir, name, *mode)
        }
        FileState::File { sha256, mode, .. } => {
            if verify || !safefs::exists(&dir, &tmp) {
                write_verified(&dir, &tmp, source, sha256, *mode, true)?;
            }
            if cur.is_dir() {
                safefs::rmdir(&dir, name)?;
            }
            safefs::rename(&dir, &tmp, name)
        }
        FileState::Symlink { target } => {
            if verify || !safefs::exists(&dir, &tmp) {
                safefs::write_temp_symlink(&dir, &tmp, target)?;
            }
            if cur.is_dir() {
                safefs::rmdir(&dir, name)?;
            }
            safefs::rename(&dir, &tmp, name)
        }
    }
}

/// Kind-level state (no hashing) for the fast path.
fn shallow(dir: &std::os::fd::OwnedFd, name: &str) -> std::io::Result<FileState> {
    use rustix::fs::{AtFlags, FileType};
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => FileState::Dir { mode: safefs::perm_bits(&st) },
            FileType::Symlink => FileState::Symlink { target: String::new() },
            FileType::RegularFile => FileState::File { size: st.st_size as u64, sha256: String::new(), mode: safefs::perm_bits(&st) },
            _ => FileState::Special,
        }),
        Err(rustix::io::Errno::NOENT) => Ok(FileState::Missing),
        Err(e) => Err(e.into()),
    }
}

fn sync_parents(root: &ProjectRoot, ops: &[JournalOp]) {
    let parents: BTreeSet<Option<RelPath>> = ops.iter().map(|o| o.path.parent()).collect();
    for p in parents {
        let fd = match &p {
            None => root.parent(&RelPath::parse("x").ok().flatten().expect("static path")),
            Some(p) => root.parent(&p.join("x")),
        };
        if let Ok(Parent::Open(fd)) = fd {
            let _ = safefs::fsync_dir(&fd);
        }
    }
}

/// Remove staged temps for every op (their folders may be gone).
fn drop_temps(root: &ProjectRoot, journal: &Journal) {
    for op in &journal.ops {
        if let Ok(Parent::Open(dir)) = root.parent(&op.path) {
            let _ = safefs::unlink(&dir, &safefs::temp_name(&journal.id, op.path.file_name()));
        }
    }
}

/// Undo a transaction. `prepared_only`: the host was not touched yet; only temps go.
pub(crate) fn rollback(journal: &Journal, tx: &TxPaths, prepared_only: bool) -> Result<(), SyncError> {
    let root = ProjectRoot::open(&journal.project).map_err(|e| SyncError::Project { path: journal.project.clone(), source: e })?;
    drop_temps(&root, journal);
    if prepared_only {
        return Ok(());
    }
    let rb_id = format!("{}.rollback", journal.id);
    let backup = tx.backup_dir();
    let order = steps(&journal.ops);
    for &i in order.iter().rev() {
        let op = &journal.ops[i];
        ensure(&root, &op.path, &op.old, &backup, &rb_id, true).map_err(|e| SyncError::RollbackFailed {
            path: op.path.to_string(),
            detail: "rolling back".into(),
            rollback: e.to_string(),
            backups: backup.clone(),
        })?;
    }
    sync_parents(&root, &journal.ops);
    Ok(())
}

/// Re-run every commit step of an interrupted `committing` journal.
pub(crate) fn roll_forward(journal: &Journal) -> Result<(), SyncError> {
    let root = ProjectRoot::open(&journal.project).map_err(|e| SyncError::Project { path: journal.project.clone(), source: e })?;
    for i in steps(&journal.ops) {
        let op = &journal.ops[i];
        ensure(&root, &op.path, &op.new, &journal.blob_dir, &journal.id, true).map_err(|e| failed(&op.path, e))?;
    }
    drop_temps(&root, journal);
    sync_parents(&root, &journal.ops);
    Ok(())
}
