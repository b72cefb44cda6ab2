#![cfg(feature = "kernel-tests")]
//! The in-VM push script (provisioning/secrets/push.sh), run for real on this host as root
//! through `push_secrets_to` and a local `Vm`: tmpfs mount, modes, ownership, atomic
//! replacement, stale-file removal, truncated input, symlink planting — and, under strace,
//! proof that no process the script starts ever sees a value in its argv.

use async_trait::async_trait;
use sandbox_core::secrets::payload::{self, base64_encode};
use sandbox_core::secrets::push::{push_argv, push_secrets_to};
use sandbox_core::secrets::{validate_name, MemoryStore, SecretName, SecretStore, SecretsError};
use sandbox_core::vm::{ExecOutput, Vm, VmError};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

const AGENT: &str = "nobody";

/// Runs the VM argv on this host (already root, so the leading `sudo -n` is dropped), under
/// `strace -f -e trace=execve` so every exec'd argv is recorded.
struct LocalVm {
    trace: PathBuf,
}

#[async_trait]
impl Vm for LocalVm {
    fn name(&self) -> &str {
        "local"
    }
    async fn exec(&self, argv: &[String], stdin: Option<Vec<u8>>) -> Result<ExecOutput, VmError> {
        assert_eq!(&argv[..2], ["sudo", "-n"]);
        let mut cmd = tokio::process::Command::new("strace");
        cmd.args(["-f", "-qq", "-s", "65536", "-e", "trace=execve", "-o"]).arg(&self.trace).args(&argv[2..]);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("strace must be installed (scripts/tiers/kernel.packages)");
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(&stdin.unwrap_or_default()).await.unwrap();
        drop(pipe);
        let out = child.wait_with_output().await.unwrap();
        Ok(ExecOutput { status: out.status.code().unwrap_or(-1), stdout: out.stdout, stderr: out.stderr })
    }
    async fn copy_in(&self, _: &Path, _: &str) -> Result<(), VmError> {
        unreachable!()
    }
    async fn copy_out(&self, _: &str, _: &Path) -> Result<(), VmError> {
        unreachable!()
    }
}

/// A scratch base dir on the (non-tmpfs) disk; unmounts whatever the script mounted.
struct Base {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Base {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run-openclaw");
        Base { _dir: dir, path }
    }
    fn s(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

impl Drop for Base {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.path).status();
    }
}

fn n(s: &str) -> SecretName {
    validate_name(s).unwrap()
}

fn fs_type(path: &Path) -> String {
    let out = std::process::Command::new("stat").args(["-f", "-c", "%T"]).arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

/// `id -u [USER]` (no user: this process).
fn uid_of(user: &str) -> u32 {
    let mut cmd = std::process::Command::new("id");
    cmd.arg("-u");
    if !user.is_empty() {
        cmd.arg(user);
    }
    let out = cmd.output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().parse().unwrap()
}

fn require_root() {
    assert_eq!(uid_of(""), 0, "the kernel tier runs as root (mount, chown)");
}

#[tokio::test]
async fn push_writes_0600_files_on_tmpfs_and_never_an_argv_value() {
    require_root();
    let base = Base::new();
    let trace_dir = tempfile::tempdir().unwrap();
    let vm = LocalVm { trace: trace_dir.path().join("execve.trace") };
    let canary = format!("canary-kernel-{}-\"$(touch /tmp/pwned-openclaw)\"-`x`", std::process::id());
    let multiline = "-----BEGIN KEY-----\nline two\n-----END KEY-----\n";
    let store = MemoryStore::new();
    store.set(&n("CANARY_KEY"), &canary.as_str().into()).unwrap();
    store.set(&n("PEM_KEY"), &multiline.into()).unwrap();
    store.set(&n("OLD_KEY"), &"old-value-1234".into()).unwrap();
    let printable: String = (0x20u8..0x7f).map(char::from).collect::<String>() + "é✓";
    store.set(&n("ASCII_KEY"), &printable.as_str().into()).unwrap();

    assert_ne!(fs_type(base.path.parent().unwrap()), "tmpfs", "the scratch dir must be on disk for this test");
    let r = push_secrets_to(&vm, &store, &[n("CANARY_KEY"), n("PEM_KEY"), n("OLD_KEY"), n("ASCII_KEY")], AGENT, base.s()).await.unwrap();
    assert!(r.mounted_tmpfs, "a tmpfs must be mounted over a base dir on disk");
    assert_eq!(fs_type(&base.path), "tmpfs");
    assert_eq!(r.written, vec![n("ASCII_KEY"), n("CANARY_KEY"), n("OLD_KEY"), n("PEM_KEY")]);
    assert_eq!(r.env_skipped, vec![n("PEM_KEY")]);

    let dir = base.path.join("secrets");
    let uid = uid_of(AGENT);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(std::fs::metadata(&dir).unwrap().uid(), uid);
    for (name, value) in [("CANARY_KEY", canary.as_str()), ("PEM_KEY", multiline), ("OLD_KEY", "old-value-1234")] {
        let f = dir.join(name);
        assert_eq!(std::fs::read_to_string(&f).unwrap(), value, "{name} content");
        assert_eq!(mode(&f), 0o600, "{name} mode");
        assert_eq!(std::fs::metadata(&f).unwrap().uid(), uid, "{name} owner");
    }
    let env = base.path.join("secrets.env");
    assert_eq!(mode(&env), 0o600);
    assert_eq!(std::fs::metadata(&env).unwrap().uid(), 0);
    let env_text = std::fs::read_to_string(&env).unwrap();
    assert!(env_text.contains("OLD_KEY=\"old-value-1234\"\n"));
    assert!(!env_text.contains("PEM_KEY"));
    // the env file is valid shell that yields the exact values (no command substitution ran)
    for (name, value) in [("CANARY_KEY", canary.as_str()), ("ASCII_KEY", printable.as_str())] {
        let sourced = std::process::Command::new("bash").args(["-c", &format!("set -a; . \"$1\"; printf %s \"${name}\""), "t"]).arg(&env).output().unwrap();
        assert_eq!(String::from_utf8(sourced.stdout).unwrap(), value, "{name} through secrets.env");
    }
    assert_eq!(std::fs::read_to_string(dir.join("ASCII_KEY")).unwrap(), printable);
    assert!(!Path::new("/tmp/pwned-openclaw").exists());

    // no process started by the script saw a value (or its base64) in argv
    let trace = std::fs::read_to_string(&vm.trace).unwrap();
    assert!(trace.contains("execve("), "strace recorded nothing");
    assert!(trace.contains("base64"), "the script decodes with base64: {trace}");
    for value in [canary.as_str(), "old-value-1234", "line two"] {
        assert!(!trace.contains(value), "value in an argv:\n{trace}");
        assert!(!trace.contains(&base64_encode(value.as_bytes())), "encoded value in an argv");
    }

    // second push: OLD_KEY deleted on the host → removed in the VM; no temp files left
    store.delete(&n("OLD_KEY")).unwrap();
    store.delete(&n("ASCII_KEY")).unwrap();
    let r = push_secrets_to(&vm, &store, &[n("CANARY_KEY"), n("PEM_KEY"), n("OLD_KEY")], AGENT, base.s()).await.unwrap();
    assert!(!r.mounted_tmpfs, "already on tmpfs");
    assert_eq!(r.unset, vec![n("OLD_KEY")]);
    assert_eq!(r.removed, vec!["ASCII_KEY", "OLD_KEY"]);
    let mut left: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, ["CANARY_KEY", "PEM_KEY"]);
    assert!(!std::fs::read_to_string(&env).unwrap().contains("OLD_KEY"));
}

#[tokio::test]
async fn truncated_payload_changes_nothing_and_planted_symlinks_are_replaced() {
    require_root();
    let base = Base::new();
    let trace_dir = tempfile::tempdir().unwrap();
    let vm = LocalVm { trace: trace_dir.path().join("execve.trace") };
    let store = MemoryStore::new();
    store.set(&n("A_KEY"), &"first-value".into()).unwrap();
    push_secrets_to(&vm, &store, &[n("A_KEY")], AGENT, base.s()).await.unwrap();

    // a payload cut off before `end` (e.g. the connection dropped) must change nothing
    let (full, _) = payload::build(&[(n("B_KEY"), "second-value".into())]);
    let cut = full[..full.len() - 4].to_vec();
    let out = vm.exec(&push_argv(AGENT, base.s()), Some(cut)).await.unwrap();
    assert_ne!(out.status, 0);
    assert!(out.stderr_str().contains("truncated"), "{}", out.stderr_str());
    assert!(!out.stderr_str().contains("second-value"));
    assert_eq!(std::fs::read_to_string(base.path.join("secrets/A_KEY")).unwrap(), "first-value");
    assert!(!base.path.join("secrets/B_KEY").exists());

    // a symlink planted where a secret goes (as the owning agent could) is replaced, not followed
    let victim = trace_dir.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    std::fs::remove_file(base.path.join("secrets/A_KEY")).unwrap();
    std::os::unix::fs::symlink(&victim, base.path.join("secrets/A_KEY")).unwrap();
    push_secrets_to(&vm, &store, &[n("A_KEY")], AGENT, base.s()).await.unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    let meta = std::fs::symlink_metadata(base.path.join("secrets/A_KEY")).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(std::fs::read_to_string(base.path.join("secrets/A_KEY")).unwrap(), "first-value");

    // an agent user that does not exist is a clear error, and nothing is written
    store.set(&n("C_KEY"), &"third-value".into()).unwrap();
    let err = push_secrets_to(&vm, &store, &[n("C_KEY")], "no_such_user_x", base.s()).await.unwrap_err();
    assert!(matches!(err, SecretsError::PushFailed { .. }));
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!base.path.join("secrets/C_KEY").exists());
}
