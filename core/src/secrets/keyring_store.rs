//! A [`SecretStore`] over one `keyring` credential backend (Secret Service, keyutils, macOS
//! Keychain). Errors are rebuilt from the `keyring` error kind; a platform error's payload is
//! never formatted when it could carry secret bytes.

use super::store::{ensure_not_empty, SecretStore, StoreStatus};
use super::{SecretName, SecretValue, SecretsError};
use keyring::credential::Credential;
use keyring::Entry;

/// Builds the platform credential for (service, user).
pub(crate) type BuildCredential = fn(&str, &str) -> keyring::Result<Box<Credential>>;

/// Lists the user names (secret names) stored under a service, without reading values.
pub(crate) type ListEntries = fn(&str) -> keyring::Result<Vec<String>>;

/// The entry `check` writes and removes again; not a valid secret name, so it never collides.
const PROBE_USER: &str = "~sandbox-check";

pub(crate) struct KeyringStore {
    pub service: String,
    /// e.g. "the Secret Service".
    pub label: &'static str,
    pub persistent: bool,
    pub build: BuildCredential,
    /// What to do when the store cannot be reached.
    pub hint_unavailable: &'static str,
    /// What to do when the store is locked.
    pub hint_locked: &'static str,
    /// Shown by `check` (e.g. why this backend was chosen).
    pub note: Option<String>,
    /// A one-call listing, where the backend has one (else `list_set` reads each entry).
    pub list_entries: Option<ListEntries>,
}

impl KeyringStore {
    fn entry(&self, user: &str, op: &'static str) -> Result<Entry, SecretsError> {
        let credential = (self.build)(&self.service, user).map_err(|e| self.map_err(op, user, e))?;
        Ok(Entry::new_with_credential(credential))
    }

    pub(crate) fn map_err(&self, op: &'static str, name: &str, err: keyring::Error) -> SecretsError {
        let backend = self.label.to_string();
        match err {
            keyring::Error::NoStorageAccess(_) => SecretsError::StoreLocked { backend, hint: self.hint_locked.into() },
            keyring::Error::PlatformFailure(e) if looks_unreachable(&e.to_string()) => {
                SecretsError::StoreUnavailable { backend, detail: e.to_string(), hint: self.hint_unavailable.into() }
            }
            keyring::Error::PlatformFailure(e) => SecretsError::Store { backend, op, name: name.into(), detail: e.to_string() },
            keyring::Error::BadEncoding(_) => SecretsError::NotText { name: name.into() },
            keyring::Error::TooLong(attr, max) => {
                SecretsError::Store { backend, op, name: name.into(), detail: format!("its {attr} is longer than the store's limit of {max}") }
            }
            keyring::Error::Invalid(attr, reason) => SecretsError::Store { backend, op, name: name.into(), detail: format!("{attr} {reason}") },
            keyring::Error::Ambiguous(items) => SecretsError::Store {
                backend,
                op,
                name: name.into(),
                detail: format!("{} entries match; delete the duplicates with your keychain tool", items.len()),
            },
            // keyring reports the kernel's EACCES as NoEntry; on a write that means "refused".
            keyring::Error::NoEntry => {
                SecretsError::StoreUnavailable { backend, detail: format!("it refused to {op} `{name}`"), hint: self.hint_unavailable.into() }
            }
            _ => SecretsError::Store { backend, op, name: name.into(), detail: "unexpected store error".into() },
        }
    }
}

/// D-Bus/daemon failures that mean "nobody answers", as opposed to a failed operation.
pub(crate) fn looks_unreachable(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    [
        "serviceunknown",
        "service unknown",
        "was not provided by any .service",
        "unable to autolaunch",
        "failed to connect",
        "no such file or directory",
        "connection refused",
        "disconnected",
        "noreply",
        "no reply",
        "dbus_session_bus_address",
        "not provided by any",
    ]
    .iter()
    .any(|needle| d.contains(needle))
}

impl SecretStore for KeyringStore {
    fn backend(&self) -> String {
        self.label.to_string()
    }

    fn get(&self, name: &SecretName) -> Result<Option<SecretValue>, SecretsError> {
        match self.entry(name.as_str(), "read")?.get_secret() {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Ok(Some(SecretValue::new(text))),
                Err(e) => {
                    let mut bytes = e.into_bytes();
                    zeroize::Zeroize::zeroize(&mut bytes);
                    Err(SecretsError::NotText { name: name.to_string() })
                }
            },
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.map_err("read", name.as_str(), e)),
        }
    }

    fn set(&self, name: &SecretName, value: &SecretValue) -> Result<(), SecretsError> {
        ensure_not_empty(name, value)?;
        self.entry(name.as_str(), "store")?.set_secret(value.expose().as_bytes()).map_err(|e| self.map_err("store", name.as_str(), e))
    }

    fn delete(&self, name: &SecretName) -> Result<bool, SecretsError> {
        match self.entry(name.as_str(), "remove")?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.map_err("remove", name.as_str(), e)),
        }
    }

    fn list_set(&self, candidates: &[SecretName]) -> Result<Vec<SecretName>, SecretsError> {
        let Some(list) = self.list_entries else {
            let mut out = Vec::new();
            for name in candidates {
                if self.get(name)?.is_some() {
                    out.push(name.clone());
                }
            }
            return Ok(out);
        };
        let stored = list(&self.service).map_err(|e| self.map_err("list", "the entries", e))?;
        Ok(candidates.iter().filter(|c| stored.iter().any(|s| s == c.as_str())).cloned().collect())
    }

    fn check(&self) -> Result<StoreStatus, SecretsError> {
        let entry = self.entry(PROBE_USER, "check")?;
        let probe = format!("probe-{}", std::process::id());
        entry.set_secret(probe.as_bytes()).map_err(|e| self.map_err("store", "the check entry", e))?;
        let read = entry.get_secret().map_err(|e| self.map_err("read", "the check entry", e));
        let removed = entry.delete_credential().map_err(|e| self.map_err("remove", "the check entry", e));
        if read? != probe.as_bytes() {
            return Err(SecretsError::Store {
                backend: self.label.into(),
                op: "read back",
                name: "the check entry".into(),
                detail: "it returned a different value than was stored".into(),
            });
        }
        removed?;
        Ok(StoreStatus { backend: self.label.into(), persistent: self.persistent, note: self.note.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::validate_name;

    fn mock(_: &str, _: &str) -> keyring::Result<Box<Credential>> {
        keyring::mock::default_credential_builder().build(None, "svc", "user")
    }

    fn store() -> KeyringStore {
        KeyringStore {
            service: "ai.openclaw.sandbox@test".into(),
            label: "the test store",
            persistent: true,
            build: mock,
            hint_unavailable: "start it",
            hint_locked: "unlock it",
            note: None,
            list_entries: None,
        }
    }

    #[test]
    fn platform_errors_become_actionable_and_never_carry_values() {
        let s = store();
        let canary = b"canary-bytes-5f3a".to_vec();
        let cases = [
            (keyring::Error::BadEncoding(canary.clone()), "not UTF-8"),
            (keyring::Error::NoStorageAccess("locked collection".into()), "is locked"),
            (keyring::Error::PlatformFailure("org.freedesktop.DBus.Error.ServiceUnknown".into()), "not reachable"),
            (keyring::Error::PlatformFailure("disk full".into()), "failed to store"),
            (keyring::Error::TooLong("user".into(), 10), "longer than"),
            (keyring::Error::NoEntry, "refused"),
        ];
        for (err, want) in cases {
            let msg = s.map_err("store", "GH_TOKEN", err).to_string();
            assert!(msg.contains(want), "{msg}");
            assert!(!msg.contains("canary"), "{msg}");
        }
    }

    #[test]
    fn mock_backend_satisfies_the_store_contract_per_call() {
        // The mock keeps nothing between credentials, so a fresh entry per call reads as unset;
        // what matters here is that the calls are wired (set ok, get none, delete false).
        let s = store();
        let name = validate_name("GH_TOKEN").unwrap();
        s.set(&name, &"value-1234".into()).unwrap();
        assert!(s.get(&name).unwrap().is_none());
        assert!(!s.delete(&name).unwrap());
        assert!(s.set(&name, &"".into()).is_err());
    }

    #[test]
    fn unreachable_dbus_errors_are_recognised() {
        assert!(looks_unreachable(
            "D-Bus error: The name org.freedesktop.secrets was not provided by any .service files (org.freedesktop.DBus.Error.ServiceUnknown)"
        ));
        assert!(looks_unreachable("Unable to autolaunch a dbus-daemon without a $DISPLAY for X11"));
        assert!(!looks_unreachable("Attribute too long"));
    }
}
