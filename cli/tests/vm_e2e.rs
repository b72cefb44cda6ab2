#![cfg(feature = "vm-tests")]
//! Tier 3: the real `sandbox` binary against a real VM (QEMU, Debian 12) behind the test-bed
//! limactl shim (tests/vm/limactl). One VM is shared by every assertion; it is deleted and
//! every process it started is stopped when the test ends, pass or fail.
//! Run by `scripts/test vm` (root: the image build uses debootstrap + chroot).

use sandbox_core::lima::{LimaVm, Limactl};
use sandbox_core::provision::ctl;
use sandbox_core::vm::Vm;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NAME: &str = "e2e-vm";
/// A secret value that must reach the VM's tmpfs and nothing else.
const CANARY: &str = "canary-e2e-9f3b7c1d2a4e6f80";

/// A fresh session keyring for this process (the kernel keyutils store needs one).
fn join_session_keyring() {
    // KEYCTL_JOIN_SESSION_KEYRING = 1, name = NULL
    let id = unsafe { libc::syscall(libc::SYS_keyctl, 1 as libc::c_long, std::ptr::null::<libc::c_char>()) };
    assert!(id > 0, "cannot create a session keyring: {}", std::io::Error::last_os_error());
}

/// Run `sandbox watch --json` until a line contains `needle` (or `limit` passes); returns it.
fn watch_for(bed: &Bed, needle: &str, limit: Duration) -> String {
    let mut child = bed.sandbox(&["watch", "--json"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let wanted = needle.to_string();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if line.contains(&wanted) {
                let _ = tx.send(line);
                return;
            }
        }
    });
    let got = rx.recv_timeout(limit);
    let _ = child.kill();
    let _ = child.wait();
    got.unwrap_or_else(|_| panic!("`sandbox watch` printed no `{needle}` within {} s", limit.as_secs()))
}
/// The agent's uid on the host side: the project belongs to an ordinary user, as on a laptop.
const PROJECT_UID: u32 = 2000;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn shim() -> PathBuf {
    repo().join("tests/vm/limactl")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}", self.stdout, self.stderr)
    }
}

/// The temp world of one run; dropping it deletes the VM (and so stops QEMU and ssh).
struct Bed {
    name: &'static str,
    root: tempfile::TempDir,
    image: PathBuf,
    timings: Vec<(String, Duration)>,
}

impl Bed {
    fn path(&self, p: &str) -> PathBuf {
        self.root.path().join(p)
    }
    fn project(&self) -> PathBuf {
        self.path("project")
    }
    /// `$OPENCLAW_TESTBED_LIMA_HOME` (scripts/tiers/vm.sh sets it, to clean up even after a
    /// crash) or a folder in the temp dir.
    fn lima_home(&self) -> PathBuf {
        std::env::var_os("OPENCLAW_TESTBED_LIMA_HOME").map(PathBuf::from).unwrap_or_else(|| self.path("lima"))
    }
    fn env(&self, c: &mut Command) {
        c.env("SANDBOX_HOME", self.path("home"))
            .env("HOME", self.path("home"))
            .env("LIMA_HOME", self.lima_home())
            .env("SANDBOX_LIMACTL", shim())
            .env("OPENCLAW_TESTBED_IMAGE", &self.image)
            .env("OPENCLAW_TESTBED_BOOT_TIMEOUT", "900")
            .env("SANDBOX_SECRET_STORE", "keyutils")
            .stdin(Stdio::null());
    }
    fn sandbox(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sandbox"));
        c.args(args);
        self.env(&mut c);
        c
    }
    /// Run `sandbox ARGS`, bounded by `limit` (killed after it).
    fn run(&self, args: &[&str], limit: Duration) -> Run {
        run_bounded(self.sandbox(args), limit, &format!("sandbox {}", args.join(" ")))
    }
    /// `sandbox ssh -- bash -c SCRIPT` (as the VM's admin user).
    fn vm(&self, script: &str) -> Run {
        self.run(&["ssh", "--", "bash", "-c", script], Duration::from_secs(180))
    }
    fn vm_ok(&self, script: &str) -> String {
        let r = self.vm(script);
        assert_eq!(r.code, 0, "in the VM: {script}\n{}", r.all());
        r.stdout
    }
    fn time<T>(&mut self, what: &str, f: impl FnOnce(&Self) -> T) -> T {
        let t = Instant::now();
        let out = f(self);
        self.timings.push((what.to_string(), t.elapsed()));
        out
    }
    /// The VM as core sees it (`LimaVm` over the shim), for core's typed calls.
    fn core_vm(&self) -> LimaVm {
        // limactl inherits this process's environment; this file holds a single test.
        std::env::set_var("LIMA_HOME", self.lima_home());
        std::env::set_var("OPENCLAW_TESTBED_IMAGE", &self.image);
        LimaVm::new(Limactl::at(shim()), self.name)
    }
    fn qemu_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.lima_home().join(self.name).join("qemu.pid")).ok()?;
        let pid: u32 = text.trim().parse().ok()?;
        Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        let mut c = Command::new(shim());
        c.args(["delete", "-f", self.name]);
        self.env(&mut c);
        let _ = run_bounded(c, Duration::from_secs(60), "limactl delete -f");
        if let Some(pid) = self.qemu_pid() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
}

fn run_bounded(mut c: Command, limit: Duration, what: &str) -> Run {
    let mut child = c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{what}: {e}"));
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let o = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).ok();
        v
    });
    let e = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).ok();
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.join().unwrap()).into(),
        stderr: String::from_utf8_lossy(&e.join().unwrap()).into(),
    }
}

/// `sandbox up` with its stderr read as it comes, so boot and provisioning can be timed apart.
/// Returns the run and the time at which Lima's start reported READY.
fn up_timed(bed: &Bed, limit: Duration) -> (Run, Option<Duration>, Duration) {
    let start = Instant::now();
    let mut child = bed.sandbox(&["up"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut v = String::new();
        std::io::Read::read_to_string(&mut out, &mut v).ok();
        v
    });
    let e = std::thread::spawn(move || {
        let mut text = String::new();
        let mut ready = None;
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if ready.is_none() && line.contains("] Ready") {
                ready = Some(start.elapsed());
            }
            text.push_str(&line);
            text.push('\n');
        }
        (text, ready)
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sandbox up did not finish within {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let total = start.elapsed();
    let (stderr, ready) = e.join().unwrap();
    (Run { code: status.code().unwrap_or(-1), stdout: o.join().unwrap(), stderr }, ready, total)
}

/// Every file under `dir`: relative path → (bytes, mode).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            if meta.is_dir() {
                out.insert(rel, (b"<dir>".to_vec(), meta.permissions().mode()));
                stack.push(e.path());
            } else {
                out.insert(rel, (std::fs::read(e.path()).unwrap(), meta.permissions().mode()));
            }
        }
    }
    out
}

fn chown_tree(dir: &Path, uid: u32) {
    std::os::unix::fs::chown(dir, Some(uid), Some(uid)).unwrap();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            chown_tree(&p, uid);
        } else {
            std::os::unix::fs::chown(&p, Some(uid), Some(uid)).unwrap();
        }
    }
}

fn build_image() -> (PathBuf, String) {
    let r = run_bounded(Command::new(repo().join("tests/vm/build-image")), Duration::from_secs(1800), "tests/vm/build-image");
    assert_eq!(r.code, 0, "image build failed:\n{}", r.all());
    let dir = PathBuf::from(r.stdout.trim().lines().last().unwrap());
    let how = if r.stderr.contains("cache hit") { "cache hit" } else { "built" };
    (dir, how.to_string())
}

/// `tar -tv` of a tar stream, by the host's tar.
fn tar_listing(tar: &[u8]) -> String {
    let mut child = Command::new("tar").args(["-tvf", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = tar.to_vec();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "the exported upper dir is not a valid tar");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Bed {
    /// Build (or find) the image, make a project owned by [`PROJECT_UID`] and `sandbox init` it.
    fn new(name: &'static str, init_args: &[&str]) -> Bed {
        assert!(is_root(), "the vm tier needs root (debootstrap, chroot); run it with scripts/test vm");
        let t = Instant::now();
        let (image, how) = build_image();
        let image_time = t.elapsed();
        let mut bed = Bed { name, root: tempfile::Builder::new().prefix("vm").tempdir_in("/tmp").unwrap(), image, timings: vec![] };
        bed.timings.push((format!("image ({how})"), image_time));
        for d in ["home", "lima", "project/sub", "project/keep"] {
            std::fs::create_dir_all(bed.path(d)).unwrap();
        }
        std::fs::write(bed.path("project/a.txt"), "alpha\n").unwrap();
        std::fs::write(bed.path("project/sub/b.txt"), "bravo\n").unwrap();
        std::fs::write(bed.path("project/c.txt"), "charlie\n").unwrap();
        std::fs::write(bed.path("project/keep/untouched.bin"), [0u8, 1, 2, 255]).unwrap();
        chown_tree(&bed.project(), PROJECT_UID);
        let project = bed.project();
        let mut args = vec!["init", "--non-interactive", "--project", project.to_str().unwrap(), "--name", name];
        args.extend(["--cpus", "2", "--memory", "2GiB", "--disk", "20GiB"]);
        args.extend_from_slice(init_args);
        let r = bed.run(&args, Duration::from_secs(30));
        assert_eq!(r.code, 0, "{}", r.all());
        // No allowlisted names and no NTP: the VM's resolver forwards nothing, so no test
        // traffic leaves this machine.
        let profile = bed.path("home/config/profile.toml");
        let text = std::fs::read_to_string(&profile).unwrap().replace("presets = [\"llm\"]", "presets = []\nntp = false")
            // The bare sandbox: the agent runtime has its own test (vm_runtime.rs).
            .replace("[features]\n", "[features]\ngateway = false\n");
        std::fs::write(&profile, text).unwrap();
        bed
    }

    fn print_timings(&self, title: &str) {
        eprintln!("\n{title} timings (2-core shared machine, TCG unless KVM is usable):");
        for (what, d) in &self.timings {
            eprintln!("  {what:<42} {:>7.1} s", d.as_secs_f64());
        }
    }
}

fn audit_paths(log: &str) -> Vec<(String, Vec<String>, String)> {
    log.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line is not JSON ({e}): {l}"));
            let events = v["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect();
            (v["path"].as_str().unwrap().to_string(), events, v["kind"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn sandbox_up_ssh_down_up_destroy_in_a_real_vm() {
    join_session_keyring();
    let mut bed = Bed::new(NAME, &[]);
    let before = snapshot(&bed.project());
    let mut set = bed.sandbox(&["secrets", "set", "ANTHROPIC_API_KEY", "--stdin"]);
    set.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = set.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), CANARY.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // first up: create, boot, provision
    let (r, ready, total) = up_timed(&bed, Duration::from_secs(1200));
    assert_eq!(r.code, 0, "first up failed\n{}", r.all());
    assert!(r.stdout.contains("Created and started"), "{}", r.all());
    assert!(r.stdout.contains("Provisioning changed:"), "{}", r.all());
    assert!(r.stderr.contains("Waiting for ssh (1/3)"), "the shim's progress was not parsed:\n{}", r.stderr);
    let ready = ready.expect("no Ready progress line");
    bed.timings.push(("boot to ssh + boot scripts (first up)".into(), ready));
    bed.timings.push(("first provision".into(), total - ready));

    // the project mount is read-only, enforced by the host: even root remounting it rw gets EROFS
    let out = bed.vm_ok(
        "touch /mnt/openclaw/x 2>&1; echo \"agent-rc=$?\"; \
         sudo mount -o remount,rw /mnt/openclaw && sudo touch /mnt/openclaw/y 2>&1; echo \"root-rc=$?\"; \
         sudo mount -o remount,ro /mnt/openclaw",
    );
    assert!(out.contains("agent-rc=1") && out.contains("root-rc=1"), "{out}");
    assert_eq!(out.matches("Read-only file system").count(), 2, "{out}");

    // /workspace is the overlay with the options that keep the upper dir a plain change set
    let out = bed.vm_ok("findmnt -n -o FSTYPE /workspace; systemctl cat workspace.mount | grep ^Options=");
    assert!(out.starts_with("overlay\n") && out.contains("redirect_dir=off,metacopy=off"), "{out}");

    // the agent user: no sudo, no groups beyond its own
    let out = bed.vm_ok("id -nG openclaw; id -u openclaw; sudo -u openclaw sudo -n true 2>&1; echo \"sudo-rc=$?\"");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("openclaw"), "{out}");
    assert_eq!(lines.next(), Some(PROJECT_UID.to_string().as_str()), "the agent takes the project owner's uid: {out}");
    assert!(out.contains("sudo-rc=1"), "{out}");

    // the agent works in /workspace: add, modify, delete, rename; then asks for a sync
    let out = bed.vm_ok(
        "sudo -u openclaw -H bash -euc 'cd /workspace; echo new > new.txt; echo more >> a.txt; rm sub/b.txt; \
         mv c.txt c2.txt; mkdir -p made/deep; echo d > made/deep/d.txt; \
         openclaw-sync-request \"added new.txt, please review\"; \
         ls /var/spool/openclaw/sync-requests 2>&1 || echo spool-unreadable'",
    );
    assert!(out.contains("spool-unreadable"), "the agent must not read the spool: {out}");
    assert_eq!(bed.vm_ok("cat /workspace/a.txt"), "alpha\nmore\n");
    assert_eq!(snapshot(&bed.project()), before, "the host project changed while the agent wrote");

    // the upper dir holds exactly the change set (whiteouts for deletions), exported through
    // core's typed handle (what the sync loop calls), listed by the host's tar
    let vm = bed.core_vm();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tar = rt.block_on(ctl::export_upper(&vm)).expect("export-upper");
    let listing = tar_listing(&tar);
    for (name, kind) in [("./new.txt", '-'), ("./a.txt", '-'), ("./sub/b.txt", 'c'), ("./c.txt", 'c'), ("./c2.txt", '-'), ("./made/deep/d.txt", '-')] {
        let line = listing.lines().find(|l| l.ends_with(&format!(" {name}"))).unwrap_or_else(|| panic!("{name} not in upper:\n{listing}"));
        assert!(line.starts_with(kind), "{name} should be `{kind}`: {line}");
    }
    assert!(!listing.contains("./keep/"), "untouched dirs are not copied up:\n{listing}");

    // every write is in the audit log
    let log = bed.vm_ok("sleep 1; sudo cat /var/log/openclaw/overlay-audit.jsonl");
    let entries = audit_paths(&log);
    let has = |path: &str, event: &str| entries.iter().any(|(p, ev, _)| p == path && ev.iter().any(|e| e == event));
    for (path, event) in [("new.txt", "CLOSE_WRITE"), ("a.txt", "CLOSE_WRITE"), ("sub/b.txt", "DELETE"), ("c.txt", "MOVED_FROM"), ("c2.txt", "MOVED_TO")] {
        assert!(has(path, event), "no {event} for {path} in the audit log:\n{log}");
    }
    // a file made right after its new folder may precede the folder's watch: found by the scan
    assert!(has("made/deep/d.txt", "CLOSE_WRITE") || has("made/deep/d.txt", "CREATE"), "made/deep/d.txt missing:\n{log}");
    assert!(entries.iter().any(|(p, _, k)| p == "sub/b.txt" && k == "whiteout"), "{log}");

    // limactl copy both ways, through core's Vm trait
    std::fs::write(bed.path("to-vm.txt"), "over scp\n").unwrap();
    rt.block_on(vm.copy_in(&bed.path("to-vm.txt"), "/tmp/from-host.txt")).expect("copy_in");
    assert_eq!(bed.vm_ok("cat /tmp/from-host.txt"), "over scp\n");
    rt.block_on(vm.copy_out("/etc/hostname", &bed.path("hostname"))).expect("copy_out");
    assert_eq!(std::fs::read_to_string(bed.path("hostname")).unwrap().trim(), format!("lima-{NAME}"));

    // the sync request is in the spool, for the host
    let reqs = rt.block_on(ctl::requests(&vm)).expect("requests");
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].message, "added new.txt, please review");
    assert_eq!(reqs[0].user, "openclaw");
    let st = rt.block_on(ctl::overlay_status(&vm)).expect("status");
    assert_eq!((st.watcher.as_str(), st.pending_requests, st.mode.as_str()), ("active", 1, "secure"));
    assert!(st.upper_entries >= 7, "{st:?}");

    // the host follows the agent: `sandbox watch` turns the request into a SyncRequested event
    let t = Instant::now();
    let event = watch_for(&bed, "\"type\":\"sync_requested\"", Duration::from_secs(240));
    bed.timings.push(("watch: agent request -> SyncRequested".into(), t.elapsed()));
    assert!(event.contains("added new.txt, please review"), "{event}");

    // `sandbox sync --auto` applies exactly the agent's changes to the host project
    let r = bed.time("sync round trip (sandbox sync --auto)", |b| b.run(&["sync", "--auto"], Duration::from_secs(600)));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("applied request"), "{}", r.all());
    let mut expected = before.clone();
    let file = |s: &str, mode: u32| (s.as_bytes().to_vec(), mode);
    let mode_of = |p: &str| before[Path::new(p)].1;
    expected.insert("a.txt".into(), file("alpha\nmore\n", mode_of("a.txt")));
    expected.remove(Path::new("sub/b.txt"));
    let c = expected.remove(Path::new("c.txt")).unwrap();
    expected.insert("c2.txt".into(), c);
    let after = snapshot(&bed.project());
    for p in ["new.txt", "made", "made/deep", "made/deep/d.txt"] {
        assert!(after.contains_key(Path::new(p)), "{p} missing on the host after sync");
        expected.insert(p.into(), after[Path::new(p)].clone());
    }
    assert_eq!(after.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (p, (bytes, _)) in &expected {
        assert_eq!(&after[p].0, bytes, "{} differs on the host", p.display());
    }
    assert_eq!(std::fs::read_to_string(bed.path("project/new.txt")).unwrap(), "new\n");
    // ... and the upper dir no longer holds them; /workspace still shows them (now from below)
    let listing = tar_listing(&rt.block_on(ctl::export_upper(&vm)).expect("export-upper"));
    for name in ["new.txt", "a.txt", "sub/b.txt", "c.txt", "c2.txt", "made/deep/d.txt"] {
        assert!(!listing.lines().any(|l| l.ends_with(&format!(" ./{name}"))), "{name} still in the upper dir:\n{listing}");
    }
    assert_eq!(bed.vm_ok("cat /workspace/a.txt /workspace/new.txt; systemctl is-active openclaw-audit.service"), "alpha\nmore\nnew\nactive\n");
    let s = bed.run(&["status", "--json"], Duration::from_secs(120));
    let st: serde_json::Value = serde_json::from_str(&s.stdout).unwrap_or_else(|e| panic!("{e}: {}", s.all()));
    assert_eq!(st["pending_requests"], 0, "{}", s.stdout);
    assert_eq!(st["overlay"]["pending_requests"], 0, "{}", s.stdout);
    assert!(rt.block_on(ctl::drop_entries(&vm, &["../etc/passwd".to_string()])).is_err());

    // secrets: 0600 files owned by the agent on tmpfs, exactly the keychain's value, nowhere on
    // disk (the journal included; the pattern comes from the file, so not even this check puts
    // the value in an argv that sudo would log)
    let out = bed.vm_ok(
        "stat -f -c %T /run/openclaw; sudo stat -c '%a %U' /run/openclaw/secrets /run/openclaw/secrets/ANTHROPIC_API_KEY /run/openclaw/secrets.env; \
         sudo cat /run/openclaw/secrets/ANTHROPIC_API_KEY; echo; \
         sudo grep -rlsF -f /run/openclaw/secrets/ANTHROPIC_API_KEY /etc /var/lib/openclaw /var/log /var/spool /home /root /tmp /workspace || echo not-on-disk; \
         sudo journalctl -o export 2>/dev/null | grep -a -F -f /run/openclaw/secrets/ANTHROPIC_API_KEY -B 30 | grep -a -E '^(_COMM|SYSLOG_IDENTIFIER|_CMDLINE|MESSAGE)=' | cut -c1-300 | head -20 >&2",
    );
    let mut l = out.lines();
    assert_eq!(l.next(), Some("tmpfs"), "{out}");
    assert_eq!(l.next(), Some("700 openclaw"), "{out}");
    assert_eq!(l.next(), Some("600 openclaw"), "{out}");
    assert_eq!(l.next(), Some("600 root"), "{out}");
    assert_eq!(l.next(), Some(CANARY), "{out}");
    assert!(out.trim_end().ends_with("not-on-disk"), "the secret is on the VM's disk: {out}");

    // firewall: loaded, out of the agent's reach, default deny with logged drops, allow reloads it
    let out = bed.vm_ok("sudo nft list table inet openclaw | head -3; sudo -u openclaw nft flush ruleset 2>&1; echo \"agent-flush=$?\"");
    assert!(out.contains("table inet openclaw") && !out.contains("agent-flush=0"), "{out}");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let probe = format!("sudo -u openclaw timeout 8 bash -c 'echo hi > /dev/tcp/192.168.5.2/{port}' 2>&1; echo \"rc=$?\"");
    let out = bed.vm_ok(&probe);
    assert!(!out.contains("rc=0"), "a connection to the host's port {port} must be dropped: {out}");
    let out = bed.vm_ok("getent hosts blocked.example.test; echo \"rc=$?\"");
    assert!(out.contains("rc=2"), "an unlisted name must not resolve: {out}");
    let r = bed.run(&["firewall", "log", "--json", "--since", "-10min"], Duration::from_secs(120));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains(&format!("\"dport\":{port}")) && r.stdout.contains("\"dst\":\"192.168.5.2\""), "the drop was not logged:\n{}", r.all());
    assert!(r.stdout.contains("\"domain\":\"blocked.example.test\""), "the refused name was not logged:\n{}", r.all());
    let r = bed.time("firewall allow (live reload)", |b| b.run(&["firewall", "allow", &format!("192.168.5.2:{port}/tcp")], Duration::from_secs(180)));
    assert!(r.code == 0 && r.stdout.contains("reloaded"), "{}", r.all());
    listener.set_nonblocking(false).unwrap();
    let accept = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut got = String::new();
        std::io::Read::read_to_string(&mut sock, &mut got).unwrap();
        got
    });
    let out = bed.vm_ok(&probe);
    assert!(out.contains("rc=0"), "after allow the connection must pass: {out}");
    assert_eq!(accept.join().unwrap(), "hi\n");

    // the agent writes once more before the restart: the overlay keeps it
    bed.vm_ok("sudo -u openclaw bash -c 'echo later > /workspace/later.txt'");

    // up on the running VM: nothing to change
    let r = bed.time("no-op up (provision only)", |b| b.run(&["up"], Duration::from_secs(300)));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("already running") && r.stdout.contains("nothing to change"), "{}", r.all());

    // down, then up again: the agent's writes and the request survive, nothing is re-provisioned
    let r = bed.time("stop (sandbox down)", |b| b.run(&["down"], Duration::from_secs(300)));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(bed.qemu_pid().is_none(), "QEMU still runs after down");
    let r = bed.run(&["status", "--json"], Duration::from_secs(30));
    assert!(r.stdout.contains("\"state\": \"stopped\""), "{}", r.all());
    let (r, ready, total) = up_timed(&bed, Duration::from_secs(1200));
    assert_eq!(r.code, 0, "second up failed\n{}", r.all());
    bed.timings.push(("boot to ssh + boot scripts (restart)".into(), ready.unwrap_or(total)));
    bed.timings.push(("provision after restart".into(), total - ready.unwrap_or(total)));
    assert!(r.stdout.contains("Started `e2e-vm`"), "{}", r.all());
    assert!(r.stdout.contains("nothing to change"), "a restart must not re-provision:\n{}", r.all());
    let out = bed.vm_ok("cat /workspace/a.txt /workspace/later.txt; ls /workspace; sudo openclaw-sandbox-ctl status; sudo test -s /run/openclaw/secrets/ANTHROPIC_API_KEY && echo secret-pushed");
    assert!(out.starts_with("alpha\nmore\nlater\n") && out.contains("c2.txt") && !out.contains("c.txt\n"), "{out}");
    assert!(out.contains("\"watcher\":\"active\"") && out.contains("\"upper_entries\":1"), "only later.txt is left unsynced (emptied parents are pruned): {out}");
    assert!(out.contains("secret-pushed"), "the tmpfs secrets come back after a restart: {out}");

    let r = bed.time("destroy", |b| b.run(&["destroy", "--yes"], Duration::from_secs(300)));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!bed.lima_home().join(NAME).exists(), "the instance folder is left");
    assert!(bed.qemu_pid().is_none());
    assert_eq!(snapshot(&bed.project()), after, "the host project changed outside the sync gate");
    assert!(!bed.path("project/later.txt").exists(), "unsynced writes must not reach the host");

    bed.print_timings("vm e2e (secure)");
}

/// yolo-unsafe: the project is mounted writable, /workspace is a bind of it, no overlay, no
/// watcher; the agent's writes reach the host at once, and `sandbox up` says so every time.
#[test]
fn yolo_unsafe_writes_straight_through_without_an_overlay() {
    let mut bed = Bed::new("e2e-unsafe", &["--mode", "yolo-unsafe"]);
    let (r, ready, total) = up_timed(&bed, Duration::from_secs(1200));
    assert_eq!(r.code, 0, "up failed\n{}", r.all());
    assert!(r.stderr.contains("WARNING: yolo-unsafe"), "{}", r.all());
    bed.timings.push(("boot to ssh + boot scripts".into(), ready.unwrap_or(total)));
    bed.timings.push(("first provision".into(), total - ready.unwrap_or(total)));
    let out = bed.vm_ok(
        "findmnt -n -o FSTYPE /workspace; sudo -u openclaw bash -euc 'echo more >> /workspace/a.txt; echo new > /workspace/new.txt'; \
         systemctl is-enabled openclaw-audit.service 2>/dev/null || echo no-watcher; sudo openclaw-sandbox-ctl export-upper 2>&1 || true",
    );
    assert!(out.starts_with("9p\n"), "/workspace must be the (bound) project mount: {out}");
    assert!(out.contains("no-watcher") && out.contains("has no overlay"), "{out}");
    assert_eq!(std::fs::read_to_string(bed.path("project/a.txt")).unwrap(), "alpha\nmore\n");
    assert_eq!(std::fs::read_to_string(bed.path("project/new.txt")).unwrap(), "new\n");
    let r = bed.time("no-op up", |b| b.run(&["up"], Duration::from_secs(300)));
    assert!(r.stdout.contains("nothing to change") && r.stderr.contains("WARNING: yolo-unsafe"), "{}", r.all());
    let r = bed.time("destroy", |b| b.run(&["destroy", "--yes"], Duration::from_secs(300)));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(bed.qemu_pid().is_none());
    bed.print_timings("vm e2e (yolo-unsafe)");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}
