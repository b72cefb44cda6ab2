//! macOS: the login Keychain (generic passwords, service = our service name, account = the
//! secret name). Compiled on macOS only; same `KeyringStore` as Linux, different credential.

use super::keyring_store::KeyringStore;
use super::store::{SecretStore, StoreBackendChoice};
use super::SecretsError;
use keyring::credential::Credential;

fn keychain(service: &str, user: &str) -> keyring::Result<Box<Credential>> {
    Ok(Box::new(keyring::macos::MacCredential::new_with_target(None, service, user)?))
}

pub(super) fn open(service: &str, choice: StoreBackendChoice) -> Result<Box<dyn SecretStore>, SecretsError> {
    match choice {
        StoreBackendChoice::Auto | StoreBackendChoice::Keychain => Ok(Box::new(KeyringStore {
            service: service.into(),
            label: "the macOS Keychain",
            persistent: true,
            build: keychain,
            hint_unavailable: "Open Keychain Access and check that your login keychain exists",
            hint_locked: "Unlock your login keychain (Keychain Access, or `security unlock-keychain`), then retry",
            note: None,
            list_entries: None,
        })),
        other => Err(SecretsError::StoreUnavailable {
            backend: format!("{other:?}"),
            detail: "this is macOS".into(),
            hint: "Set SANDBOX_SECRET_STORE to auto or keychain".into(),
        }),
    }
}
