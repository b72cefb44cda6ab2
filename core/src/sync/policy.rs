//! The `[sync]` profile table: raw config (serde) → validated [`SyncPolicy`] → findings per change.

use super::changeset::{Change, ChangeKind};
use super::finding::{rules, Finding, Severity};
use super::host::FileState;
use crate::field_issue::FieldIssue;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

/// What to do about a kind of content that is allowed but worth a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Treatment {
    Allow,
    Warn,
    Block,
}

/// The reference set of blocked extensions (and then some).
pub const DEFAULT_BLOCKED_EXTENSIONS: &[&str] = &[".env", ".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".secret", ".credentials"];

/// `[sync]` as written in the profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncPolicyConfig {
    /// If non-empty, only paths matching one of these globs may sync (e.g. `src/**`).
    pub allow: Vec<String>,
    /// Paths matching any of these globs are blocked (e.g. `**/.ssh/**`).
    pub deny: Vec<String>,
    /// File names ending in one of these (case-insensitive) are blocked, e.g. `.pem`.
    pub blocked_extensions: Vec<String>,
    /// Largest single file that may sync, in bytes.
    pub max_file_bytes: u64,
    /// Largest total of new/changed file contents per request, in bytes.
    pub max_total_bytes: u64,
    /// Binary (non-text) files.
    pub binaries: Treatment,
    /// Files that are (or become) executable.
    pub executables: Treatment,
    /// Allow changes inside `.git/` folders (hooks, config: code execution on the host). Off by default.
    pub allow_git_internals: bool,
    /// In yolo mode, how often (seconds) the gate runs by itself while the app or
    /// `sandbox watch` runs.
    pub yolo_interval_secs: u64,
}

impl Default for SyncPolicyConfig {
    fn default() -> Self {
        SyncPolicyConfig {
            allow: Vec::new(),
            deny: vec!["**/.ssh/**".into(), "**/.gnupg/**".into(), "**/.aws/**".into(), "**/.netrc".into()],
            blocked_extensions: DEFAULT_BLOCKED_EXTENSIONS.iter().map(|s| s.to_string()).collect(),
            max_file_bytes: 50 * 1024 * 1024,
            max_total_bytes: 1024 * 1024 * 1024,
            binaries: Treatment::Warn,
            executables: Treatment::Warn,
            allow_git_internals: false,
            yolo_interval_secs: 30,
        }
    }
}

/// The validated policy.
#[derive(Debug, Clone)]
pub struct SyncPolicy {
    pub config: SyncPolicyConfig,
    allow: Option<GlobSet>,
    deny: GlobSet,
    extensions: Vec<String>,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        SyncPolicyConfig::default().validate().expect("the default sync policy is valid")
    }
}

/// Compile globs; `ignore_case` for deny globs, which must also catch `.SSH/` (a
/// case-insensitive host, e.g. macOS, writes it into `.ssh/`).
fn compile(globs: &[String], field: &str, ignore_case: bool, issues: &mut Vec<FieldIssue>) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for (i, g) in globs.iter().enumerate() {
        if g.starts_with('/') {
            issues.push(FieldIssue {
                field: format!("sync.{field}[{i}]"),
                message: format!("`{g}` is absolute; globs are relative to the project, write `{}`", g.trim_start_matches('/')),
            });
            continue;
        }
        match GlobBuilder::new(g).case_insensitive(ignore_case).build() {
            Ok(glob) => {
                b.add(glob);
            }
            Err(e) => issues.push(FieldIssue {
                field: format!("sync.{field}[{i}]"),
                message: format!("`{g}` is not a valid glob ({}); e.g. `src/**` or `**/*.log`", e.kind()),
            }),
        }
    }
    b.build().unwrap_or_else(|e| {
        issues.push(FieldIssue { field: format!("sync.{field}"), message: format!("the globs cannot be combined ({e}); simplify them") });
        GlobSet::empty()
    })
}

impl SyncPolicyConfig {
    pub fn validate(&self) -> Result<SyncPolicy, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let allow = compile(&self.allow, "allow", false, &mut issues);
        let deny = compile(&self.deny, "deny", true, &mut issues);
        let mut extensions = Vec::new();
        for (i, e) in self.blocked_extensions.iter().enumerate() {
            if !e.starts_with('.') || e.len() < 2 || e.contains('/') {
                issues.push(FieldIssue {
                    field: format!("sync.blocked_extensions[{i}]"),
                    message: format!("`{e}` is not an extension; write it with a leading dot and no slash, e.g. `.pem`"),
                });
            } else {
                extensions.push(e.to_lowercase());
            }
        }
        if self.max_file_bytes == 0 {
            issues.push(FieldIssue { field: "sync.max_file_bytes".into(), message: "must be above 0; e.g. 52428800 for 50 MiB".into() });
        }
        if self.max_total_bytes < self.max_file_bytes {
            issues.push(FieldIssue {
                field: "sync.max_total_bytes".into(),
                message: format!("is below sync.max_file_bytes ({}); raise it to at least that", self.max_file_bytes),
            });
        }
        if !(5..=86_400).contains(&self.yolo_interval_secs) {
            issues.push(FieldIssue {
                field: "sync.yolo_interval_secs".into(),
                message: format!("is {}; use 5 to 86400 seconds (default 30)", self.yolo_interval_secs),
            });
        }
        if !issues.is_empty() {
            return Err(issues);
        }
        Ok(SyncPolicy { config: self.clone(), allow: if self.allow.is_empty() { None } else { Some(allow) }, deny, extensions })
    }
}

/// Files and folders that make tools run code from the project (git attributes and
/// submodules, direnv, editor tasks, CI workflows, hook managers, package-manager config):
/// allowed, but the reviewer is told. Lower-case; a trailing `/` means "anything below".
pub const RUNS_CODE: &[&str] = &[
    ".gitattributes",
    ".gitmodules",
    ".envrc",
    ".vscode/",
    ".idea/",
    ".devcontainer/",
    ".github/workflows/",
    ".gitlab-ci.yml",
    ".pre-commit-config.yaml",
    ".husky/",
    ".npmrc",
    ".cargo/config",
    ".cargo/config.toml",
];

/// The [`RUNS_CODE`] entry `path` falls under, if any (matched at any depth, ignoring case).
pub fn runs_code(path: &str) -> Option<&'static str> {
    let lower = path.to_lowercase();
    let comps: Vec<&str> = lower.split('/').collect();
    RUNS_CODE.iter().copied().find(|pat| {
        let (pat_comps, below): (Vec<&str>, bool) = match pat.strip_suffix('/') {
            Some(dir) => (dir.split('/').collect(), true),
            None => (pat.split('/').collect(), false),
        };
        comps.windows(pat_comps.len()).enumerate().any(|(i, w)| {
            let end = i + pat_comps.len();
            w == pat_comps.as_slice() && if below { end < comps.len() } else { end == comps.len() }
        })
    })
}

/// True if any component is `.git` (a repo's internals or a submodule's `.git` file).
pub fn is_git_internal(path: &str) -> bool {
    path.split('/').any(|c| c.eq_ignore_ascii_case(".git"))
}

impl SyncPolicy {
    /// Findings for one change (content findings come from the scanner separately).
    pub fn evaluate(&self, change: &Change, out: &mut Vec<Finding>) {
        let path = change.path.as_str();
        let p = Some(path);
        if !self.config.allow_git_internals && is_git_internal(path) {
            out.push(Finding::block(
                p,
                rules::GIT_INTERNALS,
                "changes inside .git/ can run code on the host (hooks, config); make them on the host, or set sync.allow_git_internals = true",
            ));
        }
        if let Some(what) = runs_code(path) {
            if !change.new.is_missing() {
                out.push(Finding::warn(
                    p,
                    rules::RUNS_CODE,
                    format!("`{what}` makes tools (git, direnv, editors, CI, package managers) run code from the project; read it before approving"),
                ));
            }
        }
        if self.deny.is_match(path) {
            out.push(Finding::block(p, rules::DENIED_PATH, "the path matches a sync.deny glob; move the file, or edit sync.deny in the profile"));
        }
        if let Some(allow) = &self.allow {
            if !allow.is_match(path) {
                out.push(Finding::block(p, rules::NOT_ALLOWED, "the path matches none of the sync.allow globs; move the file, or add a glob to sync.allow"));
            }
        }
        let FileState::File { size, mode, .. } = &change.new else { return };
        if !matches!(change.kind, ChangeKind::Added | ChangeKind::Modified | ChangeKind::Mode) {
            return;
        }
        let name = change.path.file_name().to_lowercase();
        if let Some(ext) = self.extensions.iter().find(|e| name.ends_with(e.as_str()) || name.starts_with(&format!("{}.", e))) {
            out.push(Finding::block(
                p,
                rules::BLOCKED_EXTENSION,
                format!("files ending in `{ext}` usually hold secrets and are blocked; keep it in the sandbox, or edit sync.blocked_extensions"),
            ));
        }
        if *size > self.config.max_file_bytes {
            out.push(Finding::block(
                p,
                rules::FILE_TOO_LARGE,
                format!("{size} bytes is above sync.max_file_bytes ({}); raise the limit or keep the file in the sandbox", self.config.max_file_bytes),
            ));
        }
        if change.binary {
            push_treated(out, self.config.binaries, p, rules::BINARY, "binary file (not UTF-8 text); review it carefully, or set sync.binaries");
        }
        let old_exec = matches!(&change.old, FileState::File { mode, .. } if mode & 0o111 != 0);
        if mode & 0o111 != 0 && !old_exec {
            push_treated(out, self.config.executables, p, rules::EXECUTABLE, "file becomes executable; review it carefully, or set sync.executables");
        }
    }

    /// Findings about a whole selection (total size).
    pub fn evaluate_total(&self, changes: &[&Change], out: &mut Vec<Finding>) {
        let total: u64 = changes
            .iter()
            .filter_map(|c| match (&c.kind, &c.new) {
                (ChangeKind::Added | ChangeKind::Modified | ChangeKind::Mode, FileState::File { size, .. }) => Some(*size),
                _ => None,
            })
            .sum();
        if total > self.config.max_total_bytes {
            out.push(Finding::block(
                None,
                rules::TOTAL_TOO_LARGE,
                format!("{total} bytes of new content is above sync.max_total_bytes ({}); approve fewer paths or raise the limit", self.config.max_total_bytes),
            ));
        }
    }
}

fn push_treated(out: &mut Vec<Finding>, t: Treatment, p: Option<&str>, rule: &str, msg: &str) {
    let sev = match t {
        Treatment::Allow => return,
        Treatment::Warn => Severity::Warn,
        Treatment::Block => Severity::Block,
    };
    out.push(Finding { path: p.map(String::from), line: None, rule: rule.into(), severity: sev, message: msg.into() });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_round_trip() {
        let c = SyncPolicyConfig::default();
        assert!(c.validate().is_ok());
        let toml_text = toml::to_string(&c).unwrap();
        let back: SyncPolicyConfig = toml::from_str(&toml_text).unwrap();
        assert_eq!(back, c);
        let empty: SyncPolicyConfig = toml::from_str("").unwrap();
        assert_eq!(empty, c);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(toml::from_str::<SyncPolicyConfig>("max_file_size = 3").is_err());
    }

    #[test]
    fn bad_fields_name_the_field_and_the_fix() {
        let c = SyncPolicyConfig {
            deny: vec!["ok/**".into(), "[bad".into()],
            allow: vec!["/abs/**".into()],
            blocked_extensions: vec!["pem".into()],
            max_file_bytes: 0,
            ..Default::default()
        };
        let issues = c.validate().unwrap_err();
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert!(fields.contains(&"sync.deny[1]"), "{fields:?}");
        assert!(fields.contains(&"sync.allow[0]"));
        assert!(fields.contains(&"sync.blocked_extensions[0]"));
        assert!(fields.contains(&"sync.max_file_bytes"));
        assert!(issues.iter().all(|i| !i.message.is_empty()));
    }

    #[test]
    fn files_that_run_code_are_recognised_at_any_depth() {
        assert_eq!(runs_code(".envrc"), Some(".envrc"));
        assert_eq!(runs_code("sub/.GitAttributes"), Some(".gitattributes"));
        assert_eq!(runs_code(".vscode/tasks.json"), Some(".vscode/"));
        assert_eq!(runs_code(".github/workflows/ci.yml"), Some(".github/workflows/"));
        assert_eq!(runs_code(".github/README.md"), None);
        assert_eq!(runs_code("docs/envrc"), None);
        assert_eq!(runs_code(".vscode"), None);
    }

    #[test]
    fn git_internals_detection() {
        assert!(is_git_internal(".git/hooks/pre-commit"));
        assert!(is_git_internal("vendor/lib/.git"));
        assert!(!is_git_internal(".github/workflows/ci.yml"));
        assert!(!is_git_internal(".gitignore"));
    }
}
