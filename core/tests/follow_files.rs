//! `Sandbox::follow_files`: what another process changes in the profile and the review queue
//! (here: core's own queue and an editor, as `sandbox sync` or `sandbox firewall allow` in a
//! terminal would) becomes events within 2 s — watched, not polled.

use sandbox_core::events::{Event, EventBus};
use sandbox_core::lima::Limactl;
use sandbox_core::paths::Paths;
use sandbox_core::profile::Profile;
use sandbox_core::sandbox::Sandbox;
use std::path::Path;
use std::time::Duration;

async fn next(rx: &mut tokio::sync::broadcast::Receiver<Event>, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(e)) if pred(&e) => return e,
            Ok(Ok(_)) => continue,
            other => panic!("no {what} within 2 s: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_edits_and_queue_changes_by_others_become_events() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("project")).unwrap();
    std::fs::write(root.join("project/a.txt"), "alpha\n").unwrap();
    let paths = Paths::under(&root.join("home"));
    let profile_path = paths.profile_file();
    std::fs::create_dir_all(profile_path.parent().unwrap()).unwrap();
    let text = format!("version = 1\nname = \"files\"\n[mounts]\nproject = {:?}\n", root.join("project"));
    std::fs::write(&profile_path, &text).unwrap();
    let profile = Profile::load(&profile_path).unwrap();
    let policy = profile.sync_policy.clone();
    let bus = EventBus::default();
    let mut rx = bus.subscribe();
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/fake-limactl");
    let sb = Sandbox::new(profile, paths.clone(), Limactl::at(fake).with_lima_home(root.join("lima")), bus.clone());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let follower = async {
        sb.follow_files(async {
            let _ = stop_rx.await;
        })
        .await
    };
    let others = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // another process queues a request (what `sandbox sync` does)
        let upper = root.join("upper");
        std::fs::create_dir_all(&upper).unwrap();
        std::fs::write(upper.join("b.txt"), "bee\n").unwrap();
        let tar = root.join("upper.tar");
        assert!(std::process::Command::new("tar").arg("-C").arg(&upper).arg("-cf").arg(&tar).arg(".").status().unwrap().success());
        let queue = sandbox_core::sync::queue::Queue::open(&paths.data_dir.join("sync")).unwrap();
        let req = queue.create(std::fs::File::open(&tar).unwrap(), &root.join("project"), &policy, &sandbox_core::scan::Scanner::builtin(), None).unwrap();
        let e = next(&mut rx, "SyncRequested", |e| matches!(e, Event::SyncRequested { .. })).await;
        assert!(matches!(&e, Event::SyncRequested { id, changes: 1, .. } if *id == req.id), "{e:?}");
        // ... and rejects it from a terminal
        queue.reject(&req.id).unwrap();
        next(&mut rx, "SyncRejected", |e| matches!(e, Event::SyncRejected { id } if *id == req.id)).await;
        // an editor (or `sandbox firewall allow`) rewrites the profile
        let tmp = profile_path.with_extension("tmp");
        std::fs::write(&tmp, text.replace("name = \"files\"", "name = \"files\"\nmode = \"yolo\"")).unwrap();
        std::fs::rename(&tmp, &profile_path).unwrap();
        next(&mut rx, "ProfileChanged", |e| matches!(e, Event::ProfileChanged { .. })).await;
        // this process queues a request the way the facade does (under the queue lock: create,
        // then add the agent's message, then announce it): the follower must not announce it
        // first, half-written
        let announced = {
            let _lock = queue.lock().unwrap();
            std::fs::write(upper.join("c.txt"), "sea\n").unwrap();
            assert!(std::process::Command::new("tar").arg("-C").arg(&upper).arg("-cf").arg(&tar).arg(".").status().unwrap().success());
            let mut req =
                queue.create(std::fs::File::open(&tar).unwrap(), &root.join("project"), &policy, &sandbox_core::scan::Scanner::builtin(), None).unwrap();
            tokio::time::sleep(Duration::from_millis(400)).await;
            req.message = Some("please review".into());
            queue.save(&req).unwrap();
            bus.publish(Event::SyncRequested {
                id: req.id.clone(),
                message: req.message.clone(),
                changes: req.changes.len(),
                blocked: req.blocked,
                root: req.root,
            });
            req.id
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while let Ok(Ok(e)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if let Event::SyncRequested { id, message, .. } = &e {
                assert!(*id != announced || message.as_deref() == Some("please review"), "announced half-written: {e:?}");
            }
        }
        stop_tx.send(()).unwrap();
    };
    let (r, ()) = tokio::join!(follower, others);
    r.unwrap();
}

/// Reading what changed must not wake the follower again: inotify reports opens, and the
/// follower opens the profile and the queue to read them (seen: the app re-reading both ~20 times
/// a second at idle). After one edit, nothing opens the profile or the queue any more. Linux
/// only: the check counts opens as inotify reports them, and macOS's FSEvents reports none.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follower_does_not_wake_itself_by_reading() {
    use notify::Watcher;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("project")).unwrap();
    let paths = Paths::under(&root.join("home"));
    let profile_path = paths.profile_file();
    std::fs::create_dir_all(profile_path.parent().unwrap()).unwrap();
    let text = format!("version = 1\nname = \"quiet\"\n[mounts]\nproject = {:?}\n", root.join("project"));
    std::fs::write(&profile_path, &text).unwrap();
    let profile = Profile::load(&profile_path).unwrap();
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/fake-limactl");
    let sb = Sandbox::new(profile, paths.clone(), Limactl::at(fake).with_lima_home(root.join("lima")), EventBus::default());
    let requests = paths.data_dir.join("sync/requests");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let follower = async {
        sb.follow_files(async {
            let _ = stop_rx.await;
        })
        .await
    };
    let check = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // count every open of the profile and of the queue's folder, as inotify reports them
        let opens = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = opens.clone();
        let watched = (profile_path.clone(), requests.clone());
        let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res {
                let open = matches!(ev.kind, notify::EventKind::Access(notify::event::AccessKind::Open(_)));
                if open && ev.paths.iter().any(|p| p == &watched.0 || p.starts_with(&watched.1)) {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
        })
        .unwrap();
        w.watch(profile_path.parent().unwrap(), notify::RecursiveMode::NonRecursive).unwrap();
        w.watch(&requests, notify::RecursiveMode::Recursive).unwrap();
        // one real change: the follower reads the profile (and may list the queue) once
        std::fs::write(&profile_path, text.replace("quiet", "quieter")).unwrap();
        std::fs::create_dir_all(requests.join("not-a-request")).unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        let settled = opens.load(std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let later = opens.load(std::sync::atomic::Ordering::SeqCst) - settled;
        let _ = stop_tx.send(());
        assert_eq!(later, 0, "the follower kept opening the profile or the queue after it had read the change ({settled} opens while it did)");
        assert!(settled >= 1, "the follower never read the change: the check would prove nothing");
    };
    let (r, ()) = tokio::join!(follower, check);
    r.unwrap();
}
