//! Secrets (issue #4): a secret lives in exactly two places — the OS secret store on the host
//! and a tmpfs file inside the running VM.
//!
//! - [`store`]: the [`SecretStore`] trait, an in-memory store for tests, and the OS store
//!   ([`open_os_store`]): Secret Service or kernel keyutils on Linux, the Keychain on macOS.
//! - [`name`]: validated secret names and the well-known ones.
//! - [`value`]: [`SecretValue`], a value that never prints itself and is wiped on drop.
//! - [`dotenv`] + [`import`]: reading a `.env` file into the store, all or nothing.
//! - [`payload`] + [`push`]: injection into the VM over stdin as 0600 files on tmpfs.
//! - [`redact`] + [`redact_log`]: replacing secret values (and token shapes) in every log line.
//! - [`profile_index`]: the `[secrets] names = [...]` index in the profile file (names only).

pub mod dotenv;
mod error;
pub mod import;
mod keyring_store;
pub mod name;
pub mod payload;
pub mod profile_index;
pub mod push;
pub mod redact;
pub mod redact_log;
pub mod store;
pub mod value;

#[cfg(target_os = "linux")]
#[path = "store_linux.rs"]
mod os_store;
#[cfg(target_os = "macos")]
#[path = "store_macos.rs"]
mod os_store;

pub use error::SecretsError;
pub use name::{validate_name, SecretName, WELL_KNOWN};
pub use push::{push_from_os_store, push_secrets, PushReport};
pub use redact::Redactor;
pub use store::{open_default_store, open_os_store, service_name, MemoryStore, SecretStore, StoreBackendChoice, StoreStatus};
pub use value::SecretValue;
