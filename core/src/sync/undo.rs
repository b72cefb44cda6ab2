//! Undo an applied transaction: a new transaction (`<id>.undo`) whose new contents are the
//! original's backups, checked for conflicts against what the original wrote.

use super::apply::{apply, ApplyOptions, ApplyOutcome, Plan, TxPaths};
use super::error::SyncError;
use super::journal::{Journal, JournalOp, Phase};
use std::path::Path;

/// The transaction id an undo of `id` runs under.
pub fn undo_id(id: &str) -> String {
    format!("{id}.undo")
}

/// Restore what transaction `id` overwrote or deleted, and remove what it created.
pub fn undo(tx_root: &Path, id: &str, opts: &ApplyOptions) -> Result<ApplyOutcome, SyncError> {
    let tx = TxPaths::for_id(tx_root, id);
    if !tx.journal().is_file() {
        return Err(SyncError::NothingToUndo { id: id.into(), reason: "it was never applied".into() });
    }
    let journal = Journal::load(&tx.journal())?;
    if journal.phase != Phase::Committed {
        return Err(SyncError::NothingToUndo { id: id.into(), reason: format!("its apply is {:?}, not committed", journal.phase).to_lowercase() });
    }
    let undo_tx = TxPaths::for_id(tx_root, &undo_id(id));
    if undo_tx.journal().is_file() && Journal::load(&undo_tx.journal())?.phase == Phase::Committed {
        return Err(SyncError::NothingToUndo { id: id.into(), reason: "it was undone already".into() });
    }
    let plan = Plan {
        id: undo_id(id),
        project: journal.project.clone(),
        blob_dir: tx.backup_dir(),
        ops: journal.ops.iter().map(|op| JournalOp { path: op.path.clone(), old: op.new.clone(), new: op.old.clone() }).collect(),
    };
    apply(&plan, opts)
}
