//! Issue 14, point 3: a request's file descriptors are closed as it goes, so a request of
//! many files works under macOS's default limit of 256 descriptors. Alone in its own test
//! binary: it lowers the process's descriptor limit.

mod sync_common;

use sandbox_core::scan::Scanner;
use sandbox_core::sync::probe::HostFsBehaviour;
use sandbox_core::sync::queue::{Queue, RequestState};
use sandbox_core::sync::SyncPolicy;
use sync_common::{Root, Tar};

#[test]
fn issue14_p3_many_files_under_a_256_descriptor_limit() {
    let limit = libc::rlimit { rlim_cur: 256, rlim_max: 256 };
    // Lowering our own limit needs no privilege.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    let root = Root::new();
    let mut tar = Tar::new().root().dir("d");
    for i in 0..1500 {
        root.write(&format!("d/f{i}.txt"), b"old\n");
        tar = tar.file(&format!("d/f{i}.txt"), format!("new {i}\n").as_bytes());
    }
    let q = Queue::open(&root.sync_dir()).unwrap();
    let req = q.create(&tar.build()[..], &root.project(), &SyncPolicy::default(), &Scanner::builtin(), Some(HostFsBehaviour::default())).unwrap();
    assert_eq!(req.changes.len(), 1500);
    q.approve(&req.id, None, &SyncPolicy::default()).unwrap();
    q.apply(&req.id, false, None).unwrap();
    assert_eq!(root.read("d/f1499.txt"), b"new 1499\n");
    let (req, _) = q.undo(&req.id, false, None).unwrap();
    assert_eq!(req.state, RequestState::Undone);
    assert_eq!(root.read("d/f1499.txt"), b"old\n");
}
