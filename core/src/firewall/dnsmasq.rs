//! `NetworkPolicy` → the dnsmasq configuration of the VM's resolver.
//!
//! dnsmasq forwards only allowlisted names (`server=/name/upstream`), answers NXDOMAIN for
//! everything else (`address=/#/`), and logs each refusal as `config NAME is NXDOMAIN`
//! (`log-queries=extra`), which the log parser turns into alerts. Addresses it resolves for
//! allowed names go into the nftables sets (`nftset=`) that the firewall's output rules allow.
//!
//! dnsmasq matches `server=/example.com/` on `example.com` AND its subdomains, and
//! `/*.example.com/` on subdomains only, with more specific entries winning. So:
//! exact `name` → `server=/name/` plus `address=/*.name/` (NXDOMAIN below it);
//! `*.name` → `server=/*.name/`; both → `server=/name/`. The nftset is keyed on the plain
//! name (dnsmasq does not apply `*.` patterns to nftsets), which is safe because names the
//! resolver refuses never produce addresses.

use super::config::NetworkPolicy;
use super::nftables::{PROV_V4, PROV_V6, RESOLVER_USER, SET_V4, SET_V6, TABLE};
use super::pattern::DomainPattern;
use std::fmt::Write;
use std::net::IpAddr;

/// Render the dnsmasq configuration.
pub fn render(p: &NetworkPolicy) -> String {
    let mut o = String::new();
    let w = &mut o;
    let _ = writeln!(w, "# OpenClaw Sandbox resolver, rendered from the profile's [network] table.");
    let _ = writeln!(w, "# Answers only allowlisted names; every other name is NXDOMAIN and logged.");
    let _ = writeln!(w, "user={RESOLVER_USER}");
    let _ = writeln!(w, "no-resolv");
    let _ = writeln!(w, "no-hosts");
    let _ = writeln!(w, "no-poll");
    let _ = writeln!(w, "listen-address=127.0.0.1");
    let _ = writeln!(w, "bind-interfaces");
    let _ = writeln!(w, "domain-needed");
    let _ = writeln!(w, "bogus-priv");
    let _ = writeln!(w, "log-queries=extra");
    let _ = writeln!(w, "log-async=25");
    let _ = writeln!(w);
    let set_spec = format!("4#inet#{TABLE}#{SET_V4},6#inet#{TABLE}#{SET_V6}");
    let _ = writeln!(w, "# allowed domains (answered, addresses opened in the firewall)");
    render_patterns(w, &p.domains, &p.upstream_dns, Some(&set_spec));
    if !p.resolve_only.is_empty() {
        let _ = writeln!(w, "# resolved only (NTP servers; the firewall allows NTP for the time daemon alone)");
        render_patterns(w, &p.resolve_only, &p.upstream_dns, None);
    }
    if !p.provisioning.is_empty() {
        let _ = writeln!(w, "# package sources (answered; the firewall opens them for root's provisioning only)");
        render_patterns(w, &p.provisioning, &p.upstream_dns, Some(&format!("4#inet#{TABLE}#{PROV_V4},6#inet#{TABLE}#{PROV_V6}")));
    }
    let _ = writeln!(w, "# everything else: NXDOMAIN, logged as `config NAME is NXDOMAIN`");
    let _ = writeln!(w, "address=/#/");
    o
}

fn render_patterns(w: &mut String, patterns: &[DomainPattern], upstream: &[IpAddr], set_spec: Option<&str>) {
    for pat in patterns {
        let exact_too = !pat.subdomains || patterns.iter().any(|q| !q.subdomains && q.name == pat.name);
        if !pat.subdomains && patterns.iter().any(|q| q.subdomains && q.name == pat.name) {
            continue; // rendered with its `*.` twin
        }
        let (server_key, block_below) = match (pat.subdomains, exact_too) {
            (true, true) => (pat.name.clone(), false),
            (true, false) => (format!("*.{}", pat.name), false),
            (false, _) => (pat.name.clone(), !patterns.iter().any(|q| q.subdomains && q.matches(&format!("x.{}", pat.name)))),
        };
        for up in upstream {
            let _ = writeln!(w, "server=/{server_key}/{up}");
        }
        if block_below {
            let _ = writeln!(w, "address=/*.{}/", pat.name);
        }
        if let Some(spec) = set_spec {
            let _ = writeln!(w, "nftset=/{}/{spec}", pat.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::config::NetworkConfig;

    fn render_with(domains: &[&str]) -> String {
        let c = NetworkConfig {
            presets: vec![],
            ntp: false,
            allowed_domains: domains.iter().map(|s| s.to_string()).collect(),
            upstream_dns: Some(vec!["10.0.0.53".into(), "fd00::53".into()]),
            ..Default::default()
        };
        render(&c.validate().unwrap())
    }

    #[test]
    fn exact_names_block_their_subdomains() {
        let r = render_with(&["api.example.test"]);
        assert!(r.contains("server=/api.example.test/10.0.0.53\nserver=/api.example.test/fd00::53\naddress=/*.api.example.test/\nnftset=/api.example.test/4#inet#openclaw#allow4,6#inet#openclaw#allow6\n"), "{r}");
        assert!(r.trim_end().ends_with("address=/#/"));
        assert!(r.contains("no-resolv") && r.contains("log-queries=extra") && r.contains("user=dnsmasq"));
    }

    #[test]
    fn wildcards_forward_subdomains_only() {
        let r = render_with(&["*.cdn.example.test"]);
        assert!(r.contains("server=/*.cdn.example.test/10.0.0.53"));
        assert!(!r.contains("address=/*.cdn.example.test/"));
        assert!(r.contains("nftset=/cdn.example.test/"));
    }

    #[test]
    fn exact_plus_wildcard_forward_both_with_one_entry() {
        let r = render_with(&["example.test", "*.example.test"]);
        assert_eq!(r.matches("server=/example.test/10.0.0.53").count(), 1, "{r}");
        assert!(!r.contains("*.example.test"), "{r}");
    }

    #[test]
    fn exact_name_under_a_wildcard_parent_does_not_block_siblings() {
        // `a.example.test` is not covered by `*.b.example.test`; its subdomains are blocked.
        let r = render_with(&["*.b.example.test", "a.example.test"]);
        assert!(r.contains("address=/*.a.example.test/"));
        assert!(r.contains("server=/*.b.example.test/"));
    }

    #[test]
    fn ntp_names_resolve_without_opening_the_firewall() {
        let c = NetworkConfig { presets: vec![], ..Default::default() };
        let r = render(&c.validate().unwrap());
        assert!(r.contains("server=/*.pool.ntp.org/192.168.5.3"));
        assert!(!r.contains("nftset=/pool.ntp.org/"));
    }

    #[test]
    fn package_sources_fill_the_root_only_set_unless_allowed_for_everyone() {
        let c = NetworkConfig { presets: vec![], ..Default::default() };
        let r = render(&c.validate().unwrap());
        assert!(r.contains("nftset=/registry.npmjs.org/4#inet#openclaw#prov4,6#inet#openclaw#prov6\n"), "{r}");
        assert!(r.contains("nftset=/deb.debian.org/4#inet#openclaw#prov4"));
        // with the npm preset on, the registry is open to everyone: only the general set
        let c = NetworkConfig { presets: vec!["npm".into()], ..Default::default() };
        let r = render(&c.validate().unwrap());
        assert!(r.contains("nftset=/registry.npmjs.org/4#inet#openclaw#allow4"), "{r}");
        assert!(!r.contains("nftset=/registry.npmjs.org/4#inet#openclaw#prov4"), "{r}");
    }
}
