//! The one error type every command returns to the web UI.
//!
//! Core errors already say what happened and what to do; this keeps their text and adds a
//! machine-readable `kind` plus, for profile problems, one entry per field so the UI can put
//! each message next to its input.

use sandbox_core::profile::{Problem, ProfileError};
use serde::{Deserialize, Serialize};

/// What kind of failure, so the UI can choose where to show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The input failed core's validation; see `problems`.
    Invalid,
    /// No profile yet: the onboarding wizard is the way forward.
    NoProfile,
    /// A profile already exists where the wizard would write one.
    Exists,
    /// A part of the product that this build does not have yet.
    Unavailable,
    /// Lima, the VM, the keychain, the file system: the message says what to do.
    Failed,
}

/// One problem with one form field (core's `Problem`, minus the line when the UI made the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// Dotted profile field, e.g. `mounts.project`, `resources.memory`.
    pub field: String,
    /// Core's message, word for word (the CLI shows the same text).
    pub message: String,
}

impl From<&Problem> for FieldProblem {
    fn from(p: &Problem) -> Self {
        FieldProblem { field: p.field.clone(), message: p.message.clone() }
    }
}

/// The serializable error of every command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
    pub problems: Vec<FieldProblem>,
}

impl CommandError {
    /// Every message that reaches the UI passes core's redactor: core errors can carry what
    /// the VM printed, and nothing shown may carry a secret value or a token shape.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CommandError { kind, message: sandbox_core::redact::door().redact(&message.into()), problems: Vec::new() }
    }

    pub fn failed(e: impl std::fmt::Display) -> Self {
        Self::new(ErrorKind::Failed, e.to_string())
    }

    pub fn invalid(problems: Vec<FieldProblem>) -> Self {
        let message = match problems.len() {
            1 => format!("`{}` {}", problems[0].field, problems[0].message),
            n => format!("{n} fields need attention"),
        };
        CommandError { kind: ErrorKind::Invalid, message, problems }
    }
}

impl From<ProfileError> for CommandError {
    fn from(e: ProfileError) -> Self {
        match &e {
            ProfileError::NotFound { .. } => CommandError::new(ErrorKind::NoProfile, e.to_string()),
            ProfileError::Exists { .. } => CommandError::new(ErrorKind::Exists, e.to_string()),
            ProfileError::Invalid { problems, .. } => {
                let mut c = CommandError::invalid(problems.iter().map(FieldProblem::from).collect());
                c.message = sandbox_core::redact::door().redact(&e.to_string());
                c
            }
            _ => CommandError::failed(e),
        }
    }
}

impl From<sandbox_core::sandbox::SandboxError> for CommandError {
    fn from(e: sandbox_core::sandbox::SandboxError) -> Self {
        CommandError::failed(e)
    }
}

impl From<sandbox_core::lima::LimaError> for CommandError {
    fn from(e: sandbox_core::lima::LimaError) -> Self {
        CommandError::failed(e)
    }
}

pub type CmdResult<T> = Result<T, CommandError>;
