#![cfg(feature = "kernel-tests")]
//! End to end as root: a real overlay, its upper dir piped from GNU tar straight into
//! `sandbox sync check/apply --from-tar -`, exactly as the VM wiring will stream it.

#[path = "../../core/tests/sync_common/mod.rs"]
mod sync_common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use sync_common::snapshot;

struct Mounted(std::path::PathBuf);
impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn sandbox_with_stdin(home: &Path, args: &[&str], stdin: &[u8]) -> (i32, serde_json::Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .args(args)
        .env("SANDBOX_HOME", home)
        .env_remove("SANDBOX_TEST_SYNC_FAILPOINT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn overlay_upper_piped_into_sync_apply() {
    let base = tempfile::tempdir().unwrap();
    let b = |n: &str| base.path().join(n);
    for d in ["project", "upper", "work", "merged", "home"] {
        std::fs::create_dir(b(d)).unwrap();
    }
    std::fs::create_dir_all(b("project/src")).unwrap();
    std::fs::write(b("project/src/lib.rs"), "pub fn a() {}\n").unwrap();
    std::fs::write(b("project/old.txt"), "old\n").unwrap();
    let opts = format!("lowerdir={},upperdir={},workdir={},redirect_dir=off,metacopy=off", b("project").display(), b("upper").display(), b("work").display());
    assert!(Command::new("mount").args(["-t", "overlay", "overlay", "-o", &opts]).arg(b("merged")).status().unwrap().success());
    let guard = Mounted(b("merged"));
    let st = Command::new("sh")
        .arg("-ec")
        .arg("echo 'pub fn b() {}' >> src/lib.rs; rm old.txt; mkdir docs; echo hi > docs/new.md; echo 'k' > id.pem")
        .current_dir(b("merged"))
        .status()
        .unwrap();
    assert!(st.success());
    let merged_view = snapshot(&b("merged"));
    assert!(Command::new("umount").arg(b("merged")).status().unwrap().success());
    std::mem::forget(guard);
    let tar =
        Command::new("tar").args(["--xattrs", "--xattrs-include=trusted.overlay.*", "-C"]).arg(b("upper")).args(["-cf", "-", "."]).output().unwrap().stdout;
    let project = b("project").display().to_string();
    let home = b("home");

    // id.pem is blocked: check says 3, apply writes nothing.
    let before = snapshot(&b("project"));
    let (code, v) = sandbox_with_stdin(&home, &["sync", "check", "--from-tar", "-", "--project", &project, "--json"], &tar);
    assert_eq!(code, 3);
    assert_eq!(v["blocked"], true);
    let (code, _) = sandbox_with_stdin(&home, &["sync", "apply", "--from-tar", "-", "--project", &project, "--json", "--yes"], &tar);
    assert_eq!(code, 3);
    assert_eq!(snapshot(&b("project")), before);

    // Without the key the same flow applies, and the host equals the merged view.
    std::fs::remove_file(b("upper/id.pem")).unwrap();
    let tar =
        Command::new("tar").args(["--xattrs", "--xattrs-include=trusted.overlay.*", "-C"]).arg(b("upper")).args(["-cf", "-", "."]).output().unwrap().stdout;
    let (code, v) = sandbox_with_stdin(&home, &["sync", "apply", "--from-tar", "-", "--project", &project, "--json", "--yes"], &tar);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["applied"], true);
    let kinds: Vec<(String, String)> =
        v["changes"].as_array().unwrap().iter().map(|c| (c["path"].as_str().unwrap().to_string(), c["kind"].as_str().unwrap().to_string())).collect();
    assert_eq!(
        kinds,
        vec![
            ("docs".into(), "added".into()),
            ("docs/new.md".into(), "added".into()),
            ("old.txt".into(), "deleted".into()),
            ("src/lib.rs".into(), "modified".into())
        ]
    );
    let mut want = merged_view;
    want.remove("id.pem");
    assert_eq!(snapshot(&b("project")), want);
}
