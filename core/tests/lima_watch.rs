//! `Limactl::follow_state` against the scripted limactl: state changes made by another
//! process become `StateChanged` events, without polling in our code.

use sandbox_core::events::{Event, EventBus, VmState};
use sandbox_core::lima::Limactl;
use std::path::Path;
use std::time::Duration;

fn fake() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/fake-limactl")
}

fn limactl(dir: &Path, args: &[&str]) {
    let st = std::process::Command::new(fake()).args(args).env("FAKE_LIMA_DIR", dir).output().unwrap();
    assert!(st.status.success(), "{st:?}");
}

async fn next_state(rx: &mut tokio::sync::broadcast::Receiver<Event>) -> VmState {
    loop {
        match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await.expect("an event in time").unwrap() {
            Event::StateChanged { state, .. } => return state,
            _ => continue,
        }
    }
}

#[tokio::test]
async fn external_changes_become_events_and_old_lima_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("FAKE_LIMA_DIR", dir.path());
    limactl(dir.path(), &["create", "--name", "box"]);
    let bus = EventBus::default();
    let mut rx = bus.subscribe();
    let l = Limactl::at(fake());
    let bus2 = bus.clone();
    let follower = tokio::spawn(async move { l.follow_state("box", &bus2).await });
    assert_eq!(next_state(&mut rx).await, VmState::Stopped);
    // the stand-in says when its watch has read the initial state
    for _ in 0..200 {
        if dir.path().join("watch-ready").exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    limactl(dir.path(), &["start", "box"]);
    assert_eq!(next_state(&mut rx).await, VmState::Running);
    limactl(dir.path(), &["stop", "box"]);
    assert_eq!(next_state(&mut rx).await, VmState::Stopping);
    std::fs::write(dir.path().join("watch-stop"), "").unwrap();
    follower.await.unwrap().unwrap();
    assert_eq!(next_state(&mut rx).await, VmState::Stopped);

    // A limactl without `watch` (Lima < 2.1) is reported, not hung on. (Same test: the
    // stand-in is configured through the process environment.)
    let l = Limactl::at(fake());
    std::env::set_var("FAKE_LIMA_NO_WATCH", "1");
    let e = l.follow_state("box", &EventBus::default()).await.unwrap_err();
    std::env::remove_var("FAKE_LIMA_NO_WATCH");
    assert!(e.to_string().contains("Lima 2.1 or newer"), "{e}");
}
