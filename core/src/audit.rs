//! The host-side audit log: one JSON object per line in `<log_dir>/audit.jsonl`
//! (starts, stops, approvals, applies, allowlist changes). Append-only; never holds secrets.

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Failure to write the audit log.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the audit log {path}: {source}. Check that the folder exists and is writable")]
pub struct AuditError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    action: &'a str,
    detail: &'a serde_json::Value,
}

/// Appends audit records.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    /// The audit log inside `log_dir`.
    pub fn in_dir(log_dir: &Path) -> Self {
        AuditLog { path: log_dir.join("audit.jsonl") }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one record: `action` is a short verb ("up", "sync.apply", "firewall.allow"),
    /// `detail` any JSON (never a secret value).
    pub fn append(&self, action: &str, detail: serde_json::Value) -> Result<(), AuditError> {
        let err = |source| AuditError { path: self.path.clone(), source };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let line = Line { time: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(), action, detail: &detail };
        let mut text = serde_json::to_string(&line).expect("audit lines are plain JSON");
        text.push('\n');
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&self.path).map_err(err)?;
        f.write_all(text.as_bytes()).map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_one_json_line_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::in_dir(&dir.path().join("logs"));
        log.append("up", serde_json::json!({"instance": "x"})).unwrap();
        log.append("down", serde_json::json!({})).unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["action"], "up");
        assert_eq!(lines[0]["detail"]["instance"], "x");
        assert!(lines[1]["time"].as_str().unwrap().ends_with('Z'));
    }
}
