//! The profile's `[components]` section (optional components in the VM, see
//! `agent_runtime::components` for what they render into).

use crate::field_issue::FieldIssue;
use serde::{Deserialize, Serialize};

/// Keys of cadence.json the sandbox sets itself (the profile may not).
pub const CADENCE_FIXED_KEYS: &[&str] = &["vaultPath", "workspacePath"];
/// The secret `tailscale up` uses when the profile does not name another.
pub const DEFAULT_TAILSCALE_SECRET: &str = "TAILSCALE_AUTHKEY";

/// `[components.tailscale]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TailscaleConfig {
    /// The `[secrets]` name holding a Tailscale auth key; "" to log in by hand
    /// (`sandbox ssh -- sudo tailscale up`).
    pub auth_key_secret: String,
    /// The VM's name on the tailnet; "" for the instance name.
    pub hostname: String,
    /// Publish the gateway port on the tailnet (`tailscale serve --tcp`); off: shields up,
    /// nothing on the tailnet can connect to the VM.
    pub serve_gateway: bool,
}

impl Default for TailscaleConfig {
    fn default() -> Self {
        TailscaleConfig { auth_key_secret: DEFAULT_TAILSCALE_SECRET.into(), hostname: String::new(), serve_gateway: true }
    }
}

/// `[components]` as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComponentsConfig {
    /// Free-form cadence.json keys (camelCase, as Cadence spells them), e.g. `delivery`,
    /// `pillars`, `schedule`; `enabled` defaults to true.
    pub cadence: toml::Table,
    pub tailscale: TailscaleConfig,
}

fn has_datetime(v: &toml::Value) -> bool {
    match v {
        toml::Value::Datetime(_) => true,
        toml::Value::Array(a) => a.iter().any(has_datetime),
        toml::Value::Table(t) => t.values().any(has_datetime),
        _ => false,
    }
}

fn dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') && !s.starts_with('-') && !s.ends_with('-')
}

impl ComponentsConfig {
    /// Check the table; every problem names its key.
    pub fn validate(&self) -> Result<ComponentsConfig, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let mut bad = |field: &str, message: String| issues.push(FieldIssue { field: format!("components.{field}"), message });
        for (k, v) in &self.cadence {
            if CADENCE_FIXED_KEYS.contains(&k.as_str()) {
                bad(&format!("cadence.{k}"), "is set by the sandbox (the vault and workspace paths in the VM); remove it".into());
            } else if has_datetime(v) {
                bad(&format!("cadence.{k}"), "holds a TOML date/time, which JSON has no type for; write it as a quoted string".into());
            }
        }
        if let Some(v) = self.cadence.get("enabled") {
            if !v.is_bool() {
                bad("cadence.enabled", "expected true or false".into());
            }
        }
        let t = &self.tailscale;
        if !t.auth_key_secret.is_empty() {
            if let Err(m) = super::check_secret_name(&t.auth_key_secret) {
                bad("tailscale.auth_key_secret", m);
            }
        }
        if !t.hostname.is_empty() && !dns_label(&t.hostname) {
            bad("tailscale.hostname", format!("is `{}`; use lower-case letters, digits and `-` (at most 63, not starting or ending with `-`)", t.hostname));
        }
        if issues.is_empty() {
            Ok(self.clone())
        } else {
            Err(issues)
        }
    }
}

/// `[components]` with the place its issues are reported at: the first `[components]` or
/// `[components.…]` header (the start of the text when the table is written inline). Not a
/// `toml::Spanned` field: toml cannot span a table that only exists through its sub-tables.
pub fn spanned(text: &str, config: ComponentsConfig) -> toml::Spanned<ComponentsConfig> {
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("[components]") || t.starts_with("[components.") {
            let at = pos + (line.len() - t.len());
            return toml::Spanned::new(at..at, config);
        }
        pos += line.len();
    }
    toml::Spanned::new(0..0, config)
}
