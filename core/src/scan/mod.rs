//! Secret scanner (issue #3): a keyword-prefiltered multi-rule engine with entropy floors,
//! allowlists and `gitleaks:allow` comments; gitleaks-style decoding of percent/hex/base64 runs
//! (`decode`); our own built-in rules; gitleaks config loading
//! and gitleaks' JSON report format; a parallel directory walker. (The labelled corpus generator for its tests and benchmark is
//! the dev-only crate `testkit/scan-corpus`.)
//!
//! The sync gate calls [`Scanner::builtin`] and [`Scanner::scan_bytes`] (or
//! [`Scanner::scan_bytes_within`] with one [`RequestBudget`] per request). A [`Scanner`] is an
//! `Arc` around compiled rules: cheap to clone, `Send + Sync`. By default inline allow markers
//! count for nothing and findings are capped per file ([`ScanLimits`]).

pub mod allowlist;
mod builtin;
pub mod decode;
mod engine;
pub mod entropy;
pub mod filters;
pub mod gitleaks_config;
pub mod gitleaks_ids;
pub mod go_regex;
pub mod inline_allow;
mod k8s_secret;
pub mod limits;
mod redact;
pub mod report;
pub mod rule;
pub mod walk;

pub use allowlist::{Allowlist, Condition, RegexTarget, StopwordIndex};
pub use gitleaks_config::ConfigError;
pub use inline_allow::InlineAllow;
pub use limits::{RequestBudget, ScanLimits, CAPPED_RULE_ID};
pub use rule::{Rule, Tail, Window};
pub use walk::{scan_paths, ScanOutcome, WalkOptions};

use serde::Serialize;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// One secret found in one file. Never holds the secret itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretFinding {
    pub rule_id: String,
    pub description: String,
    /// Path as given to the scanner (project-relative, `/`-separated in the sync gate).
    pub path: String,
    /// 1-based (0 for path-only rules).
    pub start_line: usize,
    pub end_line: usize,
    /// 1-based, in bytes; `end_column` is the column of the match's last byte.
    pub start_column: usize,
    pub end_column: usize,
    /// The matched text with the secret part redacted.
    pub redacted_match: String,
    /// The secret, redacted: at most its first 4 characters, then `REDACTED`.
    pub redacted_secret: String,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f32,
    /// Stable id of the finding: `path:rule:line` (gitleaks' form for non-git scans).
    pub fingerprint: String,
    pub tags: Vec<String>,
    /// Where the secret is: in the content (lines and columns count there), or in the
    /// path's own name or a symlink's target (lines are 0).
    #[serde(skip_serializing_if = "Location::is_content")]
    pub location: Location,
}

impl SecretFinding {
    /// A finding about a whole file, with no position (path-only rules, the capped marker).
    pub(crate) fn whole_file(path: &str, rule_id: &str, description: String, tags: Vec<String>) -> SecretFinding {
        SecretFinding {
            rule_id: rule_id.to_string(),
            description,
            path: path.to_string(),
            start_line: 0,
            end_line: 0,
            start_column: 0,
            end_column: 0,
            redacted_match: String::new(),
            redacted_secret: String::new(),
            entropy: 0.0,
            fingerprint: format!("{path}:{rule_id}:0"),
            tags,
            location: Location::Content,
        }
    }
}

/// Where a secret was found. git stores and pushes names and symlink targets as well as
/// content, so all three are scanned in the sync gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Location {
    #[default]
    Content,
    Name,
    SymlinkTarget,
}

impl Location {
    pub fn is_content(&self) -> bool {
        *self == Location::Content
    }
}

/// A compiled rule set. Cheap to clone (shared), `Send + Sync`.
#[derive(Clone)]
pub struct Scanner {
    engine: Arc<engine::Engine>,
    inline_allow: InlineAllow,
    limits: ScanLimits,
    max_decode_depth: usize,
}

impl fmt::Debug for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.engine.rules.len())
            .field("global_allowlists", &self.engine.global.len())
            .field("inline_allow", &self.inline_allow)
            .field("limits", &self.limits)
            .field("max_decode_depth", &self.max_decode_depth)
            .finish()
    }
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::builtin()
    }
}

impl Scanner {
    /// The built-in rules. Compiled once per process; later calls share it.
    pub fn builtin() -> Self {
        static BUILTIN: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
        BUILTIN.get_or_init(|| Scanner::from_rules(builtin::rules(), Vec::new())).clone()
    }

    /// The built-in rules, uncompiled (to extend or filter them).
    pub fn builtin_rules() -> Vec<Rule> {
        builtin::rules()
    }

    /// Any rule set with global allowlists.
    pub fn from_rules(rules: Vec<Rule>, global_allowlists: Vec<Allowlist>) -> Self {
        Scanner {
            engine: Arc::new(engine::Engine::new(rules, global_allowlists)),
            inline_allow: InlineAllow::default(),
            limits: ScanLimits::default(),
            max_decode_depth: decode::DEFAULT_MAX_DECODE_DEPTH,
        }
    }

    /// The same rules with another inline-marker policy (the default ignores markers).
    pub fn with_inline_allow(mut self, inline_allow: InlineAllow) -> Self {
        self.inline_allow = inline_allow;
        self
    }

    /// The same rules with other finding caps.
    pub fn with_limits(mut self, limits: ScanLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The same rules with another number of decoding passes (gitleaks'
    /// `--max-decode-depth`; default 5, 0 = no decoding).
    pub fn with_max_decode_depth(mut self, depth: usize) -> Self {
        self.max_decode_depth = depth;
        self
    }

    pub fn max_decode_depth(&self) -> usize {
        self.max_decode_depth
    }

    pub fn inline_allow(&self) -> InlineAllow {
        self.inline_allow
    }

    pub fn limits(&self) -> ScanLimits {
        self.limits
    }

    /// A fresh per-request budget for [`Scanner::scan_bytes_within`].
    pub fn request_budget(&self) -> RequestBudget {
        RequestBudget::new(self.limits.per_request)
    }

    /// Rules from a gitleaks config file (`.gitleaks.toml`); `[extend] useDefault = true`
    /// extends our built-in rules.
    pub fn from_gitleaks_config(path: &Path) -> Result<Self, ConfigError> {
        let cfg = gitleaks_config::load_file(path)?;
        Ok(Scanner::from_rules(cfg.rules, cfg.allowlists))
    }

    /// Rules from gitleaks config text; `base_dir` resolves `[extend] path`.
    pub fn from_gitleaks_toml(text: &str, base_dir: &Path) -> Result<Self, ConfigError> {
        let cfg = gitleaks_config::load_str(text, base_dir, "<config>")?;
        Ok(Scanner::from_rules(cfg.rules, cfg.allowlists))
    }

    /// The compiled rules.
    pub fn rules(&self) -> &[Rule] {
        &self.engine.rules
    }

    /// Scan one file's bytes: at most `limits().per_file` findings, then one
    /// [`CAPPED_RULE_ID`] marker when there were more.
    pub fn scan_bytes(&self, path: &str, data: &[u8]) -> Vec<SecretFinding> {
        self.scan_capped(path, data, self.limits.per_file)
    }

    /// [`Scanner::scan_bytes`] within a request's budget: once the request has listed
    /// `limits().per_request` findings, a file with findings yields only the marker.
    pub fn scan_bytes_within(&self, path: &str, data: &[u8], budget: &RequestBudget) -> Vec<SecretFinding> {
        let mut found = self.scan_bytes(path, data);
        let capped = found.last().is_some_and(|f| f.rule_id == CAPPED_RULE_ID);
        let real = found.len() - usize::from(capped);
        let granted = budget.take(real);
        if granted < real {
            budget.record_omitted(real - granted);
            found.truncate(granted);
            found.push(limits::capped_marker(path, granted));
        }
        found
    }

    /// Scan a path's own text: a token in a file or folder name travels with it (git stores
    /// and pushes names). Findings have `location: Name` and line 0.
    pub fn scan_name(&self, path: &str) -> Vec<SecretFinding> {
        self.scan_text_of(path, path, Location::Name)
    }

    /// Scan a symlink's target text (git stores it as the link's content).
    pub fn scan_symlink_target(&self, path: &str, target: &str) -> Vec<SecretFinding> {
        self.scan_text_of(path, target, Location::SymlinkTarget)
    }

    /// Scan one content reachable under several names (hard links): findings under every
    /// name, since rules and allowlists may treat names differently (a lockfile's content
    /// is not exempt once it is also `config.env`).
    pub fn scan_bytes_as(&self, names: &[&str], data: &[u8]) -> Vec<SecretFinding> {
        names.iter().flat_map(|name| self.scan_bytes(name, data)).collect()
    }

    fn scan_text_of(&self, path: &str, text: &str, location: Location) -> Vec<SecretFinding> {
        let what = match location {
            Location::Name => "in the name",
            _ => "in the symlink target",
        };
        let mut found = self.scan_bytes(path, text.as_bytes());
        // The fingerprint must not repeat a name that holds a secret: a digest stands in.
        let digest: String = {
            use sha2::Digest as _;
            sha2::Sha256::digest(path.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
        };
        for f in &mut found {
            f.location = location;
            f.description = format!("{} ({what})", f.description);
            f.start_line = 0;
            f.end_line = 0;
            let kind = if location == Location::Name { "name" } else { "symlink-target" };
            f.fingerprint = format!("{kind}-{digest}:{}", f.rule_id);
        }
        found
    }

    fn scan_capped(&self, path: &str, data: &[u8], cap: usize) -> Vec<SecretFinding> {
        let settings = engine::ScanSettings { inline_allow: self.inline_allow, max_findings: cap, max_decode_depth: self.max_decode_depth };
        let engine::FileFindings { mut findings, stopped_early } = self.engine.scan(path, data, &settings);
        if findings.len() > cap || stopped_early {
            findings.truncate(cap);
            findings.push(limits::capped_marker(path, cap.min(findings.len())));
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn scanner_is_shareable() {
        assert_send_sync::<Scanner>();
    }

    #[test]
    fn builtin_rule_ids_are_unique() {
        let rules = Scanner::builtin_rules();
        let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
