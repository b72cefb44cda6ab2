//! macOS: the login Keychain, through the SecItem API (security-framework). One generic
//! password ("application password" in Keychain Access) per secret: service = our service
//! name (also its label, so Keychain Access's Name column shows it), account = the secret name.
//!
//! Every item is written not synchronizable (never in iCloud Keychain) and requests the
//! accessibility "when unlocked, this device only" (kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
//! as an access control with no further constraints). Without kSecUseDataProtectionKeychain the
//! SecItem API targets the file-based login keychain (Apple TN3137): a file on this Mac that
//! iCloud does not sync, readable while it is unlocked; the accessibility class itself is
//! enforced by the data-protection keychain only, which needs a keychain-access-groups
//! entitlement (a provisioning profile) that neither the CLI nor the app has — and the two must
//! share one keychain, so this store does not use it. Reads match on service and account only,
//! so items stored by earlier versions (through the keyring crate, without those attributes)
//! are still found; `set` replaces such an item by a new one that has them.
//! Compiled on macOS only; Linux has store_linux.rs behind the same `open`.

use super::store::{ensure_not_empty, SecretStore, StoreBackendChoice, StoreStatus};
use super::{SecretName, SecretValue, SecretsError};
use security_framework::access_control::{ProtectionMode, SecAccessControl};
use security_framework::base::Error as SecError;
use security_framework::passwords::{delete_generic_password_options, generic_password, set_generic_password_options, PasswordOptions};

const LABEL: &str = "the macOS Keychain";
const HINT_UNAVAILABLE: &str = "Open Keychain Access and check that your login keychain exists";
const HINT_LOCKED: &str = "Unlock your login keychain (Keychain Access, or `security unlock-keychain`), then retry";

/// The entry `check` writes and removes again; not a valid secret name, so it never collides.
const PROBE_USER: &str = "~sandbox-check";

// OSStatus codes (Security/SecBase.h) this store tells apart.
const ITEM_NOT_FOUND: i32 = -25300;
const DUPLICATE_ITEM: i32 = -25299;
const INTERACTION_NOT_ALLOWED: i32 = -25308;
const AUTH_FAILED: i32 = -25293;
const USER_CANCELED: i32 = -128;
const NO_SUCH_KEYCHAIN: i32 = -25294;
const NOT_AVAILABLE: i32 = -25291;
const NO_DEFAULT_KEYCHAIN: i32 = -25307;
const PARAM: i32 = -50;
const MISSING_ENTITLEMENT: i32 = -34018;

pub(super) fn open(service: &str, choice: StoreBackendChoice) -> Result<Box<dyn SecretStore>, SecretsError> {
    match choice {
        StoreBackendChoice::Auto | StoreBackendChoice::Keychain => Ok(Box::new(KeychainStore { service: service.into() })),
        other => Err(SecretsError::StoreUnavailable {
            backend: format!("{other:?}"),
            detail: "this is macOS".into(),
            hint: "Set SANDBOX_SECRET_STORE to auto or keychain".into(),
        }),
    }
}

struct KeychainStore {
    service: String,
}

impl KeychainStore {
    /// The item's identity: class, service, account. Matches old and new items alike.
    fn query(&self, account: &str) -> PasswordOptions {
        PasswordOptions::new_generic_password(&self.service, account)
    }

    /// A new item's attributes: label, not synchronizable, this device only while unlocked.
    fn new_item(&self, account: &str, protected: bool) -> Result<PasswordOptions, SecError> {
        let mut options = self.query(account);
        options.set_label(&self.service);
        options.set_access_synchronized(Some(false));
        if protected {
            options.set_access_control(SecAccessControl::create_with_protection(Some(ProtectionMode::AccessibleWhenUnlockedThisDeviceOnly), 0)?);
        }
        Ok(options)
    }

    fn read(&self, account: &str) -> Result<Option<Vec<u8>>, SecError> {
        match generic_password(self.query(account)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.code() == ITEM_NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn remove(&self, account: &str) -> Result<bool, SecError> {
        match delete_generic_password_options(self.query(account)) {
            Ok(()) => Ok(true),
            Err(e) if e.code() == ITEM_NOT_FOUND => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Add a new item with our attributes. If this keychain refuses the accessibility
    /// attribute (a bad parameter, or an entitlement it wants), the item is added without it:
    /// still not synchronizable, in the login keychain of this Mac.
    fn add(&self, account: &str, bytes: &[u8]) -> Result<(), SecError> {
        match set_generic_password_options(bytes, self.new_item(account, true)?) {
            Err(e) if e.code() == PARAM || e.code() == MISSING_ENTITLEMENT => {
                tracing::debug!("the keychain refused the accessibility attribute ({}); storing without it", e.code());
                set_generic_password_options(bytes, self.new_item(account, false)?)
            }
            other => other,
        }
    }

    /// Store `bytes` under `account` as a new item. An existing one (for instance an earlier
    /// version's, without our attributes) is replaced: removed, then added anew; if adding
    /// fails after the removal, the previous value is put back.
    fn write(&self, account: &str, bytes: &[u8]) -> Result<(), SecError> {
        match self.add(account, bytes) {
            Err(e) if e.code() == DUPLICATE_ITEM => {}
            other => return other,
        }
        let mut previous = self.read(account)?;
        self.remove(account)?;
        let result = self.add(account, bytes);
        if result.is_err() {
            if let Some(old) = &previous {
                let _ = set_generic_password_options(old, self.query(account));
            }
        }
        if let Some(old) = previous.as_mut() {
            zeroize::Zeroize::zeroize(old);
        }
        result
    }

    /// A Security framework error as ours. Its message is the framework's text for the status
    /// code (never a value).
    fn map_err(&self, op: &'static str, name: &str, err: SecError) -> SecretsError {
        let backend = LABEL.to_string();
        match err.code() {
            INTERACTION_NOT_ALLOWED => SecretsError::StoreLocked { backend, hint: HINT_LOCKED.into() },
            AUTH_FAILED | USER_CANCELED => SecretsError::Store {
                backend,
                op,
                name: name.into(),
                detail: "access was not allowed; run the command again and choose Allow in the Keychain prompt".into(),
            },
            NO_SUCH_KEYCHAIN | NOT_AVAILABLE | NO_DEFAULT_KEYCHAIN => {
                SecretsError::StoreUnavailable { backend, detail: describe(err), hint: HINT_UNAVAILABLE.into() }
            }
            _ => SecretsError::Store { backend, op, name: name.into(), detail: describe(err) },
        }
    }
}

fn describe(err: SecError) -> String {
    match err.message() {
        Some(m) => format!("{m} (OSStatus {})", err.code()),
        None => format!("OSStatus {}", err.code()),
    }
}

fn text(name: &str, bytes: Vec<u8>) -> Result<SecretValue, SecretsError> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SecretValue::new(text)),
        Err(e) => {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            Err(SecretsError::NotText { name: name.into() })
        }
    }
}

impl SecretStore for KeychainStore {
    fn backend(&self) -> String {
        LABEL.to_string()
    }

    fn get(&self, name: &SecretName) -> Result<Option<SecretValue>, SecretsError> {
        match self.read(name.as_str()).map_err(|e| self.map_err("read", name.as_str(), e))? {
            Some(bytes) => text(name.as_str(), bytes).map(Some),
            None => Ok(None),
        }
    }

    fn set(&self, name: &SecretName, value: &SecretValue) -> Result<(), SecretsError> {
        ensure_not_empty(name, value)?;
        // A value this process stores is one it must never show (see crate::redact).
        crate::redact::door().learn(name.as_str(), value.expose());
        self.write(name.as_str(), value.expose().as_bytes()).map_err(|e| self.map_err("store", name.as_str(), e))
    }

    fn delete(&self, name: &SecretName) -> Result<bool, SecretsError> {
        self.remove(name.as_str()).map_err(|e| self.map_err("remove", name.as_str(), e))
    }

    fn check(&self) -> Result<StoreStatus, SecretsError> {
        let probe = format!("probe-{}", std::process::id());
        self.write(PROBE_USER, probe.as_bytes()).map_err(|e| self.map_err("store", "the check entry", e))?;
        let read = self.read(PROBE_USER).map_err(|e| self.map_err("read", "the check entry", e));
        let removed = self.remove(PROBE_USER).map_err(|e| self.map_err("remove", "the check entry", e));
        if read?.as_deref() != Some(probe.as_bytes()) {
            return Err(SecretsError::Store {
                backend: LABEL.into(),
                op: "read back",
                name: "the check entry".into(),
                detail: "it returned a different value than was stored".into(),
            });
        }
        removed?;
        Ok(StoreStatus { backend: LABEL.into(), persistent: true, note: None })
    }
}
