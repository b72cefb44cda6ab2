//! Change sets and findings from forged GNU-tar-style upper streams against a host project.

mod sync_common;

use sandbox_core::scan::Scanner;
use sandbox_core::sync::finding::rules;
use sandbox_core::sync::host::FileState;
use sandbox_core::sync::policy::Treatment;
use sandbox_core::sync::probe::HostFsBehaviour;
use sandbox_core::sync::{check_with, ChangeKind, CheckOptions, CheckReport, SyncPolicy, SyncPolicyConfig};
use sync_common::{Root, Tar};

fn run(root: &Root, tar: Vec<u8>) -> CheckReport {
    run_with(root, tar, &SyncPolicy::default(), HostFsBehaviour::default())
}

fn run_with(root: &Root, tar: Vec<u8>, policy: &SyncPolicy, fs: HostFsBehaviour) -> CheckReport {
    check_with(&tar[..], &root.project(), policy, &Scanner::builtin(), &CheckOptions { blobs: None, host_fs: Some(fs) }).unwrap()
}

fn kinds(r: &CheckReport) -> Vec<(String, ChangeKind)> {
    r.changes.iter().map(|c| (c.path.to_string(), c.kind)).collect()
}

fn rules_for<'a>(r: &'a CheckReport, path: &str) -> Vec<&'a str> {
    r.findings.iter().filter(|f| f.path.as_deref() == Some(path)).map(|f| f.rule.as_str()).collect()
}

#[test]
fn added_modified_deleted_symlink_and_mode() {
    let root = Root::new();
    root.write("keep.txt", b"same\n");
    root.write("edit.txt", b"old\n");
    root.write("gone.txt", b"bye\n");
    root.write("run.sh", b"echo hi\n");
    let tar = Tar::new()
        .root()
        .file("keep.txt", b"same\n") // copy-up without change: not a change
        .file("edit.txt", b"new\n")
        .whiteout("gone.txt")
        .whiteout("never-existed.txt")
        .file_mode("run.sh", b"echo hi\n", 0o755)
        .dir("src")
        .file("src/lib.rs", b"fn main() {}\n")
        .symlink("link", "src/lib.rs")
        .build();
    let r = run(&root, tar);
    assert_eq!(
        kinds(&r),
        vec![
            ("edit.txt".into(), ChangeKind::Modified),
            ("gone.txt".into(), ChangeKind::Deleted),
            ("link".into(), ChangeKind::Symlink),
            ("run.sh".into(), ChangeKind::Mode),
            ("src".into(), ChangeKind::Added),
            ("src/lib.rs".into(), ChangeKind::Added),
        ]
    );
    let edit = r.changes.iter().find(|c| c.path.as_str() == "edit.txt").unwrap();
    assert_eq!(edit.size(), 4);
    assert_eq!(edit.sha256().unwrap(), sandbox_core::sync::blobs::sha256_hex(b"new\n"));
    assert!(matches!(&edit.old, FileState::File { sha256, .. } if *sha256 == sandbox_core::sync::blobs::sha256_hex(b"old\n")));
    let gone = r.changes.iter().find(|c| c.path.as_str() == "gone.txt").unwrap();
    assert_eq!(gone.size(), 4, "a deletion reports the removed file's size");
    // run.sh becomes executable: a warning, not a block.
    assert_eq!(rules_for(&r, "run.sh"), vec![rules::EXECUTABLE]);
    assert!(!r.blocked, "{:?}", r.findings);
}

#[test]
fn opaque_dir_deletes_what_the_upper_lacks() {
    let root = Root::new();
    root.write("d/a.txt", b"a");
    root.write("d/sub/b.txt", b"b");
    root.write("d/keep.txt", b"old");
    let tar = Tar::new().root().opaque_dir("d").file("d/keep.txt", b"new").build();
    let r = run(&root, tar);
    assert_eq!(
        kinds(&r),
        vec![
            ("d/a.txt".into(), ChangeKind::Deleted),
            ("d/keep.txt".into(), ChangeKind::Modified),
            ("d/sub".into(), ChangeKind::Deleted),
            ("d/sub/b.txt".into(), ChangeKind::Deleted),
        ]
    );
}

#[test]
fn whiteout_of_a_folder_deletes_its_tree_and_dir_replaced_by_file() {
    let root = Root::new();
    root.write("old/x/y.txt", b"y");
    root.write("swap/z.txt", b"z");
    let tar = Tar::new().root().whiteout("old").file("swap", b"now a file").build();
    let r = run(&root, tar);
    assert_eq!(
        kinds(&r),
        vec![
            ("old".into(), ChangeKind::Deleted),
            ("old/x".into(), ChangeKind::Deleted),
            ("old/x/y.txt".into(), ChangeKind::Deleted),
            ("swap".into(), ChangeKind::Modified),
            ("swap/z.txt".into(), ChangeKind::Deleted),
        ]
    );
}

#[test]
fn overlay_bookkeeping_xattrs_are_ignored() {
    let root = Root::new();
    let tar = Tar::new().root().dir_xattrs("d", &[("trusted.overlay.impure", b"y"), ("trusted.overlay.origin", b"\x00\xfb\x21")]).file("d/f", b"f").build();
    let r = run(&root, tar);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.changes.len(), 2);
}

#[test]
fn hardlink_inside_the_stream_is_a_copy() {
    let root = Root::new();
    let tar = Tar::new().root().file("a", b"shared").hardlink("b", "./a").build();
    let r = run(&root, tar);
    let b = r.changes.iter().find(|c| c.path.as_str() == "b").unwrap();
    assert_eq!(b.kind, ChangeKind::Added);
    assert_eq!(b.sha256().unwrap(), sandbox_core::sync::blobs::sha256_hex(b"shared"));
}

#[test]
fn implied_parent_folders_are_added() {
    let root = Root::new();
    // A stream that omits the folder entries (GNU tar never does, but the gate must cope).
    let tar = Tar::new().file("a/b/c.txt", b"c").build();
    let r = run(&root, tar);
    assert_eq!(kinds(&r), vec![("a".into(), ChangeKind::Added), ("a/b".into(), ChangeKind::Added), ("a/b/c.txt".into(), ChangeKind::Added)]);
}

#[test]
fn policy_findings() {
    let root = Root::new();
    let tar = Tar::new()
        .root()
        .file(".env", b"X=1\n")
        .file("certs/server.PEM", b"not really\n")
        .dir("certs")
        .file("img.bin", b"\x00\x01\x02")
        .dir(".git")
        .dir(".git/hooks")
        .file_mode(".git/hooks/pre-commit", b"#!/bin/sh\ncurl evil\n", 0o755)
        .dir(".ssh")
        .file(".ssh/config", b"Host x\n")
        .file("big.txt", &vec![b'a'; 2048])
        .build();
    let cfg = SyncPolicyConfig { max_file_bytes: 1024, max_total_bytes: 1024, ..Default::default() };
    let r = run_with(&root, tar, &cfg.validate().unwrap(), HostFsBehaviour::default());
    assert!(r.blocked);
    assert_eq!(rules_for(&r, ".env"), vec![rules::BLOCKED_EXTENSION]);
    assert_eq!(rules_for(&r, "certs/server.PEM"), vec![rules::BLOCKED_EXTENSION]);
    assert_eq!(rules_for(&r, "img.bin"), vec![rules::BINARY]);
    let hook = rules_for(&r, ".git/hooks/pre-commit");
    assert!(hook.contains(&rules::GIT_INTERNALS) && hook.contains(&rules::EXECUTABLE), "{hook:?}");
    assert_eq!(rules_for(&r, ".ssh/config"), vec![rules::DENIED_PATH]);
    assert_eq!(rules_for(&r, "big.txt"), vec![rules::FILE_TOO_LARGE]);
    assert!(r.findings.iter().any(|f| f.path.is_none() && f.rule == rules::TOTAL_TOO_LARGE));
    let json = r.contract_json();
    assert_eq!(json["blocked"], true);
}

#[test]
fn allow_globs_and_treatments() {
    let root = Root::new();
    let tar = Tar::new().root().dir("src").file("src/a.rs", b"a").file("notes.md", b"n").file("src/b.bin", b"\x00").build();
    let cfg = SyncPolicyConfig { allow: vec!["src/**".into()], binaries: Treatment::Block, ..Default::default() };
    let r = run_with(&root, tar, &cfg.validate().unwrap(), HostFsBehaviour::default());
    assert_eq!(rules_for(&r, "notes.md"), vec![rules::NOT_ALLOWED]);
    assert!(rules_for(&r, "src/a.rs").is_empty());
    let bin: Vec<_> = r.findings.iter().filter(|f| f.path.as_deref() == Some("src/b.bin")).collect();
    assert_eq!(bin.len(), 1);
    assert!(bin[0].is_block());
    let cfg = SyncPolicyConfig { allow_git_internals: true, ..Default::default() };
    let tar = Tar::new().root().dir(".git").file(".git/config", b"[core]\n").build();
    let r = run_with(&root, tar, &cfg.validate().unwrap(), HostFsBehaviour::default());
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn secrets_block_and_never_leak_into_findings() {
    let root = Root::new();
    // A realistic key body: the real scanner ignores PEM headers around placeholder bodies.
    let body = "MIIEowIBAAKCAQEAzSuperSecretMaterial".to_string() + &"q7Zk2Vb9LmXw4RtP8sJc3NdYh6GfKa1E5uTo0iWpHxCzBnDv/+Qe".repeat(8);
    let key = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n");
    let mut content = b"line one\n".to_vec();
    content.extend_from_slice(key.as_bytes());
    let tar = Tar::new().root().file("notes/deploy.txt", &content).dir("notes").hardlink("copy.txt", "./notes/deploy.txt").build();
    let r = run(&root, tar);
    assert!(r.blocked);
    let f: Vec<_> = r.findings.iter().filter(|f| f.rule.starts_with(rules::SECRET_PREFIX)).collect();
    assert_eq!(f.len(), 2, "{:?}", r.findings);
    assert!(f.iter().all(|f| f.line == Some(2)));
    let json = serde_json::to_string(&r.contract_json()).unwrap();
    assert!(!json.contains("SuperSecretMaterial"));
}

#[test]
fn unchanged_file_with_a_secret_is_not_reported() {
    let root = Root::new();
    let key = b"-----BEGIN PRIVATE KEY-----\nabc\n";
    root.write("k.txt", key);
    let tar = Tar::new().root().file("k.txt", key).build();
    let r = run(&root, tar);
    assert!(r.changes.is_empty());
    assert!(r.findings.is_empty());
}

#[test]
fn name_collisions_block_on_folding_hosts_and_warn_elsewhere() {
    let root = Root::new();
    root.write("Readme.md", b"old");
    let tar = Tar::new().root().file("README.md", b"x").file("caf\u{e9}.txt", b"1").file("cafe\u{301}.txt", b"2").build();
    // This host (case-sensitive, non-normalizing): only warnings about portability.
    let r = run_with(&root, tar.clone(), &SyncPolicy::default(), HostFsBehaviour::default());
    assert!(!r.blocked, "{:?}", r.findings);
    assert!(r.findings.iter().any(|f| f.rule == rules::CASE_COLLISION_ELSEWHERE));
    // A macOS-like host: both collisions block.
    let r = run_with(&root, tar, &SyncPolicy::default(), HostFsBehaviour::strictest());
    assert!(rules_for(&r, "README.md").contains(&rules::NAME_COLLISION));
    assert!(rules_for(&r, "caf\u{e9}.txt").contains(&rules::NAME_COLLISION));
}

#[test]
fn probing_this_host_reports_a_case_sensitive_fs() {
    let root = Root::new();
    let b = sandbox_core::sync::probe::probe(&root.project()).unwrap();
    // The test machines use ext4/tmpfs/overlay: case-sensitive, byte-exact names.
    assert!(!b.case_insensitive && !b.normalizes_unicode);
    assert!(std::fs::read_dir(root.project()).unwrap().next().is_none(), "the probe cleaned up");
}

#[test]
fn contract_json_has_exactly_the_documented_fields() {
    let root = Root::new();
    let tar = Tar::new().root().file("a.key", b"k").build();
    let r = run(&root, tar);
    let v = r.contract_json();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["blocked", "changes", "findings"]);
    let c: Vec<&String> = v["changes"][0].as_object().unwrap().keys().collect();
    assert_eq!(c, vec!["kind", "path", "sha256", "size", "type_change"]);
    let f: Vec<&String> = v["findings"][0].as_object().unwrap().keys().collect();
    assert_eq!(f, vec!["line", "message", "path", "rule", "severity"]);
    assert_eq!(v["findings"][0]["severity"], "block");
    assert_eq!(v["changes"][0]["kind"], "added");
}

#[test]
fn truncated_and_garbage_streams_are_errors_not_panics() {
    let root = Root::new();
    let full = Tar::new().root().file("a", &vec![b'x'; 5000]).build();
    let cut = &full[..1500];
    let e = check_with(cut, &root.project(), &SyncPolicy::default(), &Scanner::builtin(), &CheckOptions::default()).unwrap_err();
    assert!(e.to_string().contains("tar"), "{e}");
    let garbage = vec![0x41u8; 2048];
    assert!(check_with(&garbage[..], &root.project(), &SyncPolicy::default(), &Scanner::builtin(), &CheckOptions::default()).is_err());
}

#[test]
fn a_setgid_folder_copied_up_unchanged_is_fine_but_a_new_one_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let root = Root::new();
    root.write("shared/a.txt", b"a");
    std::fs::set_permissions(root.project().join("shared"), std::fs::Permissions::from_mode(0o2775)).unwrap();
    let tar = Tar::new().root().dir_mode("shared", 0o2775).file("shared/a.txt", b"b").dir_mode("new", 0o2775).file("new/child", b"c").build();
    let r = run(&root, tar);
    assert_eq!(rules_for(&r, "shared"), Vec::<&str>::new());
    assert_eq!(rules_for(&r, "new"), vec![rules::SETUID]);
    assert_eq!(rules_for(&r, "new/child"), vec![rules::THROUGH_SYMLINK], "below a refused folder");
    assert_eq!(kinds(&r), vec![("shared/a.txt".into(), ChangeKind::Modified)]);
}

#[test]
fn binary_xattr_values_with_newlines_are_parsed_exactly() {
    // trusted.overlay.origin is a binary file handle; a 0x0a byte in it must not derail the
    // PAX parser (the opaque flag after it still counts, a metacopy after it is still refused).
    let root = Root::new();
    root.write("d/old.txt", b"old");
    let tar = Tar::new()
        .root()
        .dir_xattrs("d", &[("trusted.overlay.origin", b"\x00\xfb\n21 path=../../etc/x\n\x0a"), ("trusted.overlay.opaque", b"y")])
        .file("d/new.txt", b"n")
        .file_xattrs("m", b"", &[("trusted.overlay.origin", b"\n\n"), ("trusted.overlay.metacopy", b"\x00\n\x01")])
        .build();
    let r = run(&root, tar);
    assert_eq!(kinds(&r), vec![("d/new.txt".into(), ChangeKind::Added), ("d/old.txt".into(), ChangeKind::Deleted)]);
    assert_eq!(rules_for(&r, "m"), vec![rules::OVERLAY_METACOPY]);
}

#[test]
fn long_names_via_pax_path() {
    let root = Root::new();
    let long = format!("{}/{}", "d".repeat(120), "f".repeat(150));
    let tar = Tar::new().root().dir(&"d".repeat(120)).file(&long, b"x").symlink("l", &long).build();
    let r = run(&root, tar);
    assert!(r.changes.iter().any(|c| c.path.as_str() == long), "{:?}", kinds(&r));
    assert!(r.changes.iter().any(|c| c.path.as_str() == "l" && matches!(&c.new, FileState::Symlink { target } if *target == long)));
    assert!(!r.blocked, "{:?}", r.findings);
}
