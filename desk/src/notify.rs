//! Actionable notifications: which core events become one, with which actions, how often,
//! and what each action does. Pure (`plan`, `Throttle`, `reaction`); the menu-bar process
//! (`menubar/src/notify_desktop.rs`, `notify_macos.rs`) shows them and reports the actions back.

use crate::ipc_names::{WINDOW_REVIEW, WINDOW_SETTINGS};
use sandbox_core::events::{BlockedConnection, Direction, Event};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Action type ids registered with the plugin, and the action ids inside them.
pub mod actions {
    pub const TYPE_SYNC: &str = "sync-request";
    pub const TYPE_SYNC_BLOCKED: &str = "sync-request-blocked";
    pub const TYPE_BLOCKED: &str = "blocked-connection";
    pub const TYPE_PAIRING: &str = "pairing-request";
    pub const APPROVE: &str = "approve";
    pub const REVIEW: &str = "review";
    pub const REJECT: &str = "reject";
    pub const ALLOW: &str = "allow";
    pub const IGNORE: &str = "ignore";
    /// Open the window about it (Settings, for a blocked connection).
    pub const SHOW: &str = "show";
    pub const APPROVE_PAIRING: &str = "approve-pairing";
    /// A click on the notification's body (the plugin's name for it).
    pub const TAP: &str = "tap";
}

/// The buttons of each action type, in the order the OS shows them: (type, [(action id, title)]).
/// The **first** action of a type must never decide anything: macOS's older notification path
/// (the one notify-rust and tauri-plugin-notification use outside a bundle) shows two or more
/// actions under an "Options" button, and a click on that button reports the first action
/// (tauri-plugin-notification's `NotificationBuilder::show`); other servers may do likewise. So "Review…" / "Show…" come first;
/// Approve, Reject, Allow and Approve pairing only ever answer a click on their own word.
pub fn action_types() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    use actions::*;
    vec![
        (TYPE_SYNC, vec![(REVIEW, "Review…"), (APPROVE, "Approve"), (REJECT, "Reject")]),
        (TYPE_SYNC_BLOCKED, vec![(REVIEW, "Review…")]),
        (TYPE_BLOCKED, vec![(SHOW, "Show…"), (ALLOW, "Allow"), (IGNORE, "Ignore")]),
        (TYPE_PAIRING, vec![(APPROVE_PAIRING, "Approve pairing")]),
    ]
}

/// How the OS should treat an action's button (macOS's notification center honours all three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActionOptions {
    /// Only on an unlocked Mac: every decision (approve, reject, allow, pair).
    pub requires_unlock: bool,
    /// Shown as destructive (red): throwing the agent's work away.
    pub destructive: bool,
    /// Brings the app forward (it opens a window).
    pub opens_window: bool,
}

/// The options of action `id` (see [`action_types`]).
pub fn action_options(id: &str) -> ActionOptions {
    use actions::*;
    match id {
        APPROVE | ALLOW | APPROVE_PAIRING => ActionOptions { requires_unlock: true, ..Default::default() },
        REJECT => ActionOptions { requires_unlock: true, destructive: true, ..Default::default() },
        REVIEW | SHOW => ActionOptions { opens_window: true, ..Default::default() },
        _ => ActionOptions::default(),
    }
}

/// What a notification is about; travels with it (as `extra`) so its actions know their target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "about", rename_all = "snake_case")]
pub enum Subject {
    Sync {
        id: String,
        blocked: bool,
    },
    /// `target` is what "Allow" adds: the domain, or `IP:PORT/PROTO` (core's allow syntax).
    Blocked {
        target: String,
    },
    /// A Telegram pairing request; "Approve pairing" approves `code`.
    Pairing {
        code: String,
    },
    Failure,
}

/// A notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Throttling key: one notification per key per interval.
    pub key: String,
    pub title: String,
    pub body: String,
    /// The plugin action type (its buttons), if any.
    pub action_type: Option<&'static str>,
    pub subject: Subject,
}

fn blocked_host(b: &BlockedConnection) -> (String, Option<u16>) {
    let host = b.domain.clone().or_else(|| b.dst.clone()).unwrap_or_else(|| "an unknown host".into());
    (host, b.dport)
}

/// What "Allow" would add for this connection, in the syntax `sandbox firewall allow` takes.
fn allow_target(b: &BlockedConnection) -> Option<String> {
    if let Some(d) = &b.domain {
        return Some(d.clone());
    }
    let dst = b.dst.as_ref()?;
    let addr = if dst.contains(':') { format!("[{dst}]") } else { dst.clone() };
    Some(match (b.dport, &b.proto) {
        (Some(p), Some(proto)) if proto == "tcp" || proto == "udp" => format!("{addr}:{p}/{proto}"),
        _ => dst.clone(),
    })
}

/// The notification a core event deserves, if any. `project` names the project folder.
pub fn plan(event: &Event, project: &str) -> Option<Notice> {
    match event {
        Event::SyncRequested { id, changes, blocked, .. } => {
            let files = if *changes == 1 { "1 file".to_string() } else { format!("{changes} files") };
            let body = if *blocked {
                "Something in it is blocked (a secret or a forbidden path). Review it before anything can be applied.".to_string()
            } else {
                "Approve to apply the changes to your folder, or review them first.".to_string()
            };
            Some(Notice {
                key: format!("sync:{id}"),
                title: format!("Agent changed {files} in {project}"),
                body,
                action_type: Some(if *blocked { actions::TYPE_SYNC_BLOCKED } else { actions::TYPE_SYNC }),
                subject: Subject::Sync { id: id.clone(), blocked: *blocked },
            })
        }
        Event::FirewallBlocked(b) => {
            let (host, port) = blocked_host(b);
            let target = allow_target(b);
            let what = match (b.direction, port) {
                (Direction::Dns, _) => format!("Blocked a DNS lookup of {host}"),
                (Direction::Inbound, Some(p)) => format!("Blocked an incoming connection on port {p}"),
                (_, Some(p)) => format!("Blocked connection to {host}:{p}"),
                (_, None) => format!("Blocked connection to {host}"),
            };
            let times = if b.count > 1 { format!(" ({} times)", b.count) } else { String::new() };
            Some(Notice {
                key: format!("blocked:{host}:{}", port.unwrap_or(0)),
                title: format!("{what}{times}"),
                body: "The sandbox's firewall stopped it. Allow adds it to the profile's allowlist.".into(),
                action_type: (b.direction != Direction::Inbound && target.is_some()).then_some(actions::TYPE_BLOCKED),
                subject: Subject::Blocked { target: target.unwrap_or_default() },
            })
        }
        Event::PairingRequested { channel, code, sender, name } => {
            let who = name.clone().unwrap_or_else(|| sender.clone());
            let channel = if channel == "telegram" { "Telegram".to_string() } else { channel.clone() };
            Some(Notice {
                key: format!("pairing:{code}"),
                title: format!("{channel} pairing request from {who}"),
                body: format!("Sender {sender}, code {code}. Approve only if you know them: they can then message your agent."),
                action_type: Some(actions::TYPE_PAIRING),
                subject: Subject::Pairing { code: code.clone() },
            })
        }
        Event::Error { message } => Some(Notice {
            key: "error".into(),
            title: "OpenClaw Sandbox: something failed".into(),
            body: message.clone(),
            action_type: None,
            subject: Subject::Failure,
        }),
        _ => None,
    }
}

/// What an action on a notification does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    Approve(String),
    Reject(String),
    /// Show a window (the click path; also where actions are unavailable).
    Open(&'static str),
    /// Add this target to the profile's allowlist (core::firewall).
    Allow(String),
    /// Approve this Telegram pairing code (core checks it again).
    ApprovePairing(String),
    Nothing,
}

/// Map an action on a notification about `subject` to what the app does.
pub fn reaction(action: &str, subject: &Subject) -> Reaction {
    use actions::*;
    match (subject, action) {
        // Approving is only offered when nothing blocks; a forged action cannot get round it.
        (Subject::Sync { id, blocked: false }, APPROVE) => Reaction::Approve(id.clone()),
        (Subject::Sync { id, .. }, REJECT) => Reaction::Reject(id.clone()),
        (Subject::Sync { .. }, _) => Reaction::Open(WINDOW_REVIEW),
        (Subject::Blocked { target }, ALLOW) if !target.is_empty() => Reaction::Allow(target.clone()),
        (Subject::Blocked { .. }, IGNORE) => Reaction::Nothing,
        (Subject::Blocked { .. }, _) => Reaction::Open(WINDOW_SETTINGS),
        // Only the explicit button approves; a click on the body does nothing.
        (Subject::Pairing { code }, APPROVE_PAIRING) => Reaction::ApprovePairing(code.clone()),
        (Subject::Pairing { .. }, _) => Reaction::Nothing,
        (Subject::Failure, _) => Reaction::Open(WINDOW_SETTINGS),
    }
}

/// No storms: at most one notification per key per `per_key`, and at most `burst` in any
/// `window`. Time is passed in, so the rule is tested without clocks.
#[derive(Debug)]
pub struct Throttle {
    per_key: Duration,
    burst: usize,
    window: Duration,
    last: HashMap<String, Instant>,
    recent: VecDeque<Instant>,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(Duration::from_secs(60), 4, Duration::from_secs(30))
    }
}

impl Throttle {
    pub fn new(per_key: Duration, burst: usize, window: Duration) -> Self {
        Throttle { per_key, burst, window, last: HashMap::new(), recent: VecDeque::new() }
    }

    /// Whether a notification with `key` may be shown at `now` (and count it if so).
    pub fn allow(&mut self, key: &str, now: Instant) -> bool {
        if let Some(t) = self.last.get(key) {
            if now.duration_since(*t) < self.per_key {
                return false;
            }
        }
        while self.recent.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            self.recent.pop_front();
        }
        if self.recent.len() >= self.burst {
            return false;
        }
        self.recent.push_back(now);
        self.last.insert(key.to_string(), now);
        self.last.retain(|_, t| now.duration_since(*t) < self.per_key);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No click made without reading a word decides anything: the body (`tap`) and, where the
    /// OS folds several actions under one button (macOS "Options"), that button — which reports
    /// the first action — only open a window or do nothing. On every OS.
    #[test]
    fn no_unread_click_approves_allows_rejects_or_pairs() {
        let subjects = [
            Subject::Sync { id: "r".into(), blocked: false },
            Subject::Sync { id: "r".into(), blocked: true },
            Subject::Blocked { target: "example.com".into() },
            Subject::Pairing { code: "ABCD2345".into() },
            Subject::Failure,
        ];
        let harmless = |r: &Reaction| matches!(r, Reaction::Open(_) | Reaction::Nothing);
        for s in &subjects {
            assert!(harmless(&reaction(actions::TAP, s)), "a click on the body of {s:?} did {:?}", reaction(actions::TAP, s));
        }
        for (t, acts) in action_types() {
            if acts.len() >= 2 {
                let (first, _) = acts[0];
                for s in &subjects {
                    let r = reaction(first, s);
                    assert!(harmless(&r), "type {t}: its first action `{first}` (what macOS's Options button reports) does {r:?} on {s:?}");
                }
            }
            // each decision is a button of its own, named by what it does
            for (id, title) in &acts {
                let word = match *id {
                    actions::APPROVE => "Approve",
                    actions::REJECT => "Reject",
                    actions::ALLOW => "Allow",
                    actions::APPROVE_PAIRING => "Approve pairing",
                    _ => continue,
                };
                assert!(title.starts_with(word), "type {t}: `{id}` is titled {title:?}");
            }
        }
        // every decision needs an unlocked Mac; what opens a window says so (each action on the
        // kind of notification it belongs to)
        for (t, acts) in action_types() {
            let subject = match t {
                actions::TYPE_SYNC => &subjects[0],
                actions::TYPE_SYNC_BLOCKED => &subjects[1],
                actions::TYPE_BLOCKED => &subjects[2],
                _ => &subjects[3],
            };
            for (id, _) in acts {
                let r = reaction(id, subject);
                assert_eq!(action_options(id).requires_unlock, !harmless(&r), "`{id}` on {subject:?} does {r:?}");
                assert_eq!(action_options(id).opens_window, matches!(r, Reaction::Open(_)), "`{id}` on {subject:?} does {r:?}");
            }
        }
        assert!(action_options(actions::REJECT).destructive);
        // the buttons that decide still do what they say
        assert_eq!(reaction(actions::APPROVE, &subjects[0]), Reaction::Approve("r".into()));
        assert_eq!(reaction(actions::ALLOW, &subjects[2]), Reaction::Allow("example.com".into()));
        assert_eq!(reaction(actions::SHOW, &subjects[2]), Reaction::Open(WINDOW_SETTINGS));
        assert_eq!(reaction(actions::APPROVE_PAIRING, &subjects[3]), Reaction::ApprovePairing("ABCD2345".into()));
    }

    fn blocked(direction: Direction, count: u64) -> Event {
        Event::FirewallBlocked(BlockedConnection {
            direction,
            proto: Some("tcp".into()),
            src: None,
            dst: Some("93.184.216.34".into()),
            dport: Some(443),
            domain: Some("example.com".into()),
            count,
        })
    }

    #[test]
    fn a_clean_sync_request_offers_approve_review_reject() {
        let n = plan(&Event::SyncRequested { id: "r1".into(), message: None, changes: 4, blocked: false, root: Default::default() }, "my-app").unwrap();
        assert_eq!(n.title, "Agent changed 4 files in my-app");
        assert_eq!(n.action_type, Some(actions::TYPE_SYNC));
        assert_eq!(reaction(actions::APPROVE, &n.subject), Reaction::Approve("r1".into()));
        assert_eq!(reaction(actions::REJECT, &n.subject), Reaction::Reject("r1".into()));
        assert_eq!(reaction(actions::REVIEW, &n.subject), Reaction::Open(WINDOW_REVIEW));
        assert_eq!(reaction(actions::TAP, &n.subject), Reaction::Open(WINDOW_REVIEW));
    }

    #[test]
    fn a_blocked_sync_request_can_only_be_reviewed() {
        let n = plan(&Event::SyncRequested { id: "r2".into(), message: None, changes: 1, blocked: true, root: Default::default() }, "p").unwrap();
        assert_eq!(n.title, "Agent changed 1 file in p");
        assert_eq!(n.action_type, Some(actions::TYPE_SYNC_BLOCKED));
        // Even a forged "approve" action only opens the review window.
        assert_eq!(reaction(actions::APPROVE, &n.subject), Reaction::Open(WINDOW_REVIEW));
    }

    #[test]
    fn blocked_connections_offer_allow_and_ignore() {
        let n = plan(&blocked(Direction::Outbound, 3), "p").unwrap();
        assert_eq!(n.title, "Blocked connection to example.com:443 (3 times)");
        assert_eq!(n.action_type, Some(actions::TYPE_BLOCKED));
        assert_eq!(reaction(actions::ALLOW, &n.subject), Reaction::Allow("example.com".into()));
        assert_eq!(reaction(actions::IGNORE, &n.subject), Reaction::Nothing);
        assert_eq!(reaction(actions::TAP, &n.subject), Reaction::Open(WINDOW_SETTINGS));
        let inbound = plan(&blocked(Direction::Inbound, 1), "p").unwrap();
        assert_eq!(inbound.action_type, None, "nothing to allow for inbound probes");
    }

    #[test]
    fn an_address_without_a_domain_is_allowed_as_ip_port_proto() {
        let b = |dst: &str, proto: &str| {
            Event::FirewallBlocked(BlockedConnection {
                direction: Direction::Outbound,
                proto: Some(proto.into()),
                src: None,
                dst: Some(dst.into()),
                dport: Some(5432),
                domain: None,
                count: 1,
            })
        };
        let n = plan(&b("10.1.2.3", "tcp"), "p").unwrap();
        assert_eq!(n.title, "Blocked connection to 10.1.2.3:5432");
        assert_eq!(reaction(actions::ALLOW, &n.subject), Reaction::Allow("10.1.2.3:5432/tcp".into()));
        let n = plan(&b("fd00::1", "udp"), "p").unwrap();
        assert_eq!(reaction(actions::ALLOW, &n.subject), Reaction::Allow("[fd00::1]:5432/udp".into()));
        // Each target parses with core's own allow syntax.
        for t in ["10.1.2.3:5432/tcp", "[fd00::1]:5432/udp", "example.com"] {
            assert!(sandbox_core::firewall::Target::parse(t).is_ok(), "{t}");
        }
    }

    #[test]
    fn failures_notify_and_other_events_do_not() {
        let n = plan(&Event::Error { message: "limactl not found".into() }, "p").unwrap();
        assert_eq!(n.body, "limactl not found");
        assert_eq!(reaction(actions::TAP, &n.subject), Reaction::Open(WINDOW_SETTINGS));
        assert!(plan(&Event::Notice { message: "x".into() }, "p").is_none());
        assert!(plan(&Event::SyncApplied { id: "r".into(), files: 1 }, "p").is_none());
    }

    #[test]
    fn a_pairing_request_offers_approve_pairing_and_nothing_else_approves() {
        let e = Event::PairingRequested { channel: "telegram".into(), code: "ABCD2345".into(), sender: "123456789".into(), name: Some("@alice".into()) };
        let n = plan(&e, "p").unwrap();
        assert_eq!(n.title, "Telegram pairing request from @alice");
        assert!(n.body.contains("ABCD2345") && n.body.contains("123456789"), "{}", n.body);
        assert_eq!(n.action_type, Some(actions::TYPE_PAIRING));
        assert_eq!(reaction(actions::APPROVE_PAIRING, &n.subject), Reaction::ApprovePairing("ABCD2345".into()));
        for other in [actions::TAP, actions::APPROVE, actions::ALLOW, "whatever"] {
            assert_eq!(reaction(other, &n.subject), Reaction::Nothing, "{other}");
        }
        let n = plan(&Event::PairingRequested { channel: "telegram".into(), code: "WXYZ6789".into(), sender: "42".into(), name: None }, "p").unwrap();
        assert_eq!(n.title, "Telegram pairing request from 42");
        // The approve action does not leak to other subjects.
        assert_eq!(reaction(actions::APPROVE_PAIRING, &Subject::Sync { id: "r".into(), blocked: false }), Reaction::Open(WINDOW_REVIEW));
    }

    #[test]
    fn subjects_survive_the_trip_through_the_notification() {
        let s = Subject::Sync { id: "r1".into(), blocked: false };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(serde_json::from_value::<Subject>(v).unwrap(), s);
    }

    #[test]
    fn throttle_limits_repeats_and_bursts() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut t = Throttle::new(s(60), 3, s(30));
        assert!(t.allow("a", t0));
        assert!(!t.allow("a", t0 + s(10)), "same key within a minute");
        assert!(t.allow("b", t0 + s(1)));
        assert!(t.allow("c", t0 + s(2)));
        assert!(!t.allow("d", t0 + s(3)), "fourth in 30 s");
        assert!(t.allow("d", t0 + s(31)), "the window moved on");
        assert!(t.allow("a", t0 + s(61)), "the key's minute is over");
    }
}
