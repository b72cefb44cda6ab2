//! The one follower (issue 15): the VM's state, whoever changes it, and while the VM runs
//! everything that happens in it — firewall denials, the agent's review requests and writes,
//! Telegram pairing, yolo applies — as events on the bus. `sandbox watch` and the app both
//! run it; nothing here polls where an event exists (yolo's interval is its own setting).

use super::{Sandbox, SandboxError};
use crate::events::{Event, VmState};
use std::future::Future;
use tokio::sync::watch;

/// Resolves once `rx` says stop.
async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

impl Sandbox {
    /// Follow the VM's state until `stop`: a `StateChanged` on the bus whenever anyone starts,
    /// stops, deletes or crashes it (see [`crate::lima::Limactl::follow_state_until`]). Runs
    /// for as long as asked, whatever Lima's `watch` does.
    pub async fn follow_vm_state(&self, stop: impl Future<Output = ()>) -> Result<(), SandboxError> {
        Ok(self.limactl.follow_state_until(&self.profile.name, &self.bus, crate::lima::FollowTiming::default(), stop).await?)
    }

    /// While the VM runs, until `stop`: its firewall denials (throttled `FirewallBlocked`,
    /// reconnecting if the stream drops), the agent (`SyncRequested`, `OverlayChanged`),
    /// Telegram pairing requests, and in yolo mode the gate by itself. A part that cannot run
    /// (no overlay in yolo-unsafe, Telegram off) says why in the log and leaves the rest.
    pub async fn follow_running(&self, stop: impl Future<Output = ()>) -> Result<(), SandboxError> {
        use crate::firewall::follow::{follow_reconnecting, journal_follow_argv};
        use crate::vm::Vm;
        let vm = self.require_vm().await?;
        let open = |cursor: Option<String>| {
            let vm = vm.clone();
            async move { vm.exec_stream(&journal_follow_argv(cursor.as_deref())).await.map_err(std::io::Error::other) }
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopper = async move {
            stop.await;
            let _ = stop_tx.send(true);
        };
        let alerts = follow_reconnecting(open, &self.bus, crate::firewall::ThrottleConfig::default(), std::time::Duration::from_secs(30), stopped(stop_rx.clone()));
        let agent = async {
            if let Err(e) = self.follow_agent(stopped(stop_rx.clone())).await {
                tracing::info!("not following the agent: {e}");
            }
        };
        let pairing = async {
            if let Err(e) = self.pairing_loop(stopped(stop_rx.clone())).await {
                tracing::info!("not following Telegram pairing: {e}");
            }
        };
        let yolo = async {
            if let Err(e) = self.yolo_loop(stopped(stop_rx.clone())).await {
                self.bus.publish(Event::Error { message: format!("yolo sync stopped: {e}") });
            }
        };
        tokio::join!(stopper, alerts, agent, pairing, yolo);
        Ok(())
    }

    /// The one follower, until `stop`: the VM's state ([`Self::follow_vm_state`]) and, each
    /// time it runs, [`Self::follow_running`] until it no longer does.
    pub async fn watch(&self, stop: impl Future<Output = ()>) -> Result<(), SandboxError> {
        let mut events = self.bus.subscribe();
        let (all_tx, all_rx) = watch::channel(false);
        let state = self.follow_vm_state(stopped(all_rx.clone()));
        tokio::pin!(state, stop);
        let mut running: Option<std::pin::Pin<Box<dyn Future<Output = Result<(), SandboxError>> + Send + '_>>> = None;
        let mut running_stop: Option<watch::Sender<bool>> = None;
        let mut restart = false;
        let mut outcome = Ok(());
        loop {
            tokio::select! {
                _ = &mut stop => break,
                r = &mut state => {
                    outcome = r;
                    break;
                }
                ev = events.recv() => match ev {
                    Ok(Event::StateChanged { instance, state }) if instance == self.profile.name => {
                        if state == VmState::Running && running.is_none() {
                            let (tx, rx) = watch::channel(false);
                            running = Some(Box::pin(self.follow_running(stopped(rx))));
                            running_stop = Some(tx);
                        } else if state == VmState::Running && running_stop.is_none() {
                            // running again before the last run's followers have ended
                            restart = true;
                        } else if state != VmState::Running {
                            restart = false;
                            if let Some(tx) = running_stop.take() {
                                let _ = tx.send(true);
                            }
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
                r = async { running.as_mut().expect("guarded").await }, if running.is_some() => {
                    running = None;
                    running_stop = None;
                    if let Err(e) = r {
                        tracing::info!("stopped following the running VM: {e}");
                    }
                    if std::mem::take(&mut restart) {
                        let (tx, rx) = watch::channel(false);
                        running = Some(Box::pin(self.follow_running(stopped(rx))));
                        running_stop = Some(tx);
                    }
                }
            }
        }
        let _ = all_tx.send(true);
        if let Some(tx) = running_stop.take() {
            let _ = tx.send(true);
        }
        if let Some(r) = running.take() {
            let _ = r.await;
        }
        outcome
    }
}
