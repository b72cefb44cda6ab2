#![cfg(target_os = "linux")] // the kernel keyutils store; on macOS these would use the login keychain
//! Redaction at the door (issue 15), through the CLI as a user runs it: a secret stored with
//! `sandbox secrets set` (kernel keyutils store) and a token shape, both printed by the "VM"
//! (the scripted limactl), never reach the terminal — not in an error, not in `sandbox watch`'s
//! events. The follower there is core's one follower, run until Ctrl-C.

mod secrets_support;
use secrets_support::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";

#[test]
fn a_known_secret_and_a_token_never_reach_the_terminal() {
    join_session_keyring();
    let h = Harness::new("keyutils");
    let canary = canary("door");
    h.ok(&["secrets", "set", "CANARY_KEY", "--stdin"], Some(format!("{canary}\n").as_bytes()));

    // 1. An error that carries what the VM printed (the push script fails loudly).
    h.script_push_reply("", &format!("push.sh: cannot write {canary} (token {TOKEN})\n"), 1);
    let out = h.run(&["secrets", "push"], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(!err.contains(&canary) && !err.contains(TOKEN), "{err}");
    assert!(err.contains("[REDACTED:CANARY_KEY]") && err.contains("[REDACTED]"), "{err}");

    // 2. `sandbox watch --json`: the agent writes a file named after the secret; the event
    //    reaches the terminal redacted. (The audit stream prints one line; the spool hangs.)
    let audit = serde_json::json!({ "path": format!("/workspace/{canary}-{TOKEN}.txt"), "kind": "create" });
    let rules = serde_json::json!([
        { "match": "inotifywait", "hang": true },
        { "match": "tail -n 0 -F", "stdout": format!("{audit}\n") },
    ]);
    std::fs::write(h.lima.path().join("shell.json"), rules.to_string()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .arg("--profile")
        .arg(&h.profile)
        .args(["watch", "--json"])
        .env("SANDBOX_HOME", h.home.path())
        .env("SANDBOX_SECRET_STORE", "keyutils")
        .env("SANDBOX_LIMACTL", Harness::fake_limactl())
        .env("FAKE_LIMA_DIR", h.lima.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let t = Instant::now();
    let mut seen = Vec::new();
    let overlay = loop {
        let left = Duration::from_secs(60).checked_sub(t.elapsed()).unwrap_or_else(|| panic!("no overlay event; saw {seen:#?}"));
        let Ok(line) = rx.recv_timeout(left) else { panic!("no overlay event; saw {seen:#?}") };
        seen.push(line.clone());
        if line.contains("overlay_changed") {
            break line;
        }
    };
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "Ctrl-C ends `sandbox watch` cleanly: {status:?}\n{stderr}");
    assert!(seen.iter().any(|l| l.contains("\"state_changed\"") && l.contains("\"running\"")), "{seen:#?}");
    let all = seen.join("\n") + &stderr;
    assert!(!all.contains(&canary) && !all.contains(TOKEN), "{all}");
    assert!(overlay.contains("[REDACTED:CANARY_KEY]") && overlay.contains("[REDACTED]"), "{overlay}");
}
