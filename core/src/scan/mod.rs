//! Secret scanner (issue #3's scanner part). OWNED BY THE SCANNER WORK: this placeholder only
//! fixes the interface the sync gate calls, and recognises PEM private-key headers so the
//! gate's plumbing can be tested before the real engine lands.

use serde::Serialize;

/// One secret found in one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretFinding {
    pub rule_id: String,
    pub description: String,
    /// Path as given to the scanner (project-relative, `/`-separated in the sync gate).
    pub path: String,
    /// 1-based.
    pub start_line: usize,
    pub end_line: usize,
    /// 1-based, in bytes.
    pub start_column: usize,
    pub end_column: usize,
    /// The matched text with the secret part redacted.
    pub redacted_match: String,
    pub entropy: f32,
    /// Stable id of the finding: `path:rule:line`.
    pub fingerprint: String,
}

/// A compiled rule set.
#[derive(Debug, Clone, Default)]
pub struct Scanner {
    _private: (),
}

impl Scanner {
    /// The built-in rules.
    pub fn builtin() -> Self {
        Scanner { _private: () }
    }

    /// Scan one file's bytes.
    pub fn scan_bytes(&self, path: &str, data: &[u8]) -> Vec<SecretFinding> {
        let text = String::from_utf8_lossy(data);
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if let Some(col) = line.find("-----BEGIN") {
                if line.contains("PRIVATE KEY-----") {
                    out.push(SecretFinding {
                        rule_id: "private-key".into(),
                        description: "Private key".into(),
                        path: path.into(),
                        start_line: i + 1,
                        end_line: i + 1,
                        start_column: col + 1,
                        end_column: line.len(),
                        redacted_match: "-----BEGIN … PRIVATE KEY-----[REDACTED]".into(),
                        entropy: 0.0,
                        fingerprint: format!("{path}:private-key:{}", i + 1),
                    });
                }
            }
        }
        out
    }
}
