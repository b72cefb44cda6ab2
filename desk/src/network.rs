//! The network step's presets, from core's firewall module. Validation of `[network]` is part
//! of core's `Profile::parse`, so its problems arrive with the profile's own.

use sandbox_core::firewall::presets::PRESETS;
use sandbox_core::firewall::NetworkConfig;
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

/// The presets core offers.
pub fn presets() -> Vec<PresetInfo> {
    let defaults = NetworkConfig::default().presets;
    PRESETS
        .iter()
        .map(|p| PresetInfo {
            name: p.name.into(),
            about: p.about.into(),
            domains: p.domains.iter().map(|d| d.to_string()).collect(),
            default_on: defaults.iter().any(|d| d == p.name),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_come_from_core_with_its_defaults_on() {
        let p = presets();
        assert!(p.len() >= 2);
        assert!(p.iter().any(|x| x.name == "llm" && x.default_on));
        assert!(p.iter().any(|x| x.name == "github" && !x.default_on));
    }
}
