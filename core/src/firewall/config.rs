//! The profile's `[network]` table (`NetworkConfig`, as the user writes it) and the validated
//! `NetworkPolicy` the renderers take.

use super::pattern::{parse_port, Destination, DomainPattern};
use super::presets;
use crate::field_issue::FieldIssue;
use crate::host::HostOs;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Lima's DNS server on qemu (slirp): the guest DNATs 192.168.5.3:53 to the hostagent's resolver
/// on 192.168.5.2:<port> (lima:pkg/cidata/cidata.TEMPLATE.d/boot.Linux/09-host-dns-setup.sh;
/// lima:pkg/cidata/cidata.go sets SlirpDNS = usernet.DNSIP for non-vz VMs).
pub const LIMA_HOST_RESOLVER: &str = "192.168.5.3";
/// The host as the guest sees it (`host.lima.internal`), also Lima's gateway and DHCP server.
/// On vz it is the guest's DNS server too (lima:pkg/cidata/cidata.go: `SlirpDNS =
/// usernet.GatewayIP(subnet)` when vmType is vz; the same in v1.0.0).
pub const LIMA_HOST_ADDRESS: &str = "192.168.5.2";
/// Lima's gateway (the gvisor/slirp NAT), which answers DHCP.
pub const LIMA_GATEWAY: &str = LIMA_HOST_ADDRESS;

/// The DNS server Lima gives the guest for the VM type `host` gets (vz on macOS, qemu elsewhere).
pub fn lima_resolver(host: HostOs) -> IpAddr {
    match host {
        HostOs::MacOs => LIMA_HOST_ADDRESS,
        HostOs::Linux => LIMA_HOST_RESOLVER,
    }
    .parse()
    .expect("constant")
}

/// `[network]` in the profile, exactly as written (unvalidated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Inbound TCP port of the OpenClaw gateway.
    pub gateway_port: u16,
    /// Allow inbound ssh (tcp/22). Lima drives the VM over ssh: turning this off breaks `sandbox`.
    pub ssh_inbound: bool,
    /// TCP ports the VM may use towards allowed domains and port-less destinations.
    pub allowed_ports: Vec<u16>,
    /// Named domain sets, see `sandbox firewall presets`.
    pub presets: Vec<String>,
    /// Extra domains: `api.example.com` (exactly that name) or `*.example.com` (any subdomain).
    pub allowed_domains: Vec<String>,
    /// Addresses reachable without DNS: `10.1.2.3`, `10.0.0.0/8`, `10.1.2.3:5432/tcp`, `[fd00::1]:443`.
    pub allowed_destinations: Vec<String>,
    /// DNS servers the VM's resolver forwards allowed names to. Unset: Lima's resolver for the
    /// VM type (192.168.5.2 on vz/macOS, 192.168.5.3 on qemu/Linux), chosen at render time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_dns: Option<Vec<String>>,
    /// Let the time daemon reach NTP servers (udp/123).
    pub ntp: bool,
    /// Allow the Tailscale address ranges (100.64.0.0/10, fd7a:115c:a1e0::/48) on every port.
    pub tailscale: bool,
    /// The host as the VM sees it; `host_ports` are allowed to it.
    pub host_address: String,
    /// TCP ports on the host the VM may reach (e.g. an OpenTelemetry collector on 4317).
    pub host_ports: Vec<u16>,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            gateway_port: 18789,
            ssh_inbound: true,
            allowed_ports: vec![443],
            presets: vec!["llm".into()],
            allowed_domains: Vec::new(),
            allowed_destinations: Vec::new(),
            upstream_dns: None,
            ntp: true,
            tailscale: false,
            host_address: LIMA_HOST_ADDRESS.into(),
            host_ports: Vec::new(),
        }
    }
}

/// A validated network policy: what the nftables and DNS renderers take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPolicy {
    pub gateway_port: u16,
    pub ssh_inbound: bool,
    /// Sorted, de-duplicated, non-empty unless the user asked for no ports.
    pub allowed_ports: Vec<u16>,
    /// Presets and extra domains merged; redundant patterns removed; sorted.
    pub domains: Vec<DomainPattern>,
    /// Names the resolver answers without opening the firewall for them (NTP servers).
    pub resolve_only: Vec<DomainPattern>,
    /// Package sources only root in the VM may reach (provisioning installs and updates: the npm
    /// registry, the distribution's mirrors); the agent's uid cannot. Names the allowlist
    /// already opens for everyone are left out.
    pub provisioning: Vec<DomainPattern>,
    pub destinations: Vec<Destination>,
    /// The resolver's upstream servers, resolved for one host (see [`NetworkPolicy::for_host`]).
    pub upstream_dns: Vec<IpAddr>,
    /// `upstream_dns` was not set in the profile: it follows the VM type.
    pub upstream_is_lima: bool,
    pub ntp: bool,
    pub tailscale: bool,
    pub host_address: IpAddr,
    pub host_ports: Vec<u16>,
}

impl NetworkConfig {
    /// Check every field; on failure return every problem (field paths start with `network.`).
    pub fn validate(&self) -> Result<NetworkPolicy, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let mut issue = |field: String, message: String| issues.push(FieldIssue { field, message });

        if self.gateway_port == 0 {
            issue("network.gateway_port".into(), "port 0 is not a port; use a number from 1 to 65535 (the default is 18789)".into());
        }
        if self.ssh_inbound && self.gateway_port == 22 {
            issue("network.gateway_port".into(), "the gateway cannot use port 22, which ssh uses; pick another port such as 18789".into());
        }
        let mut allowed_ports = Vec::new();
        for (i, p) in self.allowed_ports.iter().enumerate() {
            if *p == 0 {
                issue(format!("network.allowed_ports[{i}]"), "port 0 is not a port; use a number from 1 to 65535".into());
            } else {
                allowed_ports.push(*p);
            }
        }
        allowed_ports.sort_unstable();
        allowed_ports.dedup();

        let mut domains = Vec::new();
        for (i, name) in self.presets.iter().enumerate() {
            match presets::find(name.trim()) {
                Some(p) => domains.extend(p.domains.iter().map(|d| DomainPattern::parse(d).expect("presets are valid"))),
                None => issue(format!("network.presets[{i}]"), format!("unknown preset `{name}`; known presets: {}", presets::known_names())),
            }
        }
        for (i, d) in self.allowed_domains.iter().enumerate() {
            match DomainPattern::parse(d) {
                Ok(p) => domains.push(p),
                Err(m) => issue(format!("network.allowed_domains[{i}]"), m),
            }
        }
        let mut destinations = Vec::new();
        for (i, d) in self.allowed_destinations.iter().enumerate() {
            match Destination::parse(d) {
                Ok(p) => destinations.push(p),
                Err(m) => issue(format!("network.allowed_destinations[{i}]"), m),
            }
        }
        destinations.sort();
        destinations.dedup();

        let mut upstream_dns = Vec::new();
        for (i, s) in self.upstream_dns.iter().flatten().enumerate() {
            match s.trim().parse::<IpAddr>() {
                Ok(a) => upstream_dns.push(a),
                Err(_) => issue(
                    format!("network.upstream_dns[{i}]"),
                    format!("`{s}` is not an IP address; write the DNS server's address, or leave `upstream_dns` out to use Lima's resolver"),
                ),
            }
        }
        if self.upstream_dns.as_ref().is_some_and(|l| l.is_empty()) {
            issue(
                "network.upstream_dns".into(),
                "no upstream DNS server: allowed domains could never resolve; leave `upstream_dns` out to use Lima's resolver".into(),
            );
        }
        let upstream_is_lima = self.upstream_dns.is_none();
        if upstream_is_lima {
            upstream_dns.push(lima_resolver(HostOs::current()));
        }
        let host_address = match self.host_address.trim().parse::<IpAddr>() {
            Ok(a) => a,
            Err(_) => {
                issue("network.host_address".into(), format!("`{}` is not an IP address; Lima's host is `{LIMA_HOST_ADDRESS}`", self.host_address));
                LIMA_HOST_ADDRESS.parse().expect("constant")
            }
        };
        let mut host_ports = Vec::new();
        for (i, p) in self.host_ports.iter().enumerate() {
            match parse_port(&p.to_string()) {
                Ok(p) => host_ports.push(p),
                Err(m) => issue(format!("network.host_ports[{i}]"), m),
            }
        }
        host_ports.sort_unstable();
        host_ports.dedup();

        if !issues.is_empty() {
            return Err(issues);
        }
        let resolve_only = if self.ntp { presets::NTP_DOMAINS.iter().map(|d| DomainPattern::parse(d).expect("constant")).collect() } else { Vec::new() };
        let domains = minimize(domains);
        let provisioning = presets::PROVISIONING_DOMAINS
            .iter()
            .map(|d| DomainPattern::parse(d).expect("constant"))
            .filter(|p| !domains.iter().any(|d| d.matches(&p.name)))
            .collect();
        Ok(NetworkPolicy {
            gateway_port: self.gateway_port,
            ssh_inbound: self.ssh_inbound,
            allowed_ports,
            domains,
            resolve_only: minimize(resolve_only),
            provisioning: minimize(provisioning),
            destinations,
            upstream_dns,
            upstream_is_lima,
            ntp: self.ntp,
            tailscale: self.tailscale,
            host_address,
            host_ports,
        })
    }
}

impl NetworkPolicy {
    /// This policy as the VM on `host` needs it: an unset `upstream_dns` becomes Lima's resolver
    /// for that host's VM type; explicit servers stay as written.
    pub fn for_host(&self, host: HostOs) -> NetworkPolicy {
        let mut p = self.clone();
        if p.upstream_is_lima {
            p.upstream_dns = vec![lima_resolver(host)];
        }
        p
    }
}

/// Sort, de-duplicate, and drop patterns another pattern already covers.
pub fn minimize(mut list: Vec<DomainPattern>) -> Vec<DomainPattern> {
    list.sort();
    list.dedup();
    let keep: Vec<bool> = list.iter().enumerate().map(|(i, p)| !list.iter().enumerate().any(|(j, q)| i != j && q.covers(p))).collect();
    list.into_iter().zip(keep).filter_map(|(p, k)| k.then_some(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<NetworkPolicy, Vec<FieldIssue>>) -> Vec<(String, String)> {
        r.unwrap_err().into_iter().map(|i| (i.field, i.message)).collect()
    }

    #[test]
    fn default_is_valid_and_allows_the_llm_preset_on_443() {
        let p = NetworkConfig::default().validate().unwrap();
        assert_eq!(p.allowed_ports, vec![443]);
        assert!(p.domains.iter().any(|d| d.name == "api.anthropic.com"));
        assert_eq!(p.gateway_port, 18789);
        assert!(p.ssh_inbound);
        assert!(!p.resolve_only.is_empty());
    }

    #[test]
    fn parses_from_toml_and_rejects_unknown_fields() {
        let c: NetworkConfig = toml::from_str("allowed_domains = [\"*.example.com\"]\nallowed_ports = [443, 80]").unwrap();
        assert_eq!(c.gateway_port, 18789);
        assert_eq!(c.allowed_domains, vec!["*.example.com"]);
        let e = toml::from_str::<NetworkConfig>("allowed_domain = []").unwrap_err().to_string();
        assert!(e.contains("allowed_domain"), "{e}");
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let c = NetworkConfig {
            gateway_port: 0,
            allowed_ports: vec![443, 0],
            presets: vec!["llm".into(), "nope".into()],
            allowed_domains: vec!["ok.example.com".into(), "*.com".into()],
            allowed_destinations: vec!["10.0.0.1/8".into()],
            upstream_dns: Some(vec!["dns.example".into()]),
            host_address: "host".into(),
            ..Default::default()
        };
        let f = fields(c.validate());
        let names: Vec<&str> = f.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "network.gateway_port",
                "network.allowed_ports[1]",
                "network.presets[1]",
                "network.allowed_domains[1]",
                "network.allowed_destinations[0]",
                "network.upstream_dns[0]",
                "network.host_address",
            ]
        );
        assert!(f[2].1.contains("known presets: llm, github"), "{}", f[2].1);
        assert!(f[4].1.contains("10.0.0.0/8"));
    }

    #[test]
    fn empty_upstream_is_an_error() {
        let c = NetworkConfig { upstream_dns: Some(vec![]), ..Default::default() };
        assert_eq!(fields(c.validate())[0].0, "network.upstream_dns");
    }

    #[test]
    fn issue13_default_upstream_is_limas_resolver_for_the_vm_type_and_explicit_wins() {
        let p = NetworkConfig::default().validate().unwrap();
        assert!(p.upstream_is_lima);
        assert_eq!(p.for_host(HostOs::MacOs).upstream_dns, vec!["192.168.5.2".parse::<IpAddr>().unwrap()]);
        assert_eq!(p.for_host(HostOs::Linux).upstream_dns, vec!["192.168.5.3".parse::<IpAddr>().unwrap()]);
        assert_eq!(p.upstream_dns, p.for_host(HostOs::current()).upstream_dns);
        let c: NetworkConfig = toml::from_str("upstream_dns = [\"10.0.0.53\"]").unwrap();
        let p = c.validate().unwrap();
        assert!(!p.upstream_is_lima);
        for host in [HostOs::MacOs, HostOs::Linux] {
            assert_eq!(p.for_host(host).upstream_dns, vec!["10.0.0.53".parse::<IpAddr>().unwrap()]);
        }
        // an unset value is not written back
        let text = toml::to_string(&NetworkConfig::default()).unwrap();
        assert!(!text.contains("upstream_dns"), "{text}");
    }

    #[test]
    fn redundant_patterns_are_dropped() {
        let p = |s: &str| DomainPattern::parse(s).unwrap();
        let m = minimize(vec![p("a.example.com"), p("*.example.com"), p("example.com"), p("*.x.example.com"), p("example.com")]);
        assert_eq!(m, vec![p("example.com"), p("*.example.com")]);
    }
}
