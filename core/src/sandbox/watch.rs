//! The one follower (issue 15): the VM's state, whoever changes it, and while the VM runs
//! everything that happens in it — firewall denials, the agent's review requests and writes,
//! Telegram pairing, yolo applies — as events on the bus. `sandbox watch` and the app both
//! run it; nothing here polls where an event exists (yolo's interval is its own setting).

use super::{Sandbox, SandboxError};
use crate::events::{Event, VmState};
use std::future::Future;
use tokio::sync::watch;

/// The followers of one run of the VM ([`Sandbox::follow_running`]), while they run.
type RunningFollowers<'a> = std::pin::Pin<Box<dyn Future<Output = Result<(), SandboxError>> + Send + 'a>>;

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
    /// Telegram pairing requests, in yolo mode the gate by itself, and a copied vault
    /// ([`Self::follow_vault_copy`]). A part that cannot run
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
        let alerts =
            follow_reconnecting(open, &self.bus, crate::firewall::ThrottleConfig::default(), std::time::Duration::from_secs(30), stopped(stop_rx.clone()));
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
        let vault = async {
            if let Err(e) = self.follow_vault_copy(stopped(stop_rx.clone())).await {
                self.bus.publish(Event::Error { message: format!("the vault copy is not kept current: {e}") });
            }
        };
        tokio::join!(stopper, alerts, agent, pairing, yolo, vault);
        Ok(())
    }

    /// The one follower, until `stop`: the VM's state ([`Self::follow_vm_state`]), each time
    /// it runs [`Self::follow_running`] until it no longer does, and what other processes
    /// change in the profile and the review queue ([`Self::follow_files`]).
    pub async fn watch(&self, stop: impl Future<Output = ()>) -> Result<(), SandboxError> {
        let (tx, rx) = watch::channel(false);
        let stopper = async move {
            stop.await;
            let _ = tx.send(true);
        };
        let (_, vm, files) = tokio::join!(stopper, self.watch_vm(stopped(rx.clone())), self.follow_files(stopped(rx)));
        vm.and(files)
    }

    /// [`Self::follow_vm_state`] and, while the VM runs, [`Self::follow_running`].
    async fn watch_vm(&self, stop: impl Future<Output = ()>) -> Result<(), SandboxError> {
        let mut events = self.bus.subscribe();
        let (all_tx, all_rx) = watch::channel(false);
        let state = self.follow_vm_state(stopped(all_rx.clone()));
        tokio::pin!(state, stop);
        let mut running: Option<RunningFollowers<'_>> = None;
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

/// What the follower last knew of each review request (its own bus and the queue's files).
fn state_event(req: &crate::sync::queue::Request) -> Option<Event> {
    use crate::sync::queue::RequestState;
    match req.state {
        RequestState::Pending => {
            Some(Event::SyncRequested { id: req.id.clone(), message: req.message.clone(), changes: req.changes.len(), blocked: req.blocked, root: req.root })
        }
        RequestState::Applied => Some(Event::SyncApplied { id: req.id.clone(), files: req.selection.as_ref().map_or(req.changes.len(), |s| s.len()) }),
        RequestState::Rejected => Some(Event::SyncRejected { id: req.id.clone() }),
        _ => None,
    }
}

impl Sandbox {
    /// Until `stop`: changes other processes make to the profile (`ProfileChanged`) and to the
    /// review queue (a request queued by `sandbox sync`, applied or rejected from a terminal:
    /// `SyncRequested`, `SyncApplied`, `SyncRejected`), as events — watched with `notify`
    /// (FSEvents / inotify), never polled. What this process already published is not
    /// published twice.
    pub async fn follow_files(&self, stop: impl Future<Output = ()>) -> Result<(), SandboxError> {
        use notify::{RecursiveMode, Watcher};
        use std::collections::HashMap;
        let profile = self.profile.source.clone().unwrap_or_else(|| self.paths.profile_file());
        let queue = self.queue()?;
        let requests = self.paths.data_dir.join("sync").join("requests");
        std::fs::create_dir_all(&requests).map_err(|e| SandboxError::Io { path: requests.clone(), source: e })?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<std::path::PathBuf>();
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            // our own reads of the profile and the queue are not news (crate::fs_watch)
            if let Some(ev) = res.ok().filter(crate::fs_watch::is_change) {
                for p in ev.paths {
                    let _ = tx.send(p);
                }
            }
        })
        .map_err(|e| SandboxError::Watch { detail: e.to_string() })?;
        watcher.watch(&requests, RecursiveMode::Recursive).map_err(|e| SandboxError::Watch { detail: format!("{}: {e}", requests.display()) })?;
        if let Some(dir) = profile.parent() {
            watcher.watch(dir, RecursiveMode::NonRecursive).map_err(|e| SandboxError::Watch { detail: format!("{}: {e}", dir.display()) })?;
        }
        let mut events = self.bus.subscribe();
        let mut known: HashMap<String, crate::sync::queue::RequestState> = queue.list()?.into_iter().map(|r| (r.id, r.state)).collect();
        let mut profile_text = std::fs::read(&profile).ok();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return Ok(()),
                ev = events.recv() => {
                    use crate::sync::queue::RequestState;
                    match ev {
                        Ok(Event::SyncRequested { id, .. }) => { known.insert(id, RequestState::Pending); }
                        Ok(Event::SyncApplied { id, .. }) => { known.insert(id, RequestState::Applied); }
                        Ok(Event::SyncRejected { id }) => { known.insert(id, RequestState::Rejected); }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
                        _ => {}
                    }
                }
                Some(first) = rx.recv() => {
                    // a burst (an atomic rename writes several entries) is one look
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    let mut paths = vec![first];
                    while let Ok(p) = rx.try_recv() {
                        paths.push(p);
                    }
                    if paths.iter().any(|p| p == &profile) {
                        let now = std::fs::read(&profile).ok();
                        if now != profile_text {
                            profile_text = now;
                            self.bus.publish(Event::ProfileChanged { path: profile.display().to_string() });
                        }
                    }
                    if paths.iter().any(|p| p.starts_with(&requests)) {
                        // Read under the queue lock: whoever writes a request (this process or
                        // another) holds it from creating the request until it is complete and
                        // announced, so what is read is final, and what this process announced
                        // meanwhile is on the bus already.
                        let dir = self.paths.data_dir.join("sync");
                        let listed = tokio::task::spawn_blocking(move || -> Result<Vec<crate::sync::queue::Request>, crate::sync::SyncError> {
                            let q = crate::sync::queue::Queue::open(&dir)?;
                            let _lock = q.lock()?;
                            q.list()
                        })
                        .await
                        .map_err(|e| SandboxError::Watch { detail: format!("the queue reader stopped: {e}") })??;
                        while let Ok(ev) = events.try_recv() {
                            use crate::sync::queue::RequestState;
                            match ev {
                                Event::SyncRequested { id, .. } => { known.insert(id, RequestState::Pending); }
                                Event::SyncApplied { id, .. } => { known.insert(id, RequestState::Applied); }
                                Event::SyncRejected { id } => { known.insert(id, RequestState::Rejected); }
                                _ => {}
                            }
                        }
                        for req in listed {
                            let before = known.insert(req.id.clone(), req.state);
                            // a request nobody was told about that is already decided (e.g. an
                            // empty collection rejected at once) is news to no one
                            let news = before != Some(req.state) && (before.is_some() || req.state == crate::sync::queue::RequestState::Pending);
                            if let Some(e) = state_event(&req).filter(|_| news) {
                                self.bus.publish(e);
                            }
                        }
                    }
                }
            }
        }
    }
}
