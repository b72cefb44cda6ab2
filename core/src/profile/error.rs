//! Profile errors: each names the file, the line, the field and the fix.

use std::fmt;
use std::path::PathBuf;

/// One problem found while validating a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted field path, e.g. `resources.cpus`.
    pub field: String,
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: `{}` {}", self.field, self.message),
            None => write!(f, "`{}` {}", self.field, self.message),
        }
    }
}

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("no profile at {path}. Create one with `sandbox init` (or pass --profile PATH)")]
    NotFound { path: PathBuf },

    #[error("cannot read the profile {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the profile {path} has an error at line {line}, column {column}: {message}. Fix that line (see the profile format in the README)")]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },

    #[error("the profile {} has {} problem(s):\n{}", path.display(), problems.len(), list(problems))]
    Invalid { path: PathBuf, problems: Vec<Problem> },

    #[error("cannot write the profile {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("a profile already exists at {path}. Pass --force to replace it, or --profile PATH to write another one")]
    Exists { path: PathBuf },

    #[error("cannot import {path}: {message}")]
    Import { path: PathBuf, message: String },
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
}

impl ProfileError {
    /// The problems, for front ends that show them next to form fields.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ProfileError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

/// 1-based line and column of a byte offset in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = offset - before.iter().rposition(|&b| b == b'\n').map(|p| p + 1).unwrap_or(0) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let s = "a = 1\nbb = 2\n";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 6), (2, 1));
        assert_eq!(line_col(s, 9), (2, 4));
        assert_eq!(line_col(s, 999), (3, 1));
    }
}
