//! `NetworkPolicy` → one nftables file for `nft -f`.
//!
//! The file replaces the `inet openclaw` table in a single transaction (create-if-missing,
//! delete, re-add), so a reload is atomic and leaves other tables (Docker's) alone. Every base
//! chain has policy drop; every drop passes a rate-limited `log` with a prefix the log parser
//! knows. Because a packet must be accepted by every base chain on a hook, Docker's own
//! accept rules cannot open what this table drops.

use super::config::{NetworkPolicy, LIMA_GATEWAY};

use std::fmt::Write;
use std::net::IpAddr;

/// Name of our nftables table (family `inet`: IPv4 and IPv6).
pub const TABLE: &str = "openclaw";
/// The sets dnsmasq fills with the addresses of allowed domains.
pub const SET_V4: &str = "allow4";
pub const SET_V6: &str = "allow6";
/// The sets dnsmasq fills with the addresses of package sources (root only).
pub const PROV_V4: &str = "prov4";
pub const PROV_V6: &str = "prov6";
/// Log prefixes (the trailing space keeps the kernel's `IN=` field apart).
pub const PREFIX_IN: &str = "OPENCLAW-DROP-IN ";
pub const PREFIX_OUT: &str = "OPENCLAW-DROP-OUT ";
pub const PREFIX_FWD: &str = "OPENCLAW-DROP-FWD ";
/// DNS sent to anything but the VM's resolver (e.g. a hard-coded 8.8.8.8).
pub const PREFIX_DNS: &str = "OPENCLAW-DROP-DNS ";
/// The in-VM user dnsmasq runs as: only it may talk to the upstream DNS servers.
pub const RESOLVER_USER: &str = "dnsmasq";
/// The in-VM user of systemd-timesyncd: only it may send NTP.
pub const NTP_USER: &str = "systemd-timesync";
/// Who may send DHCP requests: root (dhclient, and cloud-init's ephemeral DHCP) and
/// systemd-networkd's user.
pub const DHCP_USERS: &str = "{ 0, \"systemd-network\" }";
/// Tailscale's address ranges.
pub const TAILSCALE_V4: &str = "100.64.0.0/10";
pub const TAILSCALE_V6: &str = "fd7a:115c:a1e0::/48";

/// Render the ruleset.
pub fn render(p: &NetworkPolicy) -> String {
    let mut o = String::new();
    let w = &mut o;
    let _ = writeln!(w, "#!/usr/sbin/nft -f");
    let _ = writeln!(w, "# OpenClaw Sandbox firewall, rendered from the profile's [network] table.");
    let _ = writeln!(w, "# Do not edit in the VM: change the profile (`sandbox firewall allow|deny`) instead.");
    let _ = writeln!(w, "# Default deny in and out; every drop is logged with an OPENCLAW-DROP-* prefix.");
    let _ = writeln!(w, "table inet {TABLE} {{}}");
    let _ = writeln!(w, "delete table inet {TABLE}");
    let _ = writeln!(w, "table inet {TABLE} {{");
    let _ = writeln!(w, "  # Filled at run time by the resolver (dnsmasq nftset=) with allowed domains' addresses.");
    let _ = writeln!(w, "  set {SET_V4} {{ type ipv4_addr; }}");
    let _ = writeln!(w, "  set {SET_V6} {{ type ipv6_addr; }}");
    let _ = writeln!(w, "  # Package sources, for root (provisioning) only.");
    let _ = writeln!(w, "  set {PROV_V4} {{ type ipv4_addr; }}");
    let _ = writeln!(w, "  set {PROV_V6} {{ type ipv6_addr; }}");
    let _ = writeln!(w);
    for (name, prefix) in [("drop_in", PREFIX_IN), ("drop_out", PREFIX_OUT), ("drop_fwd", PREFIX_FWD), ("drop_dns", PREFIX_DNS)] {
        let _ = writeln!(w, "  chain {name} {{");
        let _ = writeln!(w, "    limit rate 20/second burst 50 packets log prefix \"{prefix}\" level warn");
        let _ = writeln!(w, "    drop");
        let _ = writeln!(w, "  }}");
    }
    let _ = writeln!(w);

    // ---- input
    let _ = writeln!(w, "  chain input {{");
    let _ = writeln!(w, "    type filter hook input priority filter; policy drop;");
    let _ = writeln!(w, "    iif \"lo\" accept");
    let _ = writeln!(w, "    ct state established,related accept");
    let _ = writeln!(w, "    ct state invalid goto drop_in");
    let _ = writeln!(w, "    # IPv6 neighbour discovery and router adverts (link-local only: hop limit 255)");
    let _ = writeln!(w, "    icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert }} ip6 hoplimit 255 accept");
    // Lima's boot script sets net.ipv4.ip_unprivileged_port_start=0
    // (lima:pkg/cidata/cidata.TEMPLATE.d/boot.Linux/20-rootless-base.sh), so any guest user can
    // bind 67/68/53/123: no rule may match on ports alone (issue S2).
    let _ = writeln!(w, "    # DHCP replies (v4 only from Lima's gateway, v6 link-local) so the VM keeps its address");
    let _ = writeln!(w, "    ip saddr {LIMA_GATEWAY} udp sport 67 udp dport 68 accept");
    let _ = writeln!(w, "    ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept");
    if p.ssh_inbound {
        let _ = writeln!(w, "    tcp dport 22 accept");
    }
    let _ = writeln!(w, "    tcp dport {} accept", p.gateway_port);
    let _ = writeln!(w, "    goto drop_in");
    let _ = writeln!(w, "  }}");
    let _ = writeln!(w);

    // ---- output
    let _ = writeln!(w, "  chain output {{");
    let _ = writeln!(w, "    type filter hook output priority filter; policy drop;");
    let _ = writeln!(w, "    oif \"lo\" accept");
    let _ = writeln!(w, "    ct state established,related accept");
    let _ = writeln!(w, "    ct state invalid goto drop_out");
    let _ = writeln!(w, "    icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report }} accept");
    let _ = writeln!(w, "    # DHCP requests: the DHCP clients' users only (any user may bind port 68 under Lima), to Lima's gateway or broadcast");
    let _ = writeln!(w, "    meta skuid {DHCP_USERS} ip daddr {{ {LIMA_GATEWAY}, 255.255.255.255 }} udp sport 68 udp dport 67 accept");
    let _ = writeln!(w, "    meta skuid {DHCP_USERS} ip6 daddr {{ ff02::1:2, fe80::/10 }} udp sport 546 udp dport 547 accept");
    // On qemu the guest DNATs 192.168.5.3:53 to 192.168.5.2:<port> in nat OUTPUT, before this
    // chain (lima:pkg/cidata/cidata.TEMPLATE.d/boot.Linux/09-host-dns-setup.sh): match the
    // address and port the resolver asked for (conntrack's original tuple), which are also the
    // packet's own when nothing was NATed (vz).
    let _ = writeln!(w, "    # Only the resolver talks to the upstream DNS servers (as addressed, before any DNAT)");
    let (v4, v6): (Vec<IpAddr>, Vec<IpAddr>) = p.upstream_dns.iter().partition(|a| a.is_ipv4());
    for (fam, list) in [("ip", v4), ("ip6", v6)] {
        if !list.is_empty() {
            let _ = writeln!(
                w,
                "    meta skuid \"{RESOLVER_USER}\" ct original {fam} daddr {} meta l4proto {{ tcp, udp }} ct original proto-dst 53 accept",
                set_of(&list)
            );
        }
    }
    let _ = writeln!(w, "    meta l4proto {{ tcp, udp }} th dport {{ 53, 853 }} goto drop_dns");
    let _ = writeln!(w, "    meta l4proto {{ tcp, udp }} ct original proto-dst {{ 53, 853 }} goto drop_dns");
    if p.ntp {
        let _ = writeln!(w, "    meta skuid \"{NTP_USER}\" udp dport 123 accept");
    }
    if !p.host_ports.is_empty() {
        let fam = if p.host_address.is_ipv4() { "ip" } else { "ip6" };
        let _ = writeln!(w, "    # collectors on the host");
        let _ = writeln!(w, "    {fam} daddr {} tcp dport {} accept", p.host_address, set_of(&p.host_ports));
    }
    if !p.provisioning.is_empty() {
        let _ = writeln!(w, "    # package sources: root's provisioning only (the agent runs as another uid)");
        let _ = writeln!(w, "    meta skuid 0 ip daddr @{PROV_V4} tcp dport {{ 80, 443 }} accept");
        let _ = writeln!(w, "    meta skuid 0 ip6 daddr @{PROV_V6} tcp dport {{ 80, 443 }} accept");
    }
    render_destinations(w, p);
    let _ = writeln!(w, "    goto drop_out");
    let _ = writeln!(w, "  }}");
    let _ = writeln!(w);

    // ---- forward (containers, e.g. Docker's bridge): same destinations, no resolver exception
    let _ = writeln!(w, "  chain forward {{");
    let _ = writeln!(w, "    type filter hook forward priority filter; policy drop;");
    let _ = writeln!(w, "    ct state established,related accept");
    let _ = writeln!(w, "    ct state invalid goto drop_fwd");
    render_destinations(w, p);
    let _ = writeln!(w, "    goto drop_fwd");
    let _ = writeln!(w, "  }}");
    let _ = writeln!(w, "}}");
    o
}

/// Accept rules for the allow sets, static destinations and Tailscale.
fn render_destinations(w: &mut String, p: &NetworkPolicy) {
    if !p.allowed_ports.is_empty() {
        let ports = set_of(&p.allowed_ports);
        let _ = writeln!(w, "    # addresses of allowed domains, as the resolver answered them");
        let _ = writeln!(w, "    ip daddr @{SET_V4} tcp dport {ports} accept");
        let _ = writeln!(w, "    ip6 daddr @{SET_V6} tcp dport {ports} accept");
    }
    for d in &p.destinations {
        let fam = if d.addr.is_ipv4() { "ip" } else { "ip6" };
        let _ = writeln!(w, "    # {d}");
        match d.port {
            Some(port) => {
                let _ = writeln!(w, "    {fam} daddr {} {} dport {port} accept", d.network(), d.proto.as_str());
            }
            None if !p.allowed_ports.is_empty() => {
                let _ = writeln!(w, "    {fam} daddr {} tcp dport {} accept", d.network(), set_of(&p.allowed_ports));
            }
            None => {}
        }
    }
    if p.tailscale {
        let _ = writeln!(w, "    # Tailscale");
        let _ = writeln!(w, "    ip daddr {TAILSCALE_V4} accept");
        let _ = writeln!(w, "    ip6 daddr {TAILSCALE_V6} accept");
    }
}

/// `443` or `{ 80, 443 }`.
fn set_of<T: std::fmt::Display>(items: &[T]) -> String {
    if items.len() == 1 {
        items[0].to_string()
    } else {
        format!("{{ {} }}", items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::config::NetworkConfig;

    fn policy(f: impl FnOnce(&mut NetworkConfig)) -> NetworkPolicy {
        let mut c = NetworkConfig::default();
        f(&mut c);
        c.validate().unwrap()
    }

    #[test]
    fn default_ruleset_is_default_deny_with_logged_drops() {
        let r = render(&policy(|_| {}));
        assert_eq!(r.matches("policy drop;").count(), 3, "{r}");
        for prefix in [PREFIX_IN, PREFIX_OUT, PREFIX_FWD, PREFIX_DNS] {
            assert!(r.contains(&format!("log prefix \"{prefix}\"")), "{prefix}");
        }
        assert!(r.contains("tcp dport 22 accept"));
        assert!(r.contains("tcp dport 18789 accept"));
        assert!(r.contains("ip daddr @allow4 tcp dport 443 accept"));
        assert!(r.contains("ip6 daddr @allow6 tcp dport 443 accept"));
        let lima = if cfg!(target_os = "macos") { "192.168.5.2" } else { "192.168.5.3" };
        assert!(r.contains(&format!("meta skuid \"dnsmasq\" ct original ip daddr {lima} meta l4proto {{ tcp, udp }} ct original proto-dst 53 accept")), "{r}");
        assert!(r.contains("meta skuid \"systemd-timesync\" udp dport 123 accept"));
        // package sources: root only, and never in the forward chain (containers)
        assert!(r.contains("meta skuid 0 ip daddr @prov4 tcp dport { 80, 443 } accept"), "{r}");
        let fwd = &r[r.find("chain forward").unwrap()..];
        assert!(!fwd.contains("@prov4"));
        assert!(!r.contains("100.64.0.0/10"));
        // atomic replace: create, delete, re-add in one file
        let create = r.find("table inet openclaw {}").unwrap();
        let delete = r.find("delete table inet openclaw").unwrap();
        assert!(create < delete);
        assert!(!r.contains("flush ruleset"), "must not wipe other tables (Docker's)");
    }

    #[test]
    fn options_show_up_only_when_asked_for() {
        let r = render(&policy(|c| {
            c.ssh_inbound = false;
            c.gateway_port = 8080;
            c.allowed_ports = vec![443, 80];
            c.ntp = false;
            c.tailscale = true;
            c.host_ports = vec![4317, 4318];
            c.allowed_destinations = vec!["10.9.0.0/16".into(), "10.1.2.3:5432/tcp".into(), "[fd00::5]:53/udp".into()];
        }));
        assert!(!r.contains("tcp dport 22 accept"));
        assert!(r.contains("tcp dport 8080 accept"));
        assert!(r.contains("ip daddr @allow4 tcp dport { 80, 443 } accept"));
        assert!(!r.contains("udp dport 123"));
        assert!(r.contains("ip daddr 100.64.0.0/10 accept") && r.contains("ip6 daddr fd7a:115c:a1e0::/48 accept"));
        assert!(r.contains("ip daddr 192.168.5.2 tcp dport { 4317, 4318 } accept"));
        assert!(r.contains("ip daddr 10.9.0.0/16 tcp dport { 80, 443 } accept"));
        assert!(r.contains("ip daddr 10.1.2.3 tcp dport 5432 accept"));
        assert!(r.contains("ip6 daddr fd00::5 udp dport 53 accept"));
    }

    #[test]
    fn issue13_no_rule_matches_on_ports_alone() {
        let r = render(&policy(|c| c.ntp = true));
        // DHCP: the clients' users only, to Lima's gateway or broadcast; replies only from it
        assert!(r.contains("meta skuid { 0, \"systemd-network\" } ip daddr { 192.168.5.2, 255.255.255.255 } udp sport 68 udp dport 67 accept"), "{r}");
        assert!(r.contains("meta skuid { 0, \"systemd-network\" } ip6 daddr { ff02::1:2, fe80::/10 } udp sport 546 udp dport 547 accept"), "{r}");
        assert!(r.contains("ip saddr 192.168.5.2 udp sport 67 udp dport 68 accept"), "{r}");
        assert!(r.contains("ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept"), "{r}");
        assert!(r.contains("meta skuid \"systemd-timesync\" udp dport 123 accept"));
        // every accept in the output chain names a uid, an address, a set or the loopback
        let out = &r[r.find("chain output").unwrap()..r.find("chain forward").unwrap()];
        for line in out.lines().map(str::trim).filter(|l| l.ends_with("accept")) {
            let scoped = ["skuid", "daddr", "oif \"lo\"", "ct state", "icmpv6"].iter().any(|k| line.contains(k));
            assert!(scoped, "port-only accept rule: {line}");
        }
        let inp = &r[r.find("chain input").unwrap()..r.find("chain output").unwrap()];
        assert!(!inp.lines().any(|l| l.trim() == "udp sport 67 udp dport 68 accept"));
    }

    #[test]
    fn issue13_resolver_rule_matches_the_original_destination_per_vm_type() {
        use crate::host::HostOs;
        let p = policy(|_| {});
        let mac = render(&p.for_host(HostOs::MacOs));
        assert!(mac.contains("meta skuid \"dnsmasq\" ct original ip daddr 192.168.5.2 meta l4proto { tcp, udp } ct original proto-dst 53 accept"), "{mac}");
        let linux = render(&p.for_host(HostOs::Linux));
        assert!(linux.contains("meta skuid \"dnsmasq\" ct original ip daddr 192.168.5.3 meta l4proto { tcp, udp } ct original proto-dst 53 accept"), "{linux}");
        // DNS to anyone else is dropped whether or not it was NATed
        for r in [&mac, &linux] {
            let accept = r.find("ct original proto-dst 53 accept").unwrap();
            let drop = r.find("ct original proto-dst { 53, 853 } goto drop_dns").unwrap();
            assert!(accept < drop);
        }
    }

    #[test]
    fn forward_chain_gets_the_same_destinations_but_no_dns_exception() {
        let r = render(&policy(|c| c.allowed_destinations = vec!["10.1.2.3:5432".into()]));
        let fwd = &r[r.find("chain forward").unwrap()..];
        assert!(fwd.contains("ip daddr 10.1.2.3 tcp dport 5432 accept"));
        assert!(fwd.contains("ip daddr @allow4"));
        assert!(!fwd.contains("skuid"));
        assert!(fwd.contains("goto drop_fwd"));
    }
}
