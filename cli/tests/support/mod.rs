//! Test harness: runs the real `sandbox` binary with its state in a temp dir and the scripted
//! limactl stand-in (tests/support/fake-limactl) as its limactl.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Env {
    pub root: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

pub fn fake_limactl() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/fake-limactl")
}

impl Env {
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        for d in ["home", "fake", "project"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        Env { root }
    }
    pub fn path(&self, p: &str) -> PathBuf {
        self.root.path().join(p)
    }
    pub fn project(&self) -> PathBuf {
        self.path("project")
    }
    pub fn fake_dir(&self) -> PathBuf {
        self.path("fake")
    }
    pub fn profile_path(&self) -> PathBuf {
        self.path("home/config/profile.toml")
    }
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sandbox"));
        c.args(args)
            .env("SANDBOX_HOME", self.path("home"))
            .env("SANDBOX_LIMACTL", fake_limactl())
            .env("FAKE_LIMA_DIR", self.fake_dir())
            .env("HOME", self.path("home"))
            .env_remove("FAKE_LIMA_VERSION")
            .env_remove("FAKE_LIMA_QUOTES")
            .stdin(Stdio::null());
        c
    }
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_cmd(self.command(args))
    }
    pub fn run_cmd(&self, mut c: Command) -> Run {
        let out: Output = c.output().unwrap();
        Run { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() }
    }
    /// `sandbox init --non-interactive --project <tmp project>` plus extra args.
    pub fn init(&self, extra: &[&str]) -> Run {
        let project = self.project();
        let mut args = vec!["init", "--non-interactive", "--project", project.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.run(&args)
    }
    /// Every limactl call so far: (argv, stdin bytes).
    pub fn calls(&self) -> Vec<(Vec<String>, Option<Vec<u8>>)> {
        let text = std::fs::read_to_string(self.fake_dir().join("calls.jsonl")).unwrap_or_default();
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let argv = v["argv"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect();
                let stdin = v.get("stdin_b64").and_then(|s| s.as_str()).map(b64);
                (argv, stdin)
            })
            .collect()
    }
    /// limactl verbs called so far (ignoring `--version` and `list`).
    pub fn verbs(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .map(|(a, _)| a.into_iter().filter(|x| x != "--tty=false").collect::<Vec<_>>().join(" "))
            .filter(|s| !s.starts_with("--version") && !s.starts_with("list"))
            .collect()
    }
    pub fn clear_calls(&self) {
        let _ = std::fs::remove_file(self.fake_dir().join("calls.jsonl"));
    }
    pub fn fail(&self, verb: &str, code: i32, stderr: &str) {
        std::fs::create_dir_all(self.fake_dir().join("fail")).unwrap();
        std::fs::write(self.fake_dir().join("fail").join(verb), format!("{code}\n{stderr}")).unwrap();
    }
    pub fn unfail(&self, verb: &str) {
        let _ = std::fs::remove_file(self.fake_dir().join("fail").join(verb));
    }
    /// Put the instance in `status` the way it happens to Lima: a started instance becomes
    /// Broken when its host agent dies (the driver lives on, pkg/store/instance.go); one the
    /// stand-in never started just has its recorded status changed.
    pub fn set_status(&self, name: &str, status: &str) {
        let p = self.fake_dir().join("instances").join(format!("{name}.json"));
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        if v["pidFiles"] == serde_json::Value::Bool(true) {
            assert_eq!(status, "Broken", "a started instance changes status through its processes");
            let dir = PathBuf::from(v["dir"].as_str().unwrap());
            let pid: i32 = std::fs::read_to_string(dir.join("ha.pid")).unwrap().trim().parse().unwrap();
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return;
        }
        v["status"] = serde_json::Value::String(status.into());
        std::fs::write(p, v.to_string()).unwrap();
    }
}

fn b64(s: &str) -> Vec<u8> {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = T.iter().position(|t| *t == c).expect("base64") as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}
