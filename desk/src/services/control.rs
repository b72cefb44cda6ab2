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
    /// (core turns its review requests into `SyncRequested`, its writes into `OverlayChanged`),
    /// and in yolo mode run the gate by itself.
    async fn follow_alerts(&self, stop: tokio::sync::oneshot::Receiver<()>) -> CmdResult<()>;
    /// Core's opt-in OpenClaw release check: publishes `ReleaseChecked` on the bus (no request
    /// unless the profile opted in; at most one a day). Errors only when there is no profile.
    async fn check_release(&self) -> CmdResult<()> {
        Ok(())
    }
}

/// Returns once the profile at `path` names another VM than `name` (after a `ProfileChanged`).
async fn renamed(bus: &EventBus, path: &std::path::Path, name: &str) {
    use sandbox_core::events::Event;
    use tokio::sync::broadcast::error::RecvError;
    let mut events = bus.subscribe();
    loop {
        match events.recv().await {
            Ok(Event::ProfileChanged { .. }) if Profile::load(path).is_ok_and(|p| p.name != name) => return,
            Err(RecvError::Closed) => std::future::pending::<()>().await,
            _ => {}
        }
    }
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
        // The VM's state, and what other processes change in the profile and the review queue.
        // The profile names the VM: renamed (Settings, an editor), the followers stop and start
        // again on the new name.
        loop {
            let sandbox = self.sandbox()?;
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
            let stop = |mut rx: tokio::sync::watch::Receiver<()>| async move {
                let _ = rx.changed().await;
            };
            let files = async {
                if let Err(e) = sandbox.follow_files(stop(stop_rx.clone())).await {
                    tracing::warn!("not following the profile and the review queue: {e}");
                }
            };
            let both = async { tokio::join!(sandbox.follow_vm_state(stop(stop_rx.clone())), files).0 };
            tokio::pin!(both);
            tokio::select! {
                r = &mut both => return Ok(r?),
                () = renamed(&self.bus, &self.profile_path, &sandbox.profile().name) => {
                    let _ = stop_tx.send(());
                    both.await?;
                }
            }
        }
    }

    async fn check_release(&self) -> CmdResult<()> {
        // no Lima needed to ask the npm registry: a missing limactl is the doctor's business
        let profile = Profile::load(&self.profile_path)?;
        let limactl = Limactl::locate().unwrap_or_else(|_| Limactl::at("limactl"));
        Sandbox::new(profile, self.paths.clone(), limactl, self.bus.clone()).check_openclaw_release().await;
        Ok(())
    }

    async fn follow_alerts(&self, stop: tokio::sync::oneshot::Receiver<()>) -> CmdResult<()> {
        // core's followers of a running VM, the same ones `sandbox watch` runs
        self.sandbox()?
            .follow_running(async {
                let _ = stop.await;
            })
            .await?;
        Ok(())
    }
}
