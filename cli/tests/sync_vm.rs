//! `sandbox sync` (the loop with the VM), `sandbox reset` and status' review count, against the
//! scripted limactl: the upper dir comes from `openclaw-sandbox-ctl export-upper` as a real GNU
//! tar, applied changes are dropped from the VM, the agent's message travels with the request.

mod support;
use std::process::Command;
use support::Env;

/// A GNU tar of an "upper dir" built on disk (no overlay needed for this tier).
fn upper_tar(env: &Env, files: &[(&str, &str)]) -> std::path::PathBuf {
    let upper = env.path("upper");
    let _ = std::fs::remove_dir_all(&upper);
    for (p, content) in files {
        let f = upper.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, content).unwrap();
    }
    std::fs::create_dir_all(&upper).unwrap();
    let tar = env.path("upper.tar");
    let st = Command::new("tar").args(["--xattrs", "-C"]).arg(&upper).args(["-cf"]).arg(&tar).arg(".").status().unwrap();
    assert!(st.success());
    tar
}

fn script(env: &Env, tar: &std::path::Path, requests: &str) {
    let rules = serde_json::json!([
        {"match": "openclaw-sandbox-ctl export-upper", "stdout_file": tar},
        {"match": "openclaw-sandbox-ctl requests", "stdout": requests},
        {"match": "openclaw-sandbox-ctl status", "stdout": "{\"mode\":\"secure\",\"upper_entries\":3,\"watcher\":\"active\",\"pending_requests\":1}\n"},
    ]);
    std::fs::write(env.fake_dir().join("shell.json"), rules.to_string()).unwrap();
}

fn ctl_calls(env: &Env, verb: &str) -> Vec<(Vec<String>, Option<Vec<u8>>)> {
    env.calls().into_iter().filter(|(a, _)| a.windows(2).any(|w| w[0] == "/usr/local/sbin/openclaw-sandbox-ctl" && w[1] == verb)).collect()
}

#[test]
fn sync_auto_applies_the_agents_changes_and_drops_them_from_the_vm() {
    let env = Env::new();
    env.init(&[]);
    std::fs::write(env.project().join("a.txt"), "alpha\n").unwrap();
    assert_eq!(env.run(&["up"]).code, 0);
    let tar = upper_tar(&env, &[("a.txt", "alpha\nmore\n"), ("new/n.txt", "new\n")]);
    script(&env, &tar, "{\"id\":\"r1\",\"time\":\"t\",\"user\":\"openclaw\",\"message\":\"please review\"}\n");

    // dry run: shows, queues nothing
    let r = env.run(&["sync", "--dry-run", "--json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(std::fs::read_to_string(env.project().join("a.txt")).unwrap(), "alpha\n");

    // the loop: request (with the agent's message) → applied → dropped from the upper dir
    let r = env.run(&["sync", "--auto"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("the agent asks: please review"), "{}", r.stdout);
    assert!(r.stdout.contains("applied request"), "{}", r.stdout);
    assert_eq!(std::fs::read_to_string(env.project().join("a.txt")).unwrap(), "alpha\nmore\n");
    assert_eq!(std::fs::read_to_string(env.project().join("new/n.txt")).unwrap(), "new\n");
    let drops = ctl_calls(&env, "drop");
    assert_eq!(drops.len(), 1);
    let list: Vec<String> = drops[0].1.as_ref().unwrap().split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8(s.to_vec()).unwrap()).collect();
    assert_eq!(list, vec!["a.txt", "new/n.txt", "new"], "files first, then new folders");
    let acks = ctl_calls(&env, "ack");
    assert_eq!(acks[0].0.last().unwrap(), "r1");
    let audit = std::fs::read_to_string(env.path("home/logs/audit.jsonl")).unwrap();
    assert!(audit.contains("\"sync.request\"") && audit.contains("\"sync.apply\""), "{audit}");

    // undo restores the host project
    let r = env.run(&["sync", "undo"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(std::fs::read_to_string(env.project().join("a.txt")).unwrap(), "alpha\n");
}

#[test]
fn blocked_changes_wait_and_approve_applies_the_unblocked_part() {
    let env = Env::new();
    env.init(&[]);
    assert_eq!(env.run(&["up"]).code, 0);
    let tar = upper_tar(&env, &[("ok.txt", "fine\n"), (".env", "API_KEY=x\n")]);
    script(&env, &tar, "");
    let r = env.run(&["sync", "--auto", "--json"]);
    assert_eq!(r.code, 3, "{}", r.all());
    let v: serde_json::Value = serde_json::from_str(r.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(v["blocked"], true);
    assert_eq!(v["applied"], false);
    let id = v["request"].as_str().unwrap().to_string();
    assert!(!env.project().join("ok.txt").exists() && !env.project().join(".env").exists());
    let s = env.run(&["status", "--json"]);
    let st: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
    assert_eq!(st["pending_requests"], 1, "{}", s.stdout);
    assert_eq!(st["overlay"]["watcher"], "active");
    // the user approves only the clean file: applied, and only it leaves the VM's upper dir
    let r = env.run(&["sync", "approve", &id, "--paths", "ok.txt"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(std::fs::read_to_string(env.project().join("ok.txt")).unwrap(), "fine\n");
    assert!(!env.project().join(".env").exists());
    let drops = ctl_calls(&env, "drop");
    assert_eq!(drops.last().unwrap().1.as_deref(), Some(&b"ok.txt\0"[..]));
}

#[test]
fn nothing_to_sync_and_reset() {
    let env = Env::new();
    env.init(&[]);
    assert_eq!(env.run(&["up"]).code, 0);
    let tar = upper_tar(&env, &[]);
    script(&env, &tar, "");
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("no changes to sync"), "{}", r.stdout);
    let r = env.run(&["reset"]);
    assert_eq!(r.code, 2, "reset asks first: {}", r.all());
    let r = env.run(&["reset", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(ctl_calls(&env, "reset").len(), 1);
}

#[test]
fn yolo_unsafe_has_nothing_to_sync() {
    let env = Env::new();
    env.init(&["--mode", "yolo-unsafe"]);
    assert_eq!(env.run(&["up"]).code, 0);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("yolo-unsafe"), "{}", r.stderr);
}
