//! `Limactl::follow_state_until` against the scripted limactl, which behaves like Lima here
//! (tests/support/fake-limactl: a `watch` that never ends, pid files of real stand-in
//! processes, status derived from them): whoever starts, stops, deletes or crashes the VM, the
//! follower publishes the new state within 2 s — with and without `limactl watch`.

use sandbox_core::events::{Event, EventBus, VmState};
use sandbox_core::lima::{FollowTiming, Limactl};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fake() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/fake-limactl")
}

/// Another process driving Lima (the CLI, a terminal, Lima's own tools).
fn limactl(dir: &Path, home: &Path, args: &[&str]) {
    let st = std::process::Command::new(fake()).args(args).env("FAKE_LIMA_DIR", dir).env("LIMA_HOME", home).output().unwrap();
    assert!(st.status.success(), "{st:?}");
}

/// The next state the follower publishes, within `within`.
async fn state_within(rx: &mut tokio::sync::broadcast::Receiver<Event>, within: Duration, want: VmState) -> Duration {
    let t = Instant::now();
    loop {
        let left = within.checked_sub(t.elapsed()).unwrap_or_else(|| panic!("no {want:?} within {within:?}"));
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Ok(Event::StateChanged { state, .. })) if state == want => return t.elapsed(),
            Ok(Ok(_)) => continue,
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => panic!("no {want:?} within {within:?}"),
        }
    }
}

/// How many `limactl list` the stand-in has run (its calls.jsonl).
fn lists(fake_dir: &Path) -> usize {
    let log = std::fs::read_to_string(fake_dir.join("calls.jsonl")).unwrap_or_default();
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|c| c["argv"].as_array().is_some_and(|a| a.iter().any(|x| x == "list")))
        .count()
}

fn pid_in(home: &Path, file: &str) -> i32 {
    std::fs::read_to_string(home.join("box").join(file)).unwrap().trim().parse().unwrap()
}

async fn follow_the_vm_as_others_drive_it(no_watch: bool) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("lima");
    let fake_dir = dir.path().join("fake");
    std::fs::create_dir_all(&fake_dir).unwrap();
    std::env::set_var("FAKE_LIMA_DIR", &fake_dir);
    if no_watch {
        std::env::set_var("FAKE_LIMA_NO_WATCH", "1");
    } else {
        std::env::remove_var("FAKE_LIMA_NO_WATCH");
    }
    let bus = EventBus::default();
    let mut rx = bus.subscribe();
    let l = Limactl::at(fake()).with_lima_home(&home);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let bus2 = bus.clone();
    let follower = tokio::spawn(async move {
        l.follow_state_until("box", &bus2, FollowTiming::default(), async {
            let _ = stop_rx.await;
        })
        .await
    });
    let two = Duration::from_secs(2);
    // no VM yet; one is created and started by another process after the follower began
    state_within(&mut rx, Duration::from_secs(10), VmState::Absent).await;
    limactl(&fake_dir, &home, &["create", "--name", "box"]);
    state_within(&mut rx, two, VmState::Stopped).await;
    limactl(&fake_dir, &home, &["start", "box"]);
    let started = state_within(&mut rx, two, VmState::Running).await;
    // running and idle: the follower reads nothing more (`limactl list` opens the pid files it
    // watches; an open is a look, not a change — crate::fs_watch)
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = lists(&fake_dir);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(lists(&fake_dir), before, "the follower kept running `limactl list` while nothing changed");
    // an external `limactl stop`: Stopped, although `watch` never ends
    limactl(&fake_dir, &home, &["stop", "box"]);
    let stopped = state_within(&mut rx, two, VmState::Stopped).await;
    // the host agent crashes (its pid file stays behind): Broken, as Lima says
    limactl(&fake_dir, &home, &["start", "box"]);
    state_within(&mut rx, two, VmState::Running).await;
    let ha = pid_in(&home, "ha.pid");
    let driver = pid_in(&home, "qemu.pid");
    unsafe { libc::kill(ha, libc::SIGKILL) };
    let crashed = state_within(&mut rx, two, VmState::Broken).await;
    unsafe { libc::kill(driver, libc::SIGKILL) };
    state_within(&mut rx, two, VmState::Stopped).await;
    limactl(&fake_dir, &home, &["delete", "-f", "box"]);
    state_within(&mut rx, two, VmState::Absent).await;
    eprintln!(
        "follower (watch: {}): started {started:?}, stopped {stopped:?}, crash {crashed:?} after the fact",
        if no_watch { "none, Lima < 2.1" } else { "never-ending" }
    );
    assert!(!follower.is_finished(), "the follower runs until told to stop");
    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), follower).await.expect("stops when told").unwrap().unwrap();
}

// One test (the stand-in is configured through the process environment): with Lima ≥ 2.1's
// never-ending watch, then with a limactl that has no `watch` at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_starts_stops_and_crashes_show_within_two_seconds() {
    follow_the_vm_as_others_drive_it(false).await;
    follow_the_vm_as_others_drive_it(true).await;
    std::env::remove_var("FAKE_LIMA_NO_WATCH");
}
