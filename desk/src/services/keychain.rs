//! Secrets: the OS keychain through core::secrets.

use crate::error::{CmdResult, CommandError};
use sandbox_core::paths::Paths;
use sandbox_core::sandbox::secrets::SecretsDesk;

/// The OS keychain, through core's secret store. Values go in, never come out. Blocking
/// (the store may talk to D-Bus): commands call it off the async threads.
pub trait Keychain: Send + Sync {
    fn set(&self, name: &str, value: String) -> CmdResult<()>;
    fn remove(&self, name: &str) -> CmdResult<bool>;
    /// Which of `names` have a value stored.
    fn which_set(&self, names: &[String]) -> CmdResult<Vec<String>>;
    /// Import a `.env` file, all or nothing; with `delete_source` the file is overwritten and
    /// removed afterwards. Returns the names stored.
    fn import_env(&self, path: &std::path::Path, delete_source: bool) -> CmdResult<Vec<String>>;
}

/// core::secrets: the OS store for this installation (Secret Service / keyutils / Keychain),
/// opened on first use. Every change goes through core's secrets use cases, like the CLI's.
pub struct CoreKeychain {
    pub paths: Paths,
    store: std::sync::Mutex<Option<Box<dyn sandbox_core::secrets::SecretStore>>>,
}

impl CoreKeychain {
    /// The OS store, opened on first use.
    pub fn new(paths: Paths) -> Self {
        CoreKeychain { paths, store: std::sync::Mutex::new(None) }
    }

    /// Over a given store (tests use core's `MemoryStore`).
    pub fn with(paths: Paths, store: Box<dyn sandbox_core::secrets::SecretStore>) -> Self {
        CoreKeychain { paths, store: std::sync::Mutex::new(Some(store)) }
    }

    fn with_store<T>(&self, f: impl FnOnce(&dyn sandbox_core::secrets::SecretStore) -> Result<T, sandbox_core::secrets::SecretsError>) -> CmdResult<T> {
        let mut slot = self.store.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(sandbox_core::secrets::store::open_default_store().map_err(CommandError::failed)?);
        }
        f(slot.as_deref().expect("opened above")).map_err(CommandError::failed)
    }

    /// core's secrets use cases (the CLI's too): one audit line each, the same whoever calls.
    fn desk<'a>(&'a self, profile: &'a std::path::Path) -> SecretsDesk<'a> {
        SecretsDesk { log_dir: &self.paths.log_dir, profile }
    }
}

fn warn_audit(warning: &Option<String>) {
    if let Some(w) = warning {
        tracing::warn!("cannot write the audit log: {w}");
    }
}

fn secret_name(raw: &str) -> CmdResult<sandbox_core::secrets::SecretName> {
    sandbox_core::secrets::validate_name(raw).map_err(CommandError::failed)
}

impl Keychain for CoreKeychain {
    fn set(&self, name: &str, value: String) -> CmdResult<()> {
        let name = secret_name(name)?;
        let value = sandbox_core::secrets::SecretValue::new(value);
        let profile = self.paths.profile_file();
        let stored = self.with_store(|s| self.desk(&profile).set(s, &name, &value))?;
        warn_audit(&stored.audit_warning);
        Ok(())
    }

    fn remove(&self, name: &str) -> CmdResult<bool> {
        let name = secret_name(name)?;
        let profile = self.paths.profile_file();
        let removed = self.with_store(|s| self.desk(&profile).remove(s, &name))?;
        warn_audit(&removed.audit_warning);
        Ok(removed.was_stored)
    }

    fn which_set(&self, names: &[String]) -> CmdResult<Vec<String>> {
        let names = names.iter().map(|n| secret_name(n)).collect::<CmdResult<Vec<_>>>()?;
        let set = self.with_store(|s| s.list_set(&names))?;
        Ok(set.iter().map(|n| n.to_string()).collect())
    }

    fn import_env(&self, path: &std::path::Path, delete_source: bool) -> CmdResult<Vec<String>> {
        use sandbox_core::secrets::import;
        let plan = import::plan(path, delete_source).map_err(CommandError::failed)?;
        let profile = self.paths.profile_file();
        let imported = self.with_store(|s| self.desk(&profile).import(s, path, &plan, delete_source))?;
        warn_audit(&imported.audit_warning);
        Ok(imported.report.stored.iter().map(|n| n.to_string()).collect())
    }
}
