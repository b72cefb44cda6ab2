//! Network containment (issue #5): nftables ruleset, DNS allowlist, log parsing, alerts.
//! OWNED BY THE FIREWALL WORK; placeholder until it lands.
