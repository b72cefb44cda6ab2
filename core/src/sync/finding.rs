//! Findings: one problem with one path (or the whole change set), with a severity.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The path (or, without a path, the whole request) cannot be applied.
    Block,
    /// Shown to the reviewer; does not stop an apply.
    Warn,
}

/// One finding. `rule` is `refuse/…` (hard refusals no policy can lift), `policy/…` or `secret/…`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Project-relative path; `None` for findings about the whole change set.
    pub path: Option<String>,
    /// 1-based line for content findings.
    pub line: Option<usize>,
    pub rule: String,
    pub severity: Severity,
    pub message: String,
}

impl Finding {
    pub fn block(path: Option<&str>, rule: &str, message: impl Into<String>) -> Self {
        Finding { path: path.map(String::from), line: None, rule: rule.into(), severity: Severity::Block, message: message.into() }
    }

    pub fn warn(path: Option<&str>, rule: &str, message: impl Into<String>) -> Self {
        Finding { path: path.map(String::from), line: None, rule: rule.into(), severity: Severity::Warn, message: message.into() }
    }

    pub fn is_block(&self) -> bool {
        self.severity == Severity::Block
    }
}

/// `s` safe to show a reviewer: control characters and bidirectional-text overrides (which
/// could move a terminal's cursor or disguise a name) escaped as `\u{..}`, and at most 200
/// characters kept.
pub fn quoted(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 200 {
            out.push('…');
            break;
        }
        if c.is_control() || is_bidi_control(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Bidirectional-text controls: they reorder how a name is displayed (`Trojan Source`).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Rule ids (stable: tests, docs and the review UI key on them).
pub mod rules {
    pub const ABSOLUTE_PATH: &str = "refuse/absolute-path";
    pub const PARENT_DIR: &str = "refuse/parent-dir";
    pub const PATH_TOO_DEEP: &str = "refuse/path-too-deep";
    pub const UNSAFE_NAME: &str = "refuse/unsafe-name";
    pub const THROUGH_SYMLINK: &str = "refuse/through-symlink";
    pub const SYMLINK_ESCAPE: &str = "refuse/symlink-escape";
    pub const HARDLINK_OUTSIDE: &str = "refuse/hardlink-outside";
    pub const HARDLINK_UNSCANNED: &str = "refuse/hardlink-unscanned";
    pub const SPECIAL_FILE: &str = "refuse/special-file";
    pub const SETUID: &str = "refuse/setuid";
    pub const OVERLAY_REDIRECT: &str = "refuse/overlay-redirect";
    pub const OVERLAY_METACOPY: &str = "refuse/overlay-metacopy";
    pub const OVERLAY_UNSUPPORTED: &str = "refuse/overlay-unsupported";
    pub const NAME_COLLISION: &str = "refuse/name-collision";
    pub const DUPLICATE_ENTRY: &str = "refuse/duplicate-entry";
    pub const INCONSISTENT: &str = "refuse/inconsistent-stream";
    pub const RESERVED_NAME: &str = "refuse/reserved-name";
    pub const GIT_INTERNALS: &str = "policy/git-internals";
    pub const RUNS_CODE: &str = "policy/runs-code";
    pub const DENIED_PATH: &str = "policy/denied-path";
    pub const NOT_ALLOWED: &str = "policy/not-allowed";
    pub const BLOCKED_EXTENSION: &str = "policy/blocked-extension";
    pub const FILE_TOO_LARGE: &str = "policy/file-too-large";
    pub const TOTAL_TOO_LARGE: &str = "policy/total-too-large";
    pub const BINARY: &str = "policy/binary";
    pub const EXECUTABLE: &str = "policy/executable";
    pub const CASE_COLLISION_ELSEWHERE: &str = "policy/portable-name";
    pub const SECRET_PREFIX: &str = "secret/";
    pub const PROBE_FAILED: &str = "policy/fs-probe-failed";
}
