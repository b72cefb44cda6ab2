//! The app's view of the sandbox, folded from core events, and what the tray shows for it.
//!
//! Pure: no Tauri, no I/O. `tray.rs` renders [`TrayView`]; the web UI gets [`AppView`].
//! The model only ever changes through [`AppModel::apply`] (a core event) or the few
//! user facts the app owns (profile present, start-at-login, alerts seen).

use sandbox_core::events::{Event, ReleaseStatus, VmState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which tray icon (one template image per value, see `icons/generate.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrayIcon {
    Stopped,
    Busy,
    Running,
    Attention,
    Error,
}

/// A pending sync request, as the tray counts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSync {
    pub id: String,
    pub changes: usize,
    pub blocked: bool,
    pub message: Option<String>,
}

/// A recent blocked connection, as Settings lists it (with what "Allow" would add).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentBlock {
    pub title: String,
    /// Core's allow syntax (domain or `IP:PORT/PROTO`); empty when nothing can be allowed.
    pub target: String,
}

/// How many recent blocked connections the app remembers.
pub const RECENT_BLOCKS: usize = 20;

/// Everything the app knows, folded from events (the tray hands it whole to its window processes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppModel {
    pub profile_present: bool,
    pub instance: Option<String>,
    pub state: VmState,
    pub progress: Option<String>,
    pub last_error: Option<String>,
    pub pending: BTreeMap<String, PendingSync>,
    /// Blocked connections since the user last looked.
    pub blocked: u64,
    /// Newest first, at most [`RECENT_BLOCKS`].
    pub recent_blocks: Vec<RecentBlock>,
    pub autostart: bool,
    /// The opt-in OpenClaw release check's last answer (`Off` until core says otherwise).
    pub release: ReleaseStatus,
}

impl Default for AppModel {
    fn default() -> Self {
        AppModel {
            profile_present: false,
            instance: None,
            state: VmState::Unknown,
            progress: None,
            last_error: None,
            pending: BTreeMap::new(),
            blocked: 0,
            recent_blocks: Vec::new(),
            autostart: false,
            release: ReleaseStatus::Off,
        }
    }
}

/// One tray menu entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuEntry {
    Item { id: &'static str, label: String, enabled: bool },
    Check { id: &'static str, label: String, checked: bool },
    Separator,
}

impl MenuEntry {
    pub fn id(&self) -> Option<&'static str> {
        match self {
            MenuEntry::Item { id, .. } | MenuEntry::Check { id, .. } => Some(id),
            MenuEntry::Separator => None,
        }
    }
}

/// Menu item ids (the tray's click handler matches on these).
pub mod ids {
    pub const STATUS: &str = "status";
    /// Informational (disabled): a newer OpenClaw is on the npm registry.
    pub const RELEASE: &str = "openclaw_release";
    pub const START: &str = "start";
    pub const STOP: &str = "stop";
    pub const FORCE_STOP: &str = "force_stop";
    pub const REVIEW: &str = "review";
    pub const BLOCKED: &str = "blocked";
    pub const SHELL: &str = "open_shell";
    pub const SETUP: &str = "setup";
    pub const SETTINGS: &str = "settings";
    pub const CONNECT_MCP: &str = "connect_mcp";
    pub const INSTALL_CLI: &str = "install_cli";
    pub const AUTOSTART: &str = "autostart";
    pub const QUIT: &str = "quit";
}

/// What the tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayView {
    pub icon: TrayIcon,
    pub status_line: String,
    pub menu: Vec<MenuEntry>,
}

/// What the web UI gets (`app_view` command and the view event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppView {
    pub profile_present: bool,
    pub state: VmState,
    pub icon: TrayIcon,
    pub status_line: String,
    pub progress: Option<String>,
    pub last_error: Option<String>,
    pub pending: Vec<PendingSync>,
    pub blocked: u64,
    pub recent_blocks: Vec<RecentBlock>,
    /// The opt-in OpenClaw release check (`{"status": "off" | "up_to_date" | "newer" | "unknown", …}`).
    pub release: ReleaseStatus,
    /// The same line as the menu's when a newer release is out (see [`AppModel::release_line`]).
    pub release_line: Option<String>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl AppModel {
    /// Fold one core event into the model. Returns whether anything changed.
    pub fn apply(&mut self, event: &Event) -> bool {
        let before = self.clone();
        match event {
            Event::StateChanged { instance, state } => {
                self.instance = Some(instance.clone());
                self.state = *state;
                match state {
                    VmState::Starting | VmState::Stopping => self.last_error = None,
                    VmState::Running | VmState::Stopped | VmState::Absent => self.progress = None,
                    _ => {}
                }
            }
            Event::Progress(p) => {
                if matches!(self.state, VmState::Starting | VmState::Stopping) || p.operation == "up" || p.operation == "down" {
                    self.progress = Some(p.message.clone());
                }
            }
            Event::Error { message } => {
                self.last_error = Some(message.clone());
                self.progress = None;
            }
            Event::SyncRequested { id, message, changes, blocked, .. } => {
                self.pending.insert(id.clone(), PendingSync { id: id.clone(), changes: *changes, blocked: *blocked, message: message.clone() });
            }
            Event::SyncApplied { id, .. } | Event::SyncRejected { id } => {
                self.pending.remove(id);
            }
            Event::FirewallBlocked(b) => {
                self.blocked = self.blocked.saturating_add(b.count.max(1));
                if let Some(n) = crate::notify::plan(event, "") {
                    let target = match n.subject {
                        crate::notify::Subject::Blocked { target } => target,
                        _ => String::new(),
                    };
                    self.recent_blocks.retain(|r| r.title != n.title);
                    self.recent_blocks.insert(0, RecentBlock { title: n.title, target });
                    self.recent_blocks.truncate(RECENT_BLOCKS);
                }
            }
            Event::ReleaseChecked { release } => self.release = release.clone(),
            Event::Notice { .. } | Event::OverlayChanged { .. } | Event::PairingRequested { .. } | Event::ProfileChanged { .. } => {}
        }
        *self != before
    }

    fn waiting_changes(&self) -> usize {
        self.pending.values().map(|p| p.changes).sum()
    }

    pub fn icon(&self) -> TrayIcon {
        let attention = !self.pending.is_empty() || self.blocked > 0;
        match self.state {
            VmState::Broken => TrayIcon::Error,
            VmState::Starting | VmState::Stopping => TrayIcon::Busy,
            _ if self.last_error.is_some() => TrayIcon::Error,
            _ if attention => TrayIcon::Attention,
            VmState::Running => TrayIcon::Running,
            _ => TrayIcon::Stopped,
        }
    }

    pub fn status_line(&self) -> String {
        if !self.profile_present {
            return "Not set up yet".into();
        }
        let mut line = match self.state {
            VmState::Absent => "Not created yet".to_string(),
            VmState::Stopped => "Stopped".to_string(),
            VmState::Starting => match &self.progress {
                Some(p) => format!("Starting — {p}"),
                None => "Starting…".to_string(),
            },
            VmState::Stopping => "Stopping…".to_string(),
            VmState::Running => "Running".to_string(),
            VmState::Broken => "Broken — use Force Stop, then Start".to_string(),
            VmState::Unknown => "State unknown".to_string(),
        };
        let waiting = self.waiting_changes();
        if !self.pending.is_empty() {
            line.push_str(&format!(" — {} waiting", plural(waiting, "change", "changes")));
        }
        if self.last_error.is_some() && !matches!(self.state, VmState::Starting | VmState::Stopping) {
            line.push_str(" — last action failed");
        }
        line
    }

    /// What the opt-in release check found that earns a line in the menu and the windows: only a
    /// newer release (never installed from here: the profile pins it).
    pub fn release_line(&self) -> Option<String> {
        match (self.profile_present, &self.release) {
            (true, ReleaseStatus::Newer { current, latest }) => Some(format!("OpenClaw {latest} available (profile pins {current})")),
            _ => None,
        }
    }

    /// The tray menu for the current state.
    pub fn tray(&self) -> TrayView {
        use MenuEntry::*;
        let item = |id, label: String, enabled| Item { id, label, enabled };
        let mut menu = vec![item(ids::STATUS, self.status_line(), false)];
        if let Some(line) = self.release_line() {
            menu.push(item(ids::RELEASE, line, false));
        }
        menu.push(Separator);
        if !self.profile_present {
            menu.push(item(ids::SETUP, "Set Up OpenClaw Sandbox…".into(), true));
        } else {
            let can_start = matches!(self.state, VmState::Absent | VmState::Stopped | VmState::Broken | VmState::Unknown);
            menu.push(item(ids::START, "Start".into(), can_start));
            menu.push(item(ids::STOP, "Stop".into(), self.state == VmState::Running));
            if self.state == VmState::Broken {
                menu.push(item(ids::FORCE_STOP, "Force Stop".into(), true));
            }
            menu.push(Separator);
            menu.push(item(ids::REVIEW, format!("Review Changes ({})…", self.pending.len()), !self.pending.is_empty()));
            menu.push(item(ids::BLOCKED, format!("Blocked Connections ({})…", self.blocked), true));
            menu.push(item(ids::SHELL, "Open Shell".into(), self.state == VmState::Running));
            menu.push(Separator);
            menu.push(item(ids::SETTINGS, "Settings…".into(), true));
        }
        // set-up of the user's other tools: useful before the sandbox is set up too
        menu.push(Separator);
        menu.push(item(ids::CONNECT_MCP, "Connect an MCP Client…".into(), true));
        menu.push(item(ids::INSTALL_CLI, "Install Command-Line Tool…".into(), true));
        menu.push(Check { id: ids::AUTOSTART, label: "Start at Login".into(), checked: self.autostart });
        menu.push(Separator);
        menu.push(item(ids::QUIT, "Quit OpenClaw Sandbox".into(), true));
        TrayView { icon: self.icon(), status_line: self.status_line(), menu }
    }

    pub fn view(&self) -> AppView {
        AppView {
            profile_present: self.profile_present,
            state: self.state,
            icon: self.icon(),
            status_line: self.status_line(),
            progress: self.progress.clone(),
            last_error: self.last_error.clone(),
            pending: self.pending.values().cloned().collect(),
            blocked: self.blocked,
            recent_blocks: self.recent_blocks.clone(),
            release: self.release.clone(),
            release_line: self.release_line(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandbox_core::events::{BlockedConnection, Direction, Progress};

    fn running() -> AppModel {
        let mut m = AppModel { profile_present: true, ..Default::default() };
        m.apply(&Event::StateChanged { instance: "i".into(), state: VmState::Running });
        m
    }

    fn entry<'a>(v: &'a TrayView, id: &str) -> Option<&'a MenuEntry> {
        v.menu.iter().find(|e| e.id() == Some(id))
    }

    fn enabled(v: &TrayView, id: &str) -> bool {
        matches!(entry(v, id), Some(MenuEntry::Item { enabled: true, .. }))
    }

    #[test]
    fn without_a_profile_the_menu_offers_setup_only() {
        let v = AppModel::default().tray();
        assert_eq!(v.status_line, "Not set up yet");
        assert!(enabled(&v, ids::SETUP));
        assert!(entry(&v, ids::START).is_none());
        assert!(entry(&v, ids::SETTINGS).is_none());
        assert!(enabled(&v, ids::QUIT));
    }

    #[test]
    fn stopped_enables_start_only() {
        let mut m = running();
        m.apply(&Event::StateChanged { instance: "i".into(), state: VmState::Stopped });
        let v = m.tray();
        assert_eq!(v.icon, TrayIcon::Stopped);
        assert!(enabled(&v, ids::START));
        assert!(!enabled(&v, ids::STOP));
        assert!(!enabled(&v, ids::SHELL));
        assert!(entry(&v, ids::FORCE_STOP).is_none());
    }

    #[test]
    fn running_enables_stop_and_shell() {
        let v = running().tray();
        assert_eq!(v.icon, TrayIcon::Running);
        assert_eq!(v.status_line, "Running");
        assert!(!enabled(&v, ids::START));
        assert!(enabled(&v, ids::STOP));
        assert!(enabled(&v, ids::SHELL));
    }

    #[test]
    fn starting_shows_progress_and_busy_icon() {
        let mut m = running();
        m.apply(&Event::StateChanged { instance: "i".into(), state: VmState::Starting });
        m.apply(&Event::Progress(Progress { operation: "up".into(), step: "boot".into(), message: "Booting".into(), fraction: Some(0.4) }));
        let v = m.tray();
        assert_eq!(v.icon, TrayIcon::Busy);
        assert_eq!(v.status_line, "Starting — Booting");
        assert!(!enabled(&v, ids::START));
        assert!(!enabled(&v, ids::STOP));
    }

    #[test]
    fn broken_offers_force_stop_and_error_icon() {
        let mut m = running();
        m.apply(&Event::StateChanged { instance: "i".into(), state: VmState::Broken });
        let v = m.tray();
        assert_eq!(v.icon, TrayIcon::Error);
        assert!(enabled(&v, ids::FORCE_STOP));
        assert!(enabled(&v, ids::START));
    }

    #[test]
    fn pending_sync_counts_changes_and_needs_attention() {
        let mut m = running();
        m.apply(&Event::SyncRequested { id: "a".into(), message: None, changes: 2, blocked: false, root: Default::default() });
        m.apply(&Event::SyncRequested { id: "b".into(), message: None, changes: 1, blocked: true, root: Default::default() });
        let v = m.tray();
        assert_eq!(v.icon, TrayIcon::Attention);
        assert_eq!(v.status_line, "Running — 3 changes waiting");
        assert!(matches!(entry(&v, ids::REVIEW), Some(MenuEntry::Item { label, enabled: true, .. }) if label == "Review Changes (2)…"));
        m.apply(&Event::SyncApplied { id: "a".into(), files: 2 });
        m.apply(&Event::SyncRejected { id: "b".into() });
        let v = m.tray();
        assert_eq!(v.icon, TrayIcon::Running);
        assert!(!enabled(&v, ids::REVIEW));
    }

    #[test]
    fn blocked_connections_are_counted() {
        let mut m = running();
        let b = BlockedConnection {
            direction: Direction::Outbound,
            proto: Some("tcp".into()),
            src: None,
            dst: Some("1.2.3.4".into()),
            dport: Some(443),
            domain: None,
            count: 3,
        };
        assert!(m.apply(&Event::FirewallBlocked(b)));
        let v = m.tray();
        assert_eq!(v.icon, TrayIcon::Attention);
        assert!(matches!(entry(&v, ids::BLOCKED), Some(MenuEntry::Item { label, .. }) if label == "Blocked Connections (3)…"));
        let recent = &m.view().recent_blocks;
        assert_eq!(recent.len(), 1);
        assert_eq!(recent[0].target, "1.2.3.4:443/tcp");
        assert_eq!(recent[0].title, "Blocked connection to 1.2.3.4:443 (3 times)");
    }

    #[test]
    fn recent_blocks_are_bounded_newest_first() {
        let mut m = running();
        for i in 0..(RECENT_BLOCKS + 5) {
            let b = BlockedConnection {
                direction: Direction::Outbound,
                proto: Some("tcp".into()),
                src: None,
                dst: Some(format!("10.0.0.{i}")),
                dport: Some(443),
                domain: None,
                count: 1,
            };
            m.apply(&Event::FirewallBlocked(b));
        }
        assert_eq!(m.recent_blocks.len(), RECENT_BLOCKS);
        assert_eq!(m.recent_blocks[0].target, format!("10.0.0.{}:443/tcp", RECENT_BLOCKS + 4));
    }

    #[test]
    fn a_failed_start_shows_error_until_the_next_start() {
        let mut m = running();
        m.apply(&Event::StateChanged { instance: "i".into(), state: VmState::Stopped });
        m.apply(&Event::Error { message: "limactl not found".into() });
        assert_eq!(m.icon(), TrayIcon::Error);
        assert_eq!(m.status_line(), "Stopped — last action failed");
        m.apply(&Event::StateChanged { instance: "i".into(), state: VmState::Starting });
        assert_eq!(m.last_error, None);
    }

    #[test]
    fn notices_change_nothing() {
        let mut m = running();
        assert!(!m.apply(&Event::Notice { message: "hi".into() }));
    }

    #[test]
    fn the_tool_items_are_always_offered_above_start_at_login() {
        for m in [AppModel::default(), running()] {
            let v = m.tray();
            assert!(matches!(entry(&v, ids::CONNECT_MCP), Some(MenuEntry::Item { label, enabled: true, .. }) if label == "Connect an MCP Client…"));
            assert!(matches!(entry(&v, ids::INSTALL_CLI), Some(MenuEntry::Item { label, enabled: true, .. }) if label == "Install Command-Line Tool…"));
            let pos = |id| v.menu.iter().position(|e| e.id() == Some(id)).unwrap();
            assert!(pos(ids::CONNECT_MCP) < pos(ids::INSTALL_CLI) && pos(ids::INSTALL_CLI) < pos(ids::AUTOSTART));
            assert_eq!(v.menu[pos(ids::CONNECT_MCP) - 1], MenuEntry::Separator);
        }
    }

    #[test]
    fn a_newer_openclaw_is_one_disabled_line_under_the_status() {
        let mut m = running();
        let newer = ReleaseStatus::Newer { current: "2026.9.6".into(), latest: "2026.10.1".into() };
        assert!(m.apply(&Event::ReleaseChecked { release: newer.clone() }));
        let v = m.tray();
        assert_eq!(v.menu[1], MenuEntry::Item { id: ids::RELEASE, label: "OpenClaw 2026.10.1 available (profile pins 2026.9.6)".into(), enabled: false });
        assert_eq!(v.menu[2], MenuEntry::Separator);
        assert_eq!((v.icon, v.status_line.as_str()), (TrayIcon::Running, "Running"), "news, not a problem");
        assert_eq!(m.view().release, newer);
        assert_eq!(m.view().release_line.as_deref(), Some("OpenClaw 2026.10.1 available (profile pins 2026.9.6)"));
        // up to date, unknown (offline) or turned off: no line
        for release in [
            ReleaseStatus::UpToDate { current: "2026.10.1".into(), latest: "2026.10.1".into() },
            ReleaseStatus::Unknown { current: "2026.9.6".into(), why: "timed out after 5 s".into() },
            ReleaseStatus::Off,
        ] {
            m.apply(&Event::ReleaseChecked { release });
            let v = m.tray();
            assert!(entry(&v, ids::RELEASE).is_none(), "{:?}", m.release);
            assert_eq!(v.menu[1], MenuEntry::Separator);
            assert_eq!(m.view().release_line, None);
        }
        // no profile: nothing to upgrade
        let mut fresh = AppModel::default();
        fresh.apply(&Event::ReleaseChecked { release: newer });
        assert!(entry(&fresh.tray(), ids::RELEASE).is_none());
    }

    #[test]
    fn autostart_is_a_check_item() {
        let mut m = running();
        m.autostart = true;
        assert!(matches!(entry(&m.tray(), ids::AUTOSTART), Some(MenuEntry::Check { checked: true, .. })));
    }
}
