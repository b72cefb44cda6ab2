#![cfg(all(feature = "keychain-tests", target_os = "linux"))]
//! `sandbox secrets …` against the real Secret Service (scripts/test keychain): the canary
//! test, plus what `check` says when the store is missing or locked.

mod secrets_support;
use secrets_support::*;
use std::process::Command;

fn lookup(service: &str, user: &str) -> Option<String> {
    let out = Command::new("secret-tool").args(["lookup", "service", service, "username", user]).output().unwrap();
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap())
}

fn service_of(h: &Harness) -> String {
    format!("ai.openclaw.sandbox@{}", h.home.path().display())
}

#[test]
fn canary_lives_only_in_the_secret_service_and_the_push_payload() {
    let h = Harness::new("secret-service");
    let out = h.ok(&["secrets", "check"], None);
    assert!(out.contains("the Secret Service is reachable, unlocked and writable"), "{out}");
    let canary = canary("ss-cli");

    h.ok(&["secrets", "set", "CANARY_KEY", "--stdin"], Some(canary.as_bytes()));
    assert_eq!(lookup(&service_of(&h), "CANARY_KEY").as_deref(), Some(canary.as_str()), "not in the Secret Service");
    let json: serde_json::Value = serde_json::from_str(&h.ok(&["secrets", "list", "--json"], None)).unwrap();
    assert_eq!(json["store"], "the Secret Service");
    assert!(json["secrets"].as_array().unwrap().iter().any(|e| e["name"] == "CANARY_KEY" && e["set"] == true));

    h.script_push_reply("tmpfs ok\nwrote CANARY_KEY\nenv written\n", "", 0);
    h.ok(&["secrets", "push"], None);
    let push = h.calls().pop().unwrap();
    assert_eq!(push.stdin.as_deref(), Some(&expected_payload(&[("CANARY_KEY", &canary)])[..]));

    h.ok(&["secrets", "rm", "CANARY_KEY"], None);
    assert_eq!(lookup(&service_of(&h), "CANARY_KEY"), None);
    h.assert_leaks_nowhere(&canary);
}

/// `sandbox secrets check` with no session bus at all (a headless SSH login, say).
fn check_without_session_bus(store: &str) -> (bool, String) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .args(["secrets", "check"])
        .env("SANDBOX_HOME", home.path())
        .env("SANDBOX_SECRET_STORE", store)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn check_explains_a_missing_secret_service() {
    let (ok, text) = check_without_session_bus("secret-service");
    assert!(!ok, "{text}");
    assert!(text.contains("the Secret Service is not reachable"), "{text}");
    assert!(text.contains("gnome-keyring-daemon") && text.contains("SANDBOX_SECRET_STORE=keyutils"), "{text}");
    // auto falls back to the kernel keyring, and says why and what that means
    join_session_keyring();
    let (ok, text) = check_without_session_bus("auto");
    assert!(ok, "{text}");
    assert!(text.contains("the kernel keyutils store is reachable"), "{text}");
    assert!(text.contains("no Secret Service answers on the session bus") && text.contains("lost at logout or reboot"), "{text}");
}

#[test]
fn check_explains_a_locked_keyring() {
    // A fresh session where D-Bus activation starts gnome-keyring without unlocking anything:
    // what a user sees when their keyring is locked (or was never set up).
    let home = tempfile::tempdir().unwrap();
    let xdg = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .args(["120", "dbus-run-session", "--"])
        .arg(env!("CARGO_BIN_EXE_sandbox"))
        .args(["secrets", "check"])
        .env("SANDBOX_HOME", home.path())
        .env("SANDBOX_SECRET_STORE", "secret-service")
        .env("XDG_DATA_HOME", xdg.path())
        .env("XDG_RUNTIME_DIR", xdg.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the Secret Service is locked"), "{stderr}");
    assert!(stderr.contains("gnome-keyring-daemon --unlock"), "{stderr}");
}
