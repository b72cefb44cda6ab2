//! The use-case layer (issue 15): what a user can do, the same for every front end (the CLI,
//! the app, the MCP server through `agent::AgentApi`). One constructor, [`Sandbox::new`]; a
//! file per area: [`lifecycle`] (up, down, destroy, status), [`sync`] (the review queue),
//! [`secrets`], `firewall` (the allowlist), `pairing`, `release` (the opt-in OpenClaw release
//! check), `watch` (the one follower). Each use case audits itself and
//! publishes [`Event`]s as it goes; front ends only render.

use crate::audit::{AuditError, AuditLog};
use crate::events::{Event, EventBus, Progress, VmState};
/// Lima's status as ours (kept here for front ends that import it from the use-case layer).
pub use crate::lima::vm_state;
use crate::lima::{self, HostOs, InstanceStatus, LimaError, LimaVm, Limactl};
use crate::paths::Paths;
use crate::profile::{MountRole, Profile};
use crate::vm::{Vm, VmError};
use std::path::PathBuf;

mod firewall;
mod lifecycle;
mod pairing;
mod release;
pub mod secrets;
pub mod sync;
mod vault;
mod watch;
pub use lifecycle::{user_lima_home_note, DownOutcome, Forward, MountStatus, Status, UpReport};
pub use sync::{Collected, SyncDesk};

/// Errors of facade operations.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(transparent)]
    Lima(#[from] LimaError),
    #[error(transparent)]
    Vm(#[from] VmError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
    #[error(transparent)]
    Firewall(#[from] crate::firewall::install::InstallError),
    #[error(transparent)]
    Ctl(#[from] crate::provision::overlay_ctl::CtlError),
    #[error("this profile is in yolo-unsafe mode: the agent writes straight into your folders, so there is no overlay to sync or reset")]
    NoOverlay,
    #[error(transparent)]
    Pairing(#[from] crate::agent_runtime::pairing::PairingError),
    #[error(transparent)]
    Vault(crate::vault::VaultError),

    #[error("nothing to undo: no request has been applied")]
    NothingToUndo,

    #[error("this profile has no Obsidian vault to sync: set `mounts.vault` (and leave `features.vault` on), then run `sandbox up`")]
    NoVault,
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot follow changes to the profile and the review queue ({detail}); raise the open-file/inotify limits or restart the app")]
    Watch { detail: String },
    #[error("provisioning the VM failed (exit {code}): {message}. Run `sandbox up` again; if it keeps failing, `sandbox ssh` in and check /var/log")]
    Provision { code: i32, message: String },
    #[error("{what} failed in the VM (exit {code}): {message}")]
    Remote { what: String, code: i32, message: String },
}

/// Provisioning's failures as the use cases report them.
impl From<crate::provision::ProvisionError> for SandboxError {
    fn from(e: crate::provision::ProvisionError) -> Self {
        match e {
            crate::provision::ProvisionError::Vm(v) => SandboxError::Vm(v),
            crate::provision::ProvisionError::Failed { code, message } => SandboxError::Provision { code, message },
            crate::provision::ProvisionError::Render { detail } => SandboxError::Provision { code: -1, message: detail },
        }
    }
}

/// One sandbox: a profile, where state lives, the limactl to drive, the event bus.
pub struct Sandbox {
    profile: Profile,
    paths: Paths,
    limactl: Limactl,
    bus: EventBus,
    host: HostOs,
}

impl Sandbox {
    /// The sandbox of `profile`. This process's redactor learns the stored values of the
    /// profile's secrets before anything reads the VM ([`Self::running_vm`], [`Self::require_vm`],
    /// `up`): a VM pushed to by another process prints nothing they could read. Opening a
    /// sandbox reads no keychain item by itself.
    pub fn new(profile: Profile, paths: Paths, limactl: Limactl, bus: EventBus) -> Self {
        Sandbox { profile, paths, limactl, bus, host: HostOs::current() }
    }

    /// Teach this process's redactor the stored values of the profile's secrets (once per name;
    /// the OS store is read off the async threads).
    pub(crate) async fn learn_secret_values(&self) {
        let names = self.profile.secrets.clone();
        if crate::redact::door().has_loaded(&names) {
            return;
        }
        let _ = tokio::task::spawn_blocking(move || crate::secrets::redact::load_into_door(&names)).await;
    }

    /// Whose network the VM has: the VM type Lima reports for the instance decides the DNS
    /// upstream Lima gives it (vz: the gateway 192.168.5.2, lima:pkg/cidata/cidata.go; qemu:
    /// 192.168.5.3 through the guest's DNAT, boot.Linux/09-host-dns-setup.sh). The type is fixed
    /// when the instance is created, so the instance's word beats this host's default.
    async fn guest_network(&self) -> HostOs {
        match self.limactl.instance(&self.profile.name).await {
            Ok(Some(i)) => match i.vm_type.as_deref() {
                Some("vz") => HostOs::MacOs,
                Some("qemu") => HostOs::Linux,
                _ => self.host,
            },
            _ => self.host,
        }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    pub(crate) fn audit_log(&self) -> AuditLog {
        self.audit()
    }

    /// The VM as a [`Vm`].
    pub fn vm(&self) -> LimaVm {
        LimaVm::new(self.limactl.clone(), self.profile.name.clone())
    }

    fn audit(&self) -> AuditLog {
        AuditLog::in_dir(&self.paths.log_dir)
    }

    fn state(&self, state: VmState) {
        self.bus.publish(Event::StateChanged { instance: self.profile.name.clone(), state });
    }

    fn progress(&self, operation: &str, step: &str, message: impl Into<String>, fraction: Option<f32>) {
        self.bus.publish(Event::Progress(Progress { operation: operation.into(), step: step.into(), message: message.into(), fraction }));
    }

    /// The lima.yaml for this profile on this host.
    pub fn lima_yaml(&self) -> Result<String, SandboxError> {
        self.lima_yaml_for(self.host)
    }

    /// The lima.yaml for this profile as `host` would get it (`sandbox lima-config --for`); a
    /// `"system"` CA entry is read from this host.
    pub fn lima_yaml_for(&self, host: HostOs) -> Result<String, SandboxError> {
        Ok(lima::to_yaml(&lima::render(&self.lima_profile(), host)?, self.profile.source.as_deref()))
    }

    async fn require_running(&self) -> Result<(), SandboxError> {
        match self.limactl.instance(&self.profile.name).await? {
            None => Err(LimaError::NoInstance { instance: self.profile.name.clone() }.into()),
            Some(i) => Ok(lima::require_running(&i)?),
        }
    }

    /// The VM, when it is running (for live updates such as a firewall reload).
    pub async fn running_vm(&self) -> Result<Option<LimaVm>, SandboxError> {
        self.learn_secret_values().await;
        let inst = self.limactl.instance(&self.profile.name).await?;
        Ok(matches!(inst.map(|i| i.status), Some(InstanceStatus::Running)).then(|| self.vm()))
    }

    /// The running VM, or an error saying how to start it.
    pub async fn require_vm(&self) -> Result<LimaVm, SandboxError> {
        self.learn_secret_values().await;
        self.require_running().await?;
        Ok(self.vm())
    }

    /// An interactive shell (or one command) in the VM on the caller's terminal, in
    /// [`Sandbox::ssh_workdir`].
    pub async fn ssh(&self, argv: &[String]) -> Result<i32, SandboxError> {
        self.require_running().await?;
        Ok(self.limactl.shell_interactive(&self.profile.name, self.ssh_workdir(), argv).await?)
    }

    /// Where `sandbox ssh` starts: the agent's working tree (`/workspace`, set up in every mode
    /// when the profile has a project), else `/`.
    pub fn ssh_workdir(&self) -> &'static str {
        if self.profile.mount(MountRole::Project).is_some() {
            crate::provision::layout::WORKSPACE
        } else {
            "/"
        }
    }

    /// Restart the OpenClaw gateway service in the VM.
    pub async fn restart_gateway(&self) -> Result<(), SandboxError> {
        self.require_running().await?;
        let argv: Vec<String> = ["sudo", "systemctl", "restart", "openclaw-gateway.service"].iter().map(|s| s.to_string()).collect();
        let out = self.vm().exec(&argv, None).await?;
        if !out.success() {
            let mut message = last_line(&out.stderr_str());
            if message.contains("not found") || message.contains("not loaded") {
                message.push_str(". The gateway service is not installed in this VM yet; run `sandbox up` to provision it");
            }
            return Err(SandboxError::Remote { what: "restarting the gateway".into(), code: out.status, message });
        }
        self.audit().append("gateway.restart", serde_json::json!({"instance": self.profile.name}))?;
        Ok(())
    }
}

fn last_line(s: &str) -> String {
    s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no error output").trim().to_string()
}
