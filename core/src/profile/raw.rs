//! The profile exactly as written in TOML, with source spans so errors can name the line.
//! Everything is optional here; `validate` fills defaults and checks meaning.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub version: Option<Spanned<i64>>,
    pub name: Option<Spanned<String>>,
    pub mode: Option<Spanned<String>>,
    pub mounts: Option<Spanned<RawMounts>>,
    pub resources: Option<RawResources>,
    pub network: Option<Spanned<crate::firewall::NetworkConfig>>,
    pub secrets: Option<RawSecrets>,
    pub features: Option<RawFeatures>,
    pub provisioning: Option<RawProvisioning>,
    pub sync: Option<Spanned<crate::sync::SyncPolicyConfig>>,
    pub agent: Option<Spanned<crate::profile::agent::AgentConfig>>,
    pub components: Option<crate::profile::components::ComponentsConfig>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawMounts {
    pub project: Option<Spanned<String>>,
    pub vault: Option<Spanned<String>>,
    pub config: Option<Spanned<String>>,
    pub agent_data: Option<Spanned<String>>,
    /// How the vault reaches the VM: "auto" (default), "copy", "mount".
    pub vault_mode: Option<Spanned<String>>,
    #[serde(default)]
    pub extra: Vec<Spanned<RawExtraMount>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExtraMount {
    pub path: Spanned<String>,
    pub mount_point: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawResources {
    pub cpus: Option<Spanned<i64>>,
    pub memory: Option<Spanned<String>>,
    pub disk: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSecrets {
    #[serde(default)]
    pub names: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFeatures {
    pub gateway: Option<bool>,
    pub docker: Option<bool>,
    pub gh: Option<bool>,
    pub vault: Option<bool>,
    pub telegram: Option<bool>,
    pub tailscale: Option<bool>,
    pub cadence: Option<bool>,
    pub buildlog: Option<bool>,
    pub qortex: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawProvisioning {
    #[serde(default)]
    pub ca_certs: Vec<Spanned<String>>,
    pub vars: Option<Spanned<toml::Table>>,
}
