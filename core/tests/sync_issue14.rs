//! Regression tests for the sync-gate points of issue 14 (an attack on the offline gate run
//! as an ordinary host user). Tests whose point depends on permissions run as `nobody` when
//! the suite runs as root (see `sync_common::as_ordinary_user`).

mod sync_common;

use sandbox_core::scan::Scanner;
use sandbox_core::sync::apply::{FailMode, FailPoint};
use sandbox_core::sync::finding::rules;
use sandbox_core::sync::probe::HostFsBehaviour;
use sandbox_core::sync::queue::{Queue, Request, RequestState};
use sandbox_core::sync::{SyncError, SyncPolicy};
use std::collections::BTreeMap;
use std::path::Path;
use sync_common::{as_ordinary_user, snapshot, Root, Tar};

fn create(root: &Root, tar: &[u8]) -> (Queue, Request) {
    let q = Queue::open(&root.sync_dir()).unwrap();
    let req = q.create(tar, &root.project(), &SyncPolicy::default(), &Scanner::builtin(), Some(HostFsBehaviour::default())).unwrap();
    (q, req)
}

fn approve_all(q: &Queue, req: &Request) {
    assert!(!req.blocked, "{:?}", req.findings);
    q.approve(&req.id, None, &SyncPolicy::default()).unwrap();
}

fn state(root: &Root) -> BTreeMap<String, String> {
    snapshot(&root.project())
}

fn has(req: &Request, path: &str, rule: &str) -> bool {
    req.findings.iter().any(|f| f.path.as_deref() == Some(path) && f.rule == rule && f.is_block())
}

/// The temp name the gate used to stage `name` of request `id` beside it (before issue 14).
fn old_temp_name(id: &str, name: &str) -> String {
    format!(".sandbox-sync-{id}-{}.tmp", &sandbox_core::sync::blobs::sha256_hex(name.as_bytes())[..16])
}

/// The project has these entries, shown as `sync_common::snapshot` shows them.
fn expect(root: &Root, entries: &[(&str, &str)]) {
    let now = state(root);
    for (path, want) in entries {
        assert_eq!(now.get(*path).map(String::as_str), Some(*want), "{path}");
    }
}

/// No staging folder or temp is left in the project.
fn no_staging_left(root: &Root) {
    for k in state(root).keys() {
        assert!(!k.contains(".sandbox-sync-"), "left behind: {k}");
    }
}

// --- point 1: applied = reviewed, whatever the stream names -------------------------------

#[test]
fn issue14_p1_staging_name_in_stream_refused() {
    as_ordinary_user("issue14_p1_staging_name_in_stream_refused", || {
        let root = Root::new();
        // The predictable temp of the reviewed *file* `.ssh` of request 1, as a folder holding
        // `authorized_keys`: it used to be renamed over `.ssh` at commit.
        let tmp = old_temp_name("1", ".ssh");
        let tar = Tar::new()
            .root()
            .file(".ssh", b"just a file\n")
            .dir(&tmp)
            .file(&format!("{tmp}/authorized_keys"), b"ssh-ed25519 AAAA attacker\n")
            .file(".sandbox-sync-stage-0123", b"x")
            .build();
        let (q, req) = create(&root, &tar);
        assert_eq!(req.id, "1");
        assert!(has(&req, &tmp, rules::RESERVED_NAME), "{:?}", req.findings);
        assert!(has(&req, ".sandbox-sync-stage-0123", rules::RESERVED_NAME), "{:?}", req.findings);
        assert!(!req.changes.iter().any(|c| c.path.as_str().contains(".sandbox-sync-")), "{:?}", req.changes);
        assert!(matches!(q.approve(&req.id, None, &SyncPolicy::default()), Err(SyncError::Blocked { .. })));
        q.approve(&req.id, Some(&[".ssh".to_string()]), &SyncPolicy::default()).unwrap();
        q.apply(&req.id, false, None).unwrap();
        let want: BTreeMap<String, String> = [(".ssh".to_string(), "file 644 12 just a file\n".to_string())].into();
        assert_eq!(state(&root), want);
    });
}

#[test]
fn issue14_p1_reviewed_symlink_cannot_become_a_file_through_a_temp_name() {
    as_ordinary_user("issue14_p1_reviewed_symlink_cannot_become_a_file_through_a_temp_name", || {
        let root = Root::new();
        root.write("config.txt", b"cfg\n");
        let tmp = old_temp_name("1", "prod.env");
        let tar = Tar::new().root().symlink("prod.env", "config.txt").file(&tmp, b"SECRET=1\n").build();
        let (q, req) = create(&root, &tar);
        assert!(has(&req, &tmp, rules::RESERVED_NAME));
        q.approve(&req.id, Some(&["prod.env".to_string()]), &SyncPolicy::default()).unwrap();
        q.apply(&req.id, false, None).unwrap();
        assert_eq!(std::fs::read_link(root.project().join("prod.env")).unwrap(), Path::new("config.txt"));
        no_staging_left(&root);
    });
}

#[test]
fn issue14_p1_staging_is_a_private_random_folder() {
    as_ordinary_user("issue14_p1_staging_is_a_private_random_folder", || {
        let mut seen = Vec::new();
        for _ in 0..2 {
            let root = Root::new();
            let (q, req) = create(&root, &Tar::new().root().file("a.txt", b"a\n").build());
            approve_all(&q, &req);
            assert!(q.apply(&req.id, false, Some((FailPoint::AfterStage(0), FailMode::Error))).is_err());
            let stages: Vec<(String, String)> = state(&root).into_iter().filter(|(k, _)| k.starts_with(".sandbox-sync-stage-")).collect();
            assert_eq!(stages.len(), 2, "the folder and one slot: {stages:?}");
            assert_eq!(stages[0].1, "dir 700", "{stages:?}");
            assert!(stages[0].0.len() >= ".sandbox-sync-stage-".len() + 32, "{stages:?}");
            seen.push(stages[0].0.clone());
            q.recover().unwrap();
            no_staging_left(&root);
            assert!(!root.project().join("a.txt").exists());
        }
        assert_ne!(seen[0], seen[1], "staging names are not predictable");
    });
}

#[test]
fn issue14_p11_host_file_named_like_a_temp_is_left_alone() {
    let root = Root::new();
    root.write("a.txt", b"old\n");
    let squatter = old_temp_name("1", "a.txt");
    root.write(&squatter, b"the user's own file\n");
    let (q, req) = create(&root, &Tar::new().root().file("a.txt", b"new\n").build());
    approve_all(&q, &req);
    q.apply(&req.id, false, None).unwrap();
    assert_eq!(root.read("a.txt"), b"new\n");
    assert_eq!(root.read(&squatter), b"the user's own file\n");
    q.undo(&req.id, false, None).unwrap();
    assert_eq!(root.read(&squatter), b"the user's own file\n");
}

// --- point 2: failed rollback, recovery and the user's own repairs ------------------------

/// A project, and a stream with a mode-000 file and a folder whose removal fails at commit
/// once the user drops a file into it after review.
fn locked_scenario() -> (Root, Vec<u8>) {
    let root = Root::new();
    root.write("edit.txt", b"old edit\n");
    root.write("swap/inner.txt", b"inner\n");
    let tar = Tar::new()
        .root()
        .file("edit.txt", b"new edit\n")
        .file_mode("locked.bin", b"nobody reads me\n", 0o000)
        .dir_mode("locked", 0o000)
        .file("locked/in.txt", b"inside\n")
        .file("swap", b"now a file\n")
        .build();
    (root, tar)
}

#[test]
fn issue14_p2_failed_commit_with_mode_000_entries_rolls_back_truthfully() {
    as_ordinary_user("issue14_p2_failed_commit_with_mode_000_entries_rolls_back_truthfully", || {
        let (root, tar) = locked_scenario();
        let (q, req) = create(&root, &tar);
        approve_all(&q, &req);
        root.write("swap/users-new-file.txt", b"mine\n");
        let before = state(&root);
        let err = q.apply(&req.id, false, None).unwrap_err();
        assert!(matches!(err, SyncError::ApplyFailed { .. }), "{err}");
        assert!(err.to_string().contains("unchanged"), "{err}");
        assert_eq!(state(&root), before, "the message says unchanged: it must be");
        assert_eq!(q.load(&req.id).unwrap().state, RequestState::Failed);
        assert!(q.recover().unwrap().is_empty());
    });
}

#[test]
fn issue14_p2_recovery_never_overwrites_the_users_repair() {
    as_ordinary_user("issue14_p2_recovery_never_overwrites_the_users_repair", || {
        let (root, tar) = locked_scenario();
        let (q, req) = create(&root, &tar);
        approve_all(&q, &req);
        // A crash mid-commit: edit.txt (first step in path order) is already the agent's.
        let err = q.apply(&req.id, false, Some((FailPoint::AfterStep(1), FailMode::Error))).unwrap_err();
        assert!(matches!(err, SyncError::Injected { .. }), "{err}");
        assert_eq!(root.read("edit.txt"), b"new edit\n");
        // The user repairs it by hand before anything else runs.
        root.write("edit.txt", b"the user's repair\n");
        let rec = q.recover().unwrap();
        assert_eq!(rec.len(), 1, "{rec:?}");
        assert!(rec[0].error.is_none(), "{rec:?}");
        assert_eq!(rec[0].kept, vec!["edit.txt".to_string()], "{rec:?}");
        assert_eq!(root.read("edit.txt"), b"the user's repair\n");
        // Every other path is finished; a second recovery (any later verb) changes nothing.
        let after = state(&root);
        expect(
            &root,
            &[
                ("locked", "dir 0"),
                ("locked/in.txt", "file 644 7 inside\n"),
                ("locked.bin", "file 0 16 nobody reads me\n"),
                ("swap", "file 644 11 now a file\n"),
            ],
        );
        assert!(q.recover().unwrap().is_empty());
        q.list().unwrap();
        assert_eq!(state(&root), after);
        no_staging_left(&root);
    });
}

#[test]
fn issue14_p2_an_interrupted_rollback_is_finished_not_reversed() {
    as_ordinary_user("issue14_p2_an_interrupted_rollback_is_finished_not_reversed", || {
        let (root, tar) = locked_scenario();
        let original = state(&root);
        let (q, req) = create(&root, &tar);
        approve_all(&q, &req);
        assert!(q.apply(&req.id, false, Some((FailPoint::AfterStep(3), FailMode::Error))).is_err());
        // As if the process died while rolling back after a failed step.
        let jpath = root.sync_dir().join("tx").join(&req.id).join("journal.json");
        let mut j: serde_json::Value = serde_json::from_slice(&std::fs::read(&jpath).unwrap()).unwrap();
        j["phase"] = "rolling-back".into();
        std::fs::write(&jpath, serde_json::to_vec(&j).unwrap()).unwrap();
        root.write("edit.txt", b"the user's repair\n");
        let rec = q.recover().unwrap();
        assert_eq!(rec.len(), 1, "{rec:?}");
        assert_eq!(rec[0].kept, vec!["edit.txt".to_string()], "{rec:?}");
        let mut want = original.clone();
        want.insert("edit.txt".into(), "file 644 18 the user's repair\n".into());
        assert_eq!(state(&root), want, "rolled back, the repair kept, nothing of the agent's left");
        assert_eq!(q.load(&req.id).unwrap().state, RequestState::Failed);
        assert!(q.recover().unwrap().is_empty());
        assert_eq!(state(&root), want);
    });
}

// --- point 6: read-only folders --------------------------------------------------------------

#[test]
fn issue14_p6_read_only_folders_with_content_apply_and_undo() {
    as_ordinary_user("issue14_p6_read_only_folders_with_content_apply_and_undo", || {
        let root = Root::new();
        root.write("keep.txt", b"k\n");
        let original = state(&root);
        let tar = Tar::new()
            .root()
            .dir_mode("ro", 0o555)
            .file("ro/f.txt", b"f\n")
            .dir_mode("ro/sub", 0o500)
            .file("ro/sub/g.txt", b"g\n")
            .dir_mode("shut", 0o000)
            .file("shut/h.txt", b"h\n")
            .build();
        let (q, req) = create(&root, &tar);
        approve_all(&q, &req);
        q.apply(&req.id, false, None).unwrap();
        expect(&root, &[("ro", "dir 555"), ("ro/sub", "dir 500"), ("ro/sub/g.txt", "file 644 2 g\n"), ("shut", "dir 0"), ("shut/h.txt", "file 644 2 h\n")]);
        no_staging_left(&root);
        q.undo(&req.id, false, None).unwrap();
        assert_eq!(state(&root), original);
    });
}

#[test]
fn issue14_p6_new_files_in_an_unchanged_read_only_host_folder_apply() {
    as_ordinary_user("issue14_p6_new_files_in_an_unchanged_read_only_host_folder_apply", || {
        let root = Root::new();
        root.write("ro/a.txt", b"a\n");
        root.write("ro/deep/b.txt", b"b\n");
        std::fs::set_permissions(root.project().join("ro/deep"), std::os::unix::fs::PermissionsExt::from_mode(0o555)).unwrap();
        std::fs::set_permissions(root.project().join("ro"), std::os::unix::fs::PermissionsExt::from_mode(0o555)).unwrap();
        let original = state(&root);
        // The overlay copies the folders up unchanged (same mode): no change of their own.
        let tar = Tar::new().root().dir_mode("ro", 0o555).dir_mode("ro/deep", 0o555).file("ro/deep/new.txt", b"new\n").build();
        let (q, req) = create(&root, &tar);
        assert_eq!(req.changes.len(), 1, "{:?}", req.changes);
        approve_all(&q, &req);
        let (_, outcome) = q.apply(&req.id, false, None).unwrap();
        assert_eq!(outcome.applied, 1);
        expect(&root, &[("ro/deep/new.txt", "file 644 4 new\n"), ("ro", "dir 555"), ("ro/deep", "dir 555")]);
        no_staging_left(&root);
        q.undo(&req.id, false, None).unwrap();
        assert_eq!(state(&root), original);
    });
}

#[test]
fn issue14_p6_interrupted_undo_of_locked_folders_puts_their_modes_back() {
    as_ordinary_user("issue14_p6_interrupted_undo_of_locked_folders_puts_their_modes_back", || {
        let root = Root::new();
        let tar = Tar::new().root().dir_mode("ro", 0o555).file("ro/f.txt", b"f\n").dir_mode("shut", 0o000).file("shut/h.txt", b"h\n").build();
        let (q, req) = create(&root, &tar);
        approve_all(&q, &req);
        q.apply(&req.id, false, None).unwrap();
        let applied = state(&root);
        for point in [FailPoint::AfterBackup(0), FailPoint::AfterPrepared] {
            assert!(q.undo(&req.id, false, Some((point, FailMode::Error))).is_err());
            q.recover().unwrap();
            assert_eq!(state(&root), applied, "{point:?}: the folders opened for the undo are locked again");
        }
        q.undo(&req.id, false, None).unwrap();
        assert!(state(&root).is_empty());
    });
}

// --- point 9: undo after sticky-bit and mode-000 files -------------------------------------

#[test]
fn issue14_p9_undo_after_sticky_and_mode_000_files() {
    as_ordinary_user("issue14_p9_undo_after_sticky_and_mode_000_files", || {
        let root = Root::new();
        root.write("z.bin", b"old z\n");
        let original = state(&root);
        let tar = Tar::new()
            .root()
            .file_mode("sticky.txt", b"s\n", 0o1644)
            .file_mode("z.bin", b"new z\n", 0o000)
            .dir_mode("tmpdir", 0o1777)
            .file_mode("tmpdir/zero", b"0\n", 0o000)
            .build();
        let (q, req) = create(&root, &tar);
        approve_all(&q, &req);
        let sticky = req.changes.iter().find(|c| c.path.as_str() == "sticky.txt").unwrap();
        assert!(matches!(sticky.new, sandbox_core::sync::host::FileState::File { mode: 0o644, .. }), "reviewed as applied: {sticky:?}");
        q.apply(&req.id, false, None).unwrap();
        expect(&root, &[("tmpdir", "dir 1777")]);
        // A later request can review and change the locked file (its mode is kept as it was).
        let (q2, req2) = create(&root, &Tar::new().root().file_mode("z.bin", b"newer z\n", 0o000).build());
        approve_all(&q2, &req2);
        q2.apply(&req2.id, false, None).unwrap();
        expect(&root, &[("z.bin", "file 0 8 newer z\n")]);
        q2.undo(&req2.id, false, None).unwrap();
        q.undo(&req.id, false, None).unwrap();
        assert_eq!(state(&root), original);
        assert_eq!(q.load(&req.id).unwrap().state, RequestState::Undone);
    });
}

// --- point 4: git internals by another name, files that run code --------------------------

#[test]
fn issue14_p4_git_directory_under_another_name_is_git_internals() {
    let root = Root::new();
    let config = b"[core]\n\tfsmonitor = \"touch /tmp/pwned\"\n";
    let tar = Tar::new()
        .root()
        .dir("vendor")
        .dir("vendor/evil")
        .file("vendor/evil/HEAD", b"ref: refs/heads/main\n")
        .dir("vendor/evil/objects")
        .dir("vendor/evil/refs")
        .file("vendor/evil/config", config)
        .file("vendor/readme.txt", b"fine\n")
        .build();
    let (_, req) = create(&root, &tar);
    for p in ["vendor/evil", "vendor/evil/HEAD", "vendor/evil/config", "vendor/evil/objects", "vendor/evil/refs"] {
        assert!(has(&req, p, rules::GIT_INTERNALS), "{p}: {:?}", req.findings);
    }
    assert!(!has(&req, "vendor/readme.txt", rules::GIT_INTERNALS));

    // On a case-insensitive host (macOS) git finds `head` and `Objects/` as HEAD and objects/.
    let root = Root::new();
    let tar = Tar::new().root().dir("m").file("m/head", b"ref: refs/heads/main\n").dir("m/Objects").dir("m/REFS").file("m/config", config).build();
    let q = Queue::open(&root.sync_dir()).unwrap();
    let folding = HostFsBehaviour { case_insensitive: true, normalizes_unicode: true };
    let req = q.create(&tar[..], &root.project(), &SyncPolicy::default(), &Scanner::builtin(), Some(folding)).unwrap();
    assert!(has(&req, "m/config", rules::GIT_INTERNALS), "{:?}", req.findings);
    let (_, req) = create(&root, &tar);
    assert!(!has(&req, "m/config", rules::GIT_INTERNALS), "a case-sensitive host: not a repository to git");

    // A bare repository already on the host: a new config inside it is git internals too.
    let root = Root::new();
    root.write("tools/HEAD", b"ref: refs/heads/main\n");
    std::fs::create_dir_all(root.project().join("tools/objects")).unwrap();
    std::fs::create_dir_all(root.project().join("tools/refs")).unwrap();
    let (_, req) = create(&root, &Tar::new().root().file("tools/config", config).build());
    assert!(has(&req, "tools/config", rules::GIT_INTERNALS), "{:?}", req.findings);
    // The policy switch that allows .git/ changes allows these too.
    let allowed = sandbox_core::sync::SyncPolicyConfig { allow_git_internals: true, ..Default::default() }.validate().unwrap();
    let q = Queue::open(&root.sync_dir()).unwrap();
    let req = q
        .create(&Tar::new().root().file("tools/config", config).build()[..], &root.project(), &allowed, &Scanner::builtin(), Some(HostFsBehaviour::default()))
        .unwrap();
    assert!(!req.blocked, "{:?}", req.findings);
}

#[test]
fn issue14_p4_files_that_make_tools_run_code_are_flagged() {
    let root = Root::new();
    let tar = Tar::new()
        .root()
        .file(".gitattributes", b"* filter=x\n")
        .file(".envrc", b"echo hi\n")
        .dir(".vscode")
        .file(".vscode/tasks.json", b"{}\n")
        .dir(".github")
        .dir(".github/workflows")
        .file(".github/workflows/ci.yml", b"on: push\n")
        .file("src.txt", b"plain\n")
        .build();
    let (_, req) = create(&root, &tar);
    for p in [".gitattributes", ".envrc", ".vscode/tasks.json", ".github/workflows/ci.yml"] {
        assert!(req.findings.iter().any(|f| f.path.as_deref() == Some(p) && f.rule == rules::RUNS_CODE && !f.is_block()), "{p}: {:?}", req.findings);
    }
    assert!(!req.findings.iter().any(|f| f.path.as_deref() == Some("src.txt")));
    assert!(!req.blocked, "a warning, not a refusal");
}

// --- point 7: path depth and length are capped -----------------------------------------------

#[test]
fn issue14_p7_too_deep_and_too_long_paths_are_refused_clearly() {
    use sandbox_core::sync::relpath::{MAX_DEPTH, MAX_PATH_BYTES};
    let root = Root::new();
    // A 4096-deep path, every folder in the stream as GNU tar would write it.
    let mut tar = Tar::new().root();
    let mut p = String::new();
    for _ in 0..4096 {
        p = if p.is_empty() { "a".to_string() } else { format!("{p}/a") };
        tar = tar.dir(&p);
    }
    tar = tar.file(&format!("{p}/leaf.txt"), b"deep\n").file("ok.txt", b"fine\n");
    let (_, req) = create(&root, &tar.build());
    let deep: Vec<_> = req.findings.iter().filter(|f| f.rule == rules::PATH_TOO_DEEP).collect();
    assert!(!deep.is_empty(), "{:?}", req.findings.iter().map(|f| &f.rule).collect::<Vec<_>>());
    assert!(deep[0].message.contains(&MAX_DEPTH.to_string()) && deep[0].message.contains("flatten"), "{}", deep[0].message);
    assert!(deep.iter().all(|f| f.path.as_ref().unwrap().chars().count() <= 201), "shown paths are shortened");
    // The allowed part (up to the cap) is an ordinary change set.
    assert!(req.changes.iter().any(|c| c.path.as_str() == "ok.txt"));
    assert!(req.changes.iter().all(|c| c.path.depth() <= MAX_DEPTH));

    let long_name = "n".repeat(MAX_PATH_BYTES + 1);
    let (_, req) = create(&root, &Tar::new().root().file(&long_name, b"x").build());
    assert!(req.findings.iter().any(|f| f.rule == rules::PATH_TOO_DEEP), "{:?}", req.findings);
}

#[test]
fn issue14_p7_a_path_at_the_depth_cap_applies_and_undoes() {
    use sandbox_core::sync::relpath::MAX_DEPTH;
    let root = Root::new();
    let mut tar = Tar::new().root();
    let mut p = String::new();
    for _ in 0..MAX_DEPTH - 1 {
        p = if p.is_empty() { "d".to_string() } else { format!("{p}/d") };
        tar = tar.dir(&p);
    }
    let leaf = format!("{p}/f");
    let (q, req) = create(&root, &tar.file(&leaf, b"bottom\n").build());
    approve_all(&q, &req);
    q.apply(&req.id, false, None).unwrap();
    assert_eq!(root.read(&leaf), b"bottom\n");
    q.undo(&req.id, false, None).unwrap();
    assert!(state(&root).is_empty());
}

// --- point 11: smaller ones --------------------------------------------------------------------

#[test]
fn issue14_p11_refused_names_are_quoted_not_echoed_raw() {
    let root = Root::new();
    let tar = Tar::new().root().file_raw(b"./evil\x1b[2J\x1b]0;pwned\x07name", b"x").file("rlo\u{202e}txt.exe", b"x").hardlink("h", "../\x1b[31mout").build();
    let (_, req) = create(&root, &tar);
    assert!(req.findings.len() >= 3, "{:?}", req.findings);
    for f in &req.findings {
        let text = format!("{} {}", f.path.as_deref().unwrap_or(""), f.message);
        assert!(!text.chars().any(|c| c.is_control() || c == '\u{202e}'), "raw control character reaches the reviewer: {text:?}");
    }
    assert!(req.findings.iter().any(|f| f.path.as_deref() == Some("evil\\u{1b}[2J\\u{1b}]0;pwned\\u{7}name")), "{:?}", req.findings);
}

#[test]
fn issue14_p11_partial_approval_cannot_link_through_a_host_symlink_the_request_deletes() {
    let root = Root::new();
    std::os::unix::fs::symlink("../outside", root.project().join("h")).unwrap();
    let tar = Tar::new().root().whiteout("h").symlink("l", "h/victim.txt").build();
    let (q, req) = create(&root, &tar);
    assert!(has(&req, "l", rules::SYMLINK_ESCAPE), "{:?}", req.findings);
    assert!(!req.changes.iter().any(|c| c.path.as_str() == "l"));
    assert!(q.approve(&req.id, Some(&["l".to_string()]), &SyncPolicy::default()).is_err(), "the link alone cannot be approved");
}

#[test]
fn issue14_p11_case_twin_of_a_host_file_warns_on_a_case_sensitive_host() {
    let root = Root::new();
    root.write("README.md", b"# host\n");
    let (_, req) = create(&root, &Tar::new().root().file("readme.md", b"# agent\n").build());
    let f = req.findings.iter().find(|f| f.path.as_deref() == Some("readme.md")).unwrap_or_else(|| panic!("{:?}", req.findings));
    assert_eq!(f.rule, rules::CASE_COLLISION_ELSEWHERE);
    assert!(!f.is_block() && f.message.contains("README.md"), "{f:?}");
}

#[test]
fn issue14_p11_setgid_inherited_from_the_parent_folder_is_accepted() {
    as_ordinary_user("issue14_p11_setgid_inherited_from_the_parent_folder_is_accepted", || {
        let root = Root::new();
        std::fs::create_dir(root.project().join("shared")).unwrap();
        std::fs::set_permissions(root.project().join("shared"), std::os::unix::fs::PermissionsExt::from_mode(0o2775)).unwrap();
        let original = state(&root);
        let tar = Tar::new().root().dir_mode("shared/new", 0o2755).file("shared/new/a.txt", b"a\n").dir_mode("own", 0o2755).build();
        let (q, req) = create(&root, &tar);
        assert!(!has(&req, "shared/new", rules::SETUID), "{:?}", req.findings);
        assert!(has(&req, "own", rules::SETUID), "a parent without setgid: the bit is the agent's own");
        q.approve(&req.id, Some(&["shared/new".to_string()]), &SyncPolicy::default()).unwrap();
        q.apply(&req.id, false, None).unwrap();
        expect(&root, &[("shared/new", "dir 2755")]);
        q.undo(&req.id, false, None).unwrap();
        assert_eq!(state(&root), original);
    });
}

#[test]
fn issue14_p11_deny_globs_match_any_case() {
    let root = Root::new();
    let tar = Tar::new().root().dir(".SSH").file(".SSH/authorized_keys", b"ssh-ed25519 AAAA x\n").build();
    let (_, req) = create(&root, &tar);
    assert!(has(&req, ".SSH/authorized_keys", rules::DENIED_PATH), "{:?}", req.findings);
}

#[test]
fn issue14_p11_type_changes_are_shown_as_such() {
    let root = Root::new();
    root.write("target.txt", b"t\n");
    std::os::unix::fs::symlink("target.txt", root.project().join("was-link")).unwrap();
    root.write("was-file", b"f\n");
    let tar = Tar::new().root().dir("was-link").file("was-link/x", b"x\n").symlink("was-file", "target.txt").file("target.txt", b"t2\n").build();
    let (_, req) = create(&root, &tar);
    let by = |p: &str| req.changes.iter().find(|c| c.path.as_str() == p).unwrap().clone();
    assert_eq!(by("was-link").describe(), "modified (symlink → directory)");
    assert_eq!(by("was-file").describe(), "symlink (file → symlink)");
    assert_eq!(by("target.txt").describe(), "modified");
    let v = sandbox_core::sync::report::contract_json(&req.changes, &req.findings);
    let c = v["changes"].as_array().unwrap().iter().find(|c| c["path"] == "was-link").unwrap();
    assert_eq!(c["type_change"], serde_json::json!({"from": "symlink", "to": "directory"}));
    let t = v["changes"].as_array().unwrap().iter().find(|c| c["path"] == "target.txt").unwrap();
    assert!(t["type_change"].is_null());
}
