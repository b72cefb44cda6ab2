//! Property-based fuzzing of tar ingestion (proptest: runs on stable in the unit tier).
//! Arbitrary bytes, mutated valid streams and random hostile entry lists: never a panic, and
//! whatever comes out only names safe project-relative paths.

mod sync_common;

use proptest::prelude::*;
use sandbox_core::scan::Scanner;
use sandbox_core::sync::probe::HostFsBehaviour;
use sandbox_core::sync::{check_with, CheckOptions, SyncPolicy};
use sync_common::{Root, Tar};

fn run(root: &Root, data: &[u8]) {
    let opts = CheckOptions { blobs: None, host_fs: Some(HostFsBehaviour::strictest()) };
    if let Ok(report) = check_with(data, &root.project(), &SyncPolicy::default(), &Scanner::builtin(), &opts) {
        for c in &report.changes {
            let p = c.path.as_str();
            assert!(!p.starts_with('/') && !p.split('/').any(|s| s == ".." || s == "." || s.is_empty()), "unsafe path {p:?}");
        }
    }
}

#[derive(Debug, Clone)]
enum E {
    File(String, Vec<u8>, u32),
    Dir(String, bool),
    Link(String, String),
    Hard(String, String),
    Whiteout(String),
    Dev(String, u32),
}

fn name() -> impl Strategy<Value = String> {
    let comp = prop_oneof![
        Just("a".to_string()),
        Just("B".to_string()),
        Just("b".to_string()),
        Just("..".to_string()),
        Just(".".to_string()),
        Just(".git".to_string()),
        Just("x.pem".to_string()),
        Just("".to_string())
    ];
    proptest::collection::vec(comp, 1..4).prop_map(|v| v.join("/"))
}

fn entry() -> impl Strategy<Value = E> {
    prop_oneof![
        (name(), proptest::collection::vec(any::<u8>(), 0..64), prop_oneof![Just(0o644u32), Just(0o755), Just(0o4755)]).prop_map(|(n, d, m)| E::File(n, d, m)),
        (name(), any::<bool>()).prop_map(|(n, o)| E::Dir(n, o)),
        (name(), name()).prop_map(|(n, t)| E::Link(n, t)),
        (name(), name()).prop_map(|(n, t)| E::Hard(n, t)),
        name().prop_map(E::Whiteout),
        (name(), 0u32..3).prop_map(|(n, m)| E::Dev(n, m)),
    ]
}

fn build(entries: &[E]) -> Vec<u8> {
    let mut t = Tar::new().root();
    for e in entries {
        t = match e {
            E::File(n, d, m) => t.file_mode(n, d, *m),
            E::Dir(n, true) => t.opaque_dir(n),
            E::Dir(n, false) => t.dir(n),
            E::Link(n, target) => t.symlink(n, target),
            E::Hard(n, target) => t.hardlink(n, &format!("./{target}")),
            E::Whiteout(n) => t.whiteout(n),
            E::Dev(n, m) => t.chardev(n, *m, 0),
        };
    }
    t.build()
}

fn host(root: &Root) {
    root.write("a/a", b"host");
    root.write("b", b"host b");
    std::os::unix::fs::symlink("a", root.project().join("B")).unwrap();
}

proptest! {
    // PROPTEST_CASES=5000 for a longer run.
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let root = Root::new();
        run(&root, &data);
    }

    #[test]
    fn random_entry_lists_never_panic(entries in proptest::collection::vec(entry(), 0..12)) {
        let root = Root::new();
        host(&root);
        run(&root, &build(&entries));
    }

    #[test]
    fn mutated_streams_never_panic(
        entries in proptest::collection::vec(entry(), 1..6),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let root = Root::new();
        host(&root);
        let mut data = build(&entries);
        for (i, b) in flips {
            let at = i.index(data.len());
            data[at] = b;
        }
        if truncate {
            data.truncate(cut.index(data.len()));
        }
        run(&root, &data);
    }
}
