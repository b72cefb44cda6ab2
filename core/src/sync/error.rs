//! The sync gate's error type. Every message says what happened and what to do next.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the change stream is not a readable tar archive ({detail}); re-export the overlay upper dir with `tar --xattrs --xattrs-include='trusted.overlay.*' -C <upper> -cf - .` and retry")]
    MalformedTar { detail: String },

    #[error("cannot read the project folder {path}: {source}; check that it exists and is readable")]
    Project { path: PathBuf, source: std::io::Error },

    #[error("sync state I/O failed at {path}: {source}; check free space and permissions of the data folder")]
    State { path: PathBuf, source: std::io::Error },

    #[error("sync state file {path} is corrupt ({detail}); move it aside and run `sandbox sync recover`")]
    CorruptState { path: PathBuf, detail: String },

    #[error("{count} host file(s) changed since the request was reviewed (first: {first}); nothing was applied. Review again, or pass --force to overwrite them (they are backed up)")]
    Conflict { count: usize, first: String, paths: Vec<String> },

    #[error("the request is blocked by {count} finding(s) (first: {first}); nothing was applied. Fix the findings in the sandbox, or approve only paths without blocking findings (--paths)")]
    Blocked { count: usize, first: String },

    #[error("applying {path} failed: {detail}; every change of this request was rolled back, the host project is unchanged")]
    ApplyFailed { path: String, detail: String },

    #[error("applying {path} failed ({detail}) and the rollback failed too ({rollback}); run `sandbox sync recover`, backups are kept in {backups}")]
    RollbackFailed { path: String, detail: String, rollback: String, backups: PathBuf },

    #[error("applying {path} failed ({detail}); the rest was rolled back, but {count} path(s) changed meanwhile and were left as they are (first: {first}); check them, backups are kept in {backups}")]
    PartlyRolledBack { path: String, detail: String, first: String, count: usize, backups: PathBuf },

    #[error("injected failure at {point} (test hook); run `sandbox sync recover`")]
    Injected { point: String },

    #[error("no sync request {id}; list requests with `sandbox sync list`")]
    NoSuchRequest { id: String },

    #[error("request {id} is {state}; {hint}")]
    WrongState { id: String, state: String, hint: String },

    #[error("path {path} is not part of request {id}; `sandbox sync show {id}` lists its paths")]
    UnknownPath { id: String, path: String },

    #[error("request {id} has nothing to undo: {reason}")]
    NothingToUndo { id: String, reason: String },
}

impl SyncError {
    pub(crate) fn state(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SyncError::State { path: path.into(), source }
    }
}
