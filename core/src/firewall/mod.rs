//! Network containment (issue #5): the profile's `[network]` policy → an nftables ruleset
//! (default deny both ways, every drop logged) and a DNS allowlist (dnsmasq answers only
//! allowed names and puts their addresses into the ruleset's sets); denial log lines →
//! throttled `FirewallBlocked` events; allow/deny edits of the profile; reload in the VM.

pub mod config;
pub mod dnsmasq;
pub mod edit;
pub mod follow;
pub mod install;
pub mod logparse;
pub mod nftables;
pub mod pattern;
pub mod presets;
pub mod reload;
pub mod service;
pub mod throttle;

pub use config::{NetworkConfig, NetworkPolicy};
pub use edit::Target;
pub use logparse::{parse_line, ParsedDenial};
pub use pattern::{Destination, DomainPattern, Proto};
pub use service::{change, Change, FirewallError, Outcome};
pub use throttle::{ThrottleConfig, Throttler};
