//! Linux: the Secret Service (GNOME Keyring, KeePassXC, KWallet's bridge) over D-Bus; where
//! none answers on the session bus, the kernel keyutils store (in memory, gone after logout
//! or reboot — `check` says so).

use super::keyring_store::{looks_unreachable, KeyringStore};
use super::store::{SecretStore, StoreBackendChoice};
use super::SecretsError;
use keyring::credential::Credential;

const SS_LABEL: &str = "the Secret Service";
const KU_LABEL: &str = "the kernel keyutils store";

fn secret_service(service: &str, user: &str) -> keyring::Result<Box<Credential>> {
    Ok(Box::new(keyring::secret_service::SsCredential::new_with_target(None, service, user)?))
}

fn keyutils(service: &str, user: &str) -> keyring::Result<Box<Credential>> {
    Ok(Box::new(keyring::keyutils::KeyutilsCredential::new_with_target(None, service, user)?))
}

/// Every user name stored under `service`, in one D-Bus search: attributes only, no secret
/// is transferred (so a plain session is enough), locked items included.
fn secret_service_entries(service: &str) -> keyring::Result<Vec<String>> {
    use dbus_secret_service::{EncryptionType, SecretService};
    let decode = keyring::secret_service::decode_error;
    let ss = SecretService::connect(EncryptionType::Plain).map_err(decode)?;
    let found = ss.search_items(std::collections::HashMap::from([("service", service)])).map_err(decode)?;
    let mut names = Vec::new();
    for item in found.unlocked.iter().chain(found.locked.iter()) {
        if let Some(user) = item.get_attributes().map_err(decode)?.remove("username") {
            names.push(user);
        }
    }
    Ok(names)
}

fn secret_service_store(service: &str) -> KeyringStore {
    KeyringStore {
        service: service.into(),
        label: SS_LABEL,
        persistent: true,
        build: secret_service,
        hint_unavailable: "Start your desktop keyring (e.g. gnome-keyring-daemon) in this session, or set SANDBOX_SECRET_STORE=keyutils to keep secrets in the kernel keyring until logout",
        hint_locked: "Unlock it (log in to your desktop session, or run `gnome-keyring-daemon --unlock` and type your password), then retry",
        note: None,
        list_entries: Some(secret_service_entries),
    }
}

fn keyutils_store(service: &str, note: Option<String>) -> KeyringStore {
    KeyringStore {
        service: service.into(),
        label: KU_LABEL,
        persistent: false,
        build: keyutils,
        hint_unavailable: "This process has no login session keyring (pam_keyinit gives one to desktop and SSH logins); log in normally, or run the command under `keyctl session`",
        hint_locked: "This process has no login session keyring (pam_keyinit gives one to desktop and SSH logins); log in normally, or run the command under `keyctl session`",
        note,
        list_entries: None,
    }
}

pub(super) fn open(service: &str, choice: StoreBackendChoice) -> Result<Box<dyn SecretStore>, SecretsError> {
    match choice {
        StoreBackendChoice::SecretService => Ok(Box::new(secret_service_store(service))),
        StoreBackendChoice::Keyutils => Ok(Box::new(keyutils_store(
            service,
            Some("chosen by SANDBOX_SECRET_STORE=keyutils; values are kept in kernel memory until logout or reboot".into()),
        ))),
        StoreBackendChoice::Keychain => Err(SecretsError::StoreUnavailable {
            backend: "the macOS Keychain".into(),
            detail: "this is Linux".into(),
            hint: "Set SANDBOX_SECRET_STORE to auto, secret-service or keyutils".into(),
        }),
        StoreBackendChoice::Auto => {
            let ss = secret_service_store(service);
            match secret_service_reachable(&ss) {
                Ok(()) => Ok(Box::new(ss)),
                Err(detail) => Ok(Box::new(keyutils_store(
                    service,
                    Some(format!(
                        "no Secret Service answers on the session bus ({detail}); values are kept in kernel memory until logout or reboot. Start a desktop keyring to keep them across reboots"
                    )),
                ))),
            }
        }
    }
}

/// Ask the Secret Service for an entry that does not exist: any answer (even "locked") means
/// it is there; a D-Bus failure means it is not.
fn secret_service_reachable(ss: &KeyringStore) -> Result<(), String> {
    let credential = secret_service(&ss.service, "~sandbox-probe").map_err(|e| e.to_string())?;
    match keyring::Entry::new_with_credential(credential).get_secret() {
        Ok(_) | Err(keyring::Error::NoEntry) | Err(keyring::Error::NoStorageAccess(_)) => Ok(()),
        // Nobody answers: fall back. Any other failure: keep the Secret Service so the real
        // error surfaces instead of secrets silently landing somewhere else.
        Err(keyring::Error::PlatformFailure(e)) if looks_unreachable(&e.to_string()) => Err(first_line(&e.to_string())),
        Err(_) => Ok(()),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}
