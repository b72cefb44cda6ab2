//! What an agent may do (the MCP server's whole surface), as one type.
//!
//! The MCP server holds an [`AgentApi`] and nothing else, so security invariant 3 is
//! structural: there is no method here to approve or apply a sync, change the firewall, read
//! secrets, widen mounts, destroy or reset. Agents may look, start, stop, run commands as the
//! unprivileged agent user, and *ask* the user for things.

use crate::events::EventBus;
use crate::lima::{LimaError, LimaVm, Limactl};
use crate::paths::Paths;
use crate::profile::{Profile, ProfileError};
use crate::sandbox::{DownOutcome, Sandbox, SandboxError, Status, UpReport};
use crate::vm::{Vm, VmError};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// The in-VM user agents run as (no sudo, no root-equivalent groups).
pub use crate::provision::layout::AGENT_USER;
/// Output kept per stream of `exec`.
pub const OUTPUT_CAP: usize = 64 * 1024;
/// Bounds of `exec`'s timeout.
pub const MAX_EXEC_SECS: u64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Lima(#[from] LimaError),
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error(transparent)]
    Vm(#[from] VmError),
    #[error("{0}")]
    BadRequest(String),
}

/// Result of `exec`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecResult {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Output beyond [`OUTPUT_CAP`] bytes per stream was cut.
    pub truncated: bool,
    /// The command was killed at its timeout.
    pub timed_out: bool,
}

/// One profile problem, for `validate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationProblem {
    pub field: String,
    pub line: Option<usize>,
    pub message: String,
}

/// Result of `validate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub valid: bool,
    pub profile_path: PathBuf,
    pub problems: Vec<ValidationProblem>,
    /// The whole message when the profile cannot be read at all.
    pub error: Option<String>,
}

/// How to reach the VM over ssh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SshInfo {
    pub instance: String,
    pub running: bool,
    pub ssh_port: Option<u16>,
    pub ssh_config: Option<PathBuf>,
    /// What a person types.
    pub command: String,
}

/// Where the gateway is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayInfo {
    pub url: String,
    pub port: u16,
    /// It answered `GET /health` with `"ok":true` just now: the check `sandbox status` makes
    /// (a TCP connection alone also succeeds while the gateway is still starting).
    pub reachable: bool,
    /// What it answered, or why not ("Connection refused (os error 111)", "timed out after 2 s").
    pub detail: String,
}

/// A review request as the agent may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingRequest {
    pub id: String,
    pub changes: usize,
    pub blocked: bool,
    pub message: Option<String>,
}

/// `sync_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub mode: crate::profile::Mode,
    /// Requests waiting for the user.
    pub pending: Vec<PendingRequest>,
    /// Entries in the overlay not yet synced (None when the VM is stopped or in yolo-unsafe).
    pub unsynced_entries: Option<u64>,
}

/// `sync_request`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncRequestResult {
    pub request: Option<String>,
    pub changes: usize,
    pub blocked: bool,
    pub note: String,
}

/// The agent-safe API.
#[derive(Debug, Clone)]
pub struct AgentApi {
    paths: Paths,
    profile_path: PathBuf,
    bus: EventBus,
}

/// Redact (known secret values and token shapes), then cap at [`OUTPUT_CAP`] bytes on a
/// character boundary. Redacting first means a secret cut by the cap cannot leak a prefix.
fn redact_and_cap(bytes: &[u8], redactor: &crate::secrets::Redactor) -> (String, bool) {
    let text = redactor.redact_bytes(bytes);
    if text.len() <= OUTPUT_CAP {
        return (text, false);
    }
    let mut end = OUTPUT_CAP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text[..end].to_string(), true)
}

impl AgentApi {
    pub fn new(paths: Paths, profile_path: PathBuf, bus: EventBus) -> Self {
        AgentApi { paths, profile_path, bus }
    }

    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// The facade over the current profile (re-read on every call: users edit it).
    fn sandbox(&self) -> Result<Sandbox, AgentError> {
        let profile = Profile::load(&self.profile_path)?;
        Ok(Sandbox::new(profile, self.paths.clone(), Limactl::locate()?, self.bus.clone()))
    }

    pub async fn status(&self) -> Result<Status, AgentError> {
        Ok(self.sandbox()?.status().await?)
    }

    pub async fn up(&self) -> Result<UpReport, AgentError> {
        Ok(self.sandbox()?.up().await?)
    }

    /// A graceful stop only: killing the VM is the user's call.
    pub async fn down(&self) -> Result<DownOutcome, AgentError> {
        Ok(self.sandbox()?.down(false).await?)
    }

    /// Run `command` with bash as the agent user in the VM, killed after `timeout_secs`. Its
    /// output is redacted: the agent can read its secrets in the VM, but they never travel back
    /// through this channel (and so never land in an MCP client's transcript).
    pub async fn exec(&self, command: &str, timeout_secs: u64) -> Result<ExecResult, AgentError> {
        if command.trim().is_empty() {
            return Err(AgentError::BadRequest("`command` is empty; give a shell command such as \"ls /workspace\"".into()));
        }
        if command.contains('\0') {
            return Err(AgentError::BadRequest("`command` contains a NUL byte".into()));
        }
        if !(1..=MAX_EXEC_SECS).contains(&timeout_secs) {
            return Err(AgentError::BadRequest(format!("`timeout_secs` is {timeout_secs}; use 1 to {MAX_EXEC_SECS}")));
        }
        let sb = self.sandbox()?;
        let vm = LimaVm::new(Limactl::locate()?, sb.profile().name.clone()).with_timeout(Duration::from_secs(timeout_secs + 20));
        match sb.status().await?.state {
            crate::events::VmState::Running => {}
            _ => return Err(VmError::NotRunning { instance: sb.profile().name.clone() }.into()),
        }
        let argv: Vec<String> = ["sudo", "-n", "-u", AGENT_USER, "-H", "--", "timeout", "-k", "5"]
            .iter()
            .map(|s| s.to_string())
            .chain([format!("{timeout_secs}s"), "bash".into(), "-c".into(), command.to_string()])
            .collect();
        let out = vm.exec(&argv, None).await?;
        let names = sb.profile().secrets.clone();
        let redactor = tokio::task::spawn_blocking(move || crate::secrets::Redactor::for_names(&names)).await.unwrap_or_default();
        let (stdout, t1) = redact_and_cap(&out.stdout, &redactor);
        let (stderr, t2) = redact_and_cap(&out.stderr, &redactor);
        Ok(ExecResult { exit_code: out.status, stdout, stderr, truncated: t1 || t2, timed_out: out.status == 124 || out.status == 137 })
    }

    /// Check the profile without touching the VM.
    pub fn validate(&self) -> Validation {
        match Profile::load(&self.profile_path) {
            Ok(_) => Validation { valid: true, profile_path: self.profile_path.clone(), problems: vec![], error: None },
            Err(e) => Validation {
                valid: false,
                profile_path: self.profile_path.clone(),
                problems: e.problems().iter().map(|p| ValidationProblem { field: p.field.clone(), line: p.line, message: p.message.clone() }).collect(),
                error: Some(e.to_string()),
            },
        }
    }

    pub async fn ssh_info(&self) -> Result<SshInfo, AgentError> {
        let sb = self.sandbox()?;
        let name = sb.profile().name.clone();
        let inst = Limactl::locate()?.instance(&name).await?;
        Ok(SshInfo {
            running: matches!(inst.as_ref().map(|i| &i.status), Some(crate::lima::InstanceStatus::Running)),
            ssh_port: inst.as_ref().and_then(|i| i.ssh_local_port),
            ssh_config: inst.as_ref().and_then(|i| i.dir.as_ref()).map(|d| PathBuf::from(d).join("ssh.config")),
            command: "sandbox ssh".into(),
            instance: name,
        })
    }

    /// What waits for the user's review, and what the agent has not synced yet (read-only).
    pub async fn sync_status(&self) -> Result<SyncStatus, AgentError> {
        let sb = self.sandbox()?;
        let pending =
            sb.pending_requests()?.into_iter().map(|r| PendingRequest { id: r.id, changes: r.changes.len(), blocked: r.blocked, message: r.message }).collect();
        let overlay = sb.overlay_status().await?;
        Ok(SyncStatus { pending, unsynced_entries: overlay.as_ref().map(|o| o.upper_entries), mode: sb.profile().mode })
    }

    /// Ask the user to review the agent's changes: collects them into a review request with
    /// `message` (shown to the user, who alone approves). Never applies anything.
    pub async fn sync_request(&self, message: &str) -> Result<SyncRequestResult, AgentError> {
        let message: String = message.chars().filter(|c| *c == '\n' || !c.is_control()).take(2000).collect();
        if message.trim().is_empty() {
            return Err(AgentError::BadRequest("`message` is empty; say what you changed and why".into()));
        }
        let sb = self.sandbox()?;
        match sb.sync_collect_with(Some(message)).await? {
            crate::sandbox::Collected::Nothing => {
                Ok(SyncRequestResult { request: None, changes: 0, blocked: false, note: "nothing to review: the workspace matches the host project".into() })
            }
            crate::sandbox::Collected::Request(r) => Ok(SyncRequestResult {
                changes: r.changes.len(),
                blocked: r.blocked,
                note: if r.blocked {
                    "the user was asked; some changes are blocked by policy or secrets and cannot be applied as they are".into()
                } else {
                    "the user was asked to review these changes".into()
                },
                request: Some(r.id),
            }),
        }
    }

    /// Recent firewall denials (read-only): connections blocked and names refused since `since`
    /// (journalctl's syntax, e.g. `-1h`), de-duplicated with counts.
    pub async fn firewall_log(&self, since: &str) -> Result<Vec<crate::events::BlockedConnection>, AgentError> {
        if since.is_empty() || since.len() > 64 || since.chars().any(|c| c.is_control()) {
            return Err(AgentError::BadRequest("`since` must be a short journalctl time such as \"-1h\" or \"today\"".into()));
        }
        let vm = self.sandbox()?.require_vm().await?;
        Ok(crate::firewall::follow::recent(&vm, since).await?)
    }

    pub async fn gateway_info(&self) -> Result<GatewayInfo, AgentError> {
        let profile = Profile::load(&self.profile_path)?;
        let port = profile.gateway_port;
        let h = crate::agent_runtime::health::check_within(port, Duration::from_secs(2)).await;
        Ok(GatewayInfo { url: h.url, port, reachable: h.healthy, detail: h.detail })
    }
}
