use super::exclude::{excluded, placeholder_target};
use super::kind::{from_path, VaultKind};
use super::stream::{self, Done, FileSource, Retry};
use super::tree::{self, Meta};
use super::*;
use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[test]
fn icloud_and_file_provider_paths_are_providers_and_others_are_not_by_path() {
    let icloud = from_path(Path::new("/Users/me/Library/Mobile Documents/iCloud~md~obsidian/Documents/Main")).unwrap();
    assert!(matches!(&icloud, VaultKind::Provider { provider, .. } if provider == "iCloud Drive"), "{icloud:?}");
    let od = from_path(Path::new("/Users/me/Library/CloudStorage/OneDrive-Personal/Vault")).unwrap();
    assert!(matches!(&od, VaultKind::Provider { provider, .. } if provider == "File Provider (OneDrive-Personal)"), "{od:?}");
    assert_eq!(from_path(Path::new("/Users/me/Obsidian/Main")), None);
    assert_eq!(from_path(Path::new("/Users/me/Library/Mobile")), None);
    // a plain temp folder is local on this host
    let d = tempfile::tempdir().unwrap();
    assert_eq!(kind::detect(d.path()), VaultKind::Local);
}

#[cfg(target_os = "linux")]
#[test]
fn a_fuse_mount_is_found_in_mountinfo_with_its_type() {
    use super::cloud::fuse_mount_of;
    let mi = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
              40 22 0:50 / /home/me/cloud\\040drive rw,nosuid shared:20 - fuse.rclone remote: rw,user_id=0\n\
              41 22 0:51 / /mnt/other rw - tmpfs tmpfs rw\n";
    assert_eq!(fuse_mount_of(mi, Path::new("/home/me/cloud drive/Vault")), Some(("fuse.rclone".into(), "/home/me/cloud drive".into())));
    assert_eq!(fuse_mount_of(mi, Path::new("/mnt/other/x")), None);
    assert_eq!(fuse_mount_of(mi, Path::new("/srv/x")), None);
}

#[test]
fn exclusions_say_why_and_keep_plugins() {
    for p in [
        ".obsidian/workspace.json",
        ".obsidian/workspace-mobile.json",
        "a/.DS_Store",
        ".DS_Store",
        "notes/.Idea.md.icloud",
        ".trash",
        ".trash/old.md",
        ".sandbox-sync-stage-x1/n0",
        "a/.sandbox-sync-probe-1-2",
    ] {
        let x = excluded(p).unwrap_or_else(|| panic!("{p} should be excluded"));
        assert!(!x.why.is_empty());
    }
    for p in [
        ".obsidian/app.json",
        ".obsidian/plugins/dataview/main.js",
        ".obsidian/plugins/x/workspace.json",
        "notes/workspace.json",
        "notes/a.md",
        ".icloud",
        "trash/x.md",
    ] {
        assert_eq!(excluded(p), None, "{p} must travel");
    }
    assert_eq!(placeholder_target("notes/.Idea.md.icloud").as_deref(), Some("notes/Idea.md"));
    assert_eq!(placeholder_target(".A.icloud").as_deref(), Some("A"));
    assert_eq!(placeholder_target("..icloud"), None);
}

#[test]
fn paths_and_links_that_leave_the_vault_are_refused() {
    for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/.", "a\0b"] {
        assert!(!tree::safe_rel(bad), "{bad:?}");
    }
    assert!(tree::safe_rel("a/b.md") && tree::safe_rel(".obsidian/app.json") && tree::safe_rel("a..b"));
    assert!(tree::link_inside("notes/l", "../other/x.md"));
    assert!(tree::link_inside("l", "notes/x.md"));
    assert!(!tree::link_inside("notes/l", "../../etc/passwd"));
    assert!(!tree::link_inside("l", "../x"));
    assert!(!tree::link_inside("l", "/etc/passwd"));
    assert!(!tree::link_inside("l", ""));
}

fn vault_fixture() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    for dir in ["notes/daily", ".obsidian/plugins/p", ".trash"] {
        std::fs::create_dir_all(p.join(dir)).unwrap();
    }
    std::fs::write(p.join("notes/a.md"), "a").unwrap();
    std::fs::write(p.join("notes/daily/d.md"), "dd").unwrap();
    std::fs::write(p.join(".obsidian/app.json"), "{}").unwrap();
    std::fs::write(p.join(".obsidian/workspace.json"), "{\"layout\":1}").unwrap();
    std::fs::write(p.join(".obsidian/plugins/p/main.js"), "x").unwrap();
    std::fs::write(p.join(".trash/gone.md"), "x").unwrap();
    std::fs::write(p.join("notes/.later.md.icloud"), "placeholder").unwrap();
    std::os::unix::fs::symlink("a.md", p.join("notes/link.md")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", p.join("notes/evil")).unwrap();
    std::os::unix::fs::symlink("../../../outside", p.join("notes/daily/evil2")).unwrap();
    d
}

#[test]
fn the_walk_leaves_out_exclusions_and_escaping_links_and_notes_placeholders() {
    let d = vault_fixture();
    let w = tree::walk(d.path()).unwrap();
    let names: Vec<&str> = w.tree.keys().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        [
            ".obsidian",
            ".obsidian/app.json",
            ".obsidian/plugins",
            ".obsidian/plugins/p",
            ".obsidian/plugins/p/main.js",
            "notes",
            "notes/a.md",
            "notes/daily",
            "notes/daily/d.md",
            "notes/link.md"
        ]
    );
    assert_eq!(w.tree["notes/link.md"], Meta::Link { target: "a.md".into() });
    assert_eq!(w.placeholders, ["notes/later.md"]);
    let skipped: Vec<&str> = w.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(skipped.len(), 2, "{:?}", w.skipped);
    assert!(skipped.contains(&"notes/evil") && skipped.contains(&"notes/daily/evil2"));
    assert!(w.skipped.iter().all(|s| s.why.contains("outside the vault")));
}

#[test]
fn diff_ships_what_differs_and_deletes_only_the_top_of_a_gone_subtree() {
    let f = |size, mtime| Meta::File { size, mtime, exec: false };
    let host: tree::Tree =
        [("a.md", f(1, 10)), ("b.md", f(2, 10)), ("d", Meta::Dir), ("d/x.md", f(1, 5))].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let vm: tree::Tree = [("a.md", f(1, 10)), ("b.md", f(2, 9)), ("gone", Meta::Dir), ("gone/x", f(1, 1)), ("gone/y/z", f(1, 1)), ("old.md", f(1, 1))]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let plan = tree::diff(&host, &vm);
    assert_eq!(plan.ship, ["b.md", "d", "d/x.md"]);
    assert_eq!(plan.delete, ["gone", "old.md"]);
    assert!(tree::diff(&host, &host).is_empty());
    let parsed = tree::parse_manifest("{\"p\":\"a.md\",\"t\":\"f\",\"s\":1,\"m\":10}\n{\"p\":\"../x\",\"t\":\"f\"}\nnot json\n{\"p\":\"d\",\"t\":\"d\"}\n");
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed["a.md"], f(1, 10));
}

/// A provider stand-in: each file fails with `errno` for its first `fails` reads (a download
/// in progress), or for ever (`None`: offline).
struct Flaky {
    fails: HashMap<String, Option<usize>>,
    errno: i32,
    reads: Mutex<HashMap<String, usize>>,
}

impl FileSource for Flaky {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut reads = self.reads.lock().unwrap();
        let n = reads.entry(name.clone()).or_default();
        *n += 1;
        match self.fails.get(&name) {
            Some(None) => Err(io::Error::from_raw_os_error(self.errno)),
            Some(Some(k)) if *n <= *k => Err(io::Error::from_raw_os_error(self.errno)),
            _ => std::fs::read(path),
        }
    }
}

fn quick() -> Retry {
    Retry { deadline: Duration::from_millis(400), first_wait: Duration::from_millis(5), max_wait: Duration::from_millis(40) }
}

fn tar_names(tar: &[u8]) -> Vec<String> {
    let mut a = ::tar::Archive::new(tar);
    a.entries().unwrap().map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned()).collect()
}

#[test]
fn materialize_retries_a_file_that_is_still_downloading() {
    let d = vault_fixture();
    let w = tree::walk(d.path()).unwrap();
    let plan = tree::diff(&w.tree, &tree::Tree::new());
    let estale = rustix::io::Errno::STALE.raw_os_error();
    let src = Flaky { fails: [("a.md".to_string(), Some(3)), ("d.md".to_string(), Some(1))].into(), errno: estale, reads: Default::default() };
    let mut seen: Vec<Done> = vec![];
    let packs = stream::pack(d.path(), &w.tree, &plan, &src, &quick(), 1 << 20, &mut |p| seen.push(p)).unwrap();
    assert_eq!(packs.len(), 1);
    assert!(packs[0].unreadable.is_empty(), "{:?}", packs[0].unreadable);
    assert_eq!(src.reads.lock().unwrap()["a.md"], 4);
    let names = tar_names(&packs[0].tar);
    assert!(names.contains(&"v/notes/a.md".to_string()) && names.contains(&"v/notes/link.md".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("workspace") || n.contains(".trash") || n.contains("icloud")), "{names:?}");
    let last = seen.last().unwrap();
    assert_eq!((last.files, last.files_total, last.bytes, last.bytes_total), (4, 4, 6, 6), "{seen:?}");
}

#[test]
fn offline_files_end_in_an_error_naming_them_and_the_rest_still_travels() {
    let d = vault_fixture();
    let w = tree::walk(d.path()).unwrap();
    let plan = tree::diff(&w.tree, &tree::Tree::new());
    let src = Flaky { fails: [("d.md".to_string(), None)].into(), errno: rustix::io::Errno::IO.raw_os_error(), reads: Default::default() };
    let t = Instant::now();
    let packs = stream::pack(d.path(), &w.tree, &plan, &src, &quick(), 1 << 20, &mut |_| {}).unwrap();
    assert!(t.elapsed() < Duration::from_secs(3), "gave up late: {:?}", t.elapsed());
    assert!(src.reads.lock().unwrap()["d.md"] > 2, "it was retried");
    let un = &packs[0].unreadable;
    assert_eq!(un.len(), 1);
    assert_eq!(un[0].path, "notes/daily/d.md");
    let e = VaultError::not_downloaded("iCloud Drive", un).unwrap().to_string();
    assert!(e.contains("notes/daily/d.md") && e.contains("offline") && e.contains("iCloud Drive") && e.contains("sandbox up"), "{e}");
    assert!(tar_names(&packs[0].tar).contains(&"v/notes/a.md".to_string()));
    // a final error (permission) is not retried
    let src = Flaky { fails: [("a.md".to_string(), None)].into(), errno: rustix::io::Errno::ACCESS.raw_os_error(), reads: Default::default() };
    let packs = stream::pack(d.path(), &w.tree, &plan, &src, &quick(), 1 << 20, &mut |_| {}).unwrap();
    assert_eq!(src.reads.lock().unwrap()["a.md"], 1);
    assert_eq!(packs[0].unreadable.len(), 1);
}

#[test]
fn big_copies_are_split_and_deletions_ride_in_the_first_stream() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..5 {
        std::fs::write(d.path().join(format!("f{i}.md")), vec![b'x'; 1000]).unwrap();
    }
    let w = tree::walk(d.path()).unwrap();
    let mut plan = tree::diff(&w.tree, &tree::Tree::new());
    plan.delete = vec!["old.md".into(), "../evil".into()];
    let packs = stream::pack(d.path(), &w.tree, &plan, &stream::HostFiles, &quick(), 2000, &mut |_| {}).unwrap();
    assert_eq!(packs.len(), 3, "2000 bytes per stream");
    assert_eq!(packs[0].deleted, ["old.md"], "an unsafe deletion is never sent");
    assert_eq!(tar_names(&packs[0].tar)[0], "deleted");
    assert_eq!(packs.iter().map(|p| p.shipped.len()).sum::<usize>(), 5);
}

#[test]
fn the_batcher_waits_for_writes_to_settle_and_batches_them() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let mut b = Batcher::new(Duration::from_millis(300), Duration::from_millis(1500));
    assert_eq!(b.due(), None);
    b.push("a.md".into(), ms(0));
    b.push("b.md".into(), ms(100));
    b.push("a.md".into(), ms(200));
    assert_eq!(b.due(), Some(ms(500)));
    assert_eq!(b.take_ready(ms(499)), None);
    assert_eq!(b.take_ready(ms(500)), Some(vec!["a.md".to_string(), "b.md".to_string()]));
    assert_eq!(b.due(), None);
    // a file written without pause still ships within max_wait
    for i in 0..20 {
        b.push("busy.md".into(), ms(1000 + i * 100));
    }
    assert_eq!(b.due(), Some(ms(2500)));
}

fn profile(dir: &Path, extra: &str) -> crate::profile::Profile {
    std::fs::create_dir_all(dir.join("p")).unwrap();
    std::fs::create_dir_all(dir.join("v")).unwrap();
    let text = format!("version = 1\n[mounts]\nproject = \"p\"\nvault = \"v\"\n{extra}");
    crate::profile::Profile::parse(&text, &dir.join("profile.toml"), dir).unwrap()
}

#[test]
fn the_plan_follows_the_kind_unless_the_profile_forces_it() {
    let d = tempfile::tempdir().unwrap();
    let p = plan(&profile(d.path(), "")).unwrap();
    assert_eq!((p.kind.clone(), p.copy, p.risky()), (VaultKind::Local, false, false));
    assert!(p.describe().contains("mounted read-only"), "{}", p.describe());
    let p = plan(&profile(d.path(), "vault_mode = \"copy\"\n")).unwrap();
    assert!(
        p.copy && p.describe().contains("copied into the VM (vault_mode = \"copy\")") && p.describe().contains(".obsidian/workspace*.json"),
        "{}",
        p.describe()
    );
    let p = plan(&profile(d.path(), "vault_mode = \"mount\"\n")).unwrap();
    assert!(!p.copy);
    // a provider vault forced to mount is risky, and says what to do
    let risky = VaultPlan {
        host: "/x".into(),
        kind: from_path(Path::new("/Users/a/Library/Mobile Documents/x")).unwrap(),
        mode: crate::profile::VaultMode::Mount,
        copy: false,
    };
    assert!(risky.risky() && risky.describe().contains("holes") && risky.fix().is_some());
}

#[test]
fn vault_mode_is_validated_with_its_line() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("p")).unwrap();
    std::fs::create_dir_all(d.path().join("v")).unwrap();
    let parse = |t: &str| crate::profile::Profile::parse(t, &d.path().join("profile.toml"), d.path()).map(|_| ()).unwrap_err().to_string();
    let e = parse("version = 1\n[mounts]\nproject = \"p\"\nvault = \"v\"\nvault_mode = \"sometimes\"\n");
    assert!(e.contains("mounts.vault_mode") && e.contains("line 5") && e.contains("\"auto\", \"copy\" or \"mount\""), "{e}");
    let e = parse("version = 1\n[mounts]\nproject = \"p\"\nvault_mode = \"copy\"\n");
    assert!(e.contains("mounts.vault_mode") && e.contains("`mounts.vault` is not"), "{e}");
    let e = parse("version = 1\nmode = \"yolo-unsafe\"\n[mounts]\nproject = \"p\"\nvault = \"v\"\nvault_mode = \"copy\"\n");
    assert!(e.contains("yolo-unsafe"), "{e}");
}

/// The in-VM side (provisioning/bin/openclaw-vault-copy) against streams on this host:
/// a good stream round-trips (mtimes, modes, links, deletions); a path escaping the copy,
/// an absolute one, a link pointing out, a device: the whole stream is refused, nothing written.
#[test]
fn the_vm_side_applies_good_streams_and_refuses_escapes() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../provisioning/bin/openclaw-vault-copy");
    if std::process::Command::new("python3").arg("--version").output().is_err() {
        eprintln!("python3 missing: skipped");
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("copy");
    let run = |cmd: &str, stdin: &[u8]| {
        use std::io::Write;
        let mut c = std::process::Command::new("python3")
            .arg(&script)
            .arg(cmd)
            .env("OPENCLAW_VAULT_COPY_ROOT", &root)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(stdin).unwrap();
        let o = c.wait_with_output().unwrap();
        (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let d = vault_fixture();
    let w = tree::walk(d.path()).unwrap();
    let plan = tree::diff(&w.tree, &tree::Tree::new());
    let packs = stream::pack(d.path(), &w.tree, &plan, &stream::HostFiles, &quick(), 1 << 20, &mut |_| {}).unwrap();
    let (code, _, err) = run("apply", &packs[0].tar);
    assert_eq!(code, 0, "{err}");
    let (_, manifest, _) = run("manifest", b"");
    let copy = tree::parse_manifest(&manifest);
    assert_eq!(copy, w.tree, "the copy's manifest equals the host walk");
    assert!(tree::diff(&w.tree, &copy).is_empty());
    assert_eq!(std::fs::read_to_string(root.join("notes/a.md")).unwrap(), "a");
    // a deletion and a change
    std::fs::remove_dir_all(d.path().join("notes/daily")).unwrap();
    std::fs::write(d.path().join("notes/a.md"), "changed").unwrap();
    let w2 = tree::walk(d.path()).unwrap();
    let plan = tree::diff(&w2.tree, &copy);
    assert_eq!(plan.delete, ["notes/daily"]);
    let packs = stream::pack(d.path(), &w2.tree, &plan, &stream::HostFiles, &quick(), 1 << 20, &mut |_| {}).unwrap();
    assert_eq!(run("apply", &packs[0].tar).0, 0);
    assert!(!root.join("notes/daily").exists());
    assert_eq!(std::fs::read_to_string(root.join("notes/a.md")).unwrap(), "changed");

    // hostile streams, built by hand (the tar crate refuses some names, so raw headers)
    let raw = |name: &str, kind: ::tar::EntryType, link: Option<&str>| {
        let mut h = ::tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_entry_type(kind);
        h.set_mode(0o644);
        h.set_size(if kind == ::tar::EntryType::Regular { 4 } else { 0 });
        if let Some(l) = link {
            h.as_gnu_mut().unwrap().linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_cksum();
        let mut out = h.as_bytes().to_vec();
        if kind == ::tar::EntryType::Regular {
            let mut block = vec![0u8; 512];
            block[..4].copy_from_slice(b"evil");
            out.extend(block);
        }
        out.extend(vec![0u8; 1024]);
        out
    };
    let outside = base.path().join("outside");
    for (stream, what) in [
        (raw("v/../outside", ::tar::EntryType::Regular, None), "dot-dot"),
        (raw("v/notes/../../outside", ::tar::EntryType::Regular, None), "nested dot-dot"),
        (raw(&format!("v/{}", outside.display()), ::tar::EntryType::Regular, None), "absolute after v/"),
        (raw(&outside.display().to_string(), ::tar::EntryType::Regular, None), "absolute"),
        (raw("v/notes/l", ::tar::EntryType::Symlink, Some("../../outside")), "link out"),
        (raw("v/notes/l", ::tar::EntryType::Symlink, Some("/etc/passwd")), "absolute link"),
        (raw("v/notes/dev", ::tar::EntryType::Char, None), "device"),
        (raw("v/notes/h", ::tar::EntryType::Link, Some("v/notes/a.md")), "hard link"),
    ] {
        let before = tree::parse_manifest(&run("manifest", b"").1);
        let (code, _, err) = run("apply", &stream);
        assert_eq!(code, 3, "{what}: must be refused: {err}");
        assert!(err.contains("refused"), "{what}: {err}");
        assert!(!outside.exists(), "{what}: wrote outside the copy");
        assert_eq!(tree::parse_manifest(&run("manifest", b"").1), before, "{what}: the copy changed");
    }
    // the follower's receiver: one framed stream after another on one stdin; a refused one is
    // answered and the next still lands
    std::fs::write(d.path().join("notes/a.md"), "served").unwrap();
    let w3 = tree::walk(d.path()).unwrap();
    let plan = tree::diff(&w3.tree, &tree::parse_manifest(&run("manifest", b"").1));
    let good = stream::pack(d.path(), &w3.tree, &plan, &stream::HostFiles, &quick(), 1 << 20, &mut |_| {}).unwrap().remove(0).tar;
    let bad = raw("v/../outside", ::tar::EntryType::Regular, None);
    let mut frames = Vec::new();
    for f in [&bad, &good] {
        frames.extend(format!("{}\n", f.len()).as_bytes());
        frames.extend(f.iter());
    }
    let (code, out, err) = run("serve", &frames);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() == 2 && lines[0].starts_with("err refused") && lines[1].starts_with("ok applied"), "{out}");
    assert_eq!(std::fs::read_to_string(root.join("notes/a.md")).unwrap(), "served");
    assert!(!outside.exists());

    let mut del = ::tar::Builder::new(Vec::new());
    let list = b"../outside\0";
    let mut h = ::tar::Header::new_gnu();
    h.set_size(list.len() as u64);
    h.set_mode(0o600);
    h.set_cksum();
    del.append_data(&mut h, "deleted", &list[..]).unwrap();
    let (code, _, err) = run("apply", &del.into_inner().unwrap());
    assert_eq!(code, 3, "an unsafe deletion must be refused: {err}");
}

#[tokio::test]
async fn a_refresh_asks_the_copys_manifest_then_ships_one_stream_to_the_root_only_tool() {
    use crate::vm::testing::RecordingVm;
    let d = vault_fixture();
    let vm = RecordingVm::replying("", 0, "");
    let report = copy::refresh(&vm, d.path(), std::sync::Arc::new(stream::HostFiles), quick(), Box::new(|_| {})).await.unwrap();
    let calls = vm.calls.lock().unwrap();
    let tool = crate::provision::layout::VAULT_COPY_TOOL;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].0, ["sudo", tool, "manifest"]);
    assert_eq!(calls[1].0, ["sudo", tool, "apply"]);
    let names = tar_names(calls[1].1.as_ref().unwrap());
    assert!(names.contains(&"v/notes/daily/d.md".to_string()) && !names.iter().any(|n| n.contains("workspace.json")), "{names:?}");
    assert_eq!((report.shipped, report.deleted, report.bytes), (10, 0, 6));
    assert_eq!(report.skipped.len(), 2, "the links leaving the vault are reported: {:?}", report.skipped);
}

#[tokio::test]
async fn the_follower_ships_what_changed_and_deletes_what_is_gone() {
    use crate::vm::testing::RecordingVm;
    let d = vault_fixture();
    let vm = RecordingVm::replying("", 0, "");
    let changed = ["notes/a.md", "notes/gone.md", ".obsidian/workspace.json", "notes/daily", "../escape"].map(String::from).to_vec();
    let report = copy::ship_changes(&mut copy::OneShot(&vm), d.path(), changed, std::sync::Arc::new(stream::HostFiles), quick()).await.unwrap();
    {
        let calls = vm.calls.lock().unwrap();
        assert_eq!(calls.len(), 1, "one call per batch");
        let tar = calls[0].1.as_ref().unwrap();
        let names = tar_names(tar);
        assert_eq!(
            names,
            ["deleted", "v/notes/a.md", "v/notes/daily", "v/notes/daily/d.md"],
            "a changed folder travels whole; excluded and unsafe paths never"
        );
        let mut a = ::tar::Archive::new(tar.as_slice());
        let mut first = a.entries().unwrap().next().unwrap().unwrap();
        let mut list = String::new();
        std::io::Read::read_to_string(&mut first, &mut list).unwrap();
        assert_eq!(list, "notes/gone.md\0");
        assert_eq!((report.shipped, report.deleted), (3, 1));
        assert_eq!(report.skipped.len(), 1, "notes/daily/evil2 points outside: {:?}", report.skipped);
    }
    // the VM refusing a stream is an error that says so
    let vm = RecordingVm::replying("", 3, "openclaw-vault-copy: refused: unsafe path 'v/../x'\n");
    let e =
        copy::ship_changes(&mut copy::OneShot(&vm), d.path(), vec!["notes/a.md".into()], std::sync::Arc::new(stream::HostFiles), quick()).await.unwrap_err();
    assert!(matches!(&e, VaultError::Remote { code: 3, message } if message.contains("refused")), "{e}");
    assert!(e.to_string().contains("sandbox up"), "{e}");
}
