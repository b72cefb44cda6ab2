//! The network step's link to core's firewall module (`[network]` presets and validation).
//!
//! Until `core::firewall` is in this tree, core does not judge `[network]` beyond the gateway
//! port, so the app has no presets to offer and no extra problems to report. When it lands,
//! these two functions call `NetworkConfig::validate` and `firewall::presets::PRESETS`.

use crate::error::FieldProblem;
use sandbox_core::profile::Profile;
use serde::Serialize;

/// One allowlist preset, as the UI lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresetInfo {
    pub name: String,
    pub about: String,
    pub domains: Vec<String>,
    /// On in a new profile.
    pub default_on: bool,
}

/// Core's problems with the profile's `[network]` table.
pub fn check(_profile: &Profile) -> Vec<FieldProblem> {
    Vec::new()
}

/// The presets core offers.
pub fn presets() -> Vec<PresetInfo> {
    Vec::new()
}
