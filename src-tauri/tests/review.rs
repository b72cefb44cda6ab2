//! The review commands over core's real sync gate: a request built from a real GNU tar of an
//! "upper dir" is listed with kinds, sizes, diffs and findings; approving a selection applies
//! only that to the project; undo restores it; a blocked request cannot be approved whole.
//! The VM is absent (limactl is the scripted stand-in), as when reviewing after a stop.

mod ipc;

use ipc::call;
use openclaw_sandbox_app::commands;
use openclaw_sandbox_app::services::{CoreReviewer, NotInThisBuild, Services};
use openclaw_sandbox_app::state::AppState;
use sandbox_core::events::EventBus;
use sandbox_core::paths::Paths;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use tauri::test::{mock_builder, mock_context, noop_assets};

fn upper_tar(root: &Path, files: &[(&str, &str)]) -> PathBuf {
    let upper = root.join("upper");
    for (p, content) in files {
        let f = upper.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, content).unwrap();
    }
    let tar = root.join("upper.tar");
    assert!(Command::new("tar").args(["--xattrs", "-C"]).arg(&upper).arg("-cf").arg(&tar).arg(".").status().unwrap().success());
    tar
}

#[test]
fn review_lists_approves_a_selection_undoes_and_refuses_blocked_requests() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let project = root.join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("a.txt"), "alpha\n").unwrap();
    std::fs::create_dir_all(root.join("lima")).unwrap();
    // Process-wide, but only this test in this binary uses limactl.
    std::env::set_var("SANDBOX_LIMACTL", Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/fake-limactl"));
    std::env::set_var("FAKE_LIMA_DIR", root.join("lima"));
    let paths = Paths::under(&root.join("home"));
    let profile = paths.profile_file();
    std::fs::create_dir_all(profile.parent().unwrap()).unwrap();
    std::fs::write(&profile, format!("version = 1\nname = \"rv\"\n[mounts]\nproject = {:?}\n", project)).unwrap();

    // Two requests, made by core's own queue from real tar streams.
    let profile_v = sandbox_core::profile::Profile::load(&profile).unwrap();
    let queue = sandbox_core::sync::queue::Queue::open(&paths.data_dir.join("sync")).unwrap();
    let scanner = sandbox_core::scan::Scanner::builtin();
    let tar = upper_tar(root, &[("a.txt", "alpha\nbeta\n"), ("b.txt", "bee\n")]);
    let clean = queue.create(std::fs::File::open(&tar).unwrap(), &project, &profile_v.sync_policy, &scanner, None).unwrap();
    std::fs::remove_dir_all(root.join("upper")).unwrap();
    let tar = upper_tar(root, &[(".ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostileKeyOfTheAgent agent\n")]);
    let blocked = queue.create(std::fs::File::open(&tar).unwrap(), &project, &profile_v.sync_policy, &scanner, None).unwrap();
    assert!(blocked.blocked, "core's policy blocks writes to .ssh");

    let bus = EventBus::default();
    let services = Services {
        control: Arc::new(openclaw_sandbox_app::services::CoreControl { paths: paths.clone(), profile_path: profile.clone(), bus: bus.clone() }),
        keychain: Arc::new(NotInThisBuild("keychain")),
        reviewer: Arc::new(CoreReviewer { paths: paths.clone(), profile_path: profile.clone(), bus: bus.clone() }),
        firewall: Arc::new(NotInThisBuild("firewall")),
    };
    let app = mock_builder()
        .manage(AppState::new(paths.clone(), profile.clone(), bus.clone(), services))
        .invoke_handler(commands::handler())
        .build(mock_context(noop_assets()))
        .unwrap();
    let w = tauri::WebviewWindowBuilder::new(&app, "review", Default::default()).build().unwrap();
    let mut rx = bus.subscribe();

    let list = call(&w, "sync_list", json!({})).unwrap();
    let reqs = list.as_array().unwrap();
    assert_eq!(reqs.len(), 2, "{list}");
    let r1 = reqs.iter().find(|r| r["id"] == json!(clean.id)).unwrap();
    assert_eq!(r1["blocked"], false);
    let a = r1["files"].as_array().unwrap().iter().find(|f| f["path"] == "a.txt").unwrap();
    assert_eq!(a["kind"], "modified");
    assert_eq!(a["size"], 11);
    assert!(a["diff"].as_str().unwrap().contains("+beta"), "{a}");
    let r2 = reqs.iter().find(|r| r["id"] == json!(blocked.id)).unwrap();
    assert!(r2["findings"].as_array().unwrap().iter().any(|f| f["severity"] == "block"), "{r2}");

    // A blocked request cannot be approved whole: core refuses, nothing is written.
    let err = call(&w, "sync_approve", json!({"id": blocked.id, "paths": null})).unwrap_err();
    assert_eq!(err["kind"], "failed");
    assert!(!project.join(".ssh").exists());

    // Approve only a.txt.
    let out = call(&w, "sync_approve", json!({"id": clean.id, "paths": ["a.txt"]})).unwrap();
    assert_eq!(out["applied"], 1, "{out}");
    assert_eq!(std::fs::read_to_string(project.join("a.txt")).unwrap(), "alpha\nbeta\n");
    assert!(!project.join("b.txt").exists());
    let mut saw_applied = false;
    while let Ok(e) = rx.try_recv() {
        saw_applied |= matches!(e, sandbox_core::events::Event::SyncApplied { ref id, .. } if *id == clean.id);
    }
    assert!(saw_applied, "core published SyncApplied (the tray and window update from it)");

    // Undo restores the project; reject leaves the blocked request out of the list.
    call(&w, "sync_undo", json!({})).unwrap();
    assert_eq!(std::fs::read_to_string(project.join("a.txt")).unwrap(), "alpha\n");
    call(&w, "sync_reject", json!({"id": blocked.id})).unwrap();
    let list = call(&w, "sync_list", json!({})).unwrap();
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    let audit = std::fs::read_to_string(paths.log_dir.join("audit.jsonl")).unwrap();
    assert!(audit.contains("sync.apply") && audit.contains("sync.undo") && audit.contains("sync.reject"), "{audit}");
}
