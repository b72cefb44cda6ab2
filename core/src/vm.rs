//! The `Vm` trait: what the rest of core needs from "a Linux VM we can run things in".
//!
//! `lima::LimaVm` implements it over `limactl`; unit tests implement it with recording fakes.
//! Secret values and tar streams travel over `stdin`, never in `argv`.

use async_trait::async_trait;
use std::path::Path;

/// Result of running one command in the VM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// The remote command's exit code (-1 if it was killed by a signal).
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.status == 0
    }
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// A line-readable stream of a command's stdout; dropping it kills the command.
pub type OutputStream = Box<dyn tokio::io::AsyncBufRead + Send + Unpin>;

/// A command kept running in the VM: write to its stdin, read its stdout (lines); dropping it
/// ends the command (its stdin closes, the local process group is killed).
pub struct Session {
    pub stdin: Box<dyn tokio::io::AsyncWrite + Send + Unpin>,
    pub stdout: OutputStream,
}

/// Failure to run something in the VM at all (not a non-zero remote exit code).
#[derive(Debug, thiserror::Error)]
pub enum VmError {
    #[error("the sandbox VM `{instance}` is not running; start it with `sandbox up`")]
    NotRunning { instance: String },
    #[error("`{what}` in the sandbox VM timed out after {secs} s; check `sandbox status`, then retry")]
    Timeout { what: String, secs: u64 },
    #[error("this VM cannot {what}")]
    Unsupported { what: String },
    /// The driver underneath (Lima) failed; its error says what to do. (A leaf: the driver
    /// converts its own error into this, `vm` knows no driver.)
    #[error(transparent)]
    Driver(Box<dyn std::error::Error + Send + Sync>),
}

/// A running Linux VM that core can execute commands in.
#[async_trait]
pub trait Vm: Send + Sync {
    /// The instance name.
    fn name(&self) -> &str;

    /// Run `argv` in the VM as the VM's admin user, feeding `stdin` if given, collecting
    /// stdout/stderr. A non-zero remote exit code is `Ok` with that status.
    async fn exec(&self, argv: &[String], stdin: Option<Vec<u8>>) -> Result<ExecOutput, VmError>;

    /// Run `argv` and stream its stdout (e.g. `journalctl -f`) until it exits or the stream is
    /// dropped, which kills it. stderr is discarded.
    async fn exec_stream(&self, argv: &[String]) -> Result<OutputStream, VmError> {
        let _ = argv;
        Err(VmError::Unsupported { what: "stream command output".into() })
    }

    /// Run `argv` with its stdout written to the host file `stdout_to` (large outputs such as
    /// the overlay's tar never sit in memory); the result's `stdout` is empty.
    /// Start `argv` and keep it running with its stdin and stdout open (e.g. a receiver that
    /// takes one framed request after another, so each costs no process start in the VM).
    async fn exec_session(&self, argv: &[String]) -> Result<Session, VmError> {
        let _ = argv;
        Err(VmError::Unsupported { what: "keep a command running with its stdin open".into() })
    }

    async fn exec_to_file(&self, argv: &[String], stdout_to: &Path) -> Result<ExecOutput, VmError> {
        let mut out = self.exec(argv, None).await?;
        std::fs::write(stdout_to, &out.stdout).map_err(|e| VmError::Unsupported { what: format!("write {}: {e}", stdout_to.display()) })?;
        out.stdout.clear();
        Ok(out)
    }

    /// Copy a host file into the VM.
    async fn copy_in(&self, host: &Path, guest: &str) -> Result<(), VmError>;

    /// Copy a VM file to the host.
    async fn copy_out(&self, guest: &str, host: &Path) -> Result<(), VmError>;
}

/// Test double shared by core's unit tests: records every `exec` (argv, stdin) and answers each
/// with one canned reply; copying is never expected.
#[cfg(test)]
pub(crate) mod testing {
    use super::{ExecOutput, Vm, VmError};
    use async_trait::async_trait;
    use std::path::Path;
    use std::sync::Mutex;

    /// One recorded `exec`: argv and stdin.
    pub type Call = (Vec<String>, Option<Vec<u8>>);

    pub struct RecordingVm {
        pub calls: Mutex<Vec<Call>>,
        pub reply: ExecOutput,
    }

    impl RecordingVm {
        pub fn replying(stdout: &str, status: i32, stderr: &str) -> Self {
            RecordingVm { calls: Mutex::new(Vec::new()), reply: ExecOutput { status, stdout: stdout.into(), stderr: stderr.into() } }
        }
    }

    #[async_trait]
    impl Vm for RecordingVm {
        fn name(&self) -> &str {
            "fake"
        }
        async fn exec(&self, argv: &[String], stdin: Option<Vec<u8>>) -> Result<ExecOutput, VmError> {
            self.calls.lock().unwrap().push((argv.to_vec(), stdin));
            Ok(self.reply.clone())
        }
        async fn copy_in(&self, _: &Path, _: &str) -> Result<(), VmError> {
            unreachable!("this test copies nothing into the VM")
        }
        async fn copy_out(&self, _: &str, _: &Path) -> Result<(), VmError> {
            unreachable!("this test copies nothing out of the VM")
        }
    }
}
