//! Rendering core events on the terminal: a progress bar on a TTY, plain lines otherwise.

use indicatif::{ProgressBar, ProgressStyle};
use sandbox_core::events::{Event, EventBus};
use std::io::IsTerminal;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

/// Follow `bus` until the returned handle is aborted or the bus closes.
pub fn follow(bus: &EventBus) -> Follower {
    let mut rx = bus.subscribe();
    let tty = std::io::stderr().is_terminal();
    let bar = tty.then(|| {
        let b = ProgressBar::new(100);
        b.set_style(ProgressStyle::with_template("{spinner} [{bar:30}] {pos:>3}% {msg}").expect("valid template").progress_chars("=> "));
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    let bar2 = bar.clone();
    let task = tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(event) => show(&event, bar2.as_ref()),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
        }
    });
    Follower { task, bar }
}

pub struct Follower {
    task: JoinHandle<()>,
    bar: Option<ProgressBar>,
}

impl Follower {
    /// Let queued events print, then stop.
    pub async fn finish(self) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        self.task.abort();
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

fn show(event: &Event, bar: Option<&ProgressBar>) {
    let line = match event {
        Event::Progress(p) => {
            let pct = p.fraction.map(|f| (f * 100.0).round() as u64);
            if let Some(b) = bar {
                if let Some(pct) = pct {
                    b.set_position(pct);
                }
                b.set_message(p.message.clone());
                return;
            }
            match pct {
                Some(pct) => format!("[{pct:>3}%] {}", p.message),
                None => format!("[    ] {}", p.message),
            }
        }
        other => line(other),
    };
    match bar {
        Some(b) => b.println(line),
        None => eprintln!("{line}"),
    }
}

/// One line of text for `event`, as `sandbox watch` prints it (and `--json` prints the event).
pub fn line(event: &Event) -> String {
    use sandbox_core::events::{Direction, ReleaseStatus};
    let plural = |n: usize, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
    match event {
        Event::StateChanged { instance, state } => {
            format!("{instance}: {}", serde_json::to_value(state).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default())
        }
        Event::Progress(p) => match p.fraction {
            Some(f) => format!("[{:>3}%] {}", (f * 100.0).round() as u64, p.message),
            None => format!("[    ] {}", p.message),
        },
        Event::Notice { message } => message.clone(),
        Event::Error { message } => format!("error: {message}"),
        Event::SyncRequested { id, message, changes, blocked, root } => {
            let why = message.as_deref().map(|m| format!(": \"{m}\"")).unwrap_or_default();
            let next = if *blocked {
                format!("something blocks it; see `sandbox sync show {id}`")
            } else {
                format!("review with `sandbox sync show {id}`, then `sandbox sync approve {id}` or `reject {id}`")
            };
            format!("review request {id} ({root}): {} changed{why}; {next}", plural(*changes, "file"))
        }
        Event::SyncApplied { id, files } => format!("applied {id}: {} written", plural(*files, "file")),
        Event::SyncRejected { id } => format!("rejected {id}"),
        Event::OverlayChanged { path, action } => format!("agent {action}: {path}"),
        Event::FirewallBlocked(b) => {
            let host = b.domain.clone().or_else(|| b.dst.clone()).unwrap_or_else(|| "?".into());
            let proto = b.proto.as_deref().map(|p| format!("/{p}")).unwrap_or_default();
            let times = if b.count > 1 { format!(" ({} times)", b.count) } else { String::new() };
            match (b.direction, b.dport) {
                (Direction::Dns, _) => format!("blocked a DNS lookup of {host}{times}"),
                (Direction::Inbound, Some(p)) => format!("blocked an incoming connection on port {p}{proto}{times}"),
                (_, Some(p)) => {
                    // what `sandbox firewall allow` takes: the domain, else address:port/proto
                    let target = match (&b.domain, b.proto.as_deref()) {
                        (Some(d), _) => d.clone(),
                        (None, Some(pr @ ("tcp" | "udp"))) if host.contains(':') => format!("[{host}]:{p}/{pr}"),
                        (None, Some(pr @ ("tcp" | "udp"))) => format!("{host}:{p}/{pr}"),
                        _ => host.clone(),
                    };
                    format!("blocked a connection to {host}:{p}{proto}{times}; `sandbox firewall allow {target}` lets it through")
                }
                (_, None) => format!("blocked a connection to {host}{proto}{times}"),
            }
        }
        Event::ProfileChanged { path } => format!("profile changed: {path}"),
        Event::ReleaseChecked { release } => match release {
            ReleaseStatus::Off => "OpenClaw release check: off".into(),
            ReleaseStatus::UpToDate { current, latest } => format!("OpenClaw {current} is current (npm's latest: {latest})"),
            ReleaseStatus::Newer { current, latest } => {
                format!("OpenClaw {latest} is available (the profile pins {current}): set openclaw_version = \"{latest}\" under [agent], then `sandbox up`")
            }
            ReleaseStatus::Unknown { why, .. } => format!("cannot tell whether a newer OpenClaw exists: {why}"),
        },
        Event::PairingRequested { channel, code, sender, name } => {
            let who = name.as_deref().unwrap_or(sender);
            format!("{channel} pairing request from {who} (code {code}); approve only if you know them: `sandbox pairing approve {code}`")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandbox_core::events::VmState;
    use sandbox_core::events::{BlockedConnection, Direction, Progress, SyncRoot};

    #[test]
    fn every_event_reads_as_a_sentence_not_a_debug_dump() {
        let blocked = |direction, dport| {
            Event::FirewallBlocked(BlockedConnection {
                direction,
                proto: Some("tcp".into()),
                src: Some("192.168.5.15".into()),
                dst: Some("203.0.113.7".into()),
                dport,
                domain: None,
                count: 3,
            })
        };
        let cases = [
            (Event::StateChanged { instance: "oc".into(), state: VmState::Running }, "oc: running"),
            (Event::Progress(Progress { operation: "up".into(), step: "boot".into(), message: "Booting".into(), fraction: Some(0.5) }), "[ 50%] Booting"),
            (Event::Error { message: "no".into() }, "error: no"),
            (
                Event::SyncRequested { id: "r1".into(), message: Some("done".into()), changes: 2, blocked: false, root: SyncRoot::Vault },
                "review request r1 (vault): 2 files changed: \"done\"; review with `sandbox sync show r1`, then `sandbox sync approve r1` or `reject r1`",
            ),
            (
                Event::SyncRequested { id: "r2".into(), message: None, changes: 1, blocked: true, root: SyncRoot::Project },
                "review request r2 (project): 1 file changed; something blocks it; see `sandbox sync show r2`",
            ),
            (Event::SyncApplied { id: "r1".into(), files: 1 }, "applied r1: 1 file written"),
            (
                Event::ReleaseChecked { release: sandbox_core::events::ReleaseStatus::Newer { current: "2026.9.6".into(), latest: "2026.10.1".into() } },
                "OpenClaw 2026.10.1 is available (the profile pins 2026.9.6): set openclaw_version = \"2026.10.1\" under [agent], then `sandbox up`",
            ),
            (Event::OverlayChanged { path: "/workspace/a".into(), action: "create".into() }, "agent create: /workspace/a"),
            (
                blocked(Direction::Outbound, Some(443)),
                "blocked a connection to 203.0.113.7:443/tcp (3 times); `sandbox firewall allow 203.0.113.7:443/tcp` lets it through",
            ),
            (blocked(Direction::Inbound, Some(22)), "blocked an incoming connection on port 22/tcp (3 times)"),
            (
                Event::PairingRequested { channel: "telegram".into(), code: "AB12".into(), sender: "42".into(), name: Some("@eve".into()) },
                "telegram pairing request from @eve (code AB12); approve only if you know them: `sandbox pairing approve AB12`",
            ),
        ];
        for (event, want) in cases {
            assert_eq!(line(&event), want);
        }
    }
}
