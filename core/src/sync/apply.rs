//! Applying a plan to the host project: all or nothing, journaled, conflict-aware, backed up.
//!
//! 1. Preflight: read every touched path (no symlink following); any difference from the
//!    reviewed snapshot is a conflict → nothing is written (unless `force`).
//! 2. Back up every file that will be overwritten or deleted (content-addressed, verified).
//! 3. Journal `prepared`; stage every new file and symlink in the transaction's private
//!    staging folder ([`super::staging`]), fsynced.
//! 4. Journal `committing`; open up locked folders of the change, removals deepest first,
//!    then renames/creations parents first (each staged entry checked to be the one staged),
//!    then folder modes deepest first (as tar does: a read-only folder gets its content first).
//! 5. fsync the touched folders; journal `committed`.
//!
//! Any error journals `rolling-back` and rolls every step back from the backups. A crash is
//! finished by [`super::journal::recover`]. Rollback and recovery never overwrite a path the
//! user changed meanwhile: a path that is neither the journal's old nor its new state is kept.

use super::blobs::{hex, BlobStore};
use super::error::SyncError;
use super::host::FileState;
use super::journal::{Journal, JournalOp, Phase};
use super::relpath::RelPath;
use super::safefs::{self, Parent, ProjectRoot};
use super::staging::{slot, Stage, Staged};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashSet};
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
            Phase::Committed => {
                return Err(SyncError::WrongState {
                    id: plan.id.clone(),
                    state: "applied".into(),
                    hint: "it cannot be applied twice; `sandbox sync undo` reverts it".into(),
                })
            }
            Phase::Prepared | Phase::Committing | Phase::RollingBack => {
                return Err(SyncError::WrongState { id: plan.id.clone(), state: "interrupted".into(), hint: "run `sandbox sync recover` first".into() })
            }
            Phase::RolledBack => std::fs::remove_dir_all(&tx.dir).map_err(|e| SyncError::state(&tx.dir, e))?,
        }
    }

    // 0. Folders of the change their owner locked (e.g. mode 000 after an apply) are opened
    //    for the owner first; every run ends by setting each folder's mode, and returning
    //    before the journal exists puts the original modes back.
    let applied = plan.ops.len();
    let plan = &with_locked_ancestors(&root, plan)?;
    let loosened = open_up_all(&root, &plan.ops).map_err(|(i, e)| failed(&plan.ops[i].path, e))?;
    let prepared = preflight_and_backup(&root, plan, opts, &tx, &loosened);
    let (ops, conflicts, backups) = match prepared {
        Ok(p) => p,
        Err(e) => {
            relock(&root, &loosened);
            return Err(e);
        }
    };

    // 3. Journal, then stage every new file and symlink in a fresh private folder.
    let stage = match Stage::create(root.fd()) {
        Ok(s) => s,
        Err(e) => {
            relock(&root, &loosened);
            let _ = std::fs::remove_dir_all(&tx.dir);
            return Err(SyncError::ApplyFailed {
                path: "(project folder)".into(),
                detail: format!("cannot create the gate's private staging folder at the top of the project ({e}); the project folder must be writable by you"),
            });
        }
    };
    let mut journal = Journal {
        id: plan.id.clone(),
        project: root.path().to_path_buf(),
        blob_dir: plan.blob_dir.clone(),
        phase: Phase::Prepared,
        ops,
        error: None,
        staging: Some(stage.name().to_string()),
    };
    if let Err(e) = journal.save(&tx.journal()) {
        let _ = stage.remove(root.fd());
        relock(&root, &loosened);
        return Err(e);
    }
    fail_check(opts, FailPoint::AfterPrepared)?;
    let mut staged: Vec<Option<Staged>> = vec![None; journal.ops.len()];
    let mut n_staged = 0usize;
    for (i, op) in journal.ops.iter().enumerate() {
        if matches!(op.new, FileState::File { .. } | FileState::Symlink { .. }) {
            let name = slot(i, true);
            match stage_new(&stage, &name, &journal.blob_dir, &op.new).and_then(|()| stage.identify(&name)) {
                Ok(id) => staged[i] = Some(id),
                Err(e) => {
                    let err = failed(&op.path, e);
                    rollback(&journal, &tx, true)?;
                    return Err(finish_rolled_back(&mut journal, &tx, err));
                }
            }
            fail_check(opts, FailPoint::AfterStage(n_staged))?;
            n_staged += 1;
        }
    }

    // Staged entries, backups and the request's contents must be durable before the journal
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
    let run = Run { root: &root, stage: &stage, source: &journal.blob_dir, side: Side::New, staged: Some(&staged) };
    let mut hook = |n: usize| fail_check(opts, FailPoint::AfterStep(n));
    if let Err(step) = run.all(&journal.ops, &mut hook) {
        let err = match step {
            StepError::Io(i, e) => failed(&journal.ops[i].path, e),
            StepError::Hook(e) => return Err(e),
        };
        journal.phase = Phase::RollingBack;
        journal.error = Some(err.to_string());
        journal.save(&tx.journal())?;
        return match rollback(&journal, &tx, false) {
            Ok(kept) if kept.is_empty() => Err(finish_rolled_back(&mut journal, &tx, err)),
            Ok(kept) => {
                let e = SyncError::PartlyRolledBack {
                    path: err_path(&err),
                    detail: err.to_string(),
                    first: kept[0].clone(),
                    count: kept.len(),
                    backups: tx.backup_dir(),
                };
                Err(finish_rolled_back(&mut journal, &tx, e))
            }
            Err(rb) => Err(SyncError::RollbackFailed { path: err_path(&err), detail: err.to_string(), rollback: rb.to_string(), backups: tx.backup_dir() }),
        };
    }

    // 5. Durability, then done.
    sync_parents(&root, &journal.ops);
    fail_check(opts, FailPoint::BeforeCommitted)?;
    journal.phase = Phase::Committed;
    journal.save(&tx.journal())?;
    let _ = stage.remove(root.fd());
    Ok(ApplyOutcome { id: plan.id.clone(), applied, forced: conflicts, backups: tx.backup_dir() })
}

/// Steps 1 and 2: the host's state of every op (a conflict unless `force`) and backups of
/// everything overwritten or deleted.
fn preflight_and_backup(
    root: &ProjectRoot,
    plan: &Plan,
    opts: &ApplyOptions,
    tx: &TxPaths,
    loosened: &[(RelPath, u32)],
) -> Result<(Vec<JournalOp>, Vec<String>, BlobStore), SyncError> {
    // 1. Preflight against the snapshot.
    let mut ops = Vec::with_capacity(plan.ops.len());
    let mut conflicts = Vec::new();
    for op in &plan.ops {
        let mut actual = root.state(&op.path).map_err(|e| failed(&op.path, e))?;
        if let Some((_, mode)) = loosened.iter().find(|(p, _)| *p == op.path) {
            actual = FileState::Dir { mode: *mode };
        }
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
    Ok((ops, conflicts, backups))
}

/// `plan` plus, unchanged (old = new), every folder above its paths that the owner cannot
/// write into or enter (a read-only folder the agent added files to): the run then opens it
/// for its steps, journals it, and puts its mode back last, like the folders of the change.
fn with_locked_ancestors(root: &ProjectRoot, plan: &Plan) -> Result<Plan, SyncError> {
    let in_plan: HashSet<&RelPath> = plan.ops.iter().map(|o| &o.path).collect();
    let mut seen: HashSet<RelPath> = HashSet::new();
    let mut extra = Vec::new();
    for op in &plan.ops {
        for anc in op.path.ancestors() {
            if in_plan.contains(&anc) || !seen.insert(anc.clone()) {
                continue;
            }
            let Parent::Open(dir) = root.parent(&anc).map_err(|e| failed(&anc, e))? else { break };
            let FileState::Dir { mode } = shallow(&dir, anc.file_name()).map_err(|e| failed(&anc, e))? else { break };
            if mode & 0o300 != 0o300 {
                extra.push(JournalOp { path: anc.clone(), old: FileState::Dir { mode }, new: FileState::Dir { mode } });
            }
            if mode & 0o100 == 0 {
                break; // what lies below cannot be seen until it is opened
            }
        }
    }
    let mut plan = plan.clone();
    plan.ops.extend(extra);
    Ok(plan)
}

/// Give every folder of `ops` that its owner cannot enter or write `u+rwx`, parents first.
/// Returns each one with its original mode; `Err((op index, error))`.
fn open_up_all(root: &ProjectRoot, ops: &[JournalOp]) -> Result<Vec<(RelPath, u32)>, (usize, std::io::Error)> {
    let mut by_path: Vec<usize> = (0..ops.len()).collect();
    by_path.sort_by(|&a, &b| ops[a].path.cmp(&ops[b].path));
    let mut opened = Vec::new();
    for i in by_path {
        let path = &ops[i].path;
        let Parent::Open(dir) = root.parent(path).map_err(|e| (i, e))? else { continue };
        if let FileState::Dir { mode } = shallow(&dir, path.file_name()).map_err(|e| (i, e))? {
            if mode & 0o700 != 0o700 {
                safefs::chmod_dir(&dir, path.file_name(), mode | 0o700).map_err(|e| (i, e))?;
                opened.push((path.clone(), mode));
            }
        }
    }
    Ok(opened)
}

/// Put back the modes [`open_up_all`] changed, deepest first (best effort: only the owner's
/// own access bits were added).
fn relock(root: &ProjectRoot, opened: &[(RelPath, u32)]) {
    for (path, mode) in opened.iter().rev() {
        if let Ok(Parent::Open(dir)) = root.parent(path) {
            let _ = safefs::chmod_dir(&dir, path.file_name(), *mode);
        }
    }
}

fn err_path(e: &SyncError) -> String {
    match e {
        SyncError::ApplyFailed { path, .. } => path.clone(),
        _ => String::new(),
    }
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

/// Write the new file or symlink `new` into slot `name` of the staging folder.
fn stage_new(stage: &Stage, name: &str, blob_dir: &Path, new: &FileState) -> std::io::Result<()> {
    match new {
        FileState::File { sha256, mode, .. } => write_verified(stage.fd(), name, blob_dir, sha256, *mode, false),
        FileState::Symlink { target } => safefs::write_temp_symlink(stage.fd(), name, target),
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

/// Which state of each op a run brings the project to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Old,
    New,
}

impl Side {
    fn of(self, op: &JournalOp) -> &FileState {
        match self {
            Side::Old => &op.old,
            Side::New => &op.new,
        }
    }
    fn other(self, op: &JournalOp) -> &FileState {
        match self {
            Side::Old => &op.new,
            Side::New => &op.old,
        }
    }
}

enum StepError {
    /// Op `i` failed.
    Io(usize, std::io::Error),
    /// A test hook stopped the run.
    Hook(SyncError),
}

/// Same state as far as the gate's review goes: a folder is a folder whatever its mode (its
/// mode is set last, and loosened while a run is under way).
fn same(a: &FileState, b: &FileState) -> bool {
    match (a, b) {
        (FileState::Dir { .. }, FileState::Dir { .. }) => true,
        _ => a == b,
    }
}

/// One pass bringing every op of a journal to one side.
///
/// With `staged` (a live commit) each file or symlink comes from its staged slot, checked to
/// be what was staged. Without (rollback, recovery) every entry is written afresh from
/// `source`, a path already on the wanted side is left alone, and a path on neither side
/// (the user changed it after the failure) is kept as it is and reported.
struct Run<'a> {
    root: &'a ProjectRoot,
    stage: &'a Stage,
    source: &'a Path,
    side: Side,
    staged: Option<&'a [Option<Staged>]>,
}

impl Run<'_> {
    /// Every op: open locked folders, then the steps, then folder modes. Returns the paths kept.
    fn all(&self, ops: &[JournalOp], hook: &mut dyn FnMut(usize) -> Result<(), SyncError>) -> Result<Vec<String>, StepError> {
        open_up_all(self.root, ops).map_err(|(i, e)| StepError::Io(i, e))?;
        let mut kept = Vec::new();
        let order = match self.side {
            Side::New => steps(ops),
            Side::Old => steps(ops).into_iter().rev().collect(),
        };
        for (n, i) in order.into_iter().enumerate() {
            match self.step(i, &ops[i]) {
                Ok(true) => {}
                Ok(false) => kept.push(ops[i].path.to_string()),
                Err(e) => return Err(StepError::Io(i, e)),
            }
            hook(n).map_err(StepError::Hook)?;
        }
        dir_modes(self.root, ops, self.side, &kept).map_err(|(i, e)| StepError::Io(i, e))?;
        Ok(kept)
    }

    /// Bring op `i` to the wanted side. `Ok(false)`: kept as the user left it.
    fn step(&self, i: usize, op: &JournalOp) -> std::io::Result<bool> {
        let target = self.side.of(op);
        let repair = self.staged.is_none();
        let dir = match self.root.parent(&op.path)? {
            Parent::Open(fd) => fd,
            Parent::Missing | Parent::NotADir(_) if target.is_missing() => return Ok(true),
            Parent::Missing => return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("the folder of {} does not exist", op.path))),
            Parent::NotADir(a) => return Err(std::io::Error::other(format!("`{a}` is a symlink or not a folder; refusing to write through it"))),
        };
        let name = op.path.file_name();
        let cur = if repair { safefs::state_in(&dir, name)? } else { shallow(&dir, name)? };
        if cur == FileState::Special {
            if repair {
                return Ok(false);
            }
            return Err(std::io::Error::other("a device, fifo or socket is in the way; the gate never touches those"));
        }
        if repair {
            if same(&cur, target) {
                return Ok(true);
            }
            if !same(&cur, self.side.other(op)) {
                return Ok(false);
            }
        }
        let slot_name = slot(i, self.side == Side::New);
        match target {
            FileState::Missing | FileState::Special => match cur {
                FileState::Missing => Ok(true),
                FileState::Dir { .. } => match safefs::rmdir(&dir, name) {
                    // Something the user put there since: theirs, kept.
                    Err(e) if repair && e.raw_os_error() == Some(rustix::io::Errno::NOTEMPTY.raw_os_error()) => Ok(false),
                    r => r.map(|()| true),
                },
                _ => safefs::unlink(&dir, name).map(|()| true),
            },
            FileState::Dir { mode } => {
                if !cur.is_dir() && !cur.is_missing() {
                    safefs::unlink(&dir, name)?;
                }
                safefs::mkdir(&dir, name)?;
                // Final bits come last; until then the owner can always enter and write.
                set_dir_mode(self.root, &op.path, mode | 0o700).map(|()| true)
            }
            FileState::File { .. } | FileState::Symlink { .. } => {
                match self.staged {
                    Some(staged) => {
                        let want = staged[i].as_ref().ok_or_else(|| std::io::Error::other("nothing was staged for it"))?;
                        self.stage.check(&slot_name, want)?;
                    }
                    None => stage_new(self.stage, &slot_name, self.source, target)?,
                }
                if cur.is_dir() {
                    safefs::rmdir(&dir, name)?;
                }
                rustix::fs::renameat(self.stage.fd(), slot_name.as_str(), &dir, name).map_err(|e| {
                    if e == rustix::io::Errno::XDEV {
                        std::io::Error::other(
                            "it is on another file system than the project folder (a mount inside the project); the gate cannot move files across mounts",
                        )
                    } else {
                        e.into()
                    }
                })?;
                Ok(true)
            }
        }
    }
}

/// Every folder of `side` gets its mode, deepest first (but those in `kept`).
fn dir_modes(root: &ProjectRoot, ops: &[JournalOp], side: Side, kept: &[String]) -> Result<(), (usize, std::io::Error)> {
    let mut by_path: Vec<usize> = (0..ops.len()).collect();
    by_path.sort_by(|&a, &b| ops[b].path.cmp(&ops[a].path));
    for i in by_path {
        if let FileState::Dir { mode } = side.of(&ops[i]) {
            if !kept.iter().any(|k| k == ops[i].path.as_str()) {
                set_dir_mode(root, &ops[i].path, *mode).map_err(|e| (i, e))?;
            }
        }
    }
    Ok(())
}

/// Set the mode of the folder at `path`, if there is one.
fn set_dir_mode(root: &ProjectRoot, path: &RelPath, mode: u32) -> std::io::Result<()> {
    let Parent::Open(dir) = root.parent(path)? else { return Ok(()) };
    match shallow(&dir, path.file_name())? {
        FileState::Dir { mode: m } if m == mode => Ok(()),
        FileState::Dir { .. } => safefs::chmod_dir(&dir, path.file_name(), mode),
        _ => Ok(()),
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

fn open_root(journal: &Journal) -> Result<ProjectRoot, SyncError> {
    ProjectRoot::open(&journal.project).map_err(|e| SyncError::Project { path: journal.project.clone(), source: e })
}

/// Remove the journal's staging folder, if it still exists (a recovery's stage is reopened).
fn drop_stage(root: &ProjectRoot, journal: &Journal) -> Result<(), SyncError> {
    if journal.staging.is_none() {
        return Ok(());
    }
    let stage = Stage::reopen(root.fd(), journal.staging.as_deref()).map_err(|e| SyncError::state(root.path(), e))?;
    stage.remove(root.fd()).map_err(|e| SyncError::state(root.path(), e))
}

/// Undo a transaction. `prepared_only`: the host was not touched yet; only the staging
/// folder goes. Returns the paths kept because the user changed them meanwhile.
pub(crate) fn rollback(journal: &Journal, tx: &TxPaths, prepared_only: bool) -> Result<Vec<String>, SyncError> {
    let root = open_root(journal)?;
    if prepared_only {
        drop_stage(&root, journal)?;
        // Only folders of the change may have been opened for the owner: put their modes back.
        dir_modes(&root, &journal.ops, Side::Old, &[]).map_err(|(i, e)| SyncError::RollbackFailed {
            path: journal.ops[i].path.to_string(),
            detail: "restoring folder modes".into(),
            rollback: e.to_string(),
            backups: tx.backup_dir(),
        })?;
        return Ok(Vec::new());
    }
    let backup = tx.backup_dir();
    let stage = Stage::reopen(root.fd(), journal.staging.as_deref()).map_err(|e| SyncError::state(root.path(), e))?;
    let run = Run { root: &root, stage: &stage, source: &backup, side: Side::Old, staged: None };
    let kept = run.all(&journal.ops, &mut |_| Ok(())).map_err(|e| match e {
        StepError::Io(i, e) => {
            SyncError::RollbackFailed { path: journal.ops[i].path.to_string(), detail: "rolling back".into(), rollback: e.to_string(), backups: backup.clone() }
        }
        StepError::Hook(e) => e,
    })?;
    sync_parents(&root, &journal.ops);
    let _ = stage.remove(root.fd());
    Ok(kept)
}

/// Re-run every commit step of an interrupted `committing` journal. Returns the paths kept
/// because the user changed them meanwhile.
pub(crate) fn roll_forward(journal: &Journal) -> Result<Vec<String>, SyncError> {
    let root = open_root(journal)?;
    let stage = Stage::reopen(root.fd(), journal.staging.as_deref()).map_err(|e| SyncError::state(root.path(), e))?;
    let run = Run { root: &root, stage: &stage, source: &journal.blob_dir, side: Side::New, staged: None };
    let kept = run.all(&journal.ops, &mut |_| Ok(())).map_err(|e| match e {
        StepError::Io(i, e) => failed(&journal.ops[i].path, e),
        StepError::Hook(e) => e,
    })?;
    sync_parents(&root, &journal.ops);
    let _ = stage.remove(root.fd());
    Ok(kept)
}
