//! Start/stop/state of the VM and the followers that run while it does.

use crate::error::CmdResult;
use async_trait::async_trait;
use sandbox_core::events::{EventBus, VmState};
use sandbox_core::lima::Limactl;
use sandbox_core::paths::Paths;
use sandbox_core::profile::Profile;
use sandbox_core::sandbox::{vm_state, Sandbox};
use std::path::PathBuf;

/// Start/stop/state of the VM: core's `Sandbox` facade.
#[async_trait]
pub trait Control: Send + Sync {
    async fn up(&self) -> CmdResult<()>;
    async fn down(&self, force: bool) -> CmdResult<()>;
    /// The instance name and its state right now (one `limactl list`, no polling).
    async fn state(&self) -> CmdResult<(String, VmState)>;
    /// Follow the VM's state (core's follower publishes `StateChanged` on the bus whenever
    /// anyone starts, stops or crashes the VM); runs for the app's lifetime. Errors when there
    /// is no profile or Lima's folder cannot be watched.
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
        Ok(self.sandbox()?.follow_vm_state(std::future::pending()).await?)
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
        let pairing = async {
            // Telegram pairing requests become `PairingRequested` (nothing when Telegram is off).
            if let Err(e) = sandbox.pairing_loop(until_stopped(stopped.clone())).await {
                tracing::info!("not following Telegram pairing: {e}");
            }
        };
        tokio::join!(stopper, alerts, agent, pairing);
        Ok(())
    }
}
