//! The VM's life cycle: `up` (render config → create/start or apply profile changes →
//! provision → secrets → ready), `down`, `destroy`, `status`. Publishes progress and state as it
//! goes, and writes the audit log.

use super::{vm_state, Sandbox, SandboxError};
use crate::events::{Event, VmState};
use crate::lima::{self, Instance, InstanceStatus, LimaError, ProgressTracker, StartStep};
use crate::profile::{Mode, MountRole};
use serde::Serialize;
use std::path::PathBuf;

/// A forwarded port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forward {
    pub name: String,
    pub guest_port: u16,
    pub host: String,
}

/// A mount as `status` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MountStatus {
    pub role: MountRole,
    pub host: PathBuf,
    /// Where the VM has it: the mount point, or for a copied vault the copy's folder.
    pub guest: String,
    pub writable: bool,
    /// A vault copied into the VM instead of mounted (iCloud Drive and other provider folders).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub copied: bool,
}

/// What `sandbox status` shows (its `--json` form is documented in the README).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    pub instance: String,
    pub state: VmState,
    /// Lima's own status word ("" when absent).
    pub lima_status: String,
    pub mode: Mode,
    pub mounts: Vec<MountStatus>,
    pub forwarded_ports: Vec<Forward>,
    pub ssh_port: Option<u16>,
    pub cpus: Option<u32>,
    pub memory_bytes: Option<u64>,
    pub disk_bytes: Option<u64>,
    pub vm_type: Option<String>,
    pub lima_version: Option<String>,
    /// Sync requests waiting for the user's review.
    pub pending_requests: usize,
    /// The overlay in the running VM: unsynced entries, audit watcher, agent's requests.
    pub overlay: Option<crate::provision::overlay_ctl::OverlayStatus>,
    /// The OpenClaw gateway on the host's forwarded port (when the VM runs).
    pub gateway: Option<crate::agent_runtime::health::GatewayHealth>,
    /// The same for the vault's overlay (`/workspace-obsidian`), when the profile has a vault.
    pub vault_overlay: Option<crate::provision::overlay_ctl::OverlayStatus>,
    /// Where the sandbox's Lima keeps its VMs (its own `LIMA_HOME`).
    pub lima_home: PathBuf,
    /// The VM does not exist in `lima_home` but one with its name exists in the user's own Lima
    /// home (made by an older version): it is not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_in_user_lima_home: Option<PathBuf>,
}

/// What to tell the user about an instance left in their own Lima home.
pub fn user_lima_home_note(name: &str, dir: &std::path::Path, lima_home: &std::path::Path) -> String {
    format!(
        "a VM `{name}` exists in your own Lima home ({}), but OpenClaw Sandbox now keeps its VM in {} so your Lima defaults and overrides cannot change it. \
         That old VM is not used: `sandbox up` creates a new one. Copy out anything you still need from it \
         (`limactl start {name}`, `limactl shell {name}`), then remove it with `limactl delete {name}`",
        dir.display(),
        lima_home.display()
    )
}

/// What `up` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpReport {
    /// A new instance was created.
    pub created: bool,
    /// The VM was started (false when it was already running).
    pub started: bool,
    /// A Broken instance was force-stopped first.
    pub recovered: bool,
    /// Profile changes applied to the existing VM (`key: from → to`), see [`lima::compare_config`].
    pub reconfigured: Vec<String>,
    /// Items the apply step changed (empty: nothing to do).
    pub changed: Vec<String>,
    /// Secrets written to the VM's tmpfs (names only).
    pub secrets_written: Vec<String>,
    /// Secret names in the profile with no value in the keychain.
    pub secrets_unset: Vec<String>,
    /// Why secrets could not be pushed (the VM is up without them), e.g. a locked keychain.
    pub secrets_error: Option<String>,
    /// What else the user should know (e.g. the gateway does not answer yet).
    pub warnings: Vec<String>,
}

/// What `down` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DownOutcome {
    Stopped,
    AlreadyStopped,
    Absent,
}

impl Sandbox {
    fn write_lima_yaml(&self) -> Result<PathBuf, SandboxError> {
        let dir = self.paths.data_dir.join("lima");
        let path = dir.join(format!("{}.yaml", self.profile.name));
        let io = |source| SandboxError::Io { path: path.clone(), source };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let yaml = self.lima_yaml()?;
        std::fs::write(&path, yaml).map_err(io)?;
        Ok(path)
    }

    /// Create or start the VM, then provision it. Idempotent: on a running, provisioned VM it
    /// changes nothing and says so.
    pub async fn up(&self) -> Result<UpReport, SandboxError> {
        self.learn_secret_values().await;
        let name = self.profile.name.clone();
        let mut report = UpReport::default();
        let version = self.limactl.checked_version().await?;
        let config = self.write_lima_yaml()?;
        let current = self.limactl.instance(&name).await?;
        let reconfig = match &current {
            Some(inst) if matches!(inst.status, InstanceStatus::Running | InstanceStatus::Stopped | InstanceStatus::Broken) => self.pending_reconfig(inst)?,
            _ => None,
        };
        if let (Some(rc), Some(inst)) = (&reconfig, &current) {
            report.reconfigured = rc.changes.iter().map(|c| c.to_string()).collect();
            self.bus.publish(Event::Notice {
                message: format!("The profile changed the VM `{name}`: {}. Applying it: stop, `limactl edit`, start", report.reconfigured.join("; ")),
            });
            match inst.status {
                InstanceStatus::Running => {
                    self.state(VmState::Stopping);
                    self.progress("up", "stop", "Stopping to apply the profile's changes", None);
                    self.limactl.stop(&name, false).await?;
                }
                InstanceStatus::Broken => {
                    self.limactl.stop(&name, true).await?;
                    report.recovered = true;
                }
                _ => {}
            }
            self.limactl.edit(&name, &rc.expression).await?;
            self.audit().append("reconfigure", serde_json::json!({"instance": name, "changes": report.reconfigured}))?;
            self.start(None, version, &mut report).await?;
        }
        match current.as_ref().map(|i| &i.status) {
            _ if reconfig.is_some() => {}
            Some(InstanceStatus::Running) => {}
            Some(InstanceStatus::Broken) => {
                self.bus.publish(Event::Notice { message: format!("The VM `{name}` was Broken; force-stopping it before starting again") });
                self.limactl.stop(&name, true).await?;
                report.recovered = true;
                self.start(None, version, &mut report).await?;
            }
            Some(InstanceStatus::Stopped) => self.start(None, version, &mut report).await?,
            None => {
                report.created = true;
                self.start(Some(&config), version, &mut report).await?;
            }
            Some(other) => {
                return Err(LimaError::WrongState {
                    instance: name,
                    status: other.label(),
                    what: "wait for the other Lima operation to finish, or recover with `sandbox down --force`".into(),
                }
                .into())
            }
        }
        if self.profile.mode == Mode::YoloUnsafe {
            self.bus.publish(Event::Notice {
                message: "WARNING: yolo-unsafe mode: the agent can write straight into your host folders. There is no overlay and no sync gate.".into(),
            });
        }
        self.progress("up", "provision", "Provisioning", Some(1.0));
        report.changed = self.provision().await?;
        // A vault in iCloud Drive (or another provider folder) is copied, not mounted: bring
        // the copy up to date now, so a follower that was not running loses nothing.
        if let Some(w) = self.refresh_vault_copy().await? {
            report.warnings.push(w);
        }
        self.progress("up", "firewall", "Loading the firewall and DNS allowlist", Some(1.0));
        let guest = self.guest_network().await;
        crate::firewall::install::install_and_load(&self.vm(), &self.profile.network_policy.for_host(guest)).await?;
        self.progress("up", "secrets", "Pushing secrets", Some(1.0));
        let pushed = match self.push_secrets().await {
            Ok(r) => {
                report.secrets_written = r.written.iter().map(|n| n.to_string()).collect();
                report.secrets_unset = r.unset.iter().map(|n| n.to_string()).collect();
                true
            }
            Err(e) => {
                let message = format!("secrets were not pushed: {e}. The VM runs without them; fix that, then run `sandbox secrets push`");
                self.bus.publish(Event::Notice { message: message.clone() });
                report.secrets_error = Some(message);
                false
            }
        };
        // The gateway needs its token (a secret): without the keychain it cannot start.
        if !self.profile.features.gateway {
            // features.gateway = false: the bare sandbox, no agent runtime.
        } else if pushed {
            self.progress("up", "runtime", "Installing and starting the OpenClaw gateway", Some(1.0));
            // Installing Node and OpenClaw (hundreds of MB from npm) can take long on a slow line.
            let vm = self.vm().with_timeout(std::time::Duration::from_secs(3600));
            let runtime = crate::agent_runtime::apply(&vm, &self.profile).await?;
            report.changed.extend(runtime.changed);
            for w in &runtime.warnings {
                self.bus.publish(Event::Notice { message: w.clone() });
            }
            report.warnings.extend(runtime.warnings);
        } else {
            self.bus.publish(Event::Notice {
                message: "the OpenClaw gateway was not started: it needs its token from the keychain. Unlock the keychain, then run `sandbox up` again".into(),
            });
        }
        // Report what Lima says now, not an assumed Running: the user may have stopped the VM
        // while it was being provisioned.
        let now = self.limactl.instance(&name).await.ok().flatten();
        self.state(vm_state(now.as_ref()));
        self.audit().append("up", serde_json::json!({"instance": name, "created": report.created, "started": report.started, "changed": report.changed}))?;
        Ok(report)
    }

    /// What the profile changes on the existing VM `inst`, comparing its lima.yaml with the
    /// rendered one. An unreadable file is reported and skipped; a smaller disk is an error.
    fn pending_reconfig(&self, inst: &Instance) -> Result<Option<lima::Reconfig>, SandboxError> {
        let dir = inst.dir.as_ref().map(PathBuf::from).unwrap_or_else(|| self.limactl.lima_home().join(&inst.name));
        let path = dir.join("lima.yaml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                self.bus.publish(Event::Notice { message: format!("cannot read {}: {e}; profile changes are not applied to the VM", path.display()) });
                return Ok(None);
            }
        };
        match lima::compare_config(&inst.name, &text, &lima::render(&self.lima_profile(), self.host)?) {
            Ok(r) => Ok(r),
            Err(e @ LimaError::BadInstanceConfig { .. }) => {
                self.bus.publish(Event::Notice { message: e.to_string() });
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn start(&self, config: Option<&std::path::Path>, version: lima::Version, report: &mut UpReport) -> Result<(), SandboxError> {
        self.state(VmState::Starting);
        let mut tracker = ProgressTracker::default();
        let bus = self.bus.clone();
        let result = self
            .limactl
            .start(&self.profile.name, config, version, |step: &StartStep| {
                if let Some(p) = tracker.update(step) {
                    bus.publish(Event::Progress(p));
                }
            })
            .await;
        if let Err(e) = result {
            let state = self.limactl.instance(&self.profile.name).await.ok().flatten();
            self.state(vm_state(state.as_ref()));
            return Err(e.into());
        }
        report.started = true;
        Ok(())
    }

    /// Run the idempotent apply step in the VM; returns the items it changed.
    async fn provision(&self) -> Result<Vec<String>, SandboxError> {
        Ok(crate::provision::apply_for(&self.vm(), &self.profile, self.vault_lower()).await?)
    }

    /// Write the profile's secrets from the OS keychain into the running VM's tmpfs (values over
    /// stdin only); names with no value are reported, and their files removed from the VM.
    pub async fn push_secrets(&self) -> Result<crate::secrets::PushReport, SandboxError> {
        let vm = self.require_vm().await?;
        let mut names = self.profile.secrets.clone();
        if self.profile.features.gateway {
            // The gateway's token is the sandbox's own secret: generated into the keychain once.
            let token = crate::agent_runtime::render::GATEWAY_TOKEN_SECRET;
            let generated = tokio::task::spawn_blocking(move || {
                let store = crate::secrets::open_default_store()?;
                crate::secrets::store::ensure_generated(store.as_ref(), &crate::secrets::validate_name(token)?)
            })
            .await
            .map_err(|e| crate::secrets::SecretsError::TaskFailed { detail: e.to_string() })??;
            if generated {
                self.audit().append("secrets.generate", serde_json::json!({"instance": self.profile.name, "name": token}))?;
            }
            if !names.iter().any(|n| n == token) {
                names.push(token.to_string());
            }
        }
        let report = crate::secrets::push_from_os_store(&vm, &names, crate::provision::layout::AGENT_USER).await?;
        let written: Vec<&str> = report.written.iter().map(|n| n.as_str()).collect();
        self.audit().append("secrets.push", serde_json::json!({"instance": self.profile.name, "written": written, "removed": report.removed}))?;
        Ok(report)
    }

    /// Stop the VM (`force`: kill it — the recovery for Broken).
    pub async fn down(&self, force: bool) -> Result<DownOutcome, SandboxError> {
        let name = &self.profile.name;
        let current = self.limactl.instance(name).await?;
        let outcome = match current.as_ref().map(|i| &i.status) {
            None => DownOutcome::Absent,
            Some(InstanceStatus::Stopped) if !force => DownOutcome::AlreadyStopped,
            Some(InstanceStatus::Broken) if !force => {
                return Err(LimaError::Broken { instance: name.clone(), detail: "a graceful stop cannot work".into() }.into())
            }
            _ => {
                self.state(VmState::Stopping);
                self.progress("down", "stop", if force { "Force-stopping" } else { "Stopping" }, None);
                if let Err(e) = self.limactl.stop(name, force).await {
                    let state = self.limactl.instance(name).await.ok().flatten();
                    self.state(vm_state(state.as_ref()));
                    return Err(e.into());
                }
                DownOutcome::Stopped
            }
        };
        if outcome != DownOutcome::Absent {
            self.state(VmState::Stopped);
        }
        self.audit().append("down", serde_json::json!({"instance": name, "force": force, "outcome": outcome}))?;
        Ok(outcome)
    }

    /// Stop (forcefully if needed) and delete the VM and its disk. Host folders are untouched.
    pub async fn destroy(&self) -> Result<bool, SandboxError> {
        let name = &self.profile.name;
        let Some(_) = self.limactl.instance(name).await? else {
            return Ok(false);
        };
        self.state(VmState::Stopping);
        self.limactl.delete(name, true).await?;
        let _ = std::fs::remove_file(self.paths.data_dir.join("lima").join(format!("{name}.yaml")));
        self.state(VmState::Absent);
        self.audit().append("destroy", serde_json::json!({"instance": name}))?;
        Ok(true)
    }

    /// The sandbox's state, mounts, mode and forwarded ports.
    pub async fn status(&self) -> Result<Status, SandboxError> {
        let inst = self.limactl.instance(&self.profile.name).await?;
        let p = &self.profile;
        let running = matches!(&inst, Some(i) if i.status == InstanceStatus::Running) && p.mode != Mode::YoloUnsafe;
        // A VM that is not provisioned (yet) has no overlay to report.
        let overlay = if running { crate::provision::overlay_ctl::overlay_status(&self.vm()).await.ok() } else { None };
        let vault_overlay = if running && crate::provision::vault_mount(p).is_some() {
            crate::provision::overlay_ctl::overlay_status_in(&self.vm(), crate::sync::queue::SyncRoot::Vault).await.ok()
        } else {
            None
        };
        let vault_copied = self.vault_lower() == crate::provision::VaultLower::Copy;
        let gateway = match &inst {
            Some(i) if i.status == InstanceStatus::Running => Some(crate::agent_runtime::health::check(p.gateway_port).await),
            _ => None,
        };
        Ok(Status {
            pending_requests: self.pending_requests()?.len(),
            overlay,
            gateway,
            vault_overlay,
            instance: p.name.clone(),
            state: vm_state(inst.as_ref()),
            lima_status: inst.as_ref().map(|i| i.status.label()).unwrap_or_default(),
            mode: p.mode,
            mounts: p
                .mounts
                .iter()
                .map(|m| {
                    let copied = m.role == MountRole::Vault && vault_copied;
                    let guest = if copied { crate::provision::layout::VAULT_COPY.to_string() } else { m.guest.clone() };
                    MountStatus { role: m.role, host: m.host.clone(), guest, writable: m.writable, copied }
                })
                .collect(),
            forwarded_ports: vec![Forward { name: "gateway".into(), guest_port: p.gateway_port, host: format!("127.0.0.1:{}", p.gateway_port) }],
            ssh_port: inst.as_ref().and_then(|i| i.ssh_local_port),
            cpus: inst.as_ref().and_then(|i| i.cpus),
            memory_bytes: inst.as_ref().and_then(|i| i.memory),
            disk_bytes: inst.as_ref().and_then(|i| i.disk),
            vm_type: inst.as_ref().and_then(|i| i.vm_type.clone()),
            lima_version: inst.as_ref().and_then(|i| i.lima_version.clone()),
            lima_home: self.limactl.lima_home().to_path_buf(),
            instance_in_user_lima_home: if inst.is_none() { self.limactl.instance_in_user_lima_home(&p.name) } else { None },
        })
    }
}
