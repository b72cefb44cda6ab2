//! The app's shared state: where things live, the event bus, the model and core's services.

use crate::model::AppModel;
use crate::services::{Control, Firewall, Keychain, Reviewer, Services};
use sandbox_core::events::{Event, EventBus};
use sandbox_core::paths::Paths;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// A firewall-alert follower to run (see [`AppState::alerts_on_state`]).
pub struct AlertFollower {
    generation: u64,
    stop: tokio::sync::oneshot::Receiver<()>,
}

type Renderer = Box<dyn Fn(&AppModel) + Send + Sync>;

pub struct AppState {
    pub paths: Paths,
    pub profile_path: PathBuf,
    pub bus: EventBus,
    pub control: Arc<dyn Control>,
    pub keychain: Arc<dyn Keychain>,
    pub reviewer: Arc<dyn Reviewer>,
    pub firewall: Arc<dyn Firewall>,
    /// Wakes the VM follower (after set-up or a start), see `follow_vm`.
    pub kick: tokio::sync::Notify,
    /// Stops the firewall-alert follower; `Some` while one runs (with its generation).
    alerts: Mutex<(u64, Option<tokio::sync::oneshot::Sender<()>>)>,
    model: Mutex<AppModel>,
    renderer: OnceLock<Renderer>,
    /// Counts Stop requests: a start that fails after the user stopped the VM is not an error.
    stops: std::sync::atomic::AtomicU64,
    /// In a window process: the menu-bar process it belongs to, which owns starts and stops.
    tray: OnceLock<Arc<crate::window_link::TrayLink>>,
    /// Commands at work (see [`Self::busy`]); a window process ends only when this is 0.
    busy: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
}

/// A command at work, from [`AppState::busy`] until dropped.
pub struct Busy<'a>(&'a AppState);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if self.0.busy.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl AppState {
    pub fn new(paths: Paths, profile_path: PathBuf, bus: EventBus, services: Services) -> Self {
        let model = AppModel { profile_present: profile_path.exists(), ..AppModel::default() };
        let Services { control, keychain, reviewer, firewall } = services;
        AppState {
            paths,
            profile_path,
            bus,
            control,
            keychain,
            reviewer,
            firewall,
            kick: tokio::sync::Notify::new(),
            alerts: Mutex::new((0, None)),
            model: Mutex::new(model),
            renderer: OnceLock::new(),
            stops: std::sync::atomic::AtomicU64::new(0),
            tray: OnceLock::new(),
            busy: std::sync::atomic::AtomicUsize::new(0),
            idle: tokio::sync::Notify::new(),
        }
    }

    /// This state is a window process's: starts, stops and a new profile go to its tray.
    pub fn set_tray(&self, link: Arc<crate::window_link::TrayLink>) {
        let _ = self.tray.set(link);
    }

    /// Mark a command at work that must not be cut off (an apply, a write to the keychain or
    /// the profile): its window process outlives its window until the command is done.
    pub fn busy(&self) -> Busy<'_> {
        self.busy.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Busy(self)
    }

    pub fn is_busy(&self) -> bool {
        self.busy.load(std::sync::atomic::Ordering::SeqCst) > 0
    }

    /// Wait until no command is at work.
    pub async fn until_idle(&self) {
        loop {
            let idle = self.idle.notified();
            if !self.is_busy() {
                return;
            }
            idle.await;
        }
    }

    /// The wizard wrote the profile: count it present, ask the VM's state, wake the follower.
    pub async fn profile_written(&self) {
        if let Some(tray) = self.tray.get() {
            if let Err(e) = tray.call(crate::window_link::TrayCall::ProfileWritten).await {
                tracing::warn!("the menu-bar app did not hear of the new profile: {}", e.message);
            }
            return;
        }
        self.update(|m| !std::mem::replace(&mut m.profile_present, true));
        self.refresh_state().await;
        self.kick.notify_one();
    }

    /// Where the tray and windows get re-rendered (set once, in the app's setup).
    pub fn set_renderer(&self, r: impl Fn(&AppModel) + Send + Sync + 'static) {
        let _ = self.renderer.set(Box::new(r));
    }

    pub fn model(&self) -> AppModel {
        self.model.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Change the model; re-render when `f` says something changed.
    pub fn update(&self, f: impl FnOnce(&mut AppModel) -> bool) {
        let changed = {
            let mut m = self.model.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut m).then(|| m.clone())
        };
        if let (Some(m), Some(r)) = (changed, self.renderer.get()) {
            r(&m);
        }
    }

    /// Fold one core event into the model. A changed profile (the release check may have been
    /// turned on or the pin changed) or a VM that came up asks core's release check again, off
    /// the event loop; it asks the registry at most once a day, and only when opted in.
    pub fn apply(&self, event: &Event) {
        if matches!(event, Event::ProfileChanged { .. } | Event::StateChanged { state: sandbox_core::events::VmState::Running, .. }) {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let control = self.control.clone();
                rt.spawn(async move { check_release(control.as_ref()).await });
            }
        }
        self.update(|m| m.apply(event));
    }

    /// Start the sandbox; a failure is published as an event (tray and windows show it).
    pub async fn start(&self) -> crate::error::CmdResult<()> {
        use std::sync::atomic::Ordering;
        if let Some(tray) = self.tray.get() {
            return tray.call(crate::window_link::TrayCall::Start).await;
        }
        let stops_before = self.stops.load(Ordering::SeqCst);
        let r = self.control.up().await;
        self.kick.notify_one();
        if let Err(e) = &r {
            // Stopped by the user while it was still starting (provisioning, secrets): the
            // start's failure is the user's intent, not an error to show.
            if self.stops.load(Ordering::SeqCst) == stops_before {
                self.bus.publish(Event::Error { message: e.message.clone() });
            }
        }
        r
    }

    pub async fn stop(&self, force: bool) -> crate::error::CmdResult<()> {
        if let Some(tray) = self.tray.get() {
            return tray.call(crate::window_link::TrayCall::Stop { force }).await;
        }
        self.stops.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let r = self.control.down(force).await;
        if let Err(e) = &r {
            self.bus.publish(Event::Error { message: e.message.clone() });
        }
        r
    }

    /// Follow the VM's state for the app's lifetime: core's follower runs as long as the app
    /// does (it sees starts, stops and crashes by anyone, with or without `limactl watch`).
    /// Before there is a profile, or if it fails, this sleeps until something may have changed
    /// (set-up, a start), with one `limactl list` after a failure. No timers anywhere.
    pub async fn follow_vm(&self) {
        loop {
            self.load_pending().await;
            let follow = async {
                match self.control.follow().await {
                    Ok(()) => {}
                    Err(e) if e.kind == crate::error::ErrorKind::NoProfile => {}
                    Err(_) => self.refresh_state().await,
                }
            };
            // at launch and after set-up: the release check runs beside the follower
            tokio::join!(check_release(self.control.as_ref()), follow);
            self.kick.notified().await;
        }
    }

    /// Follow firewall alerts exactly while the VM runs. Called in event order for every
    /// state change: the first `Running` returns a follower to run ([`Self::run_alerts`]); any
    /// other state stops the running one.
    pub fn alerts_on_state(&self, state: sandbox_core::events::VmState) -> Option<AlertFollower> {
        let mut slot = self.alerts.lock().unwrap_or_else(|e| e.into_inner());
        if state == sandbox_core::events::VmState::Running {
            if slot.1.is_some() {
                return None;
            }
            let (tx, stop) = tokio::sync::oneshot::channel();
            slot.0 += 1;
            slot.1 = Some(tx);
            return Some(AlertFollower { generation: slot.0, stop });
        }
        if let Some(tx) = slot.1.take() {
            let _ = tx.send(());
        }
        None
    }

    /// Run a follower from [`Self::alerts_on_state`] until it is stopped or fails.
    pub async fn run_alerts(&self, f: AlertFollower) {
        if let Err(e) = self.control.follow_alerts(f.stop).await {
            tracing::warn!("cannot follow firewall alerts: {}", e.message);
        }
        let mut slot = self.alerts.lock().unwrap_or_else(|e| e.into_inner());
        if slot.0 == f.generation {
            slot.1 = None;
        }
    }

    /// Requests already waiting (from before the app started) count in the tray too.
    pub async fn load_pending(&self) {
        if let Ok(reqs) = self.reviewer.list().await {
            self.update(|m| {
                let mut changed = false;
                for r in reqs {
                    changed |= m.apply(&sandbox_core::events::Event::SyncRequested {
                        id: r.id,
                        message: r.message,
                        changes: r.files.len(),
                        blocked: r.blocked,
                        root: r.root,
                    });
                }
                changed
            });
        }
    }

    /// Ask core once for the VM's state (never on a timer).
    pub async fn refresh_state(&self) {
        match self.control.state().await {
            Ok((instance, state)) => self.apply(&Event::StateChanged { instance, state }),
            Err(e) if e.kind == crate::error::ErrorKind::NoProfile => {}
            Err(e) => self.apply(&Event::Error { message: e.message }),
        }
    }
}

/// Core's release check; its answer arrives as an event (no profile yet: nothing to check).
async fn check_release(control: &dyn Control) {
    if let Err(e) = control.check_release().await {
        if e.kind != crate::error::ErrorKind::NoProfile {
            tracing::debug!("release check not run: {}", e.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CmdResult;
    use crate::services::NotInThisBuild;
    use sandbox_core::events::{ReleaseStatus, VmState};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts what reaches core in this process: starts and stops, and release checks (each
    /// publishes a newer release, as core would).
    #[derive(Default)]
    struct Fake {
        ups_and_downs: AtomicUsize,
        checks: AtomicUsize,
        bus: EventBus,
    }

    #[async_trait::async_trait]
    impl Control for Fake {
        async fn up(&self) -> CmdResult<()> {
            self.ups_and_downs.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        async fn down(&self, _: bool) -> CmdResult<()> {
            self.ups_and_downs.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        async fn state(&self) -> CmdResult<(String, VmState)> {
            Ok(("i".into(), VmState::Stopped))
        }
        async fn follow(&self) -> CmdResult<()> {
            Ok(())
        }
        async fn follow_alerts(&self, _: tokio::sync::oneshot::Receiver<()>) -> CmdResult<()> {
            Ok(())
        }
        async fn check_release(&self) -> CmdResult<()> {
            self.checks.fetch_add(1, Ordering::SeqCst);
            self.bus.publish(Event::ReleaseChecked { release: ReleaseStatus::Newer { current: "2026.9.6".into(), latest: "2026.10.1".into() } });
            Ok(())
        }
    }

    fn local_state(dir: &std::path::Path, control: Arc<Fake>) -> AppState {
        let paths = Paths::under(dir);
        let services =
            Services { control, keychain: Arc::new(NotInThisBuild("k")), reviewer: Arc::new(NotInThisBuild("r")), firewall: Arc::new(NotInThisBuild("f")) };
        AppState::new(paths.clone(), paths.profile_file(), EventBus::default(), services)
    }

    #[tokio::test]
    async fn in_a_window_process_start_stop_and_a_new_profile_go_to_the_tray_not_to_core() {
        use crate::window_link::{decode, ToTray, TrayCall};
        let dir = tempfile::tempdir().unwrap();
        let control = Arc::new(Fake::default());
        let state = Arc::new(local_state(dir.path(), control.clone()));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let sink = calls.clone();
        let link = Arc::new(crate::window_link::TrayLink::new(move |l| {
            if let Some(ToTray::Call { id, call }) = decode::<ToTray>(std::str::from_utf8(l).unwrap()) {
                sink.lock().unwrap().push((id, call));
            }
            Ok(())
        }));
        state.set_tray(link.clone());
        let answer = |want: TrayCall| {
            let (calls, link) = (calls.clone(), link.clone());
            async move {
                for _ in 0..200 {
                    let got = calls.lock().unwrap().pop();
                    if let Some((id, call)) = got {
                        assert_eq!(call, want);
                        link.answered(id, Ok(()));
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                panic!("{want:?} never reached the tray");
            }
        };
        let (r, ()) = tokio::join!(state.start(), answer(TrayCall::Start));
        r.unwrap();
        let (r, ()) = tokio::join!(state.stop(true), answer(TrayCall::Stop { force: true }));
        r.unwrap();
        let ((), ()) = tokio::join!(state.profile_written(), answer(TrayCall::ProfileWritten));
        assert_eq!(control.ups_and_downs.load(Ordering::SeqCst), 0, "nothing ran in the window process itself");
        assert!(!state.model().profile_present, "the model is the tray's to change");
        // without a tray (the menu-bar process itself) they run here
        let tray = local_state(dir.path(), control.clone());
        tray.start().await.unwrap();
        tray.stop(false).await.unwrap();
        tray.profile_written().await;
        assert_eq!(control.ups_and_downs.load(Ordering::SeqCst), 2);
        assert!(tray.model().profile_present);
    }

    #[tokio::test]
    async fn a_window_process_waits_for_commands_at_work_before_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let state = Arc::new(local_state(dir.path(), Arc::default()));
        tokio::time::timeout(std::time::Duration::from_secs(1), state.until_idle()).await.expect("idle at once");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let worker = tokio::spawn({
            let state = state.clone();
            async move {
                let _busy = state.busy();
                let _inner = state.busy();
                rx.await.unwrap();
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(state.is_busy());
        let waiter = tokio::spawn({
            let state = state.clone();
            async move { state.until_idle().await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "it waits while a command works");
        tx.send(()).unwrap();
        worker.await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(1), waiter).await.expect("idle after the command").unwrap();
        assert!(!state.is_busy());
    }

    #[tokio::test]
    async fn a_changed_profile_or_a_started_vm_asks_the_release_check_and_its_answer_reaches_the_tray() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::write(dir.path().join("config/profile.toml"), "").unwrap();
        let checks = Arc::new(Fake::default());
        let mut rx = checks.bus.subscribe();
        let state = local_state(dir.path(), checks.clone());
        let settle = || tokio::time::sleep(std::time::Duration::from_millis(20));
        for quiet in [Event::Notice { message: "hi".into() }, Event::StateChanged { instance: "i".into(), state: VmState::Stopped }] {
            state.apply(&quiet);
        }
        settle().await;
        assert_eq!(checks.checks.load(Ordering::SeqCst), 0);
        state.apply(&Event::ProfileChanged { path: "p".into() });
        settle().await;
        assert_eq!(checks.checks.load(Ordering::SeqCst), 1);
        state.apply(&Event::StateChanged { instance: "i".into(), state: VmState::Running });
        settle().await;
        assert_eq!(checks.checks.load(Ordering::SeqCst), 2);
        // the answer comes back on the bus; folded like every event (the app's forwarder does this)
        let answer = loop {
            match rx.recv().await.unwrap() {
                e @ Event::ReleaseChecked { .. } => break e,
                _ => continue,
            }
        };
        state.apply(&answer);
        settle().await;
        let tray = state.model().tray();
        assert!(
            tray.menu.iter().any(
                |e| matches!(e, crate::model::MenuEntry::Item { label, enabled: false, .. } if label == "OpenClaw 2026.10.1 available (profile pins 2026.9.6)")
            ),
            "{tray:?}"
        );
        assert_eq!(checks.checks.load(Ordering::SeqCst), 2, "an answer does not ask again");
    }
}
