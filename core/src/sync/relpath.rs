//! Project-relative paths: `/`-separated, no `.`/`..`/empty components, valid UTF-8.

use std::fmt;

/// A validated path relative to the project root, e.g. `src/main.rs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct RelPath(String);

/// Why a path from the tar stream is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    Absolute,
    ParentDir,
    NotUtf8,
    ControlChar,
    /// More than [`MAX_DEPTH`] components.
    TooDeep,
    /// Longer than [`MAX_PATH_BYTES`].
    TooLong,
}

/// Deepest project path the gate handles (components). Real trees stay far below; a cap
/// keeps every per-entry cost (ancestor walks, lookups) bounded.
pub const MAX_DEPTH: usize = 256;
/// Longest project path the gate handles, in bytes (Linux's PATH_MAX).
pub const MAX_PATH_BYTES: usize = 4096;

impl RelPath {
    /// Parse a tar member name (GNU tar writes `./a/b`, `./dir/`). `Ok(None)` is the root itself.
    pub fn from_tar(raw: &[u8]) -> Result<Option<RelPath>, PathProblem> {
        let s = std::str::from_utf8(raw).map_err(|_| PathProblem::NotUtf8)?;
        Self::parse(s)
    }

    /// Parse a `/`-separated relative path; `.` components and trailing slashes are dropped.
    pub fn parse(s: &str) -> Result<Option<RelPath>, PathProblem> {
        if s.starts_with('/') {
            return Err(PathProblem::Absolute);
        }
        if s.len() > MAX_PATH_BYTES + 2 {
            return Err(PathProblem::TooLong);
        }
        if s.chars().any(|c| c.is_control() || super::finding::is_bidi_control(c)) {
            return Err(PathProblem::ControlChar);
        }
        let mut parts: Vec<&str> = Vec::new();
        for comp in s.split('/') {
            match comp {
                "" | "." => {}
                ".." => return Err(PathProblem::ParentDir),
                c => parts.push(c),
            }
        }
        if parts.is_empty() {
            return Ok(None);
        }
        if parts.len() > MAX_DEPTH {
            return Err(PathProblem::TooDeep);
        }
        let joined = parts.join("/");
        if joined.len() > MAX_PATH_BYTES {
            return Err(PathProblem::TooLong);
        }
        Ok(Some(RelPath(joined)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The parent path, `None` at the top level.
    pub fn parent(&self) -> Option<RelPath> {
        self.0.rfind('/').map(|i| RelPath(self.0[..i].to_string()))
    }

    /// Every proper ancestor, outermost first (`a`, `a/b` for `a/b/c`).
    pub fn ancestors(&self) -> Vec<RelPath> {
        let mut out = Vec::new();
        for (i, ch) in self.0.char_indices() {
            if ch == '/' {
                out.push(RelPath(self.0[..i].to_string()));
            }
        }
        out
    }

    pub fn join(&self, name: &str) -> RelPath {
        RelPath(format!("{}/{}", self.0, name))
    }

    pub fn depth(&self) -> usize {
        self.0.matches('/').count() + 1
    }

    /// True if `self` is `other` or lies below it.
    pub fn is_within(&self, other: &RelPath) -> bool {
        self.0 == other.0 || (self.0.starts_with(&other.0) && self.0.as_bytes().get(other.0.len()) == Some(&b'/'))
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Resolve a symlink `target` written at `link` lexically; `None` if it leaves the project.
pub fn resolve_link_target(link: &RelPath, target: &str) -> Option<Vec<String>> {
    if target.starts_with('/') || target.is_empty() {
        return None;
    }
    let mut stack: Vec<String> = link.parent().map(|p| p.components().map(String::from).collect()).unwrap_or_default();
    for comp in target.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                stack.pop()?;
            }
            c => stack.push(c.to_string()),
        }
    }
    Some(stack)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RelPath {
        RelPath::parse(s).unwrap().unwrap()
    }

    #[test]
    fn gnu_tar_names_are_normalised() {
        assert_eq!(RelPath::from_tar(b"./a/b/").unwrap(), Some(p("a/b")));
        assert_eq!(RelPath::from_tar(b"./").unwrap(), None);
        assert_eq!(RelPath::from_tar(b".").unwrap(), None);
    }

    #[test]
    fn hostile_names_are_refused() {
        assert_eq!(RelPath::from_tar(b"/etc/passwd"), Err(PathProblem::Absolute));
        assert_eq!(RelPath::from_tar(b"./a/../../x"), Err(PathProblem::ParentDir));
        assert_eq!(RelPath::from_tar(b"a\xff"), Err(PathProblem::NotUtf8));
        assert_eq!(RelPath::from_tar(b"a\nb"), Err(PathProblem::ControlChar));
        assert_eq!(RelPath::parse(&"a/".repeat(MAX_DEPTH + 1)), Err(PathProblem::TooDeep));
        assert!(RelPath::parse(&"a/".repeat(MAX_DEPTH)).unwrap().is_some());
        assert_eq!(RelPath::parse(&"x".repeat(MAX_PATH_BYTES + 1)), Err(PathProblem::TooLong));
    }

    #[test]
    fn ancestors_and_within() {
        let x = p("a/b/c");
        assert_eq!(x.ancestors(), vec![p("a"), p("a/b")]);
        assert!(x.is_within(&p("a/b")));
        assert!(!p("a/bc").is_within(&p("a/b")));
        assert_eq!(x.parent(), Some(p("a/b")));
        assert_eq!(x.file_name(), "c");
    }

    #[test]
    fn link_targets_resolve_lexically() {
        assert_eq!(resolve_link_target(&p("a/l"), "../b"), Some(vec!["b".to_string()]));
        assert_eq!(resolve_link_target(&p("a/l"), "../../b"), None);
        assert_eq!(resolve_link_target(&p("l"), "/etc/passwd"), None);
    }
}
