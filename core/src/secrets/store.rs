//! The [`SecretStore`] trait, an in-memory store for tests, and the choice of OS store.
//!
//! Calls are blocking (the OS stores are synchronous); async callers wrap them in
//! `tokio::task::spawn_blocking`.

use super::{SecretName, SecretValue, SecretsError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// The service name every entry is stored under (one entry per secret name).
pub const SERVICE: &str = "ai.openclaw.sandbox";

/// The service name for an installation: [`SERVICE`], or, when `SANDBOX_HOME` selects a
/// separate installation (tests, CI, a second sandbox), `SERVICE@<that folder>`, so such an
/// installation never reads or overwrites the real user's secrets.
pub fn service_name(sandbox_home: Option<&Path>) -> String {
    match sandbox_home {
        Some(home) if !home.as_os_str().is_empty() => {
            let abs = std::path::absolute(home).unwrap_or_else(|_| home.to_path_buf());
            format!("{SERVICE}@{}", abs.display())
        }
        _ => SERVICE.to_string(),
    }
}

/// What `check` found out about a store that works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreStatus {
    /// Human name, e.g. "the Secret Service".
    pub backend: String,
    /// Whether values survive a reboot.
    pub persistent: bool,
    /// Something the user should know (e.g. why a fallback store is in use).
    pub note: Option<String>,
}

/// A place secret values are kept on the host, one entry per name.
pub trait SecretStore: Send + Sync {
    /// Human name of the backend, e.g. "the Secret Service".
    fn backend(&self) -> String;

    /// The value stored for `name`, if any.
    fn get(&self, name: &SecretName) -> Result<Option<SecretValue>, SecretsError>;

    /// Store `value` for `name`, replacing any previous value. Empty values are refused.
    fn set(&self, name: &SecretName, value: &SecretValue) -> Result<(), SecretsError>;

    /// Remove `name`; `Ok(false)` when nothing was stored.
    fn delete(&self, name: &SecretName) -> Result<bool, SecretsError>;

    /// Is the store reachable, unlocked and writable? Writes and removes a probe entry.
    fn check(&self) -> Result<StoreStatus, SecretsError>;

    /// Which of `candidates` hold a value (OS stores cannot enumerate our entries reliably,
    /// so the names come from the profile index and the well-known list).
    fn list_set(&self, candidates: &[SecretName]) -> Result<Vec<SecretName>, SecretsError> {
        let mut out = Vec::new();
        for name in candidates {
            if self.get(name)?.is_some() {
                out.push(name.clone());
            }
        }
        Ok(out)
    }
}

/// Refuse empty values before they reach any store.
pub(crate) fn ensure_not_empty(name: &SecretName, value: &SecretValue) -> Result<(), SecretsError> {
    if value.is_empty() {
        return Err(SecretsError::EmptyValue { name: name.to_string() });
    }
    Ok(())
}

/// Which OS store to use: `SANDBOX_SECRET_STORE` = `auto` (default), `secret-service`,
/// `keyutils` (Linux) or `keychain` (macOS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreBackendChoice {
    /// Linux: the Secret Service when one answers on the session bus, else kernel keyutils.
    /// macOS: the Keychain.
    Auto,
    SecretService,
    Keyutils,
    Keychain,
}

impl StoreBackendChoice {
    /// Parse the `SANDBOX_SECRET_STORE` value (`None` or empty = `Auto`).
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        match raw.map(str::trim).unwrap_or("") {
            "" | "auto" => Ok(Self::Auto),
            "secret-service" => Ok(Self::SecretService),
            "keyutils" => Ok(Self::Keyutils),
            "keychain" => Ok(Self::Keychain),
            other => Err(format!("SANDBOX_SECRET_STORE=`{other}` is not a store; use auto, secret-service, keyutils (Linux) or keychain (macOS)")),
        }
    }
}

/// Open the OS store for this installation: the service from `SANDBOX_HOME` (see
/// [`service_name`]) and the backend from `SANDBOX_SECRET_STORE` (see [`StoreBackendChoice`]).
/// Blocking (it may probe D-Bus); call it off the async threads.
pub fn open_default_store() -> Result<Box<dyn SecretStore>, SecretsError> {
    let choice =
        StoreBackendChoice::parse(std::env::var("SANDBOX_SECRET_STORE").ok().as_deref()).map_err(|message| SecretsError::BadStoreChoice { message })?;
    let home = std::env::var_os("SANDBOX_HOME").map(std::path::PathBuf::from);
    open_os_store(&service_name(home.as_deref()), choice)
}

/// Open the OS secret store for `service` (see [`service_name`]).
pub fn open_os_store(service: &str, choice: StoreBackendChoice) -> Result<Box<dyn SecretStore>, SecretsError> {
    super::os_store::open(service, choice)
}

/// An in-memory store for tests (and a model of the contract the OS stores follow).
/// Faults can be injected to test failure paths.
#[derive(Debug, Default)]
pub struct MemoryStore {
    values: Mutex<BTreeMap<SecretName, SecretValue>>,
    faults: Mutex<Faults>,
}

#[derive(Debug, Default)]
struct Faults {
    locked: bool,
    fail_set: Option<SecretName>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Behave like a locked keychain: every call fails with `StoreLocked`.
    pub fn set_locked(&self, locked: bool) {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).locked = locked;
    }

    /// Make `set` of this name fail (as a platform failure would).
    pub fn fail_set_of(&self, name: Option<SecretName>) {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).fail_set = name;
    }

    /// All names stored, sorted.
    pub fn names(&self) -> Vec<SecretName> {
        self.values.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
    }

    fn guard(&self) -> Result<(), SecretsError> {
        if self.faults.lock().unwrap_or_else(|e| e.into_inner()).locked {
            return Err(SecretsError::StoreLocked { backend: self.backend(), hint: "Unlock it, then retry".into() });
        }
        Ok(())
    }
}

impl SecretStore for MemoryStore {
    fn backend(&self) -> String {
        "the in-memory test store".into()
    }

    fn get(&self, name: &SecretName) -> Result<Option<SecretValue>, SecretsError> {
        self.guard()?;
        Ok(self.values.lock().unwrap_or_else(|e| e.into_inner()).get(name).cloned())
    }

    fn set(&self, name: &SecretName, value: &SecretValue) -> Result<(), SecretsError> {
        self.guard()?;
        ensure_not_empty(name, value)?;
        if self.faults.lock().unwrap_or_else(|e| e.into_inner()).fail_set.as_ref() == Some(name) {
            return Err(SecretsError::Store { backend: self.backend(), op: "store", name: name.to_string(), detail: "injected failure".into() });
        }
        self.values.lock().unwrap_or_else(|e| e.into_inner()).insert(name.clone(), value.clone());
        Ok(())
    }

    fn delete(&self, name: &SecretName) -> Result<bool, SecretsError> {
        self.guard()?;
        Ok(self.values.lock().unwrap_or_else(|e| e.into_inner()).remove(name).is_some())
    }

    fn check(&self) -> Result<StoreStatus, SecretsError> {
        self.guard()?;
        Ok(StoreStatus { backend: self.backend(), persistent: false, note: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::validate_name;

    fn n(s: &str) -> SecretName {
        validate_name(s).unwrap()
    }

    #[test]
    fn memory_store_round_trip() {
        let s = MemoryStore::new();
        assert!(s.get(&n("A")).unwrap().is_none());
        s.set(&n("A"), &"one".into()).unwrap();
        s.set(&n("A"), &"two".into()).unwrap();
        assert_eq!(s.get(&n("A")).unwrap().unwrap().expose(), "two");
        assert_eq!(s.list_set(&[n("A"), n("B")]).unwrap(), vec![n("A")]);
        assert!(s.delete(&n("A")).unwrap());
        assert!(!s.delete(&n("A")).unwrap());
    }

    #[test]
    fn empty_values_are_refused() {
        let s = MemoryStore::new();
        let e = s.set(&n("A"), &"".into()).unwrap_err();
        assert!(e.to_string().contains("sandbox secrets rm A"), "{e}");
    }

    #[test]
    fn locked_store_says_so() {
        let s = MemoryStore::new();
        s.set_locked(true);
        assert!(matches!(s.check(), Err(SecretsError::StoreLocked { .. })));
        assert!(matches!(s.get(&n("A")), Err(SecretsError::StoreLocked { .. })));
    }

    #[test]
    fn service_name_is_separate_per_sandbox_home() {
        assert_eq!(service_name(None), SERVICE);
        assert_eq!(service_name(Some(Path::new(""))), SERVICE);
        assert_eq!(service_name(Some(Path::new("/tmp/h"))), "ai.openclaw.sandbox@/tmp/h");
    }

    #[test]
    fn backend_choice_parses() {
        assert_eq!(StoreBackendChoice::parse(None).unwrap(), StoreBackendChoice::Auto);
        assert_eq!(StoreBackendChoice::parse(Some("keyutils")).unwrap(), StoreBackendChoice::Keyutils);
        assert!(StoreBackendChoice::parse(Some("files")).unwrap_err().contains("auto, secret-service"));
    }
}

/// Make sure `store` holds a value for `name`, generating a random one (32 bytes from the OS
/// random source, hex) when it has none — for secrets the sandbox owns, such as the gateway's
/// token. Returns whether it generated one. The value is never returned or printed.
pub fn ensure_generated(store: &dyn SecretStore, name: &SecretName) -> Result<bool, SecretsError> {
    if store.get(name)?.is_some() {
        return Ok(false);
    }
    let mut bytes = [0u8; 32];
    {
        use std::io::Read;
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(|e| SecretsError::TaskFailed { detail: format!("cannot read the OS random source: {e}") })?;
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    bytes.fill(0);
    store.set(name, &SecretValue::new(hex))?;
    Ok(true)
}

#[cfg(test)]
mod ensure_tests {
    use super::*;

    #[test]
    fn generates_once_and_keeps_an_existing_value() {
        let store = MemoryStore::default();
        let name = crate::secrets::validate_name("OPENCLAW_GATEWAY_TOKEN").unwrap();
        assert!(ensure_generated(&store, &name).unwrap());
        let first = store.get(&name).unwrap().unwrap();
        assert_eq!(first.len(), 64);
        assert!(first.expose().bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!ensure_generated(&store, &name).unwrap());
        assert_eq!(store.get(&name).unwrap().unwrap().expose(), first.expose());
    }
}
