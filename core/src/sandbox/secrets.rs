//! The secrets use cases, the same for every front end (issue 15): store, remove and import
//! values in the OS store, keep the profile's index of names, teach this process's redactor,
//! and write one audit line each — the same line whoever calls. No VM needed (pushing to a
//! running VM is [`super::Sandbox::push_secrets`]).

use crate::audit::AuditLog;
use crate::secrets::{import, profile_index, SecretName, SecretStore, SecretValue, SecretsError};
use std::path::Path;

/// Where a use case records and indexes: the audit log's folder and the profile whose
/// `[secrets] names` lists what the VM gets (absent before the profile exists, as in the
/// onboarding wizard: then nothing is indexed).
#[derive(Debug, Clone, Copy)]
pub struct SecretsDesk<'a> {
    pub log_dir: &'a Path,
    pub profile: &'a Path,
}

/// What storing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The store's name, e.g. "the macOS Keychain".
    pub backend: String,
    /// The name was added to the profile's index (false: already listed, or no profile yet).
    pub indexed: bool,
    /// The audit line could not be written (the change itself happened).
    pub audit_warning: Option<String>,
}

/// What removing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub backend: String,
    /// The store held a value.
    pub was_stored: bool,
    /// The name was taken out of the profile's index.
    pub unindexed: bool,
    pub audit_warning: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub backend: String,
    pub report: import::ImportReport,
    pub audit_warning: Option<String>,
}

impl SecretsDesk<'_> {
    fn audit(&self, action: &str, detail: serde_json::Value) -> Option<String> {
        AuditLog::in_dir(self.log_dir).append(action, detail).err().map(|e| e.to_string())
    }

    /// Index `names` in the profile; a missing profile indexes nothing (the wizard writes the
    /// names itself), any other failure is an error that says the values are stored.
    fn index(&self, names: &[SecretName], backend: &str) -> Result<bool, SecretsError> {
        match profile_index::add_names(self.profile, names) {
            Ok(added) => Ok(added > 0),
            Err(SecretsError::ProfileMissing { .. }) => Ok(false),
            Err(e) => Err(SecretsError::IndexNotUpdated { backend: backend.to_string(), detail: e.to_string() }),
        }
    }

    /// Store `value` as `name`.
    pub fn set(&self, store: &dyn SecretStore, name: &SecretName, value: &SecretValue) -> Result<Stored, SecretsError> {
        if value.is_empty() {
            return Err(SecretsError::EmptyValue { name: name.to_string() });
        }
        store.set(name, value)?;
        crate::redact::door().learn(name.as_str(), value.expose());
        let backend = store.backend();
        let indexed = self.index(std::slice::from_ref(name), &backend)?;
        let audit_warning = self.audit("secrets.set", serde_json::json!({ "name": name, "store": backend, "indexed": indexed }));
        Ok(Stored { backend, indexed, audit_warning })
    }

    /// Remove `name` from the store and the profile's index.
    pub fn remove(&self, store: &dyn SecretStore, name: &SecretName) -> Result<Removed, SecretsError> {
        let was_stored = store.delete(name)?;
        let backend = store.backend();
        let unindexed = match profile_index::remove_name(self.profile, name) {
            Ok(changed) => changed,
            Err(SecretsError::ProfileMissing { .. }) => false,
            Err(e) => return Err(e),
        };
        let audit_warning = self.audit("secrets.rm", serde_json::json!({ "name": name, "store": backend, "was_stored": was_stored, "unindexed": unindexed }));
        Ok(Removed { backend, was_stored, unindexed, audit_warning })
    }

    /// Store every entry of a checked `.env` import (all or nothing), index the names, and with
    /// `delete_source` overwrite and remove the file.
    pub fn import(&self, store: &dyn SecretStore, file: &Path, plan: &import::ImportPlan, delete_source: bool) -> Result<Imported, SecretsError> {
        let report = import::apply(store, plan)?;
        for e in &plan.dotenv.entries {
            crate::redact::door().learn(e.name.as_str(), e.value.expose());
        }
        let backend = store.backend();
        self.index(&report.stored, &backend)?;
        let names: Vec<&str> = report.stored.iter().map(|n| n.as_str()).collect();
        let audit_warning = self.audit("secrets.import", serde_json::json!({ "names": names, "store": backend, "delete_source": delete_source }));
        if delete_source && !report.stored.is_empty() {
            import::overwrite_and_remove(file)?;
        }
        Ok(Imported { backend, report, audit_warning })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{validate_name, MemoryStore};

    #[test]
    fn set_remove_import_audit_index_and_teach_the_door() {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("profile.toml");
        std::fs::write(&profile, "version = 1\nname = \"t\"\n[mounts]\nproject = \"/tmp\"\n").unwrap();
        let logs = dir.path().join("logs");
        let desk = SecretsDesk { log_dir: &logs, profile: &profile };
        let store = MemoryStore::new();
        let n = validate_name("DESK_KEY").unwrap();
        let s = desk.set(&store, &n, &SecretValue::from("canary-desk-51c0")).unwrap();
        assert!(s.indexed && s.audit_warning.is_none());
        assert_eq!(crate::redact::door().redact("canary-desk-51c0"), "[REDACTED:DESK_KEY]");
        assert!(matches!(desk.set(&store, &n, &SecretValue::from("")), Err(SecretsError::EmptyValue { .. })));
        let r = desk.remove(&store, &n).unwrap();
        assert!(r.was_stored && r.unindexed);
        let env = dir.path().join("k.env");
        std::fs::write(&env, "A_ONE=canary-import-1\nB_TWO=canary-import-2\n").unwrap();
        let plan = import::plan(&env, true).unwrap();
        let i = desk.import(&store, &env, &plan, true).unwrap();
        assert_eq!(i.report.stored.len(), 2);
        assert!(!env.exists(), "the source is removed");
        assert!(std::fs::read_to_string(&profile).unwrap().contains("A_ONE"));
        let audit = std::fs::read_to_string(logs.join("audit.jsonl")).unwrap();
        let actions: Vec<String> =
            audit.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["action"].as_str().unwrap().to_string()).collect();
        assert_eq!(actions, ["secrets.set", "secrets.rm", "secrets.import"]);
        assert!(!audit.contains("canary"), "names only: {audit}");
        // before a profile exists (the wizard), values are stored and nothing is indexed
        let none = dir.path().join("none.toml");
        let early = SecretsDesk { log_dir: &logs, profile: &none };
        assert!(!early.set(&store, &n, &SecretValue::from("canary-desk-51c1")).unwrap().indexed);
        assert!(!none.exists());
    }
}
