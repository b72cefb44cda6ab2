//! What the app asks of core, behind small traits so commands can be tested with fakes and
//! parts still arriving in core (keychain store, sync queue) switch over in one place.

use crate::error::{CmdResult, CommandError, ErrorKind};
use async_trait::async_trait;
use sandbox_core::events::{EventBus, VmState};
use sandbox_core::lima::Limactl;
use sandbox_core::paths::Paths;
use sandbox_core::profile::Profile;
use sandbox_core::sandbox::{vm_state, Sandbox};
use std::path::PathBuf;
use std::sync::Arc;

/// Start/stop/state of the VM: core's `Sandbox` facade.
#[async_trait]
pub trait Control: Send + Sync {
    async fn up(&self) -> CmdResult<()>;
    async fn down(&self, force: bool) -> CmdResult<()>;
    /// The instance name and its state right now (one `limactl list`, no polling).
    async fn state(&self) -> CmdResult<(String, VmState)>;
    /// Follow the VM's state (core's `limactl watch` follower publishes `StateChanged` on the
    /// bus) until the watch ends. Errors when this Lima cannot watch or there is no profile.
    async fn follow(&self) -> CmdResult<()>;
    /// While the VM runs (until `stop` fires): follow its firewall denials (core publishes
    /// throttled `FirewallBlocked` events, reconnecting if the stream drops) and the agent
    /// (core turns its review requests into `SyncRequested`, its writes into `OverlayChanged`).
    async fn follow_alerts(&self, stop: tokio::sync::oneshot::Receiver<()>) -> CmdResult<()>;
}

/// The real thing: a fresh `Sandbox` per call (the profile may have changed in Settings).
pub struct CoreControl {
    pub paths: Paths,
    pub profile_path: PathBuf,
    pub bus: EventBus,
}

impl CoreControl {
    fn sandbox(&self) -> CmdResult<Sandbox> {
        let profile = Profile::load(&self.profile_path)?;
        let limactl = Limactl::locate()?;
        Ok(Sandbox::new(profile, self.paths.clone(), limactl, self.bus.clone()))
    }
}

#[async_trait]
impl Control for CoreControl {
    async fn up(&self) -> CmdResult<()> {
        self.sandbox()?.up().await?;
        Ok(())
    }

    async fn down(&self, force: bool) -> CmdResult<()> {
        self.sandbox()?.down(force).await?;
        Ok(())
    }

    async fn state(&self) -> CmdResult<(String, VmState)> {
        let profile = Profile::load(&self.profile_path)?;
        let limactl = Limactl::locate()?;
        let inst = limactl.instance(&profile.name).await?;
        Ok((profile.name, vm_state(inst.as_ref())))
    }

    async fn follow(&self) -> CmdResult<()> {
        let profile = Profile::load(&self.profile_path)?;
        let limactl = Limactl::locate()?;
        Ok(limactl.follow_state(&profile.name, &self.bus).await?)
    }

    async fn follow_alerts(&self, stop: tokio::sync::oneshot::Receiver<()>) -> CmdResult<()> {
        use sandbox_core::firewall::follow::{follow_reconnecting, journal_follow_argv};
        use sandbox_core::vm::Vm;
        let sandbox = self.sandbox()?;
        let vm = sandbox.require_vm().await?;
        let open = |cursor: Option<String>| {
            let vm = vm.clone();
            async move { vm.exec_stream(&journal_follow_argv(cursor.as_deref())).await.map_err(std::io::Error::other) }
        };
        let (stopped_tx, stopped) = tokio::sync::watch::channel(false);
        let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let stopper = async move {
            let _ = stop.await;
            let _ = stopped_tx.send(true);
        };
        let alerts = follow_reconnecting(open, &self.bus, sandbox_core::firewall::ThrottleConfig::default(), std::time::Duration::from_secs(30), until_stopped(stopped.clone()));
        let agent = async {
            // yolo-unsafe has no overlay to follow; other failures end the agent follower only.
            if let Err(e) = sandbox.follow_agent(until_stopped(stopped.clone())).await {
                tracing::info!("not following the agent: {e}");
            }
        };
        tokio::join!(stopper, alerts, agent);
        Ok(())
    }
}

/// The OS keychain, through core's secret store. Values go in, never come out. Blocking
/// (the store may talk to D-Bus): commands call it off the async threads.
pub trait Keychain: Send + Sync {
    fn set(&self, name: &str, value: String) -> CmdResult<()>;
    fn remove(&self, name: &str) -> CmdResult<bool>;
    /// Which of `names` have a value stored.
    fn which_set(&self, names: &[String]) -> CmdResult<Vec<String>>;
    /// Import a `.env` file, all or nothing; with `delete_source` the file is overwritten and
    /// removed afterwards. Returns the names stored.
    fn import_env(&self, path: &std::path::Path, delete_source: bool) -> CmdResult<Vec<String>>;
}

/// core::secrets: the OS store for this installation (Secret Service / keyutils / Keychain),
/// opened on first use. Every change is audited, like the CLI's.
pub struct CoreKeychain {
    pub paths: Paths,
    store: std::sync::Mutex<Option<Box<dyn sandbox_core::secrets::SecretStore>>>,
}

impl CoreKeychain {
    /// The OS store, opened on first use.
    pub fn new(paths: Paths) -> Self {
        CoreKeychain { paths, store: std::sync::Mutex::new(None) }
    }

    /// Over a given store (tests use core's `MemoryStore`).
    pub fn with(paths: Paths, store: Box<dyn sandbox_core::secrets::SecretStore>) -> Self {
        CoreKeychain { paths, store: std::sync::Mutex::new(Some(store)) }
    }

    fn with_store<T>(&self, f: impl FnOnce(&dyn sandbox_core::secrets::SecretStore) -> Result<T, sandbox_core::secrets::SecretsError>) -> CmdResult<T> {
        let mut slot = self.store.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(sandbox_core::secrets::store::open_default_store().map_err(CommandError::failed)?);
        }
        f(slot.as_deref().expect("opened above")).map_err(CommandError::failed)
    }

    fn audit(&self, action: &str, detail: serde_json::Value) {
        if let Err(e) = sandbox_core::audit::AuditLog::in_dir(&self.paths.log_dir).append(action, detail) {
            tracing::warn!("cannot write the audit log: {e}");
        }
    }
}

fn secret_name(raw: &str) -> CmdResult<sandbox_core::secrets::SecretName> {
    sandbox_core::secrets::validate_name(raw).map_err(CommandError::failed)
}

impl Keychain for CoreKeychain {
    fn set(&self, name: &str, value: String) -> CmdResult<()> {
        let name = secret_name(name)?;
        let value = sandbox_core::secrets::SecretValue::new(value);
        if value.is_empty() {
            return Err(CommandError::failed(sandbox_core::secrets::SecretsError::EmptyValue { name: name.to_string() }));
        }
        let backend = self.with_store(|s| s.set(&name, &value).map(|()| s.backend()))?;
        self.audit("secrets.set", serde_json::json!({ "name": name, "store": backend }));
        Ok(())
    }

    fn remove(&self, name: &str) -> CmdResult<bool> {
        let name = secret_name(name)?;
        let removed = self.with_store(|s| s.delete(&name))?;
        if removed {
            self.audit("secrets.rm", serde_json::json!({ "name": name }));
        }
        Ok(removed)
    }

    fn which_set(&self, names: &[String]) -> CmdResult<Vec<String>> {
        let names = names.iter().map(|n| secret_name(n)).collect::<CmdResult<Vec<_>>>()?;
        let set = self.with_store(|s| s.list_set(&names))?;
        Ok(set.iter().map(|n| n.to_string()).collect())
    }

    fn import_env(&self, path: &std::path::Path, delete_source: bool) -> CmdResult<Vec<String>> {
        use sandbox_core::secrets::import;
        let plan = import::plan(path, delete_source).map_err(CommandError::failed)?;
        let (report, backend) = self.with_store(|s| Ok((import::apply(s, &plan)?, s.backend())))?;
        let names: Vec<String> = report.stored.iter().map(|n| n.to_string()).collect();
        self.audit("secrets.import", serde_json::json!({ "names": names, "store": backend, "delete_source": delete_source }));
        if delete_source {
            import::overwrite_and_remove(path).map_err(CommandError::failed)?;
        }
        Ok(names)
    }
}

/// The sync gate's review queue, through core's sync facade.
#[async_trait]
pub trait Reviewer: Send + Sync {
    /// Pending requests as the review window shows them (see [`ReviewRequest`]).
    async fn list(&self) -> CmdResult<Vec<ReviewRequest>>;
    /// Approve a request (`paths`: only those) and apply it to the host project.
    async fn approve(&self, id: &str, paths: Option<Vec<String>>) -> CmdResult<serde_json::Value>;
    async fn reject(&self, id: &str) -> CmdResult<()>;
    /// Undo the last apply.
    async fn undo(&self) -> CmdResult<serde_json::Value>;
}

/// One pending request, as the review window gets it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReviewRequest {
    pub id: String,
    pub project: String,
    pub message: Option<String>,
    /// Something blocks: only unblocked files can be approved (core enforces it).
    pub blocked: bool,
    pub files: Vec<ReviewFile>,
    pub findings: Vec<sandbox_core::sync::Finding>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReviewFile {
    pub path: String,
    pub kind: sandbox_core::sync::ChangeKind,
    pub size: u64,
    pub binary: bool,
    /// A unified diff for text files (core withholds it where a secret was found).
    pub diff: Option<String>,
}

/// core's sync facade (`Sandbox::sync_apply` / `sync_reject`, the queue for listing and undo).
pub struct CoreReviewer {
    pub paths: Paths,
    pub profile_path: PathBuf,
    pub bus: EventBus,
}

impl CoreReviewer {
    fn sandbox(&self) -> CmdResult<Sandbox> {
        let profile = Profile::load(&self.profile_path)?;
        Ok(Sandbox::new(profile, self.paths.clone(), Limactl::locate()?, self.bus.clone()))
    }
}

#[async_trait]
impl Reviewer for CoreReviewer {
    async fn list(&self) -> CmdResult<Vec<ReviewRequest>> {
        let sb = self.sandbox()?;
        let queue = sb.queue()?;
        Ok(sb
            .pending_requests()?
            .into_iter()
            .map(|r| ReviewRequest {
                files: r
                    .changes
                    .iter()
                    .map(|c| ReviewFile { path: c.path.to_string(), kind: c.kind, size: c.size(), binary: c.binary, diff: queue.diff(&r, c) })
                    .collect(),
                id: r.id,
                project: r.project.display().to_string(),
                message: r.message,
                blocked: r.blocked,
                findings: r.findings,
            })
            .collect())
    }

    async fn approve(&self, id: &str, paths: Option<Vec<String>>) -> CmdResult<serde_json::Value> {
        let (req, outcome) = self.sandbox()?.sync_apply(id, paths.as_deref(), false).await?;
        Ok(serde_json::json!({ "id": req.id, "applied": outcome.applied }))
    }

    async fn reject(&self, id: &str) -> CmdResult<()> {
        self.sandbox()?.sync_reject(id)?;
        Ok(())
    }

    async fn undo(&self) -> CmdResult<serde_json::Value> {
        let queue = self.sandbox()?.queue()?;
        let _lock = queue.lock().map_err(CommandError::failed)?;
        let last = queue.last_applied().map_err(CommandError::failed)?;
        let Some(last) = last else {
            return Err(CommandError::failed("nothing to undo: no request has been applied"));
        };
        let (req, outcome) = queue.undo(&last.id, false, None).map_err(CommandError::failed)?;
        if let Err(e) = sandbox_core::audit::AuditLog::in_dir(&self.paths.log_dir).append("sync.undo", serde_json::json!({"id": req.id, "restored": outcome.applied})) {
            tracing::warn!("cannot write the audit log: {e}");
        }
        Ok(serde_json::json!({ "id": req.id, "restored": outcome.applied }))
    }
}

/// The firewall's allowlist, through core's firewall module ("Allow" on a blocked connection).
#[async_trait]
pub trait Firewall: Send + Sync {
    /// Allow `target` (a domain, or `IP[:PORT/PROTO]`): core edits the profile, audits, and
    /// reloads a running VM's rules.
    async fn allow(&self, target: &str) -> CmdResult<()>;
}

/// core::firewall.
pub struct CoreFirewall {
    pub paths: Paths,
    pub profile_path: PathBuf,
    pub bus: EventBus,
}

#[async_trait]
impl Firewall for CoreFirewall {
    async fn allow(&self, target: &str) -> CmdResult<()> {
        use sandbox_core::firewall::{change, Change, Target};
        let target = Target::parse(target).map_err(CommandError::failed)?;
        let profile = Profile::load(&self.profile_path)?;
        let sandbox = Sandbox::new(profile, self.paths.clone(), Limactl::locate()?, self.bus.clone());
        let running = sandbox.running_vm().await.unwrap_or(None);
        let vm = running.as_ref().map(|v| v as &dyn sandbox_core::vm::Vm);
        let outcome = change(&self.profile_path, &self.paths.log_dir, Change::Allow, &target, vm).await.map_err(CommandError::failed)?;
        let applies = if outcome.reloaded { "now" } else { "at the next start" };
        self.bus.publish(sandbox_core::events::Event::Notice { message: format!("Allowed {target} in the profile; it applies {applies}") });
        Ok(())
    }
}

/// Everything the app asks of core, bundled.
#[derive(Clone)]
pub struct Services {
    pub control: Arc<dyn Control>,
    pub keychain: Arc<dyn Keychain>,
    pub reviewer: Arc<dyn Reviewer>,
    pub firewall: Arc<dyn Firewall>,
}

/// Stands in for a core part this build does not have yet; every call says so.
pub struct NotInThisBuild(pub &'static str);

impl NotInThisBuild {
    fn err<T>(&self) -> CmdResult<T> {
        Err(CommandError::new(ErrorKind::Unavailable, format!("{} is not part of this build yet; use the `sandbox` CLI once it is", self.0)))
    }
}

impl Keychain for NotInThisBuild {
    fn set(&self, _: &str, _: String) -> CmdResult<()> {
        self.err()
    }
    fn import_env(&self, _: &std::path::Path, _: bool) -> CmdResult<Vec<String>> {
        self.err()
    }
    fn remove(&self, _: &str) -> CmdResult<bool> {
        self.err()
    }
    fn which_set(&self, _: &[String]) -> CmdResult<Vec<String>> {
        self.err()
    }
}

#[async_trait]
impl Firewall for NotInThisBuild {
    async fn allow(&self, _: &str) -> CmdResult<()> {
        self.err()
    }
}

#[async_trait]
impl Reviewer for NotInThisBuild {
    async fn list(&self) -> CmdResult<Vec<ReviewRequest>> {
        self.err()
    }
    async fn approve(&self, _: &str, _: Option<Vec<String>>) -> CmdResult<serde_json::Value> {
        self.err()
    }
    async fn reject(&self, _: &str) -> CmdResult<()> {
        self.err()
    }
    async fn undo(&self) -> CmdResult<serde_json::Value> {
        self.err()
    }
}
