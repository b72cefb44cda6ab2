//! The real-VM test bed shared by the vm_* tests: the `sandbox` binary against a Debian VM under
//! QEMU behind the limactl shim (tests/vm/limactl). Each test file owns one VM; dropping its
//! `Bed` deletes it (and so stops QEMU and ssh), pass or fail.
#![allow(dead_code)]

use sandbox_core::lima::{LimaVm, Limactl};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A fresh session keyring for this process (the kernel keyutils store needs one).
pub fn join_session_keyring() {
    // KEYCTL_JOIN_SESSION_KEYRING = 1, name = NULL
    let id = unsafe { libc::syscall(libc::SYS_keyctl, 1 as libc::c_long, std::ptr::null::<libc::c_char>()) };
    assert!(id > 0, "cannot create a session keyring: {}", std::io::Error::last_os_error());
}

/// Run `sandbox watch --json` until a line contains `needle` (or `limit` passes); returns it.
pub fn watch_for(bed: &Bed, needle: &str, limit: Duration) -> String {
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
/// The host user the shim plays when it runs as root (tests/vm/limactl guest_user): a Mac's first
/// account, uid 501 in group staff (20). Lima makes the guest's admin this uid, and test projects
/// belong to it, as on a laptop.
pub const HOST_UID: u32 = 501;
pub const HOST_GID: u32 = 20;
/// A name the tests resolve through the VM's firewall and resolver (never connected to): the
/// distribution's mirror, which this machine's resolver already answers for.
pub const RESOLVABLE: &str = "deb.debian.org";

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

pub fn shim() -> PathBuf {
    repo().join("tests/vm/limactl")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}", self.stdout, self.stderr)
    }
}

/// The temp world of one run; dropping it deletes the VM (and so stops QEMU and ssh).
pub struct Bed {
    pub name: &'static str,
    pub root: tempfile::TempDir,
    pub image: PathBuf,
    pub timings: Vec<(String, Duration)>,
    /// Which of Lima's VM types the shim plays: "qemu" (9p mounts owned by the host uid, DNS
    /// through the DNAT) or "vz" (files owned by whoever asks, DNS on the gateway).
    pub vm_type: &'static str,
}

impl Bed {
    pub fn path(&self, p: &str) -> PathBuf {
        self.root.path().join(p)
    }
    pub fn project(&self) -> PathBuf {
        self.path("project")
    }
    /// `$OPENCLAW_TESTBED_LIMA_HOME` (scripts/tiers/vm.sh sets it, to clean up even after a
    /// crash) or a folder in the temp dir: the sandbox's private Lima home.
    pub fn lima_home(&self) -> PathBuf {
        std::env::var_os("OPENCLAW_TESTBED_LIMA_HOME").map(PathBuf::from).unwrap_or_else(|| self.path("lima"))
    }
    /// The user's own Lima home (`LIMA_HOME` in their environment): the sandbox must not use it.
    pub fn user_lima_home(&self) -> PathBuf {
        self.path("home/.lima")
    }
    pub fn env(&self, c: &mut Command) {
        c.env("SANDBOX_HOME", self.path("home"))
            .env("HOME", self.path("home"))
            .env("LIMA_HOME", self.user_lima_home())
            .env("SANDBOX_LIMA_HOME", self.lima_home())
            .env("LIMA_SHIM_VMTYPE", self.vm_type)
            .env("SANDBOX_LIMACTL", shim())
            .env("OPENCLAW_TESTBED_IMAGE", &self.image)
            .env("OPENCLAW_TESTBED_BOOT_TIMEOUT", "900")
            .env("SANDBOX_SECRET_STORE", "keyutils")
            .stdin(Stdio::null());
    }
    pub fn sandbox(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sandbox"));
        c.args(args);
        self.env(&mut c);
        c
    }
    /// Run `sandbox ARGS`, bounded by `limit` (killed after it).
    pub fn run(&self, args: &[&str], limit: Duration) -> Run {
        run_bounded(self.sandbox(args), limit, &format!("sandbox {}", args.join(" ")))
    }
    /// `sandbox ssh -- bash -c SCRIPT` (as the VM's admin user).
    pub fn vm(&self, script: &str) -> Run {
        self.run(&["ssh", "--", "bash", "-c", script], Duration::from_secs(180))
    }
    pub fn vm_ok(&self, script: &str) -> String {
        let r = self.vm(script);
        assert_eq!(r.code, 0, "in the VM: {script}\n{}", r.all());
        r.stdout
    }
    pub fn time<T>(&mut self, what: &str, f: impl FnOnce(&Self) -> T) -> T {
        let t = Instant::now();
        let out = f(self);
        self.timings.push((what.to_string(), t.elapsed()));
        out
    }
    /// The VM as core sees it (`LimaVm` over the shim), for core's typed calls.
    pub fn core_vm(&self) -> LimaVm {
        // limactl inherits this process's environment; this file holds a single test.
        std::env::set_var("LIMA_HOME", self.lima_home());
        std::env::set_var("LIMA_SHIM_VMTYPE", self.vm_type);
        std::env::set_var("OPENCLAW_TESTBED_IMAGE", &self.image);
        LimaVm::new(Limactl::at(shim()).with_lima_home(self.lima_home()), self.name)
    }
    pub fn qemu_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.lima_home().join(self.name).join("qemu.pid")).ok()?;
        let pid: u32 = text.trim().parse().ok()?;
        Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        if std::env::var_os("OPENCLAW_TESTBED_KEEP").is_some() {
            // For debugging a failure by hand: the VM stays (delete it with the shim later).
            eprintln!(
                "OPENCLAW_TESTBED_KEEP: leaving VM `{}` (LIMA_HOME={}, SANDBOX_HOME={})",
                self.name,
                self.lima_home().display(),
                self.path("home").display()
            );
            std::mem::forget(std::mem::replace(&mut self.root, tempfile::tempdir().unwrap()));
            return;
        }
        if std::thread::panicking() {
            // The test failed: keep the VM's console (its boot, its services) where CI shows it,
            // before the VM and its folder go.
            let serial = self.lima_home().join(self.name).join("serial.log");
            if let Ok(text) = std::fs::read_to_string(&serial) {
                let dest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/artifacts/vm").join(self.name);
                let _ = std::fs::create_dir_all(&dest).and_then(|()| std::fs::write(dest.join("serial.log"), &text));
                let tail: Vec<&str> = text.lines().rev().take(25).collect();
                let tail: String = tail.into_iter().rev().map(|l| l.replace('\u{1b}', "")).collect::<Vec<_>>().join("\n");
                eprintln!("--- the end of `{}`'s console (all of it: target/artifacts/vm/{}/serial.log):\n{tail}", self.name, self.name);
            }
        }
        let mut c = Command::new(shim());
        c.args(["delete", "-f", self.name]);
        self.env(&mut c);
        c.env("LIMA_HOME", self.lima_home());
        let _ = run_bounded(c, Duration::from_secs(60), "limactl delete -f");
        if let Some(pid) = self.qemu_pid() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
}

pub fn run_bounded(mut c: Command, limit: Duration, what: &str) -> Run {
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
pub fn up_timed(bed: &Bed, limit: Duration) -> (Run, Option<Duration>, Duration) {
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
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
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

/// Give `dir` and everything in it to `uid:gid` (the host user Lima plays, [`HOST_UID`]).
pub fn chown_tree(dir: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(dir, Some(uid), Some(gid)).unwrap();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            chown_tree(&p, uid, gid);
        } else {
            std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
        }
    }
}

pub fn build_image() -> (PathBuf, String) {
    let r = run_bounded(Command::new(repo().join("tests/vm/build-image")), Duration::from_secs(1800), "tests/vm/build-image");
    assert_eq!(r.code, 0, "image build failed:\n{}", r.all());
    let dir = PathBuf::from(r.stdout.trim().lines().last().unwrap());
    let how = if r.stderr.contains("cache hit") { "cache hit" } else { "built" };
    (dir, how.to_string())
}

/// `tar -tv` of a tar stream, by the host's tar.
pub fn tar_listing(tar: &[u8]) -> String {
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
    /// Build (or find) the image and make the temp world (no project yet); the shim plays `vm_type`.
    pub fn empty(name: &'static str, vm_type: &'static str) -> Bed {
        assert!(is_root(), "the vm tier needs root (debootstrap, chroot); run it with scripts/test vm");
        let t = Instant::now();
        let (image, how) = build_image();
        let image_time = t.elapsed();
        let mut bed = Bed { name, root: tempfile::Builder::new().prefix("vm").tempdir_in("/tmp").unwrap(), image, timings: vec![], vm_type };
        bed.timings.push((format!("image ({how})"), image_time));
        for d in ["home", "lima"] {
            std::fs::create_dir_all(bed.path(d)).unwrap();
        }
        bed
    }

    /// `sandbox init` with `args`, then the test profile: no allowlisted names and no NTP (the
    /// VM's resolver forwards nothing, so no test traffic leaves this machine), and the bare
    /// sandbox (the agent runtime has its own test, vm_runtime.rs).
    pub fn init(&self, args: &[&str]) {
        let r = self.run(args, Duration::from_secs(30));
        assert_eq!(r.code, 0, "{}", r.all());
        let profile = self.profile();
        let text = std::fs::read_to_string(&profile)
            .unwrap()
            .replace("presets = [\"llm\"]", "presets = []\nntp = false")
            .replace("[features]\n", "[features]\ngateway = false\n");
        std::fs::write(&profile, text).unwrap();
    }

    pub fn profile(&self) -> PathBuf {
        self.path("home/config/profile.toml")
    }

    /// Allow `domain` in the profile (only its name is resolved by the tests: the package
    /// registry the machine already reaches; no connection is made to it).
    pub fn allow_domain(&self, domain: &str) {
        let text = std::fs::read_to_string(self.profile()).unwrap();
        assert!(text.contains("allowed_domains = []"), "{text}");
        std::fs::write(self.profile(), text.replace("allowed_domains = []", &format!("allowed_domains = [\"{domain}\"]"))).unwrap();
    }

    /// Build (or find) the image, make a project owned by the host user ([`HOST_UID`]:[`HOST_GID`],
    /// as on a Mac) and `sandbox init` it.
    pub fn new(name: &'static str, init_args: &[&str]) -> Bed {
        let bed = Bed::empty(name, "qemu");
        for d in ["project/sub", "project/keep"] {
            std::fs::create_dir_all(bed.path(d)).unwrap();
        }
        std::fs::write(bed.path("project/a.txt"), "alpha\n").unwrap();
        std::fs::write(bed.path("project/sub/b.txt"), "bravo\n").unwrap();
        std::fs::write(bed.path("project/c.txt"), "charlie\n").unwrap();
        std::fs::write(bed.path("project/keep/untouched.bin"), [0u8, 1, 2, 255]).unwrap();
        chown_tree(&bed.project(), HOST_UID, HOST_GID);
        let project = bed.project();
        let mut args = vec!["init", "--non-interactive", "--project", project.to_str().unwrap(), "--name", name];
        args.extend(["--cpus", "2", "--memory", "2GiB", "--disk", "20GiB"]);
        args.extend_from_slice(init_args);
        bed.init(&args);
        bed
    }

    pub fn print_timings(&self, title: &str) {
        eprintln!("\n{title} timings (2-core shared machine, TCG unless KVM is usable):");
        for (what, d) in &self.timings {
            eprintln!("  {what:<42} {:>7.1} s", d.as_secs_f64());
        }
    }
}

pub fn audit_paths(log: &str) -> Vec<(String, Vec<String>, String)> {
    log.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line is not JSON ({e}): {l}"));
            let events = v["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect();
            (v["path"].as_str().unwrap().to_string(), events, v["kind"].as_str().unwrap().to_string())
        })
        .collect()
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}
