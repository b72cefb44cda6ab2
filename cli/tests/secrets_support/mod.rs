//! Shared harness for the `sandbox secrets` process tests: a private SANDBOX_HOME, a profile,
//! the scripted limactl stand-in with a running instance, and leak checks.
#![allow(dead_code)]

use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const INSTANCE: &str = "openclaw-sandbox";

/// Give the calling thread a fresh kernel session keyring; the CLI processes it spawns
/// inherit it, so they share keyutils entries the way processes of one login session do.
pub fn join_session_keyring() {
    // KEYCTL_JOIN_SESSION_KEYRING = 1, name = NULL: a new anonymous session keyring.
    let id = unsafe { libc::syscall(libc::SYS_keyctl, 1 as libc::c_long, std::ptr::null::<libc::c_char>()) };
    assert!(id > 0, "cannot create a session keyring: {}", std::io::Error::last_os_error());
}

/// A unique value no other test or file could contain by chance.
pub fn canary(tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("canary-{tag}-{}-{nanos:x}", std::process::id())
}

pub fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// The payload `push` must send, written out independently of the product's encoder.
pub fn expected_payload(secrets: &[(&str, &str)]) -> Vec<u8> {
    let mut sorted = secrets.to_vec();
    sorted.sort();
    let mut env = String::new();
    let mut out = String::from("openclaw-secrets v1\n");
    for (name, value) in &sorted {
        out += &format!("secret {name} {}\n", b64(value.as_bytes()));
        env += &format!("{name}=\"{value}\"\n");
    }
    out += &format!("env {}\nend\n", b64(env.as_bytes()));
    out.into_bytes()
}

pub struct Call {
    pub argv: Vec<String>,
    pub stdin: Option<Vec<u8>>,
}

pub struct Harness {
    pub home: tempfile::TempDir,
    pub lima: tempfile::TempDir,
    /// Files outside the state dir (the .env to import).
    pub outside: tempfile::TempDir,
    pub profile: PathBuf,
    store: String,
    /// stdout+stderr of every command run, for the leak check.
    pub transcript: std::cell::RefCell<Vec<u8>>,
}

impl Harness {
    pub fn new(store: &str) -> Self {
        let home = tempfile::tempdir().unwrap();
        let lima = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let config = home.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        let profile = config.join("profile.toml");
        std::fs::create_dir_all(outside.path().join("project")).unwrap();
        std::fs::write(
            &profile,
            format!(
                "# test profile: names only, never values\nname = \"openclaw-sandbox\"\n[mounts]\nproject = \"{}\"\n[features]\ngateway = false\n",
                outside.path().join("project").display()
            ),
        )
        .unwrap();
        std::fs::create_dir_all(lima.path().join("instances")).unwrap();
        std::fs::write(
            lima.path().join("instances").join(format!("{INSTANCE}.json")),
            format!(r#"{{"name":"{INSTANCE}","status":"Running","dir":"/nonexistent","vmType":"qemu","arch":"x86_64"}}"#),
        )
        .unwrap();
        Harness { home, lima, outside, profile, store: store.into(), transcript: Default::default() }
    }

    pub fn fake_limactl() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/fake-limactl")
    }

    /// Make the stand-in answer the push script with `stdout`/`stderr`/`exit`.
    pub fn script_push_reply(&self, stdout: &str, stderr: &str, exit: i32) {
        let rules = serde_json::json!([{ "match": "openclaw-secrets-push", "stdout": stdout, "stderr": stderr, "exit": exit }]);
        std::fs::write(self.lima.path().join("shell.json"), rules.to_string()).unwrap();
    }

    pub fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sandbox"));
        cmd.arg("--profile").arg(&self.profile).args(args);
        cmd.env("SANDBOX_HOME", self.home.path())
            .env("SANDBOX_SECRET_STORE", &self.store)
            .env("SANDBOX_LIMACTL", Self::fake_limactl())
            .env("FAKE_LIMA_DIR", self.lima.path())
            .env_remove("RUST_LOG");
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run sandbox");
        if let Some(data) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(data).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let mut t = self.transcript.borrow_mut();
        t.extend_from_slice(&out.stdout);
        t.extend_from_slice(&out.stderr);
        out
    }

    /// Run and require exit 0; returns stdout.
    pub fn ok(&self, args: &[&str], stdin: Option<&[u8]>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "sandbox {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn calls(&self) -> Vec<Call> {
        let path = self.lima.path().join("calls.jsonl");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                Call {
                    argv: v["argv"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect(),
                    stdin: v["stdin_b64"].as_str().map(|s| base64::engine::general_purpose::STANDARD.decode(s).unwrap()),
                }
            })
            .collect()
    }

    pub fn profile_text(&self) -> String {
        std::fs::read_to_string(&self.profile).unwrap()
    }

    /// The value (and its base64 form) appears in no argv, no command output, and no file of
    /// the state dir or the stand-in's dir other than recorded stdin.
    pub fn assert_leaks_nowhere(&self, value: &str) {
        let needles = [value.to_string(), b64(value.as_bytes())];
        for call in self.calls() {
            for arg in &call.argv {
                for n in &needles {
                    assert!(!arg.contains(n.as_str()), "secret in argv: {:?}", call.argv.iter().take(3).collect::<Vec<_>>());
                }
            }
        }
        let transcript = String::from_utf8_lossy(&self.transcript.borrow()).into_owned();
        for n in &needles {
            assert!(!transcript.contains(n.as_str()), "secret in command output:\n{transcript}");
        }
        for root in [self.home.path(), self.lima.path()] {
            for file in walk(root) {
                if file.ends_with("calls.jsonl") {
                    continue; // argv checked above; stdin is checked against the expected payload
                }
                let bytes = std::fs::read(&file).unwrap();
                let text = String::from_utf8_lossy(&bytes);
                for n in &needles {
                    assert!(!text.contains(n.as_str()), "secret in {}", file.display());
                }
            }
        }
    }
}

pub fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let ft = entry.file_type().unwrap();
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file() {
                out.push(entry.path());
            }
        }
    }
    out
}
