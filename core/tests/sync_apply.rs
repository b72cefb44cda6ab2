//! Apply, conflicts, undo, partial approval, the queue's states, and crash recovery at every
//! journal step (each file old or new, never torn; backups restore the original).

mod sync_common;

use sandbox_core::scan::Scanner;
use sandbox_core::sync::apply::{steps, FailMode, FailPoint};
use sandbox_core::sync::host::FileState;
use sandbox_core::sync::journal::JournalOp;
use sandbox_core::sync::probe::HostFsBehaviour;
use sandbox_core::sync::queue::{Queue, Request, RequestState};
use sandbox_core::sync::{SyncError, SyncPolicy};
use std::collections::BTreeMap;
use sync_common::{snapshot, Root, Tar};

fn project_state(root: &Root) -> BTreeMap<String, String> {
    snapshot(&root.project())
}

/// A host project and a stream exercising every kind of change.
fn scenario() -> (Root, Vec<u8>) {
    let root = Root::new();
    root.write("edit.txt", b"old edit\n");
    root.write("gone.txt", b"gone\n");
    root.write("dir/a.txt", b"a\n");
    root.write("dir/sub/b.txt", b"b\n");
    root.write("swap/inner.txt", b"inner\n");
    root.write("tofolder", b"was a file\n");
    root.write("run.sh", b"#!/bin/sh\n");
    std::os::unix::fs::symlink("edit.txt", root.project().join("link")).unwrap();
    let tar = Tar::new()
        .root()
        .file("edit.txt", b"new edit\n")
        .whiteout("gone.txt")
        .opaque_dir("dir")
        .file("dir/c.txt", b"c\n")
        .file("swap", b"now a file\n")
        .dir("tofolder")
        .file("tofolder/x.txt", b"x\n")
        .file_mode("run.sh", b"#!/bin/sh\n", 0o755)
        .symlink("link", "dir/c.txt")
        .dir("new")
        .dir("new/deep")
        .file("new/deep/n.txt", b"n\n")
        .build();
    (root, tar)
}

fn expected_new() -> BTreeMap<String, String> {
    let e = [
        ("dir", "dir 755"),
        ("dir/c.txt", "file 644 2 c\n"),
        ("edit.txt", "file 644 9 new edit\n"),
        ("link", "link -> dir/c.txt"),
        ("new", "dir 755"),
        ("new/deep", "dir 755"),
        ("new/deep/n.txt", "file 644 2 n\n"),
        ("run.sh", "file 755 10 #!/bin/sh\n"),
        ("swap", "file 644 11 now a file\n"),
        ("tofolder", "dir 755"),
        ("tofolder/x.txt", "file 644 2 x\n"),
    ];
    e.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn create(root: &Root, tar: &[u8]) -> (Queue, Request) {
    let q = Queue::open(&root.sync_dir()).unwrap();
    let req = q.create(tar, &root.project(), &SyncPolicy::default(), &Scanner::builtin(), Some(HostFsBehaviour::default())).unwrap();
    (q, req)
}

#[test]
fn apply_produces_exactly_the_upper_view_and_undo_restores() {
    let (root, tar) = scenario();
    let original = project_state(&root);
    let (q, req) = create(&root, &tar);
    assert!(!req.blocked, "{:?}", req.findings);
    q.approve(&req.id, None, &SyncPolicy::default()).unwrap();
    let (req, outcome) = q.apply(&req.id, false, None).unwrap();
    assert_eq!(req.state, RequestState::Applied);
    assert!(outcome.forced.is_empty());
    assert_eq!(project_state(&root), expected_new());
    // Applying twice is refused.
    assert!(q.apply(&req.id, false, None).is_err());
    let (req, _) = q.undo(&req.id, false, None).unwrap();
    assert_eq!(req.state, RequestState::Undone);
    assert_eq!(project_state(&root), original);
    assert!(matches!(q.undo(&req.id, false, None), Err(SyncError::NothingToUndo { .. })));
}

#[test]
fn a_host_change_after_review_is_a_conflict_and_force_backs_it_up() {
    let (root, tar) = scenario();
    let (q, req) = create(&root, &tar);
    q.approve(&req.id, None, &SyncPolicy::default()).unwrap();
    root.write("edit.txt", b"the user edited this meanwhile\n");
    let before = project_state(&root);
    match q.apply(&req.id, false, None) {
        Err(SyncError::Conflict { paths, .. }) => assert_eq!(paths, vec!["edit.txt".to_string()]),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(project_state(&root), before, "nothing applied on conflict");
    assert_eq!(q.load(&req.id).unwrap().state, RequestState::Approved);
    let (_, outcome) = q.apply(&req.id, true, None).unwrap();
    assert_eq!(outcome.forced, vec!["edit.txt".to_string()]);
    assert_eq!(project_state(&root), expected_new());
    q.undo(&req.id, false, None).unwrap();
    assert_eq!(project_state(&root), before, "undo restores the user's edit, not the reviewed snapshot");
}

#[test]
fn undo_refuses_to_clobber_later_edits_unless_forced() {
    let (root, tar) = scenario();
    let (q, req) = create(&root, &tar);
    q.approve(&req.id, None, &SyncPolicy::default()).unwrap();
    q.apply(&req.id, false, None).unwrap();
    root.write("new/deep/n.txt", b"edited after apply\n");
    assert!(matches!(q.undo(&req.id, false, None), Err(SyncError::Conflict { .. })));
    assert_eq!(q.load(&req.id).unwrap().state, RequestState::Applied);
}

#[test]
fn partial_approval_applies_only_the_selection() {
    let (root, tar) = scenario();
    let original = project_state(&root);
    let (q, req) = create(&root, &tar);
    assert!(q.approve(&req.id, Some(&["nope".to_string()]), &SyncPolicy::default()).is_err());
    let req2 = q.approve(&req.id, Some(&["new/deep/n.txt".to_string(), "edit.txt".to_string()]), &SyncPolicy::default()).unwrap();
    assert_eq!(req2.selection.clone().unwrap(), vec!["edit.txt", "new", "new/deep", "new/deep/n.txt"]);
    q.apply(&req.id, false, None).unwrap();
    let mut want = original.clone();
    want.insert("edit.txt".into(), "file 644 9 new edit\n".into());
    want.insert("new".into(), "dir 755".into());
    want.insert("new/deep".into(), "dir 755".into());
    want.insert("new/deep/n.txt".into(), "file 644 2 n\n".into());
    assert_eq!(project_state(&root), want);
    q.undo(&req.id, false, None).unwrap();
    assert_eq!(project_state(&root), original);
}

#[test]
fn queue_states_persist_and_transition() {
    let (root, tar) = scenario();
    let (q, a) = create(&root, &tar);
    let (_, b) = create(&root, &tar);
    assert_ne!(a.id, b.id);
    let q2 = Queue::open(&root.sync_dir()).unwrap();
    let ids: Vec<(String, RequestState)> = q2.list().unwrap().into_iter().map(|r| (r.id, r.state)).collect();
    assert_eq!(ids, vec![(a.id.clone(), RequestState::Pending), (b.id.clone(), RequestState::Pending)]);
    q.reject(&b.id).unwrap();
    assert!(matches!(q.approve(&b.id, None, &SyncPolicy::default()), Err(SyncError::WrongState { .. })));
    assert!(matches!(q.apply(&a.id, false, None), Err(SyncError::WrongState { .. })), "pending cannot be applied");
    assert!(matches!(q.load("999"), Err(SyncError::NoSuchRequest { .. })));
    assert!(matches!(q.load("../etc"), Err(SyncError::NoSuchRequest { .. })));
    assert_eq!(q2.load(&b.id).unwrap().state, RequestState::Rejected);
}

#[test]
fn a_failing_step_rolls_everything_back() {
    let (root, tar) = scenario();
    let (q, req) = create(&root, &tar);
    q.approve(&req.id, None, &SyncPolicy::default()).unwrap();
    // After review, the user drops a new file into a folder the request deletes: its removal
    // fails mid-commit (folder not empty), and every step already taken must be undone.
    root.write("swap/users-new-file.txt", b"mine\n");
    let before = project_state(&root);
    let err = q.apply(&req.id, false, None).unwrap_err();
    assert!(matches!(err, SyncError::ApplyFailed { .. }), "{err}");
    assert_eq!(project_state(&root), before);
    assert_eq!(q.load(&req.id).unwrap().state, RequestState::Failed);
}

/// Every failure point the scenario passes through.
fn all_points(req: &Request) -> Vec<FailPoint> {
    let ops: Vec<JournalOp> = req.changes.iter().map(|c| JournalOp { path: c.path.clone(), old: c.old.clone(), new: c.new.clone() }).collect();
    let backups = ops.iter().filter(|o| matches!(o.old, FileState::File { .. })).count();
    let staged = ops.iter().filter(|o| matches!(o.new, FileState::File { .. } | FileState::Symlink { .. })).count();
    let mut v: Vec<FailPoint> = (0..ops.len()).map(FailPoint::AfterBackup).collect();
    assert!(backups > 0);
    v.push(FailPoint::AfterPrepared);
    v.extend((0..staged).map(FailPoint::AfterStage));
    v.push(FailPoint::AfterCommitting);
    v.extend((0..steps(&ops).len()).map(FailPoint::AfterStep));
    v.push(FailPoint::BeforeCommitted);
    v
}

fn no_temps(root: &Root) {
    for k in snapshot(&root.project()).keys() {
        assert!(!k.contains(".sandbox-sync-"), "temp file left behind: {k}");
    }
}

#[test]
fn crash_at_every_journal_step_recovers_to_old_or_new() {
    let (probe_root, tar) = scenario();
    let (_, probe_req) = create(&probe_root, &tar);
    let points = all_points(&probe_req);
    assert!(points.len() > 20, "{}", points.len());
    for point in points {
        let (root, tar) = scenario();
        let original = project_state(&root);
        let (q, req) = create(&root, &tar);
        q.approve(&req.id, None, &SyncPolicy::default()).unwrap();
        let err = q.apply(&req.id, false, Some((point, FailMode::Error))).unwrap_err();
        assert!(matches!(err, SyncError::Injected { .. }), "{point:?}: {err}");
        // Mid-crash: every touched path is old or new, never torn (temps aside).
        let mid = project_state(&root);
        for c in &req.changes {
            let p = c.path.as_str();
            let now = mid.get(p);
            let ok = now == original.get(p) || now == expected_new().get(p);
            assert!(ok, "{point:?}: {p} is torn: {now:?}");
        }
        let recovered = q.recover().unwrap();
        let committed_side = matches!(point, FailPoint::AfterCommitting | FailPoint::AfterStep(_) | FailPoint::BeforeCommitted);
        let before_journal = matches!(point, FailPoint::AfterBackup(_));
        assert_eq!(recovered.len(), usize::from(!before_journal), "{point:?}");
        assert!(recovered.iter().all(|r| r.error.is_none()), "{recovered:?}");
        no_temps(&root);
        let state = q.load(&req.id).unwrap().state;
        if committed_side {
            assert_eq!(project_state(&root), expected_new(), "{point:?}");
            assert_eq!(state, RequestState::Applied, "{point:?}");
            q.undo(&req.id, false, None).unwrap();
            assert_eq!(project_state(&root), original, "{point:?}: backups restore the original");
        } else {
            assert_eq!(project_state(&root), original, "{point:?}");
            let expected = if before_journal { RequestState::Approved } else { RequestState::Failed };
            assert_eq!(state, expected, "{point:?}");
            // The request can be approved and applied again.
            q.approve(&req.id, None, &SyncPolicy::default()).unwrap();
            q.apply(&req.id, false, None).unwrap();
            assert_eq!(project_state(&root), expected_new(), "{point:?}");
        }
    }
}

#[test]
fn crash_during_undo_recovers_too() {
    for point in [FailPoint::AfterPrepared, FailPoint::AfterStage(0), FailPoint::AfterCommitting, FailPoint::AfterStep(3), FailPoint::BeforeCommitted] {
        let (root, tar) = scenario();
        let original = project_state(&root);
        let (q, req) = create(&root, &tar);
        q.approve(&req.id, None, &SyncPolicy::default()).unwrap();
        q.apply(&req.id, false, None).unwrap();
        assert!(q.undo(&req.id, false, Some((point, FailMode::Error))).is_err());
        q.recover().unwrap();
        no_temps(&root);
        let state = q.load(&req.id).unwrap().state;
        if matches!(point, FailPoint::AfterPrepared | FailPoint::AfterStage(_)) {
            assert_eq!(project_state(&root), expected_new(), "{point:?}");
            assert_eq!(state, RequestState::Applied);
            q.undo(&req.id, false, None).unwrap();
        } else {
            assert_eq!(state, RequestState::Undone, "{point:?}");
        }
        assert_eq!(project_state(&root), original, "{point:?}");
    }
}

#[test]
fn diffs_show_text_changes_and_withhold_secrets() {
    let root = Root::new();
    root.write("a.txt", b"one\ntwo\n");
    let key = "x\n-----BEGIN PRIVATE KEY-----\nMIIsecretbody".to_string()
        + &"q7Zk2Vb9LmXw4RtP8sJc3NdYh6GfKa1E5uTo0iWpHxCzBnDv/+Qe".repeat(6)
        + "\n-----END PRIVATE KEY-----\n";
    let tar = Tar::new().root().file("a.txt", b"one\nTWO\n").file("k.txt", key.as_bytes()).build();
    let (q, req) = create(&root, &tar);
    let a = req.changes.iter().find(|c| c.path.as_str() == "a.txt").unwrap();
    let d = q.diff(&req, a).unwrap();
    assert!(d.contains("-two\n") && d.contains("+TWO\n"), "{d}");
    let k = req.changes.iter().find(|c| c.path.as_str() == "k.txt").unwrap();
    let d = q.diff(&req, k).unwrap();
    assert!(d.contains("withheld") && !d.contains("MIIsecretbody"), "{d}");
}

#[test]
fn a_damaged_stored_blob_never_reaches_the_project() {
    let (root, tar) = scenario();
    let original = project_state(&root);
    let (q, req) = create(&root, &tar);
    q.approve(&req.id, None, &SyncPolicy::default()).unwrap();
    // Simulate a crash that left a stored content file empty.
    let sha = sandbox_core::sync::blobs::sha256_hex(b"new edit\n");
    std::fs::write(root.sync_dir().join("requests").join(&req.id).join("blobs").join(&sha), b"").unwrap();
    let err = q.apply(&req.id, false, None).unwrap_err();
    assert!(err.to_string().contains("damaged"), "{err}");
    assert_eq!(project_state(&root), original);
}

#[test]
fn one_unrecoverable_transaction_does_not_block_the_others() {
    let (root_a, tar) = scenario();
    let (q, a) = create(&root_a, &tar);
    q.approve(&a.id, None, &SyncPolicy::default()).unwrap();
    assert!(q.apply(&a.id, false, Some((FailPoint::AfterStep(2), FailMode::Error))).is_err());
    // A second project in the same queue, also interrupted; then the first project vanishes.
    let root_b = Root::new();
    root_b.write("x.txt", b"old");
    let tar_b = Tar::new().root().file("x.txt", b"new").build();
    let b = q.create(&tar_b[..], &root_b.project(), &SyncPolicy::default(), &Scanner::builtin(), Some(HostFsBehaviour::default())).unwrap();
    q.approve(&b.id, None, &SyncPolicy::default()).unwrap();
    assert!(q.apply(&b.id, false, Some((FailPoint::AfterCommitting, FailMode::Error))).is_err());
    std::fs::remove_dir_all(root_a.project()).unwrap();
    let recovered = q.recover().unwrap();
    assert_eq!(recovered.len(), 2, "{recovered:?}");
    assert!(recovered.iter().any(|r| r.id == a.id && r.error.is_some()));
    assert!(recovered.iter().any(|r| r.id == b.id && r.error.is_none()));
    assert_eq!(root_b.read("x.txt"), b"new");
    assert_eq!(q.load(&b.id).unwrap().state, RequestState::Applied);
}
