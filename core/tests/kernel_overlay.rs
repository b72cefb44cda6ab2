#![cfg(feature = "kernel-tests")]
//! Real overlayfs (root): lower = the host project, changes made through the merged view, the
//! upper dir streamed with GNU tar exactly as the VM does, then check + apply; the applied host
//! tree must equal the merged view byte for byte.

mod sync_common;

use sandbox_core::scan::Scanner;
use sandbox_core::sync::finding::rules;
use sandbox_core::sync::probe::HostFsBehaviour;
use sandbox_core::sync::queue::{Queue, RequestState};
use sandbox_core::sync::{ChangeKind, SyncPolicy};
use std::path::{Path, PathBuf};
use std::process::Command;
use sync_common::snapshot;

/// An overlay mount, unmounted on drop (whatever happens in the test).
struct Overlay {
    base: tempfile::TempDir,
    mounted: bool,
}

impl Overlay {
    /// `project` (the lower dir) is filled by `setup` before mounting.
    fn new(setup: impl FnOnce(&Path)) -> Overlay {
        let base = tempfile::tempdir().unwrap();
        for d in ["project", "upper", "work", "merged", "home"] {
            std::fs::create_dir(base.path().join(d)).unwrap();
        }
        setup(&base.path().join("project"));
        let mut o = Overlay { base, mounted: false };
        let opts = format!(
            "lowerdir={},upperdir={},workdir={},redirect_dir=off,metacopy=off",
            o.p("project").display(),
            o.p("upper").display(),
            o.p("work").display()
        );
        let st = Command::new("mount").args(["-t", "overlay", "overlay", "-o", &opts]).arg(o.p("merged")).status().unwrap();
        assert!(st.success(), "mount -t overlay failed (root and overlayfs needed)");
        o.mounted = true;
        o
    }

    fn p(&self, name: &str) -> PathBuf {
        self.base.path().join(name)
    }

    fn merged(&self) -> PathBuf {
        self.p("merged")
    }

    fn sh(&self, script: &str) {
        let st = Command::new("sh").arg("-ec").arg(script).current_dir(self.merged()).status().unwrap();
        assert!(st.success(), "{script}");
    }

    fn unmount(&mut self) {
        if self.mounted {
            let st = Command::new("umount").arg(self.merged()).status().unwrap();
            assert!(st.success());
            self.mounted = false;
        }
    }

    /// `tar --xattrs --xattrs-include='trusted.overlay.*' -C <upper> -cf - .`
    fn upper_tar(&self) -> Vec<u8> {
        let out =
            Command::new("tar").args(["--xattrs", "--xattrs-include=trusted.overlay.*", "-C"]).arg(self.p("upper")).args(["-cf", "-", "."]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }
}

impl Drop for Overlay {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg("-l").arg(self.merged()).status();
        }
    }
}

fn w(root: &Path, rel: &str, data: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn lower_project(p: &Path) {
    w(p, "README.md", "# demo\n");
    w(p, "src/main.rs", "fn main() {\n    println!(\"hi\");\n}\n");
    w(p, "src/old.rs", "// old\n");
    w(p, "docs/a.md", "a\n");
    w(p, "docs/deep/b.md", "b\n");
    w(p, "assets/x.txt", "x\n");
    w(p, "assets/y.txt", "y\n");
    w(p, "rename-me.txt", "moving\n");
    w(p, "dirmove/one.txt", "1\n");
    w(p, "untouched/keep.txt", "keep\n");
    w(p, "touched.txt", "same\n");
    w(p, "script.sh", "#!/bin/sh\necho hi\n");
}

#[test]
fn overlay_changes_round_trip_byte_for_byte() {
    let mut o = Overlay::new(lower_project);
    o.sh("printf 'fn main() {\\n    println!(\"hello\");\\n}\\n' > src/main.rs
         echo 'pub fn new() {}' > src/new.rs
         mkdir -p feature/nested && echo n > feature/nested/n.rs
         rm src/old.rs
         rm -r docs
         mv rename-me.txt renamed.txt
         mv dirmove dirmoved
         rm -r assets && mkdir assets && echo z > assets/z.txt
         chmod +x script.sh
         ln -s src/main.rs main-link
         ln src/new.rs src/new-hardlink.rs
         touch touched.txt");
    let expected = snapshot(&o.merged());
    o.unmount();
    let tar = o.upper_tar();
    let project = o.p("project");

    let q = Queue::open(&o.p("home").join("sync")).unwrap();
    let policy = SyncPolicy::default();
    let req = q.create(&tar[..], &project, &policy, &Scanner::builtin(), None).unwrap();
    let kinds: Vec<(String, ChangeKind)> = req.changes.iter().map(|c| (c.path.to_string(), c.kind)).collect();
    let want = |p: &str, k: ChangeKind| assert!(kinds.contains(&(p.to_string(), k)), "missing {p} {k:?} in {kinds:?}");
    want("src/main.rs", ChangeKind::Modified);
    want("src/new.rs", ChangeKind::Added);
    want("src/new-hardlink.rs", ChangeKind::Added);
    want("feature/nested/n.rs", ChangeKind::Added);
    want("src/old.rs", ChangeKind::Deleted);
    want("docs/deep/b.md", ChangeKind::Deleted);
    want("docs", ChangeKind::Deleted);
    want("rename-me.txt", ChangeKind::Deleted);
    want("renamed.txt", ChangeKind::Added);
    want("dirmove/one.txt", ChangeKind::Deleted);
    want("dirmoved/one.txt", ChangeKind::Added);
    want("assets/x.txt", ChangeKind::Deleted);
    want("assets/z.txt", ChangeKind::Added);
    want("script.sh", ChangeKind::Mode);
    want("main-link", ChangeKind::Symlink);
    assert!(!kinds.iter().any(|(p, _)| p == "touched.txt" || p.starts_with("untouched") || p == "README.md"), "{kinds:?}");
    assert!(!req.blocked, "{:?}", req.findings);
    let renames = sandbox_core::sync::report::renames(&req.changes);
    assert!(renames.contains(&("rename-me.txt".to_string(), "renamed.txt".to_string())), "{renames:?}");
    assert!(renames.contains(&("dirmove/one.txt".to_string(), "dirmoved/one.txt".to_string())), "{renames:?}");

    q.approve(&req.id, None, &policy).unwrap();
    q.apply(&req.id, false, None).unwrap();
    assert_eq!(snapshot(&project), expected, "the host equals the merged view");

    // And undo restores the original lower tree.
    let mut original = tempfile::tempdir().unwrap();
    lower_project(original.path());
    q.undo(&req.id, false, None).unwrap();
    let restored = snapshot(&project);
    let want_tree = snapshot(original.path());
    assert_eq!(restored, want_tree);
    assert_eq!(q.load(&req.id).unwrap().state, RequestState::Undone);
    let _ = &mut original;
}

#[test]
fn overlay_whiteouts_and_opaque_dirs_are_what_the_kernel_writes() {
    let mut o = Overlay::new(lower_project);
    o.sh("rm README.md; rm -r assets; mkdir assets; echo new > assets/n.txt");
    o.unmount();
    let tar = o.upper_tar();
    // GNU tar shows the whiteout as a char device 0:0 and the opaque xattr in PAX headers.
    let mut ar = tar::Archive::new(&tar[..]);
    let mut saw_whiteout = false;
    let mut saw_opaque = false;
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        if path.ends_with("README.md") {
            assert_eq!(e.header().entry_type(), tar::EntryType::Char);
            assert_eq!(e.header().device_major().unwrap(), Some(0));
            saw_whiteout = true;
        }
        if path.trim_end_matches('/').ends_with("assets") {
            if let Some(exts) = e.pax_extensions().unwrap() {
                for x in exts {
                    let x = x.unwrap();
                    if x.key().unwrap() == "SCHILY.xattr.trusted.overlay.opaque" {
                        assert_eq!(x.value_bytes(), b"y");
                        saw_opaque = true;
                    }
                }
            }
        }
    }
    assert!(saw_whiteout && saw_opaque);
    let report = sandbox_core::sync::check(&tar[..], &o.p("project"), &SyncPolicy::default(), &Scanner::builtin()).unwrap();
    let kinds: Vec<(String, ChangeKind)> = report.changes.iter().map(|c| (c.path.to_string(), c.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("README.md".into(), ChangeKind::Deleted),
            ("assets/n.txt".into(), ChangeKind::Added),
            ("assets/x.txt".into(), ChangeKind::Deleted),
            ("assets/y.txt".into(), ChangeKind::Deleted),
        ]
    );
    assert_eq!(report.host_fs, HostFsBehaviour::default());
}

#[test]
fn overlay_special_files_and_setuid_are_refused() {
    let mut o = Overlay::new(lower_project);
    o.sh("mkfifo pipe; mknod null c 1 3; echo x > suid; chmod 4755 suid; echo fine > fine.txt");
    o.unmount();
    let tar = o.upper_tar();
    let report = sandbox_core::sync::check(&tar[..], &o.p("project"), &SyncPolicy::default(), &Scanner::builtin()).unwrap();
    let has = |p: &str, r: &str| report.findings.iter().any(|f| f.path.as_deref() == Some(p) && f.rule == r && f.is_block());
    assert!(has("pipe", rules::SPECIAL_FILE), "{:?}", report.findings);
    assert!(has("null", rules::SPECIAL_FILE));
    assert!(has("suid", rules::SETUID));
    let paths: Vec<&str> = report.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, vec!["fine.txt"]);
}

#[test]
fn redirect_dir_xattr_from_a_real_overlay_is_refused() {
    // Mount with redirect_dir=on to make the kernel write trusted.overlay.redirect; the gate
    // must refuse it rather than guess.
    let base = tempfile::tempdir().unwrap();
    for d in ["project", "upper", "work", "merged"] {
        std::fs::create_dir(base.path().join(d)).unwrap();
    }
    w(&base.path().join("project"), "d/f.txt", "f\n");
    let opts = format!(
        "lowerdir={},upperdir={},workdir={},redirect_dir=on",
        base.path().join("project").display(),
        base.path().join("upper").display(),
        base.path().join("work").display()
    );
    let merged = base.path().join("merged");
    assert!(Command::new("mount").args(["-t", "overlay", "overlay", "-o", &opts]).arg(&merged).status().unwrap().success());
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let guard = Unmount(merged.clone());
    std::fs::rename(merged.join("d"), merged.join("e")).unwrap();
    assert!(Command::new("umount").arg(&merged).status().unwrap().success());
    std::mem::forget(guard);
    let out = Command::new("tar")
        .args(["--xattrs", "--xattrs-include=trusted.overlay.*", "-C"])
        .arg(base.path().join("upper"))
        .args(["-cf", "-", "."])
        .output()
        .unwrap();
    let report = sandbox_core::sync::check(&out.stdout[..], &base.path().join("project"), &SyncPolicy::default(), &Scanner::builtin()).unwrap();
    assert!(report.blocked);
    assert!(report.findings.iter().any(|f| f.rule == rules::OVERLAY_REDIRECT && f.path.as_deref() == Some("e")), "{:?}", report.findings);
}

#[test]
fn many_copy_ups_with_binary_origin_handles_parse() {
    // Every copy-up gets a binary trusted.overlay.origin file handle; over hundreds of files
    // some hold newline bytes, which must not derail PAX parsing.
    let mut o = Overlay::new(|p| {
        for i in 0..300 {
            w(p, &format!("many/f{i:03}.txt"), &format!("{i}\n"));
        }
    });
    o.sh("for f in many/*.txt; do echo more >> \"$f\"; done");
    let expected = snapshot(&o.merged());
    o.unmount();
    let tar = o.upper_tar();
    assert!(tar.windows(22).filter(|w| *w == b"trusted.overlay.origin").count() >= 300, "the kernel wrote origin xattrs");
    let q = Queue::open(&o.p("home").join("sync")).unwrap();
    let policy = SyncPolicy::default();
    let req = q.create(&tar[..], &o.p("project"), &policy, &Scanner::builtin(), None).unwrap();
    assert_eq!(req.changes.len(), 300);
    assert!(req.changes.iter().all(|c| c.kind == ChangeKind::Modified));
    q.approve(&req.id, None, &policy).unwrap();
    q.apply(&req.id, false, None).unwrap();
    assert_eq!(snapshot(&o.p("project")), expected);
}

/// Issue 14, points 1, 6 and 11 on a real overlay: what the kernel's upper dir holds after an
/// agent plants a staging-like name, a read-only folder with content, a mode-000 file and a
/// symlink turned into a folder.
#[test]
fn issue14_p1_p6_real_overlay_staging_names_read_only_folders_and_type_changes() {
    let temp_like = format!(".sandbox-sync-1-{}.tmp", &sandbox_core::sync::blobs::sha256_hex(b".ssh")[..16]);
    let mut o = Overlay::new(|p| {
        lower_project(p);
        std::os::unix::fs::symlink("docs", p.join("docs-link")).unwrap();
    });
    o.sh(&format!(
        "echo file > .ssh; mkdir {temp_like}; echo key > {temp_like}/authorized_keys; \
         mkdir ro; echo inside > ro/f.txt; chmod 555 ro; \
         echo locked > zero.bin; chmod 000 zero.bin; \
         rm docs-link; mkdir docs-link; echo now > docs-link/n.txt"
    ));
    o.unmount();
    let tar = o.upper_tar();
    let q = Queue::open(&o.p("home").join("sync")).unwrap();
    let req = q.create(&tar[..], &o.p("project"), &SyncPolicy::default(), &Scanner::builtin(), None).unwrap();
    assert!(req.findings.iter().any(|f| f.path.as_deref() == Some(temp_like.as_str()) && f.rule == rules::RESERVED_NAME), "{:?}", req.findings);
    let link = req.changes.iter().find(|c| c.path.as_str() == "docs-link").unwrap();
    assert_eq!(link.describe(), "modified (symlink → directory)");
    let paths: Vec<String> = req.changes.iter().map(|c| c.path.to_string()).collect();
    assert!(!paths.iter().any(|p| p.contains(".sandbox-sync-")), "{paths:?}");
    q.approve(&req.id, Some(&paths), &SyncPolicy::default()).unwrap();
    let before = snapshot(&o.p("project"));
    q.apply(&req.id, false, None).unwrap();
    let after = snapshot(&o.p("project"));
    assert_eq!(after.get(".ssh").map(String::as_str), Some("file 644 5 file\n"));
    assert_eq!(after.get("ro").map(String::as_str), Some("dir 555"));
    assert_eq!(after.get("ro/f.txt").map(String::as_str), Some("file 644 7 inside\n"));
    assert_eq!(after.get("zero.bin").map(String::as_str), Some("file 0 7 locked\n"));
    assert_eq!(after.get("docs-link/n.txt").map(String::as_str), Some("file 644 4 now\n"));
    assert!(!after.keys().any(|k| k.contains(".sandbox-sync-")), "{after:?}");
    let (r, _) = q.undo(&req.id, false, None).unwrap();
    assert_eq!(r.state, RequestState::Undone);
    assert_eq!(snapshot(&o.p("project")), before);
}
