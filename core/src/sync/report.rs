//! The check result and its JSON contract (`sandbox sync check --json`).

use super::changeset::Change;
use super::finding::{Finding, Severity};
use super::probe::HostFsBehaviour;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    pub changes: Vec<Change>,
    pub findings: Vec<Finding>,
    pub blocked: bool,
    pub host_fs: HostFsBehaviour,
}

impl CheckReport {
    pub fn new(changes: Vec<Change>, mut findings: Vec<Finding>, host_fs: HostFsBehaviour) -> Self {
        findings.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
        findings.dedup();
        let blocked = findings.iter().any(Finding::is_block);
        CheckReport { changes, findings, blocked, host_fs }
    }

    /// Paths with a blocking finding.
    pub fn blocked_paths(&self) -> HashSet<&str> {
        self.findings.iter().filter(|f| f.is_block()).filter_map(|f| f.path.as_deref()).collect()
    }

    /// The documented JSON: `{"changes":[{path,kind,size,sha256,type_change}], "findings":[{path,line,rule,severity,message}], "blocked"}`
    /// (`type_change`: `{"from","to"}` when an entry changes type, else null).
    pub fn contract_json(&self) -> serde_json::Value {
        contract_json(&self.changes, &self.findings)
    }
}

/// The documented JSON for any list of changes and findings.
pub fn contract_json(changes: &[Change], findings: &[Finding]) -> serde_json::Value {
    let changes: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            let type_change = c.type_change().map(|(from, to)| serde_json::json!({"from": from, "to": to}));
            serde_json::json!({"path": c.path.as_str(), "kind": c.kind, "size": c.size(), "sha256": c.sha256(), "type_change": type_change})
        })
        .collect();
    let blocked = findings.iter().any(|f| f.severity == Severity::Block);
    let findings: Vec<serde_json::Value> =
        findings.iter().map(|f| serde_json::json!({"path": f.path, "line": f.line, "rule": f.rule, "severity": f.severity, "message": f.message})).collect();
    serde_json::json!({"changes": changes, "findings": findings, "blocked": blocked})
}

/// Likely renames for display: a deleted file and an added file with the same content, when
/// that content appears exactly once on each side. (The overlay records a rename as a
/// whiteout plus a new file; the change set keeps them as such, this only pairs them up.)
pub fn renames(changes: &[Change]) -> Vec<(String, String)> {
    use super::changeset::ChangeKind;
    use super::host::FileState;
    use std::collections::HashMap;
    let mut deleted: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut added: HashMap<&str, Vec<&str>> = HashMap::new();
    for c in changes {
        match (c.kind, &c.old, &c.new) {
            (ChangeKind::Deleted, FileState::File { sha256, .. }, _) => deleted.entry(sha256).or_default().push(c.path.as_str()),
            (ChangeKind::Added, _, FileState::File { sha256, .. }) => added.entry(sha256).or_default().push(c.path.as_str()),
            _ => {}
        }
    }
    let mut out: Vec<(String, String)> = deleted
        .iter()
        .filter_map(|(sha, from)| match (from.as_slice(), added.get(sha).map(Vec::as_slice)) {
            ([f], Some([t])) => Some((f.to_string(), t.to_string())),
            _ => None,
        })
        .collect();
    out.sort();
    out
}
