//! Secret scanner (issue #3): a keyword-prefiltered multi-rule engine with entropy floors,
//! allowlists and `gitleaks:allow` comments; our own built-in rules; gitleaks config loading
//! and gitleaks' JSON report format; a parallel directory walker; a labelled corpus generator.
//!
//! The sync gate calls [`Scanner::builtin`] and [`Scanner::scan_bytes`]. A [`Scanner`] is an
//! `Arc` around compiled rules: cheap to clone, `Send + Sync`.

pub mod allowlist;
mod builtin;
pub mod corpus;
mod engine;
pub mod entropy;
pub mod filters;
pub mod gitleaks_config;
mod redact;
pub mod report;
pub mod rule;
pub mod walk;

pub use allowlist::{Allowlist, Condition, RegexTarget};
pub use gitleaks_config::ConfigError;
pub use rule::{Rule, Window};
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
}

/// A compiled rule set. Cheap to clone (shared), `Send + Sync`.
#[derive(Clone)]
pub struct Scanner {
    engine: Arc<engine::Engine>,
}

impl fmt::Debug for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.engine.rules.len())
            .field("global_allowlists", &self.engine.global.len())
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
        Scanner { engine: Arc::new(engine::Engine::new(rules, global_allowlists)) }
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

    /// Scan one file's bytes.
    pub fn scan_bytes(&self, path: &str, data: &[u8]) -> Vec<SecretFinding> {
        self.engine.scan(path, data)
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
