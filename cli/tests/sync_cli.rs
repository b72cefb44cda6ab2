//! `sandbox sync …` as a process: exit codes 0/3/4, the JSON contract, the queue verbs, and a
//! real crash (abort at a journal step) recovered by the next command.

#[path = "../../core/tests/sync_common/mod.rs"]
mod sync_common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use sync_common::{snapshot, Root, Tar};

fn sandbox(root: &Root, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sandbox"));
    cmd.args(args).env("SANDBOX_HOME", root.dir.path().join("home")).env_remove("SANDBOX_TEST_SYNC_FAILPOINT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        let mut sin = child.stdin.take().unwrap();
        if let Some(data) = stdin {
            sin.write_all(data).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn write_tar(root: &Root, name: &str, tar: Vec<u8>) -> String {
    let p = root.dir.path().join(name);
    std::fs::write(&p, tar).unwrap();
    p.display().to_string()
}

fn proj(root: &Root) -> String {
    root.project().display().to_string()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

#[test]
fn check_json_contract_and_exit_codes() {
    let root = Root::new();
    root.write("a.txt", b"old\n");
    let clean = write_tar(&root, "clean.tar", Tar::new().root().file("a.txt", b"new\n").dir("src").file("src/m.rs", b"fn m() {}\n").build());
    let out = sandbox(&root, &["sync", "check", "--from-tar", &clean, "--project", &proj(&root), "--json"], None, &[]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["blocked"], false);
    assert_eq!(v["changes"][0]["path"], "a.txt");
    assert_eq!(v["changes"][0]["kind"], "modified");
    assert_eq!(v["changes"][0]["size"], 4);
    assert_eq!(v["changes"][2]["path"], "src/m.rs");
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    // Nothing was written by a check.
    assert_eq!(root.read("a.txt"), b"old\n");

    let blocked = Tar::new().root().file("id.pem", b"x").build();
    let out = sandbox(&root, &["sync", "check", "--from-tar", "-", "--project", &proj(&root), "--json"], Some(&blocked), &[]);
    assert_eq!(code(&out), 3);
    let v = json(&out);
    assert_eq!(v["blocked"], true);
    assert_eq!(v["findings"][0]["rule"], "policy/blocked-extension");
    assert_eq!(v["findings"][0]["severity"], "block");
    assert_eq!(v["findings"][0]["path"], "id.pem");
}

#[test]
fn apply_writes_or_blocks_with_nothing_written() {
    let root = Root::new();
    root.write("a.txt", b"old\n");
    let before = snapshot(&root.project());
    let bad = write_tar(&root, "bad.tar", Tar::new().root().file("a.txt", b"new\n").file_raw(b"./../outside/victim.txt", b"pwn").build());
    let out = sandbox(&root, &["sync", "apply", "--from-tar", &bad, "--project", &proj(&root), "--yes", "--json"], None, &[]);
    assert_eq!(code(&out), 3);
    assert_eq!(snapshot(&root.project()), before);
    assert_eq!(std::fs::read(root.outside().join("victim.txt")).unwrap(), b"do not touch");

    let good = write_tar(&root, "good.tar", Tar::new().root().file("a.txt", b"new\n").build());
    let out = sandbox(&root, &["sync", "apply", "--from-tar", &good, "--project", &proj(&root), "--yes", "--json"], None, &[]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["applied"], true);
    assert_eq!(root.read("a.txt"), b"new\n");
    let out = sandbox(&root, &["sync", "undo"], None, &[]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(root.read("a.txt"), b"old\n");
}

#[test]
fn queue_verbs_conflict_exit_4_and_force() {
    let root = Root::new();
    root.write("a.txt", b"old\n");
    let t = write_tar(&root, "t.tar", Tar::new().root().file("a.txt", b"new\n").file("b.txt", b"b\n").build());
    // Without --yes and without a terminal the request is queued.
    let out = sandbox(&root, &["sync", "apply", "--from-tar", &t, "--project", &proj(&root), "--json"], None, &[]);
    assert_eq!(code(&out), 0);
    let id = json(&out)["request"].as_str().unwrap().to_string();
    assert_eq!(root.read("a.txt"), b"old\n");
    let out = sandbox(&root, &["sync", "list", "--json"], None, &[]);
    assert_eq!(json(&out)[0]["state"], "pending");
    let out = sandbox(&root, &["sync", "show", &id, "--json", "--diff"], None, &[]);
    let v = json(&out);
    assert!(v["diffs"]["a.txt"].as_str().unwrap().contains("+new"));
    // The host changes after the review: conflict, nothing applied.
    root.write("a.txt", b"user edit\n");
    let out = sandbox(&root, &["sync", "approve", &id], None, &[]);
    assert_eq!(code(&out), 4, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(root.read("a.txt"), b"user edit\n");
    assert!(!root.project().join("b.txt").exists());
    let out = sandbox(&root, &["sync", "approve", &id, "--force"], None, &[]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(root.read("a.txt"), b"new\n");
    let out = sandbox(&root, &["sync", "undo", &id], None, &[]);
    assert_eq!(code(&out), 0);
    assert_eq!(root.read("a.txt"), b"user edit\n");
    assert!(!root.project().join("b.txt").exists());

    // Reject, and partial approval from the CLI.
    let out = sandbox(&root, &["sync", "apply", "--from-tar", &t, "--project", &proj(&root), "--json"], None, &[]);
    let id2 = json(&out)["request"].as_str().unwrap().to_string();
    let out = sandbox(&root, &["sync", "approve", &id2, "--paths", "b.txt"], None, &[]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(root.read("b.txt"), b"b\n");
    assert_eq!(root.read("a.txt"), b"user edit\n");
    let out = sandbox(&root, &["sync", "apply", "--from-tar", &t, "--project", &proj(&root), "--json"], None, &[]);
    let id3 = json(&out)["request"].as_str().unwrap().to_string();
    assert_eq!(code(&sandbox(&root, &["sync", "reject", &id3], None, &[])), 0);
    let out = sandbox(&root, &["sync", "approve", &id3], None, &[]);
    assert_ne!(code(&out), 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("rejected"));

    // A conflict leaves the request approved; choosing other paths then applies those, never
    // the earlier choice in their place.
    let t4 = write_tar(&root, "t4.tar", Tar::new().root().file("a.txt", b"agent\n").file("c.txt", b"c\n").build());
    let out = sandbox(&root, &["sync", "apply", "--from-tar", &t4, "--project", &proj(&root), "--json"], None, &[]);
    let id4 = json(&out)["request"].as_str().unwrap().to_string();
    root.write("a.txt", b"user again\n");
    assert_eq!(code(&sandbox(&root, &["sync", "approve", &id4], None, &[])), 4);
    let out = sandbox(&root, &["sync", "approve", &id4, "--paths", "c.txt"], None, &[]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(root.read("c.txt"), b"c\n");
    assert_eq!(root.read("a.txt"), b"user again\n");
}

fn crash_then_recover(point: &str, expect_new: bool) {
    let root = Root::new();
    root.write("a.txt", b"old a\n");
    root.write("d/x.txt", b"old x\n");
    let original = snapshot(&root.project());
    let t = write_tar(&root, "t.tar", Tar::new().root().file("a.txt", b"new a\n").whiteout("d").file("c.txt", b"c\n").build());
    let out = sandbox(&root, &["sync", "apply", "--from-tar", &t, "--project", &proj(&root), "--yes"], None, &[("SANDBOX_TEST_SYNC_FAILPOINT", point)]);
    assert!(out.status.code().is_none() || code(&out) != 0, "{point}: the process should have died");
    let out = sandbox(&root, &["sync", "list", "--json"], None, &[]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let state = json(&out)[0]["state"].as_str().unwrap().to_string();
    let now = snapshot(&root.project());
    assert!(now.keys().all(|k| !k.contains(".sandbox-sync-")), "{point}: temps left: {now:?}");
    if expect_new {
        assert_eq!(state, "applied", "{point}");
        assert_eq!(root.read("a.txt"), b"new a\n");
        assert_eq!(root.read("c.txt"), b"c\n");
        assert!(!root.project().join("d").exists());
    } else {
        assert_eq!(state, "failed", "{point}");
        assert_eq!(now, original, "{point}");
    }
}

#[test]
fn a_killed_apply_is_recovered_by_the_next_command() {
    crash_then_recover("after-prepared", false);
    crash_then_recover("after-stage:1", false);
    crash_then_recover("after-step:1", true);
    crash_then_recover("before-committed", true);
}

#[test]
fn invalid_policy_file_names_the_field() {
    let root = Root::new();
    let pol = root.dir.path().join("policy.toml");
    std::fs::write(&pol, "[sync]\nblocked_extensions = [\"pem\"]\n").unwrap();
    let t = write_tar(&root, "t.tar", Tar::new().root().file("a", b"a").build());
    let out = sandbox(&root, &["sync", "check", "--from-tar", &t, "--project", &proj(&root), "--policy", pol.to_str().unwrap()], None, &[]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sync.blocked_extensions[0]") && err.contains(".pem"), "{err}");
    std::fs::write(&pol, "[sync]\ndeny = [\"*.md\"]\n").unwrap();
    let t = write_tar(&root, "t2.tar", Tar::new().root().file("README.md", b"a").build());
    let out = sandbox(&root, &["sync", "check", "--from-tar", &t, "--project", &proj(&root), "--policy", pol.to_str().unwrap(), "--json"], None, &[]);
    assert_eq!(code(&out), 3);
    assert_eq!(json(&out)["findings"][0]["rule"], "policy/denied-path");
}

#[test]
fn missing_project_is_a_clear_error() {
    let root = Root::new();
    let t = write_tar(&root, "t.tar", Tar::new().root().build());
    let out = sandbox(&root, &["sync", "check", "--from-tar", &t, "--project", "/nonexistent/dir"], None, &[]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the project folder"));
    let _ = Path::new("/");
}

#[test]
fn issue14_p2_sync_list_after_a_crash_never_overwrites_the_users_repair() {
    let root = Root::new();
    root.write("a.txt", b"old a\n");
    root.write("d/x.txt", b"old x\n");
    let t = write_tar(&root, "t.tar", Tar::new().root().file("a.txt", b"new a\n").whiteout("d").file("c.txt", b"c\n").build());
    // Removals first (d/x.txt, d), then a.txt: the process dies right after writing a.txt.
    let out =
        sandbox(&root, &["sync", "apply", "--from-tar", &t, "--project", &proj(&root), "--yes"], None, &[("SANDBOX_TEST_SYNC_FAILPOINT", "after-step:2")]);
    assert!(out.status.code().is_none() || code(&out) != 0, "the process should have died");
    assert_eq!(root.read("a.txt"), b"new a\n");
    root.write("a.txt", b"the user's repair\n");
    for i in 0..2 {
        let out = sandbox(&root, &["sync", "list"], None, &[]);
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        let said = String::from_utf8_lossy(&out.stderr).contains("not overwritten): a.txt");
        assert_eq!(said, i == 0, "recovery names the kept path once: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(root.read("a.txt"), b"the user's repair\n", "a later verb overwrote the repair");
    }
    assert_eq!(root.read("c.txt"), b"c\n");
}

#[test]
fn issue14_p11_the_text_report_quotes_names_and_shows_type_changes() {
    let root = Root::new();
    root.write("target.txt", b"t\n");
    std::os::unix::fs::symlink("target.txt", root.project().join("l")).unwrap();
    let t = write_tar(&root, "t.tar", Tar::new().root().file_raw(b"./x\x1b]0;owned\x07", b"x").dir("l").file("l/f", b"f\n").build());
    let out = sandbox(&root, &["sync", "check", "--from-tar", &t, "--project", &proj(&root)], None, &[]);
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains('\x1b') && !all.contains('\x07'), "raw escape reached the terminal: {all:?}");
    assert!(all.contains("\\u{1b}"), "{all}");
    assert!(all.contains("modified (symlink → directory)"), "{all}");
}
