#![cfg(feature = "keychain-tests")]
//! The Secret Service store against a real provider (gnome-keyring-daemon, started unlocked in
//! a private D-Bus session by scripts/tiers/keychain.sh). Entries are cross-checked with
//! libsecret's `secret-tool`, an independent client.

use sandbox_core::secrets::{open_os_store, validate_name, SecretName, SecretValue, StoreBackendChoice};
use std::process::Command;

fn n(s: &str) -> SecretName {
    validate_name(s).unwrap()
}

/// A service name of our own, so parallel tests and reruns never meet.
fn service(tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("ai.openclaw.sandbox.test-{tag}-{}-{nanos:x}", std::process::id())
}

/// What libsecret finds for (service, username), or None.
fn secret_tool_lookup(service: &str, user: &str) -> Option<String> {
    let out = Command::new("secret-tool").args(["lookup", "service", service, "username", user]).output().unwrap();
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap())
}

#[test]
fn auto_picks_the_running_secret_service() {
    assert!(std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(), "run via scripts/test keychain");
    let store = open_os_store(&service("auto"), StoreBackendChoice::Auto).unwrap();
    assert_eq!(store.backend(), "the Secret Service");
    let status = store.check().unwrap();
    assert!(status.persistent);
    assert_eq!(status.note, None);
}

#[test]
fn set_get_replace_delete_round_trip_is_visible_to_libsecret() {
    let svc = service("rt");
    let store = open_os_store(&svc, StoreBackendChoice::SecretService).unwrap();
    let name = n("CANARY_KEY");
    let canary = format!("canary-ss-{}-ünïcode ✓ \"quoted\" $x", std::process::id());
    assert!(store.get(&name).unwrap().is_none());
    store.set(&name, &SecretValue::from(canary.as_str())).unwrap();
    assert_eq!(store.get(&name).unwrap().unwrap().expose(), canary);
    assert_eq!(secret_tool_lookup(&svc, "CANARY_KEY").as_deref(), Some(canary.as_str()));

    let multiline = "-----BEGIN KEY-----\nabc\n-----END KEY-----\n";
    store.set(&name, &SecretValue::from(multiline)).unwrap();
    assert_eq!(store.get(&name).unwrap().unwrap().expose(), multiline);
    assert_eq!(store.list_set(&[n("CANARY_KEY"), n("OTHER_KEY")]).unwrap(), vec![name.clone()]);

    assert!(store.delete(&name).unwrap());
    assert!(!store.delete(&name).unwrap());
    assert!(store.get(&name).unwrap().is_none());
    assert_eq!(secret_tool_lookup(&svc, "CANARY_KEY"), None);
}

#[test]
fn installations_do_not_see_each_others_secrets() {
    let a = open_os_store(&service("a"), StoreBackendChoice::SecretService).unwrap();
    let b = open_os_store(&service("b"), StoreBackendChoice::SecretService).unwrap();
    a.set(&n("GH_TOKEN"), &SecretValue::from("value-of-a-1234")).unwrap();
    assert!(b.get(&n("GH_TOKEN")).unwrap().is_none());
    a.delete(&n("GH_TOKEN")).unwrap();
}

#[test]
fn empty_values_never_reach_the_store() {
    let svc = service("empty");
    let store = open_os_store(&svc, StoreBackendChoice::SecretService).unwrap();
    let err = store.set(&n("EMPTY_KEY"), &SecretValue::from("")).unwrap_err();
    assert!(err.to_string().contains("sandbox secrets rm EMPTY_KEY"), "{err}");
    assert_eq!(secret_tool_lookup(&svc, "EMPTY_KEY"), None);
}
