//! Everything that can go wrong with secrets. No message ever contains a secret value: store
//! errors are rebuilt from their kind (never from the platform error's payload), and a name
//! that looks like a token is not echoed back.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("`{shown}` is not a valid secret name: {reason}. Names look like ANTHROPIC_API_KEY: capital letters, digits and `_`, not starting with a digit")]
    InvalidName { shown: String, reason: &'static str },

    #[error("{backend} is not reachable: {detail}. {hint}")]
    StoreUnavailable { backend: String, detail: String, hint: String },

    #[error("{message}")]
    BadStoreChoice { message: String },

    #[error("the keychain task stopped unexpectedly ({detail}); retry, and report a bug if it keeps happening")]
    TaskFailed { detail: String },

    #[error("{backend} is locked, so secrets cannot be read or stored. {hint}")]
    StoreLocked { backend: String, hint: String },

    #[error("{backend} failed to {op} `{name}`: {detail}. Run `sandbox secrets check`, then retry")]
    Store { backend: String, op: &'static str, name: String, detail: String },

    #[error("the stored value of `{name}` is not UTF-8 text; store it again with `sandbox secrets set {name}`")]
    NotText { name: String },

    #[error("the value for `{name}` is empty; to remove a secret use `sandbox secrets rm {name}`")]
    EmptyValue { name: String },

    #[error("no profile at {path}; create one with `sandbox init` (or pass --profile PATH)")]
    ProfileMissing { path: PathBuf },

    #[error(
        "the values are stored in {backend}, but the profile's list of secret names could not be updated ({detail}); fix the profile, then store them again"
    )]
    IndexNotUpdated { backend: String, detail: String },

    #[error("cannot edit the profile {path}: {detail}. Fix the file (or restore it from your backup), then retry")]
    ProfileInvalid { path: PathBuf, detail: String },

    #[error("cannot {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}:{line}: {message}")]
    Dotenv { path: PathBuf, line: usize, message: String },

    #[error("{count} problem(s) in {path}, nothing was imported:\n{list}")]
    DotenvInvalid { path: PathBuf, count: usize, list: String },

    #[error("importing `{name}` failed ({cause}); the {restored} secret(s) this import had already stored were put back as they were, so nothing changed")]
    ImportRolledBack { name: String, cause: Box<SecretsError>, restored: usize },

    #[error("importing `{name}` failed ({cause}) and putting back `{unrestored}` failed too; run `sandbox secrets list` and set it again")]
    ImportPartiallyRolledBack { name: String, cause: Box<SecretsError>, unrestored: String },

    #[error("`{user}` is not a valid agent user name; use a plain Linux user name such as `openclaw`")]
    InvalidAgentUser { user: String },

    #[error(transparent)]
    Vm(#[from] crate::vm::VmError),

    #[error("writing secrets into the VM failed (exit {status}): {stderr}. Check `sandbox status`, then run `sandbox secrets push`")]
    PushFailed { status: i32, stderr: String },
}
