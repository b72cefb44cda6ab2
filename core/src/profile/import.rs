//! Import of the reference product's `~/.openclaw/sandbox-profile.toml`
//! (sections meta, mounts, mode, resources, extra_vars) into our format.

use super::{expand_path, ByteSize, Draft, Mode, ProfileError};
use std::path::{Path, PathBuf};

/// A draft plus what the user should know about things that did not carry over.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub draft: Draft,
    pub notes: Vec<String>,
}

/// Read a reference-product profile. `project_override` replaces `mounts.openclaw`.
pub fn import_reference(path: &Path, project_override: Option<PathBuf>) -> Result<ImportOutcome, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Read { path: path.to_path_buf(), source: e })?;
    let bad = |message: String| ProfileError::Import { path: path.to_path_buf(), message };
    let doc: toml::Table = toml::from_str(&text).map_err(|e| bad(format!("it is not valid TOML: {}", e.message().trim())))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut notes = Vec::new();

    let table = |name: &str| -> Result<toml::Table, ProfileError> {
        match doc.get(name) {
            None => Ok(toml::Table::new()),
            Some(toml::Value::Table(t)) => Ok(t.clone()),
            Some(_) => Err(bad(format!("`{name}` should be a [{name}] section"))),
        }
    };
    let mounts = table("mounts")?;
    let mode = table("mode")?;
    let resources = table("resources")?;
    let str_of = |t: &toml::Table, k: &str| -> Result<Option<String>, ProfileError> {
        match t.get(k) {
            None => Ok(None),
            Some(toml::Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(bad(format!("`{k}` should be a string, found {other}"))),
        }
    };
    let path_of = |t: &toml::Table, k: &str| -> Result<Option<PathBuf>, ProfileError> {
        str_of(t, k)?.map(|s| expand_path(&s, base).map_err(|m| bad(format!("mounts.{k} {m}")))).transpose()
    };

    let project = match project_override {
        Some(p) => p,
        None => path_of(&mounts, "openclaw")?.ok_or_else(|| bad("it has no `mounts.openclaw` (the project folder); pass --project DIR".into()))?,
    };
    let mut d = Draft::new(project);
    d.vault = path_of(&mounts, "vault")?;
    d.config = path_of(&mounts, "config")?;
    d.agent_data = path_of(&mounts, "agent_data")?;
    if let Some(s) = path_of(&mounts, "secrets")? {
        notes.push(format!(
            "mounts.secrets ({}) is not mounted any more: secrets live in the OS keychain. Import them with `sandbox secrets import {}` (add --delete-source to remove the file afterwards)",
            s.display(),
            s.display()
        ));
    }
    if let Some(b) = path_of(&mounts, "buildlog_data")? {
        notes.push(format!("mounts.buildlog_data ({}) was not imported; add it under [[mounts.extra]] if you need it", b.display()));
    }

    let flag = |k: &str| -> Result<bool, ProfileError> {
        match mode.get(k) {
            None => Ok(false),
            Some(toml::Value::Boolean(b)) => Ok(*b),
            Some(other) => Err(bad(format!("mode.{k} should be true or false, found {other}"))),
        }
    };
    d.mode = if flag("yolo_unsafe")? {
        Mode::YoloUnsafe
    } else if flag("yolo")? {
        Mode::Yolo
    } else {
        Mode::Secure
    };
    d.docker = !flag("no_docker")?;
    for k in ["memgraph", "pgvector", "qortex_serve"] {
        if flag(k)? {
            notes.push(format!("mode.{k} is not supported yet and was left out"));
        }
    }

    if let Some(c) = resources.get("cpus") {
        match c {
            toml::Value::Integer(n) if (1..=64).contains(n) => d.resources.cpus = *n as u32,
            other => return Err(bad(format!("resources.cpus should be a whole number from 1 to 64, found {other}"))),
        }
    }
    if let Some(m) = str_of(&resources, "memory")? {
        d.resources.memory = ByteSize::parse(&m).map_err(|e| bad(format!("resources.memory {e}")))?;
    }
    if let Some(m) = str_of(&resources, "disk")? {
        d.resources.disk = ByteSize::parse(&m).map_err(|e| bad(format!("resources.disk {e}")))?;
    }
    if let Some(toml::Value::Table(vars)) = doc.get("extra_vars") {
        for (k, v) in vars {
            d.vars.insert(k.clone(), v.clone());
        }
    }
    for k in doc.keys() {
        if !["meta", "mounts", "mode", "resources", "extra_vars"].contains(&k.as_str()) {
            notes.push(format!("section [{k}] was not imported"));
        }
    }
    Ok(ImportOutcome { draft: d, notes })
}
