//! The apply journal (`<tx_root>/<id>/journal.json`, written atomically) and crash recovery.
//!
//! Phases: `prepared` (backups taken, entries may be staged, host untouched) → `committing`
//! (every entry staged and fsynced; renames/removals under way) → `committed`; or, after a
//! failure, `rolling-back` → `rolled-back`.
//! Recovery rolls `prepared` back (drops the staging folder), `committing` forward (a crash:
//! every step is idempotent and its content is still in the blob store; if rolling forward
//! fails, it rolls back from the backups), and finishes a `rolling-back` (a failed apply is
//! never turned into an applied one). Each file ends old or new, never torn; a path the user
//! changed after the failure (neither old nor new) is kept as it is and reported. Running
//! recovery again is harmless.

use super::apply::{roll_forward, rollback, TxPaths};
use super::error::SyncError;
use super::fsutil;
use super::host::FileState;
use super::relpath::RelPath;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Prepared,
    Committing,
    Committed,
    /// A commit step failed; the host is being restored from the backups.
    RollingBack,
    RolledBack,
}

/// One path's transition, with the state it actually had when the apply started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalOp {
    pub path: RelPath,
    pub old: FileState,
    pub new: FileState,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Journal {
    pub id: String,
    pub project: PathBuf,
    /// Where the new file contents come from.
    pub blob_dir: PathBuf,
    pub phase: Phase,
    pub ops: Vec<JournalOp>,
    /// Why the transaction was rolled back, if it was.
    #[serde(default)]
    pub error: Option<String>,
    /// The transaction's private staging folder in the project root (see [`super::staging`]).
    #[serde(default)]
    pub staging: Option<String>,
}

impl Journal {
    pub fn load(path: &Path) -> Result<Journal, SyncError> {
        fsutil::read_json(path)
    }

    pub fn save(&self, path: &Path) -> Result<(), SyncError> {
        fsutil::write_json(path, self)
    }
}

/// What recovery did to one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recovered {
    pub id: String,
    /// `committed` (rolled forward) or `rolled-back`; the unchanged phase if recovery failed.
    pub outcome: Phase,
    /// Why this transaction could not be recovered (it is retried on the next run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Paths left as the user changed them after the interruption (never overwritten).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<String>,
}

/// Finish or undo every interrupted transaction under `tx_root`.
pub fn recover(tx_root: &Path) -> Result<Vec<Recovered>, SyncError> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(tx_root) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(SyncError::state(tx_root, e)),
    };
    let mut dirs: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("journal.json").is_file()).collect();
    dirs.sort();
    // One broken transaction (project folder gone, corrupt journal) must not stop the others.
    for dir in dirs {
        let tx = TxPaths::at(dir.clone());
        let fallback_id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match recover_one(&tx) {
            Ok(Some(r)) => out.push(r),
            Ok(None) => {}
            Err((phase, e)) => out.push(Recovered { id: fallback_id, outcome: phase, error: Some(e.to_string()), kept: Vec::new() }),
        }
    }
    Ok(out)
}

fn recover_one(tx: &TxPaths) -> Result<Option<Recovered>, (Phase, SyncError)> {
    let mut journal = Journal::load(&tx.journal()).map_err(|e| (Phase::Prepared, e))?;
    let phase = journal.phase;
    let err = |e| (phase, e);
    let kept = match journal.phase {
        Phase::Committed | Phase::RolledBack => return Ok(None),
        Phase::Prepared => {
            rollback(&journal, tx, true).map_err(err)?;
            journal.phase = Phase::RolledBack;
            journal.error = Some("interrupted before commit; rolled back".into());
            Vec::new()
        }
        Phase::Committing => match roll_forward(&journal) {
            Ok(kept) => {
                journal.phase = Phase::Committed;
                kept
            }
            Err(e) => {
                // Say so before touching anything: a second interruption continues the rollback.
                journal.phase = Phase::RollingBack;
                journal.error = Some(format!("interrupted during commit and could not be finished ({e}); rolled back"));
                journal.save(&tx.journal()).map_err(err)?;
                let kept = rollback(&journal, tx, false).map_err(|e| (Phase::RollingBack, e))?;
                journal.phase = Phase::RolledBack;
                kept
            }
        },
        Phase::RollingBack => {
            let kept = rollback(&journal, tx, false).map_err(err)?;
            journal.phase = Phase::RolledBack;
            kept
        }
    };
    if !kept.is_empty() {
        let note = format!("{} path(s) changed after the interruption were left as they are: {}", kept.len(), kept.join(", "));
        journal.error = Some(match journal.error.take() {
            Some(e) => format!("{e}; {note}"),
            None => note,
        });
    }
    journal.save(&tx.journal()).map_err(err)?;
    Ok(Some(Recovered { id: journal.id.clone(), outcome: journal.phase, error: None, kept }))
}
