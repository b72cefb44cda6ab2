//! Reports: gitleaks' JSON report format (secrets redacted) and a one-line-per-finding
//! human form.

use super::SecretFinding;
use serde::Serialize;

/// One entry of a gitleaks JSON report. Keys and order follow gitleaks; git-only fields
/// (commit, author, …) are empty in a directory scan. `Match`, `Secret` and `Line` never
/// carry the secret.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GitleaksRecord {
    #[serde(rename = "RuleID")]
    pub rule_id: String,
    pub description: String,
    pub start_line: usize,
    pub end_line: usize,
    pub start_column: usize,
    pub end_column: usize,
    pub line: String,
    #[serde(rename = "Match")]
    pub matched: String,
    pub secret: String,
    pub file: String,
    pub symlink_file: String,
    pub commit: String,
    pub link: String,
    pub entropy: f32,
    pub author: String,
    pub email: String,
    pub date: String,
    pub message: String,
    pub tags: Vec<String>,
    pub fingerprint: String,
}

impl From<&SecretFinding> for GitleaksRecord {
    fn from(f: &SecretFinding) -> Self {
        GitleaksRecord {
            rule_id: f.rule_id.clone(),
            description: f.description.clone(),
            start_line: f.start_line,
            end_line: f.end_line,
            start_column: f.start_column,
            end_column: f.end_column,
            line: String::new(),
            matched: f.redacted_match.clone(),
            secret: f.redacted_secret.clone(),
            file: f.path.clone(),
            symlink_file: String::new(),
            commit: String::new(),
            link: String::new(),
            entropy: f.entropy,
            author: String::new(),
            email: String::new(),
            date: String::new(),
            message: String::new(),
            tags: f.tags.clone(),
            fingerprint: f.fingerprint.clone(),
        }
    }
}

/// The whole report as pretty JSON (an array; `[]` when clean).
pub fn gitleaks_json(findings: &[SecretFinding]) -> String {
    let records: Vec<GitleaksRecord> = findings.iter().map(GitleaksRecord::from).collect();
    serde_json::to_string_pretty(&records).unwrap_or_else(|_| "[]".to_string())
}

/// `path:line:column  rule-id  redacted match` (newlines in the match shown as `\n`).
pub fn human_line(f: &SecretFinding) -> String {
    let shown: String = f.redacted_match.replace('\r', "").replace('\n', "\\n");
    let shown = if shown.chars().count() > 120 {
        let cut: String = shown.chars().take(117).collect();
        format!("{cut}...")
    } else {
        shown
    };
    format!("{}:{}:{}  {}  {}", f.path, f.start_line, f.start_column, f.rule_id, shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> SecretFinding {
        SecretFinding {
            rule_id: "github-token".into(),
            description: "GitHub token".into(),
            path: "src/a.py".into(),
            start_line: 3,
            end_line: 3,
            start_column: 9,
            end_column: 48,
            redacted_match: "ghp_REDACTED".into(),
            redacted_secret: "ghp_REDACTED".into(),
            entropy: 4.8,
            fingerprint: "src/a.py:github-token:3".into(),
            tags: vec![],
            location: crate::scan::Location::Content,
        }
    }

    #[test]
    fn gitleaks_keys_present() {
        let v: serde_json::Value = serde_json::from_str(&gitleaks_json(&[finding()])).unwrap();
        let o = v[0].as_object().unwrap();
        for k in [
            "RuleID",
            "Description",
            "File",
            "StartLine",
            "EndLine",
            "StartColumn",
            "EndColumn",
            "Match",
            "Secret",
            "Entropy",
            "Fingerprint",
            "Commit",
            "Tags",
            "Line",
        ] {
            assert!(o.contains_key(k), "missing {k}");
        }
        assert_eq!(o["RuleID"], "github-token");
        assert_eq!(o["StartLine"], 3);
        assert_eq!(gitleaks_json(&[]), "[]");
    }

    #[test]
    fn human_form() {
        assert_eq!(human_line(&finding()), "src/a.py:3:9  github-token  ghp_REDACTED");
    }
}
