//! The one `Event` enum every front end subscribes to, and the bus that carries it.
//!
//! Core publishes; the CLI renders events as progress bars and lines, the app as tray state
//! and notifications, the MCP server as progress notifications. Front ends never invent
//! state of their own: if it is not an event (or a facade call's result), it did not happen.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// Which of the agent's writable trees a request is for: `/workspace` over the project
/// (`project`) or `/workspace-obsidian` over the Obsidian vault (`vault`). Requests queued
/// before there was a vault carry no root and read as `project`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncRoot {
    #[default]
    Project,
    Vault,
}

impl SyncRoot {
    pub const ALL: [SyncRoot; 2] = [SyncRoot::Project, SyncRoot::Vault];

    pub fn as_str(self) -> &'static str {
        match self {
            SyncRoot::Project => "project",
            SyncRoot::Vault => "vault",
        }
    }
}

impl std::fmt::Display for SyncRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `project` or `vault` (what `--root` takes).
impl std::str::FromStr for SyncRoot {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "project" => Ok(SyncRoot::Project),
            "vault" => Ok(SyncRoot::Vault),
            other => Err(format!("unknown sync root `{other}`: use `project` or `vault`")),
        }
    }
}

/// Life-cycle state of the sandbox VM, as front ends show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VmState {
    /// No instance exists yet.
    Absent,
    Stopped,
    Starting,
    Running,
    Stopping,
    /// Lima says the instance is broken (e.g. host agent alive, driver dead); `stop -f` recovers.
    Broken,
    /// Any state Lima reports that we do not model (including Lima's empty status).
    Unknown,
}

/// One step of a long operation (`up`, `down`, provisioning, sync apply).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Which operation: "up", "down", "provision", …
    pub operation: String,
    /// Short machine-readable step id, e.g. "download", "boot", "requirement", "ready".
    pub step: String,
    /// Human text for the step.
    pub message: String,
    /// Overall completion in 0.0..=1.0 when known.
    pub fraction: Option<f32>,
}

/// Direction of a blocked connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
    /// A DNS query for a domain outside the allowlist.
    Dns,
}

/// A (possibly aggregated) blocked connection, as alerts show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockedConnection {
    pub direction: Direction,
    /// "tcp", "udp", "icmp", … as the kernel logged it.
    pub proto: Option<String>,
    pub src: Option<String>,
    pub dst: Option<String>,
    pub dport: Option<u16>,
    /// The domain, when the denial came from the resolver or is known from it.
    pub domain: Option<String>,
    /// How many denials this alert stands for (after de-duplication/throttling).
    pub count: u64,
}

/// What the opt-in check for a newer OpenClaw release found (`check_openclaw_updates` under
/// `[agent]` in the profile; `core::release_check`). `current` is the profile's pin, the version
/// `sandbox up` installs. Nothing is ever installed by the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReleaseStatus {
    /// The check is off (the default), or the profile runs no gateway: nothing was asked.
    Off,
    /// The registry's `latest` is not newer than the pin.
    UpToDate { current: String, latest: String },
    /// The registry's `latest` is newer than the pin.
    Newer { current: String, latest: String },
    /// The registry could not be asked or its answer not read; `why` says what happened.
    Unknown { current: String, why: String },
}

/// Everything core tells front ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The VM changed state.
    StateChanged { instance: String, state: VmState },
    /// A step of a long operation.
    Progress(Progress),
    /// A note worth showing the user (already redacted).
    Notice { message: String },
    /// Something failed; `message` says what happened and what to do.
    Error { message: String },
    /// The agent (or the user, or a quiet period) asked for a sync review. `root`: which
    /// overlay (`project` or `vault`; absent in older JSON = project).
    SyncRequested {
        id: String,
        message: Option<String>,
        changes: usize,
        blocked: bool,
        #[serde(default)]
        root: SyncRoot,
    },
    /// A sync request was applied to the host.
    SyncApplied { id: String, files: usize },
    /// A sync request was rejected by the user.
    SyncRejected { id: String },
    /// The overlay's upper layer changed (from the in-VM audit watcher).
    OverlayChanged { path: String, action: String },
    /// The firewall dropped traffic or the resolver refused a domain.
    FirewallBlocked(BlockedConnection),
    /// The profile file was changed (by this process or another: `sandbox firewall allow`,
    /// an editor, the app's Settings). Front ends re-read what they show from it.
    ProfileChanged { path: String },
    /// A stranger DMed the Telegram bot and got a pairing `code`; only the user approves it
    /// (`sandbox pairing approve CODE`). `name` is the sender's @username or name, when known.
    PairingRequested { channel: String, code: String, sender: String, name: Option<String> },
    /// The opt-in release check ran (also when it is off: then `release` is `off`, and front
    /// ends drop what they showed).
    ReleaseChecked { release: ReleaseStatus },
}

/// A cheap, cloneable broadcast bus for [`Event`]s.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(256)
    }
}

impl EventBus {
    /// A bus that buffers up to `capacity` events per slow subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        EventBus { tx }
    }

    /// Publish; having no subscriber is fine. Every text in the event passes this process's
    /// redactor first ([`crate::redact::door`]): no subscriber — terminal, window, tray,
    /// notification, MCP client — can receive a known secret value or a token shape.
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(redacted(event, crate::redact::door()));
    }

    /// Subscribe to every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}

/// `event` with every string in it redacted (the same event when nothing needed it). An event
/// that cannot be checked is not passed on as it is.
fn redacted(event: Event, door: &crate::redact::SharedRedactor) -> Event {
    let unshowable = || Event::Error { message: "an event was withheld: it could not be checked for secrets".into() };
    let Ok(mut v) = serde_json::to_value(&event) else { return unshowable() };
    if !door.redact_json(&mut v) {
        return event;
    }
    serde_json::from_value(v).unwrap_or_else(|_| unshowable())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_text_of_every_event_passes_the_door() {
        let bus = EventBus::default();
        let mut rx = bus.subscribe();
        crate::redact::door().learn("BUS_CANARY", "canary-bus-0c9d2e71");
        let events = [
            Event::Error { message: "limactl said: canary-bus-0c9d2e71".into() },
            Event::Notice { message: "token ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 seen".into() },
            Event::OverlayChanged { path: "/workspace/canary-bus-0c9d2e71.txt".into(), action: "create".into() },
            Event::Progress(Progress { operation: "up".into(), step: "boot".into(), message: "Bearer abcdefghijklmnopqrstuvwxyz0123".into(), fraction: None }),
            Event::PairingRequested { channel: "telegram".into(), code: "ABCD1234".into(), sender: "canary-bus-0c9d2e71".into(), name: None },
        ];
        for e in events {
            bus.publish(e);
            let got = serde_json::to_string(&rx.recv().await.unwrap()).unwrap();
            assert!(!got.contains("canary-bus-0c9d2e71") && !got.contains("ghp_Ab") && !got.contains("abcdefghijklmnop"), "{got}");
            assert!(got.contains("[REDACTED"), "{got}");
        }
        // untouched events stay as they were (tags, states, codes)
        bus.publish(Event::StateChanged { instance: "x".into(), state: VmState::Running });
        assert_eq!(rx.recv().await.unwrap(), Event::StateChanged { instance: "x".into(), state: VmState::Running });
    }

    #[tokio::test]
    async fn subscribers_receive_published_events() {
        let bus = EventBus::default();
        let mut rx = bus.subscribe();
        bus.publish(Event::Notice { message: "hi".into() });
        assert_eq!(rx.recv().await.unwrap(), Event::Notice { message: "hi".into() });
    }

    #[test]
    fn events_serialize_with_a_type_tag() {
        let e = Event::StateChanged { instance: "x".into(), state: VmState::Running };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "state_changed");
        assert_eq!(v["state"], "running");
        let e = Event::ReleaseChecked { release: ReleaseStatus::Newer { current: "1.0.0".into(), latest: "1.1.0".into() } };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["release"]["status"].as_str(), v["release"]["latest"].as_str()),
            (Some("release_checked"), Some("newer"), Some("1.1.0"))
        );
        assert_eq!(serde_json::from_value::<Event>(v).unwrap(), e);
    }
}
