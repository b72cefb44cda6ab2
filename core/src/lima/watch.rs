//! Following the VM's state without polling: Lima's files and processes, and `limactl watch
//! --json NAME` (Lima ≥ 2.1) as hints; each wake triggers one authoritative `limactl list` and a
//! `StateChanged` event when the state really changed.

use super::{vm_state, LimaError, Limactl};
use crate::events::{Event, EventBus, VmState};
use serde::Deserialize;
use std::future::Future;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

/// What one `watch --json` line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEvent {
    pub instance: String,
    pub running: bool,
    pub degraded: bool,
    pub exiting: bool,
    pub errors: Vec<String>,
}

#[derive(Deserialize)]
struct RawLine {
    instance: String,
    event: RawEvent,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(default)]
    status: RawStatus,
}

#[derive(Deserialize, Default)]
struct RawStatus {
    #[serde(default)]
    running: bool,
    #[serde(default)]
    degraded: bool,
    #[serde(default)]
    exiting: bool,
    #[serde(default)]
    errors: Option<Vec<String>>,
}

/// Parse one line of `limactl watch --json`; `None` for anything else.
pub fn parse_watch_line(line: &str) -> Option<WatchEvent> {
    let raw: RawLine = serde_json::from_str(line.trim()).ok()?;
    Some(WatchEvent {
        instance: raw.instance,
        running: raw.event.status.running,
        degraded: raw.event.status.degraded,
        exiting: raw.event.status.exiting,
        errors: raw.event.status.errors.unwrap_or_default(),
    })
}

/// The state a watch event points to before `list` confirms it.
pub fn hinted_state(e: &WatchEvent) -> Option<VmState> {
    if e.exiting {
        Some(VmState::Stopping)
    } else if e.running {
        Some(VmState::Running)
    } else {
        None
    }
}

/// How the follower settles: an `exiting` event not followed by another within `settle` gets a
/// fresh read; file events closer than `coalesce` make one read.
#[derive(Debug, Clone, Copy)]
pub struct FollowTiming {
    pub settle: Duration,
    pub coalesce: Duration,
}

impl Default for FollowTiming {
    fn default() -> Self {
        FollowTiming { settle: Duration::from_secs(1), coalesce: Duration::from_millis(100) }
    }
}

/// Why the follower looks again.
enum Wake {
    /// Something changed in Lima's home or the instance's folder (pid or socket files).
    Files,
    /// One `limactl watch --json` line about this instance.
    Line(WatchEvent),
    /// `limactl watch` ended (or could not start: Lima < 2.1).
    WatchEnded,
    /// The host agent or the VM driver process exited.
    PidExited,
    /// An `exiting` event was not followed by another in time.
    Settle,
}

/// Lima's instance folder names that carry its state (pkg/limatype/filenames/filenames.go:
/// `ha.pid`, `ha.sock`, `<driver>.pid`); `limactl list` derives Running/Stopped/Broken from them
/// (pkg/store/instance.go, inspectStatusWithPIDFiles). Logs and the rest are noise here.
fn is_state_file(path: &Path, instance_dir: &Path) -> bool {
    if path == instance_dir {
        return true;
    }
    if path.parent() != Some(instance_dir) {
        return false;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name == "ha.sock" || name.ends_with(".pid")
}

impl Limactl {
    /// Follow the VM `name`'s state until `stop` resolves, publishing `StateChanged` on `bus`
    /// whenever it changes (and a `Notice` when the VM reports DEGRADED). Built for Lima as it
    /// is (issue 15):
    /// - `limactl watch --json NAME` (Lima ≥ 2.1) never ends by itself (cmd/limactl/watch.go);
    ///   its lines are hints, each confirmed by one `limactl list`; an `exiting` event not
    ///   followed by another within a second gets a fresh read (the host agent may be gone);
    /// - Lima's home and the instance's folder are watched (the `notify` crate: FSEvents on
    ///   macOS, inotify on Linux): pid and socket files appear and vanish when anyone starts,
    ///   stops or deletes the VM — also with Lima < 2.1, whose `limactl` has no `watch`;
    /// - the host agent's and the driver's processes are awaited (pidfd / kqueue): a crash
    ///   leaves its pid file behind, the exit is the event.
    ///
    /// No timer polls; every read of `limactl list` follows an event.
    pub async fn follow_state_until(&self, name: &str, bus: &EventBus, timing: FollowTiming, stop: impl Future<Output = ()>) -> Result<(), LimaError> {
        use notify::{RecursiveMode, Watcher};
        let home = self.lima_home().to_path_buf();
        let instance_dir = home.join(name);
        self.ensure_lima_home();
        let (tx, mut rx) = mpsc::unbounded_channel::<Wake>();
        let files_tx = tx.clone();
        let dir_for_filter = instance_dir.clone();
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            // `limactl list` opens the pid files: a look, not a change (crate::fs_watch)
            if let Some(ev) = res.ok().filter(crate::fs_watch::is_change) {
                if ev.paths.iter().any(|p| is_state_file(p, &dir_for_filter)) {
                    let _ = files_tx.send(Wake::Files);
                }
            }
        })
        .map_err(|e| LimaError::Watch { detail: e.to_string() })?;
        watcher.watch(&home, RecursiveMode::NonRecursive).map_err(|e| LimaError::Watch { detail: format!("{}: {e}", home.display()) })?;
        let mut dir_watched = watcher.watch(&instance_dir, RecursiveMode::NonRecursive).is_ok();

        // Read after the watches are in place, so no change falls between the two.
        let mut inst = self.instance(name).await?;
        let mut last = vm_state(inst.as_ref());
        bus.publish(Event::StateChanged { instance: name.into(), state: last });
        let mut watch_child: Option<tokio::task::JoinHandle<()>> = None;
        // One `limactl watch` per run of the VM: where Lima has none, it fails once per start.
        let mut watched_this_run = false;
        let mut awaited: Vec<u32> = Vec::new();
        let mut settle: Option<tokio::task::JoinHandle<()>> = None;
        tokio::pin!(stop);
        loop {
            // A `limactl watch` per run (a new start writes a new host agent log); the processes
            // the state rests on, awaited.
            if last != VmState::Running {
                watched_this_run = false;
            } else if !watched_this_run {
                watched_this_run = true;
                if let Some(h) = watch_child.take() {
                    h.abort();
                }
                watch_child = Some(self.spawn_watch(name, tx.clone()));
            }
            if let Some(i) = &inst {
                for pid in [i.host_agent_pid, i.driver_pid].into_iter().flatten().filter(|p| *p > 0) {
                    if !awaited.contains(&pid) {
                        awaited.push(pid);
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            if super::pid_exit::exited(pid as i32).await.is_ok() {
                                let _ = tx.send(Wake::PidExited);
                            }
                        });
                    }
                }
            }
            let wake = tokio::select! {
                _ = &mut stop => break,
                w = rx.recv() => match w { Some(w) => w, None => break },
            };
            let mut hint = None;
            let mut read = false;
            let absorb = |w: Wake, hint: &mut Option<VmState>, read: &mut bool| match w {
                Wake::Line(ev) => {
                    if ev.degraded {
                        bus.publish(Event::Notice { message: format!("The VM `{name}` is DEGRADED: file sharing and port forwarding may not work") });
                    }
                    match hinted_state(&ev) {
                        Some(VmState::Stopping) => *hint = Some(VmState::Stopping),
                        _ => {
                            *hint = None;
                            *read = true;
                        }
                    }
                }
                Wake::Files | Wake::PidExited | Wake::Settle | Wake::WatchEnded => *read = true,
            };
            absorb(wake, &mut hint, &mut read);
            // Coalesce a burst (Lima writes several files per step) into one read.
            tokio::time::sleep(timing.coalesce).await;
            while let Ok(w) = rx.try_recv() {
                absorb(w, &mut hint, &mut read);
            }
            if let Some(h) = settle.take() {
                h.abort();
            }
            let state = if let (Some(h), false) = (hint, read) {
                let tx = tx.clone();
                let after = timing.settle;
                settle = Some(tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    let _ = tx.send(Wake::Settle);
                }));
                h
            } else {
                inst = self.instance(name).await?;
                awaited.retain(|p| inst.as_ref().is_some_and(|i| i.host_agent_pid == Some(*p) || i.driver_pid == Some(*p)));
                vm_state(inst.as_ref())
            };
            if !dir_watched {
                dir_watched = watcher.watch(&instance_dir, RecursiveMode::NonRecursive).is_ok();
            } else if !instance_dir.exists() {
                dir_watched = false;
            }
            if state != last {
                last = state;
                bus.publish(Event::StateChanged { instance: name.into(), state });
            }
        }
        if let Some(h) = watch_child {
            h.abort();
        }
        if let Some(h) = settle {
            h.abort();
        }
        Ok(())
    }

    /// `limactl watch --json NAME` in the background, its lines and its end sent as wakes.
    fn spawn_watch(&self, name: &str, tx: mpsc::UnboundedSender<Wake>) -> tokio::task::JoinHandle<()> {
        let mut cmd = self.base_command();
        cmd.args(["watch", "--json", name]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).kill_on_drop(true);
        let name = name.to_string();
        tokio::spawn(async move {
            let Ok(mut child) = cmd.spawn() else {
                let _ = tx.send(Wake::WatchEnded);
                return;
            };
            let Some(out) = child.stdout.take() else { return };
            let mut lines = BufReader::new(out).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Some(ev) = parse_watch_line(&line).filter(|ev| ev.instance == name) else { continue };
                if tx.send(Wake::Line(ev)).is_err() {
                    return;
                }
            }
            let status = child.wait().await;
            if !matches!(status, Ok(s) if s.success()) {
                tracing::info!("`limactl watch` is not available or ended ({status:?}); following Lima's files and processes only");
            }
            let _ = tx.send(Wake::WatchEnded);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_watch_lines() {
        let l = r#"{"instance":"box","event":{"time":"2026-08-21T10:00:03+09:00","status":{"running":true,"sshLocalPort":60022}}}"#;
        let e = parse_watch_line(l).unwrap();
        assert_eq!(e.instance, "box");
        assert!(e.running && !e.exiting);
        assert_eq!(hinted_state(&e), Some(VmState::Running));
        let l = r#"{"instance":"box","event":{"time":"t","status":{"exiting":true}}}"#;
        assert_eq!(hinted_state(&parse_watch_line(l).unwrap()), Some(VmState::Stopping));
        let l = r#"{"instance":"box","event":{"time":"t","status":{"running":true,"degraded":true,"errors":["x"]}}}"#;
        let e = parse_watch_line(l).unwrap();
        assert!(e.degraded);
        assert_eq!(e.errors, vec!["x"]);
        let l = r#"{"instance":"box","event":{"time":"t","status":{"cloudInitProgress":{"logLine":"hi"}}}}"#;
        assert_eq!(hinted_state(&parse_watch_line(l).unwrap()), None);
        for junk in ["", "{}", "not json", r#"{"instance":1}"#] {
            assert_eq!(parse_watch_line(junk), None);
        }
    }
}
