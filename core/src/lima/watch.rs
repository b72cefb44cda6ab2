//! Following the VM's state without polling: `limactl watch --json NAME` (Lima ≥ 2.1) prints
//! one hostagent event per line; each event triggers one authoritative `limactl list` and a
//! `StateChanged` event when the state really changed.

use super::{LimaError, Limactl};
use crate::events::{Event, EventBus, VmState};
use crate::sandbox::vm_state;
use serde::Deserialize;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

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

impl Limactl {
    /// Follow `name` until `limactl watch` ends, publishing `StateChanged` on `bus` whenever the
    /// state changes (and a `Notice` when the VM reports DEGRADED). Returns when the watch
    /// process exits; an error means this limactl cannot watch (Lima < 2.1): callers then
    /// refresh with [`Limactl::instance`] after their own operations instead.
    pub async fn follow_state(&self, name: &str, bus: &EventBus) -> Result<(), LimaError> {
        let mut child = self
            .base_command()
            .args(["watch", "--json", name])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| LimaError::Spawn { program: self.program().to_path_buf(), source: e })?;
        // Read the state after the watch started, so no change falls between the two.
        let mut last = vm_state(self.instance(name).await?.as_ref());
        bus.publish(Event::StateChanged { instance: name.into(), state: last });
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let Some(ev) = parse_watch_line(&line) else { continue };
            if ev.instance != name {
                continue;
            }
            if ev.degraded {
                bus.publish(Event::Notice { message: format!("The VM `{name}` is DEGRADED: file sharing and port forwarding may not work") });
            }
            let state = match hinted_state(&ev) {
                Some(VmState::Stopping) => VmState::Stopping,
                _ => vm_state(self.instance(name).await?.as_ref()),
            };
            if state != last {
                last = state;
                bus.publish(Event::StateChanged { instance: name.into(), state });
            }
        }
        let status = child.wait().await.map_err(|e| LimaError::Spawn { program: self.program().to_path_buf(), source: e })?;
        if !status.success() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use tokio::io::AsyncReadExt;
                let _ = e.read_to_string(&mut err).await;
            }
            return Err(LimaError::Failed {
                verb: "watch".into(),
                code: status.code().unwrap_or(-1),
                message: super::progress::message_of(err.lines().last().unwrap_or("")),
                hint: ". Lima 2.1 or newer is needed to follow the VM's state live".into(),
            });
        }
        // The hostagent is gone: report the final state.
        let state = vm_state(self.instance(name).await?.as_ref());
        if state != last {
            bus.publish(Event::StateChanged { instance: name.into(), state });
        }
        Ok(())
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
