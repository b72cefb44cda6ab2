//! The `limactl` driver: async process handling for create/start/stop/delete/list/shell/copy.
//!
//! The program is `$SANDBOX_LIMACTL` when set, else `limactl` on PATH (plus Homebrew's
//! folders, which apps started from the Finder do not have on PATH). Every call is bounded by
//! a timeout; secrets and tar streams go over stdin, never argv.

use super::group::GroupChild;
use super::progress::{parse_line, StartStep};
use super::{parse_list, Instance, InstanceStatus, LimaError};
use crate::vm::ExecOutput;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

/// Oldest Lima we support (JSON Lines `list`, `--tty=false`, v1 mount defaults).
pub const MINIMUM_VERSION: Version = Version { major: 1, minor: 0, patch: 0 };
/// First Lima whose `start` takes `--progress` (relays `[cloud-init] …` lines): the flag is in
/// lima@v2.0.0:cmd/limactl/start.go and absent up to v1.2.3.
pub const PROGRESS_VERSION: Version = Version { major: 2, minor: 0, patch: 0 };

const QUICK: Duration = Duration::from_secs(60);
const START: Duration = Duration::from_secs(20 * 60);
/// Lima's own graceful stop waits up to 3m10s, then 3 more minutes.
const STOP: Duration = Duration::from_secs(7 * 60);

/// A Lima version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl Version {
    /// From `limactl version 2.2.0`, `limactl version 2.2.0-153-g183a60d7.m`, `v1.0.3`.
    pub fn parse_output(out: &str) -> Option<Version> {
        let token = out.split_whitespace().last()?;
        let token = token.trim_start_matches('v');
        let core = token.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().unwrap_or("0").parse().ok()?;
        let patch = parts.next().unwrap_or("0").parse().ok()?;
        Some(Version { major, minor, patch })
    }
}

/// A located `limactl`, run with the sandbox's private `LIMA_HOME`.
#[derive(Debug, Clone)]
pub struct Limactl {
    program: PathBuf,
    lima_home: PathBuf,
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// The exit code, or 128 + the signal that ended the process (as shells report it).
fn exit_code(status: std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig;
        }
    }
    status.code().unwrap_or(-1)
}

/// `argv` bounded in the VM too: `timeout` (coreutils) stops the remote command after `limit`
/// (SIGTERM, then SIGKILL 5 s later), in case killing the local ssh does not reach it.
fn remote_bounded(argv: &[String], limit: Duration) -> Vec<String> {
    let mut out = vec!["timeout".to_string(), "--kill-after=5".to_string(), limit.as_secs().max(1).to_string()];
    out.extend(argv.iter().cloned());
    out
}

/// `argv` made to die with its ssh session. Without a terminal, sshd leaves the remote command
/// running when the client goes away (no pty, no SIGHUP; Lima keeps its ssh ControlMaster, so the
/// connection itself stays), and limactl forwards no signal to its ssh: a Ctrl-C would stop only
/// the host side. What the remote side does see is sshd closing the session's pipes. The guard
/// runs `argv` in its own session and, once nobody reads its stdout any more (POLLERR), stops
/// that session (TERM, then KILL). Exit code, stdin and output are `argv`'s. Needs python3 in the
/// guest (Debian's images have it for cloud-init); without it `argv` runs unguarded.
fn remote_hangup_guard(argv: &[String]) -> Vec<String> {
    const GUARD: &str = r#"import os, select, signal, subprocess, sys, time
try:
    child = subprocess.Popen(sys.argv[1:], start_new_session=True)
except OSError as e:
    sys.stderr.write("%s: %s\n" % (sys.argv[1], e.strerror))
    sys.exit(127)
watch = select.poll()
watch.register(1, 0)
while True:
    try:
        code = child.wait(timeout=1)
        sys.exit(code if code >= 0 else 128 - code)
    except subprocess.TimeoutExpired:
        pass
    if watch.poll(0):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(child.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(2)
        sys.exit(129)
"#;
    let mut out = vec![
        "sh".to_string(),
        "-c".to_string(),
        "if command -v python3 >/dev/null 2>&1; then exec python3 -c \"$0\" \"$@\"; else exec \"$@\"; fi".to_string(),
        GUARD.to_string(),
    ];
    out.extend(argv.iter().cloned());
    out
}

/// The message of the most relevant stderr line (last fatal/error, else the last line).
fn stderr_message(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let pick = lines.iter().rev().find(|l| l.contains("level=fatal") || l.contains("level=error") || l.contains("\"level\":\"fatal\"")).or(lines.last());
    match pick {
        None => "no error message".into(),
        Some(l) => match parse_line(l) {
            Some(StartStep::Fatal { message }) => message,
            _ => super::progress::message_of(l).trim().to_string(),
        },
    }
}

impl Limactl {
    /// Use this program (no checks), with the private Lima home ([`crate::paths::lima_home`]).
    pub fn at(program: impl Into<PathBuf>) -> Self {
        Limactl { program: program.into(), lima_home: crate::paths::lima_home() }
    }

    /// The same limactl with another Lima home.
    pub fn with_lima_home(mut self, lima_home: impl Into<PathBuf>) -> Self {
        self.lima_home = lima_home.into();
        self
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The `LIMA_HOME` every call gets.
    pub fn lima_home(&self) -> &Path {
        &self.lima_home
    }

    /// An instance called `name` in the user's own Lima home (`$LIMA_HOME` or `~/.lima`) — one
    /// an older OpenClaw Sandbox created there — when that home is not the sandbox's.
    pub fn instance_in_user_lima_home(&self, name: &str) -> Option<PathBuf> {
        let user = crate::paths::user_lima_home()?;
        if user == self.lima_home {
            return None;
        }
        let dir = user.join(name);
        dir.join("lima.yaml").is_file().then_some(dir)
    }

    /// Lima creates its home lazily; we make it first, private (0700): before the first call,
    /// and before watching it.
    pub(crate) fn ensure_lima_home(&self) {
        if !self.lima_home.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            let _ = b.create(&self.lima_home);
        }
    }

    /// A limactl command with the private `LIMA_HOME` (whatever the caller's environment says).
    pub(crate) fn base_command(&self) -> Command {
        self.ensure_lima_home();
        let mut c = Command::new(&self.program);
        c.env("LIMA_HOME", &self.lima_home);
        c
    }

    /// Find limactl: `$SANDBOX_LIMACTL`, else PATH, else Homebrew's folders.
    pub fn locate() -> Result<Self, LimaError> {
        if let Some(p) = std::env::var_os("SANDBOX_LIMACTL").filter(|p| !p.is_empty()) {
            let p = PathBuf::from(p);
            return if is_executable(&p) {
                Ok(Limactl::at(p))
            } else {
                Err(LimaError::NotFound { detail: format!("SANDBOX_LIMACTL is {}, which is not an executable file", p.display()) })
            };
        }
        let mut dirs: Vec<PathBuf> = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
        dirs.extend([PathBuf::from("/opt/homebrew/bin"), PathBuf::from("/usr/local/bin")]);
        for d in dirs {
            let candidate = d.join("limactl");
            if is_executable(&candidate) {
                return Ok(Limactl::at(candidate));
            }
        }
        Err(LimaError::NotFound { detail: "it is not on PATH".into() })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = self.base_command();
        c.args(args).kill_on_drop(true).stdin(Stdio::null());
        c
    }

    /// Run limactl with `args`, optional stdin, bounded by `limit`; non-zero exit is `Ok`.
    /// On the limit, limactl's whole process group is stopped (see [`GroupChild`]).
    async fn run(&self, verb: &str, args: &[&str], stdin: Option<Vec<u8>>, limit: Duration) -> Result<ExecOutput, LimaError> {
        let mut cmd = self.command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = GroupChild::spawn(&mut cmd).map_err(|e| self.spawn_error(e))?;
        let writer = match (stdin, child.child_mut().stdin.take()) {
            (Some(data), Some(mut pipe)) => Some(tokio::spawn(async move {
                // A remote command that exits early closes the pipe: not an error of ours.
                let _ = pipe.write_all(&data).await;
                let _ = pipe.shutdown().await;
            })),
            _ => None,
        };
        let mut out_pipe = child.child_mut().stdout.take().expect("stdout is piped");
        let mut err_pipe = child.child_mut().stderr.take().expect("stderr is piped");
        let collected = tokio::time::timeout(limit, async {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let (a, b, status) = tokio::join!(out_pipe.read_to_end(&mut out), err_pipe.read_to_end(&mut err), child.wait());
            a.and(b).and(status).map(|status| (status, out, err))
        })
        .await;
        let (status, stdout, stderr) = match collected {
            Ok(r) => r.map_err(|e| self.spawn_error(e))?,
            Err(_) => {
                child.kill_group().await;
                return Err(LimaError::Timeout { verb: verb.into(), secs: limit.as_secs() });
            }
        };
        if let Some(w) = writer {
            let _ = w.await;
        }
        Ok(ExecOutput { status: exit_code(status), stdout, stderr })
    }

    fn spawn_error(&self, e: std::io::Error) -> LimaError {
        if e.kind() == std::io::ErrorKind::NotFound {
            LimaError::NotFound { detail: format!("{} does not exist", self.program.display()) }
        } else {
            LimaError::Spawn { program: self.program.clone(), source: e }
        }
    }

    fn failed(verb: &str, out: &ExecOutput, hint: &str) -> LimaError {
        LimaError::Failed { verb: verb.into(), code: out.status, message: stderr_message(&out.stderr_str()), hint: hint.into() }
    }

    /// `limactl --version`.
    pub async fn version(&self) -> Result<Version, LimaError> {
        let out = self.run("--version", &["--version"], None, QUICK).await?;
        let text = out.stdout_str();
        if !out.success() {
            return Err(Self::failed("--version", &out, ""));
        }
        Version::parse_output(&text).ok_or(LimaError::BadVersion { output: text.trim().to_string() })
    }

    /// The version, refusing ones older than [`MINIMUM_VERSION`].
    pub async fn checked_version(&self) -> Result<Version, LimaError> {
        let v = self.version().await?;
        if v < MINIMUM_VERSION {
            return Err(LimaError::TooOld { found: v.to_string(), need: MINIMUM_VERSION.to_string() });
        }
        Ok(v)
    }

    /// `limactl list --json` (all instances).
    pub async fn list(&self) -> Result<Vec<Instance>, LimaError> {
        let out = self.run("list", &["list", "--json"], None, QUICK).await?;
        if !out.success() {
            return Err(Self::failed("list", &out, ""));
        }
        parse_list(&out.stdout_str())
    }

    /// One instance, or `None` when it does not exist.
    pub async fn instance(&self, name: &str) -> Result<Option<Instance>, LimaError> {
        Ok(self.list().await?.into_iter().find(|i| i.name == name))
    }

    /// `limactl start --tty=false` — creates the instance from `config` when it does not exist
    /// yet. Each recognised stderr milestone is passed to `on_step` as it arrives. `version` is
    /// the limactl's: from [`PROGRESS_VERSION`] on, `--progress` makes Lima relay cloud-init's
    /// log as `[cloud-init] …` lines (lima:pkg/instance/start.go `watchHostAgentEvents`).
    pub async fn start(&self, name: &str, config: Option<&Path>, version: Version, mut on_step: impl FnMut(&StartStep) + Send) -> Result<(), LimaError> {
        let mut args = vec!["--tty=false".to_string(), "start".to_string()];
        if version >= PROGRESS_VERSION {
            args.push("--progress".into());
        }
        match config {
            Some(path) => {
                args.push("--name".into());
                args.push(name.into());
                args.push(path.to_string_lossy().into_owned());
            }
            None => args.push(name.into()),
        }
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = self.command(&arg_refs);
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        // Stopping this group on a timeout leaves the VM alone: Lima starts the hostagent (and
        // with it the VM) in a process group of its own (lima:pkg/instance/start.go,
        // `executil.BackgroundSysProcAttr` = Setpgid; the same in v1.0.0).
        let mut child = GroupChild::spawn(&mut cmd).map_err(|e| self.spawn_error(e))?;
        let stderr = child.child_mut().stderr.take().expect("stderr is piped");
        let mut lines = BufReader::new(stderr).lines();
        let mut tail: Vec<String> = Vec::new();
        let mut degraded: Option<String> = None;
        let mut timed_out = false;
        let read_all = async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(step) = parse_line(&line) {
                    match &step {
                        StartStep::Degraded { hint } => degraded = Some(hint.clone()),
                        StartStep::TimedOut => timed_out = true,
                        _ => {}
                    }
                    on_step(&step);
                }
                tail.push(line);
                if tail.len() > 40 {
                    tail.remove(0);
                }
            }
            child.wait().await
        };
        let status = match tokio::time::timeout(START, read_all).await {
            Ok(s) => s.map_err(|e| LimaError::Spawn { program: self.program.clone(), source: e })?,
            Err(_) => {
                child.kill_group().await;
                return Err(LimaError::Timeout { verb: "start".into(), secs: START.as_secs() });
            }
        };
        if status.success() {
            return Ok(());
        }
        if let Some(hint) = degraded {
            return Err(LimaError::Degraded { instance: name.into(), hint });
        }
        let out = ExecOutput { status: exit_code(status), stdout: vec![], stderr: tail.join("\n").into_bytes() };
        let hint = if timed_out { ". The VM did not come up in time; see the instance's serial log (`limactl list` shows its folder)" } else { "" };
        Err(Self::failed("start", &out, hint))
    }

    /// `limactl stop` (graceful) or `stop -f` (kills; the recovery for Broken).
    pub async fn stop(&self, name: &str, force: bool) -> Result<(), LimaError> {
        let mut args = vec!["--tty=false", "stop"];
        if force {
            args.push("-f");
        }
        args.push(name);
        let out = self.run("stop", &args, None, STOP).await?;
        if out.success() {
            Ok(())
        } else {
            Err(Self::failed("stop", &out, if force { "" } else { ". If the VM is stuck, use `sandbox down --force`" }))
        }
    }

    /// `limactl edit --tty=false NAME --set EXPR` on a stopped instance: rewrites its lima.yaml
    /// (lima:cmd/limactl/edit.go; it refuses a running instance and, without `--start`,
    /// starts nothing).
    pub async fn edit(&self, name: &str, expression: &str) -> Result<(), LimaError> {
        let out = self.run("edit", &["edit", "--tty=false", name, "--set", expression], None, QUICK).await?;
        if out.success() {
            Ok(())
        } else {
            Err(Self::failed("edit", &out, ". The VM keeps its old settings; fix the profile or recreate the VM (`sandbox destroy`, then `sandbox up`)"))
        }
    }

    /// `limactl delete [-f]`.
    pub async fn delete(&self, name: &str, force: bool) -> Result<(), LimaError> {
        let mut args = vec!["--tty=false", "delete"];
        if force {
            args.push("-f");
        }
        args.push(name);
        let out = self.run("delete", &args, None, STOP).await?;
        if out.success() {
            Ok(())
        } else {
            Err(Self::failed("delete", &out, ""))
        }
    }

    /// `limactl shell NAME -- ARGV…` with `stdin` fed and output collected; the remote exit
    /// code is in the result. `limit` bounds the whole call, here and in the VM.
    pub async fn shell(&self, name: &str, argv: &[String], stdin: Option<Vec<u8>>, limit: Duration) -> Result<ExecOutput, LimaError> {
        let remote = remote_bounded(argv, limit);
        let mut args: Vec<&str> = vec!["shell", "--workdir", "/", name, "--"];
        args.extend(remote.iter().map(String::as_str));
        self.run("shell", &args, stdin, limit).await
    }

    /// `limactl shell NAME -- ARGV…` with stdout written to `file`; stderr collected; bounded
    /// by `limit` here and in the VM.
    pub async fn shell_to_file(&self, name: &str, argv: &[String], file: std::fs::File, limit: Duration) -> Result<ExecOutput, LimaError> {
        let remote = remote_bounded(argv, limit);
        let mut args: Vec<&str> = vec!["shell", "--workdir", "/", name, "--"];
        args.extend(remote.iter().map(String::as_str));
        let mut cmd = self.command(&args);
        cmd.stdout(Stdio::from(file)).stderr(Stdio::piped());
        let mut child = GroupChild::spawn(&mut cmd).map_err(|e| self.spawn_error(e))?;
        let mut err_pipe = child.child_mut().stderr.take().expect("stderr is piped");
        let collected = tokio::time::timeout(limit, async {
            let mut err = Vec::new();
            let (a, status) = tokio::join!(err_pipe.read_to_end(&mut err), child.wait());
            a.and(status).map(|status| (status, err))
        })
        .await;
        match collected {
            Ok(r) => {
                let (status, stderr) = r.map_err(|e| self.spawn_error(e))?;
                Ok(ExecOutput { status: exit_code(status), stdout: Vec::new(), stderr })
            }
            Err(_) => {
                child.kill_group().await;
                Err(LimaError::Timeout { verb: "shell".into(), secs: limit.as_secs() })
            }
        }
    }

    /// `limactl shell NAME -- ARGV…` with stdout streamed; limactl's process group (ssh and
    /// all) dies with the stream.
    pub fn shell_stream(&self, name: &str, argv: &[String]) -> Result<ChildStdoutStream, LimaError> {
        let mut args: Vec<&str> = vec!["shell", "--workdir", "/", name, "--"];
        args.extend(argv.iter().map(String::as_str));
        let mut cmd = self.command(&args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = GroupChild::spawn(&mut cmd).map_err(|e| self.spawn_error(e))?;
        let stdout = child.child_mut().stdout.take().expect("stdout is piped");
        Ok(ChildStdoutStream { reader: BufReader::new(stdout), _child: child })
    }

    /// `limactl shell NAME -- ARGV…` kept running: its stdin to write to and its stdout to read
    /// (stderr discarded). Dropping both ends the command: its stdin closes in the VM, and the
    /// local process group (limactl, ssh) is killed with the stdout half.
    pub fn shell_session(&self, name: &str, argv: &[String]) -> Result<(tokio::process::ChildStdin, ChildStdoutStream), LimaError> {
        let mut args: Vec<&str> = vec!["shell", "--workdir", "/", name, "--"];
        args.extend(argv.iter().map(String::as_str));
        let mut cmd = self.command(&args);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = GroupChild::spawn(&mut cmd).map_err(|e| self.spawn_error(e))?;
        let stdin = child.child_mut().stdin.take().expect("stdin is piped");
        let stdout = child.child_mut().stdout.take().expect("stdout is piped");
        Ok((stdin, ChildStdoutStream { reader: BufReader::new(stdout), _child: child }))
    }

    /// An interactive `limactl shell --workdir WORKDIR` (or one command) on the caller's
    /// terminal; returns the exit code. Lima otherwise `cd`s to the host's cwd when it lies
    /// under any mount's location (lima:cmd/limactl/shell.go), which the guest does not have.
    ///
    /// With a terminal on stdin limactl stays in our process group, the terminal's foreground
    /// group, so ssh may read the terminal; Ctrl-C then reaches limactl and ssh from the
    /// terminal itself, and we wait for them. Without one, limactl leads its own group and
    /// Ctrl-C or SIGTERM to us stops that whole group (exit 130 / 143).
    pub async fn shell_interactive(&self, name: &str, workdir: &str, argv: &[String]) -> Result<i32, LimaError> {
        use std::io::IsTerminal;
        let on_terminal = std::io::stdin().is_terminal();
        let mut cmd = self.base_command();
        cmd.arg("shell").arg("--workdir").arg(workdir).arg(name);
        if !argv.is_empty() {
            // On a terminal ssh gets a pty, whose hang-up ends the remote command; else guard it.
            let remote = if on_terminal { argv.to_vec() } else { remote_hangup_guard(argv) };
            cmd.arg("--").args(remote);
        }
        // Registered before limactl starts, so no signal falls between spawn and wait.
        #[cfg(unix)]
        let mut signals = {
            use tokio::signal::unix::{signal, SignalKind};
            (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
        };
        let interrupted = async {
            #[cfg(unix)]
            {
                let int = async {
                    match signals.0.as_mut() {
                        Some(s) => s.recv().await,
                        None => std::future::pending().await,
                    }
                };
                let term = async {
                    match signals.1.as_mut() {
                        Some(s) => s.recv().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = int => 130,
                    _ = term => 143,
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
                130
            }
        };
        if on_terminal {
            let mut child = cmd.kill_on_drop(true).spawn().map_err(|e| self.spawn_error(e))?;
            tokio::select! {
                status = child.wait() => return Ok(exit_code(status.map_err(|e| self.spawn_error(e))?)),
                // The terminal signalled the whole foreground group: wait for limactl (our
                // handlers stay installed, so a second Ctrl-C does not orphan it either).
                _ = interrupted => {}
            }
            let status = child.wait().await.map_err(|e| self.spawn_error(e))?;
            return Ok(exit_code(status));
        }
        let mut child = GroupChild::spawn(&mut cmd).map_err(|e| self.spawn_error(e))?;
        tokio::select! {
            status = child.wait() => Ok(exit_code(status.map_err(|e| self.spawn_error(e))?)),
            code = interrupted => {
                child.kill_group().await;
                Ok(code)
            }
        }
    }

    /// `limactl copy SRC DST` (one side is `NAME:PATH`).
    pub async fn copy(&self, src: &str, dst: &str) -> Result<(), LimaError> {
        let out = self.run("copy", &["copy", src, dst], None, START).await?;
        if out.success() {
            Ok(())
        } else {
            Err(Self::failed("copy", &out, ""))
        }
    }
}

/// A child's stdout as an `AsyncBufRead`; dropping it kills the child's process group.
pub struct ChildStdoutStream {
    reader: BufReader<tokio::process::ChildStdout>,
    _child: GroupChild,
}

impl tokio::io::AsyncRead for ChildStdoutStream {
    fn poll_read(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>, buf: &mut tokio::io::ReadBuf<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().reader).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncBufRead for ChildStdoutStream {
    fn poll_fill_buf(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<&[u8]>> {
        std::pin::Pin::new(&mut self.get_mut().reader).poll_fill_buf(cx)
    }
    fn consume(self: std::pin::Pin<&mut Self>, amt: usize) {
        std::pin::Pin::new(&mut self.get_mut().reader).consume(amt)
    }
}

/// What core does with each status when it needs a running VM.
pub(crate) fn require_running(instance: &Instance) -> Result<(), LimaError> {
    match &instance.status {
        InstanceStatus::Running => Ok(()),
        InstanceStatus::Broken => Err(LimaError::Broken { instance: instance.name.clone(), detail: "host agent or driver died".into() }),
        other => Err(LimaError::WrongState { instance: instance.name.clone(), status: other.label(), what: "start it with `sandbox up`".into() }),
    }
}

#[cfg(all(test, target_os = "linux"))]
mod guard_tests {
    use super::remote_hangup_guard;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    fn guard(args: &[&str]) -> Vec<String> {
        remote_hangup_guard(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    /// What the remote side sees when a client without a terminal goes away: sshd closes the
    /// session's pipes. The guard must then stop the command (here: the reader of its stdout
    /// goes away after a second).
    #[test]
    fn issue13_the_guard_stops_the_command_once_its_session_is_gone() {
        let marker = format!("sleep {}", 4000 + std::process::id() % 1000);
        let argv = guard(&["sh", "-c", &marker]);
        let mut child = Command::new(&argv[0]).args(&argv[1..]).stdout(Stdio::piped()).spawn().unwrap();
        let alive = || Command::new("pgrep").args(["-f", &marker]).output().unwrap().status.success();
        let t = Instant::now();
        while !alive() {
            assert!(t.elapsed() < Duration::from_secs(15), "`{marker}` never started");
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(child.stdout.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(129));
        let t = Instant::now();
        while alive() {
            if t.elapsed() > Duration::from_secs(15) {
                let _ = Command::new("pkill").args(["-f", &marker]).status();
                panic!("`{marker}` outlived its session");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    #[test]
    fn the_guard_keeps_stdin_stdout_and_the_exit_code() {
        let argv = guard(&["sh", "-c", "cat; exit 7"]);
        let mut child = Command::new(&argv[0]).args(&argv[1..]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"through\n").unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "through\n");
        assert_eq!(out.status.code(), Some(7));
    }
}
