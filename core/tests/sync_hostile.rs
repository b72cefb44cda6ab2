//! Hostile input: every hard refusal has a test, and nothing a stream (or a host that changes
//! under the gate) can do makes apply write outside the project. Each test checks the whole temp
//! root afterwards (the project, its siblings, everything but the gate's own state folder).

mod sync_common;

use sandbox_core::scan::Scanner;
use sandbox_core::sync::apply::{apply, ApplyOptions, Plan};
use sandbox_core::sync::finding::rules;
use sandbox_core::sync::host::FileState;
use sandbox_core::sync::journal::JournalOp;
use sandbox_core::sync::probe::HostFsBehaviour;
use sandbox_core::sync::queue::Queue;
use sandbox_core::sync::relpath::RelPath;
use sandbox_core::sync::{SyncError, SyncPolicy};
use std::collections::BTreeMap;
use sync_common::{snapshot, Root, Tar};

fn outside_state(root: &Root) -> BTreeMap<String, String> {
    snapshot(root.dir.path()).into_iter().filter(|(k, _)| !k.starts_with("home")).collect()
}

/// The stream holds a hostile entry plus `ok.txt`. The whole request must be blocked with
/// `rule`; approving just `ok.txt` must apply exactly that and touch nothing else.
fn refused(root: &Root, tar: Vec<u8>, rule: &str, fs: HostFsBehaviour) {
    let before = outside_state(root);
    let q = Queue::open(&root.sync_dir()).unwrap();
    let policy = SyncPolicy::default();
    let req = q.create(&tar[..], &root.project(), &policy, &Scanner::builtin(), Some(fs)).unwrap();
    assert!(req.blocked, "expected a block for {rule}: {:?}", req.findings);
    assert!(req.findings.iter().any(|f| f.rule == rule && f.is_block()), "no {rule} in {:?}", req.findings);
    assert!(matches!(q.approve(&req.id, None, &policy), Err(SyncError::Blocked { .. })));
    // Everything that is blocked stays unapprovable, path by path.
    for f in req.findings.iter().filter(|f| f.is_block()) {
        if let Some(p) = &f.path {
            if req.changes.iter().any(|c| c.path.as_str() == p) {
                assert!(q.approve(&req.id, Some(std::slice::from_ref(p)), &policy).is_err(), "{p} was approvable");
            }
        }
    }
    q.approve(&req.id, Some(&["ok.txt".to_string()]), &policy).unwrap();
    q.apply(&req.id, false, None).unwrap();
    let mut expected = before;
    expected.insert("project/ok.txt".into(), "file 644 2 ok".into());
    assert_eq!(outside_state(root), expected);
}

fn base() -> Tar {
    Tar::new().root().file("ok.txt", b"ok")
}

fn here() -> HostFsBehaviour {
    HostFsBehaviour::default()
}

#[test]
fn absolute_path() {
    let root = Root::new();
    let abs = format!("{}/abs.txt", root.outside().display());
    refused(&root, base().file_raw(abs.as_bytes(), b"pwn").build(), rules::ABSOLUTE_PATH, here());
}

#[test]
fn parent_dir_climb() {
    let root = Root::new();
    refused(&root, base().file_raw(b"./../outside/victim.txt", b"pwn").build(), rules::PARENT_DIR, here());
    let root = Root::new();
    refused(&root, base().file_raw(b"a/../../outside/x", b"pwn").build(), rules::PARENT_DIR, here());
}

#[test]
fn path_through_a_symlink_in_the_stream() {
    let root = Root::new();
    std::os::unix::fs::symlink("../outside", root.project().join("decoy")).unwrap();
    refused(&root, base().symlink("ln", "decoy").file("ln/victim.txt", b"pwn").build(), rules::THROUGH_SYMLINK, here());
}

#[test]
fn path_through_a_symlink_on_the_host() {
    let root = Root::new();
    std::os::unix::fs::symlink("../outside", root.project().join("hl")).unwrap();
    refused(&root, base().file("hl/victim.txt", b"pwn").build(), rules::THROUGH_SYMLINK, here());
}

#[test]
fn symlink_pointing_outside() {
    let root = Root::new();
    refused(&root, base().symlink("esc", "../outside/victim.txt").build(), rules::SYMLINK_ESCAPE, here());
    let root = Root::new();
    refused(&root, base().symlink("abs", "/etc/passwd").build(), rules::SYMLINK_ESCAPE, here());
    let root = Root::new();
    refused(&root, base().dir("a").symlink("a/deep", "../../outside").build(), rules::SYMLINK_ESCAPE, here());
}

#[test]
fn hardlink_outside_the_stream() {
    let root = Root::new();
    refused(&root, base().hardlink("h", "../outside/victim.txt").build(), rules::HARDLINK_OUTSIDE, here());
    let root = Root::new();
    root.write("host-only.txt", b"h");
    refused(&root, base().hardlink("h", "./host-only.txt").build(), rules::HARDLINK_OUTSIDE, here());
    let root = Root::new();
    refused(&root, base().hardlink("h", "/etc/shadow").build(), rules::HARDLINK_OUTSIDE, here());
}

#[test]
fn devices_fifos() {
    let root = Root::new();
    refused(&root, base().chardev("null", 1, 3).build(), rules::SPECIAL_FILE, here());
    let root = Root::new();
    refused(&root, base().blockdev("sda").build(), rules::SPECIAL_FILE, here());
    let root = Root::new();
    refused(&root, base().fifo("pipe").build(), rules::SPECIAL_FILE, here());
}

#[test]
fn host_special_file_is_never_replaced() {
    let root = Root::new();
    let pipe = std::ffi::CString::new(root.project().join("pipe").into_os_string().into_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(pipe.as_ptr(), 0o644) }, 0, "mkfifo: {}", std::io::Error::last_os_error());
    refused(&root, base().file("pipe", b"x").build(), rules::SPECIAL_FILE, here());
}

#[test]
fn setuid_and_setgid() {
    let root = Root::new();
    refused(&root, base().file_mode("suid", b"#!/bin/sh\n", 0o4755).build(), rules::SETUID, here());
    let root = Root::new();
    refused(&root, base().dir_mode("sgid", 0o2775).build(), rules::SETUID, here());
}

#[test]
fn overlay_redirect_metacopy_and_unknown_attributes() {
    let root = Root::new();
    refused(&root, base().dir_xattrs("moved", &[("trusted.overlay.redirect", b"/orig")]).build(), rules::OVERLAY_REDIRECT, here());
    let root = Root::new();
    refused(&root, base().file_xattrs("meta", b"", &[("trusted.overlay.metacopy", b"")]).build(), rules::OVERLAY_METACOPY, here());
    let root = Root::new();
    refused(&root, base().file_xattrs("xw", b"", &[("trusted.overlay.whiteout", b"")]).build(), rules::OVERLAY_UNSUPPORTED, here());
}

#[test]
fn git_internals() {
    let root = Root::new();
    root.write(".git/config", b"[core]\n");
    refused(&root, base().dir(".git").dir(".git/hooks").file_mode(".git/hooks/post-checkout", b"#!/bin/sh\n", 0o755).build(), rules::GIT_INTERNALS, here());
    let root = Root::new();
    refused(&root, base().file(".git", b"gitdir: ../../outside\n").build(), rules::GIT_INTERNALS, here());
}

#[test]
fn case_and_unicode_collisions_on_a_folding_host() {
    let root = Root::new();
    root.write("Makefile", b"all:\n");
    refused(&root, base().file("MAKEFILE", b"pwn").build(), rules::NAME_COLLISION, HostFsBehaviour { case_insensitive: true, normalizes_unicode: false });
    let root = Root::new();
    refused(
        &root,
        base().file("n\u{e9}.txt", b"1").file("ne\u{301}.txt", b"2").build(),
        rules::NAME_COLLISION,
        HostFsBehaviour { case_insensitive: false, normalizes_unicode: true },
    );
}

#[test]
fn unsafe_and_duplicate_names() {
    let root = Root::new();
    refused(&root, base().file_raw(b"./bad\xffname", b"x").build(), rules::UNSAFE_NAME, here());
    let root = Root::new();
    refused(&root, base().file_raw(b"./new\nline", b"x").build(), rules::UNSAFE_NAME, here());
    let root = Root::new();
    refused(&root, base().file("twice", b"1").file("twice", b"2").build(), rules::DUPLICATE_ENTRY, here());
}

#[test]
fn host_folder_swapped_for_a_symlink_after_review_is_never_followed() {
    let root = Root::new();
    root.write("sub/a.txt", b"old");
    let q = Queue::open(&root.sync_dir()).unwrap();
    let policy = SyncPolicy::default();
    let tar = Tar::new().root().dir("sub").file("sub/a.txt", b"new").file("sub/b.txt", b"new").build();
    let req = q.create(&tar[..], &root.project(), &policy, &Scanner::builtin(), Some(here())).unwrap();
    assert!(!req.blocked);
    q.approve(&req.id, None, &policy).unwrap();
    // The host changes under the gate: `sub` becomes a symlink to a folder outside.
    std::fs::remove_dir_all(root.project().join("sub")).unwrap();
    std::fs::write(root.outside().join("a.txt"), b"old").unwrap();
    std::os::unix::fs::symlink("../outside", root.project().join("sub")).unwrap();
    let before = outside_state(&root);
    // Even with --force, nothing is written through the symlink.
    assert!(q.apply(&req.id, false, None).is_err());
    assert_eq!(outside_state(&root), before);
    let forced = q.apply(&req.id, true, None);
    assert!(forced.is_err(), "{forced:?}");
    assert_eq!(outside_state(&root), before);
}

#[test]
fn a_forged_plan_cannot_write_through_a_host_symlink() {
    let root = Root::new();
    std::os::unix::fs::symlink("../outside", root.project().join("out")).unwrap();
    std::os::unix::fs::symlink("../outside/victim.txt", root.project().join("v")).unwrap();
    let blobs = root.dir.path().join("home/blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    let sha = sandbox_core::sync::blobs::sha256_hex(b"pwn");
    std::fs::write(blobs.join(&sha), b"pwn").unwrap();
    let before = outside_state(&root);
    let p = |s: &str| RelPath::parse(s).unwrap().unwrap();
    let file = FileState::File { size: 3, sha256: sha.clone(), mode: 0o644 };
    let opts = ApplyOptions { tx_root: root.sync_dir().join("tx"), force: true, fail: None };
    // Writing below the symlinked folder: refused.
    let plan = Plan {
        id: "t1".into(),
        project: root.project(),
        blob_dir: blobs.clone(),
        ops: vec![JournalOp { path: p("out/victim.txt"), old: FileState::Missing, new: file.clone() }],
    };
    assert!(apply(&plan, &opts).is_err());
    assert_eq!(outside_state(&root), before);
    // Replacing the symlink `v` itself: the link is replaced, its target is untouched.
    let plan = Plan { id: "t2".into(), project: root.project(), blob_dir: blobs, ops: vec![JournalOp { path: p("v"), old: FileState::Missing, new: file }] };
    apply(&plan, &opts).unwrap();
    let after = outside_state(&root);
    assert_eq!(after.get("outside/victim.txt"), before.get("outside/victim.txt"));
    assert_eq!(after.get("project/v").unwrap(), "file 644 3 pwn");
}

#[test]
fn symlink_chains_cannot_escape() {
    // d/e/l6 -> ../.. lands on the project root; d/e/l7 -> l6/../x would really resolve to a
    // sibling of the project although it looks inside lexically.
    let root = Root::new();
    refused(&root, base().dir("d").dir("d/e").symlink("d/e/l6", "../..").symlink("d/e/l7", "l6/../outside").build(), rules::SYMLINK_ESCAPE, here());
    // Pointing through a host symlink that leads outside.
    let root = Root::new();
    std::os::unix::fs::symlink("../outside", root.project().join("ext")).unwrap();
    refused(&root, base().symlink("l", "ext/victim.txt").build(), rules::SYMLINK_ESCAPE, here());
    let root = Root::new();
    std::os::unix::fs::symlink("../outside", root.project().join("ext")).unwrap();
    refused(&root, base().symlink("l", "ext").build(), rules::SYMLINK_ESCAPE, here());
}

#[test]
fn ordinary_relative_symlinks_pass() {
    let root = Root::new();
    root.write("lib/real.so.1", b"elf");
    let q = Queue::open(&root.sync_dir()).unwrap();
    let tar = Tar::new().root().dir("lib").symlink("lib/real.so", "real.so.1").dir("bin").symlink("bin/tool", "../lib/real.so.1").build();
    let req = q.create(&tar[..], &root.project(), &SyncPolicy::default(), &Scanner::builtin(), Some(here())).unwrap();
    assert!(!req.blocked, "{:?}", req.findings);
    assert_eq!(req.changes.len(), 3);
}
