//! The two kinds of allowlist entry: domain patterns (`api.example.com`, `*.example.com`) and
//! static destinations (`10.1.2.3`, `10.0.0.0/8`, `10.1.2.3:5432/tcp`, `[fd00::1]:443`).
//! Parsing returns a message that says how to fix the entry; it never panics.

use std::fmt;
use std::net::IpAddr;

/// A DNS name the VM's resolver will answer: exactly `name`, or (`*.name`) any name below it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainPattern {
    /// Lower-case name without a trailing dot and without the `*.`.
    pub name: String,
    /// `*.name`: every subdomain of `name` (not `name` itself).
    pub subdomains: bool,
}

impl DomainPattern {
    /// Parse `example.com`, `Example.COM.` or `*.example.com`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty domain; write a name like `api.example.com` or `*.example.com`".into());
        }
        let (subdomains, rest) = match t.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        if rest.contains('*') {
            return Err(format!("`{t}`: `*` may only appear as a leading `*.` label; write `*.example.com` to allow every subdomain"));
        }
        let name = rest.strip_suffix('.').unwrap_or(rest).to_ascii_lowercase();
        if name.parse::<IpAddr>().is_ok() {
            return Err(format!("`{t}` is an IP address, not a domain; put it in `network.allowed_destinations` (or run `sandbox firewall allow {t}`)"));
        }
        if name.len() > 253 {
            return Err(format!("`{t}` is longer than 253 characters, which DNS does not allow"));
        }
        let labels: Vec<&str> = name.split('.').collect();
        for label in &labels {
            if label.is_empty() {
                return Err(format!("`{t}` has an empty label (two dots in a row, or a leading dot); write it like `api.example.com`"));
            }
            if label.len() > 63 {
                return Err(format!("`{t}`: the label `{label}` is longer than 63 characters"));
            }
            if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(format!(
                    "`{t}`: the label `{label}` may only hold letters, digits, `-` and `_` (write internationalized names in their `xn--` form)"
                ));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(format!("`{t}`: the label `{label}` must not start or end with `-`"));
            }
        }
        if labels.len() < 2 {
            return Err(format!("`{t}` is a top-level domain; allowing a whole TLD defeats the allowlist. Name the site, e.g. `api.{name}`"));
        }
        Ok(DomainPattern { name, subdomains })
    }

    /// Does this pattern allow resolving `domain` (lower-case, no trailing dot)?
    pub fn matches(&self, domain: &str) -> bool {
        if self.subdomains {
            domain.len() > self.name.len() + 1 && domain.ends_with(&self.name) && domain.as_bytes()[domain.len() - self.name.len() - 1] == b'.'
        } else {
            domain == self.name
        }
    }

    /// Is everything `other` allows also allowed by `self` (so `other` is redundant)?
    pub fn covers(&self, other: &DomainPattern) -> bool {
        if self == other {
            return true;
        }
        self.subdomains && self.matches(&other.name)
    }
}

impl fmt::Display for DomainPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.subdomains {
            write!(f, "*.{}", self.name)
        } else {
            f.write_str(&self.name)
        }
    }
}

/// Transport protocol of a static destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// An address or network the VM may reach without DNS, on one port or on the allowed ports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Destination {
    /// Network address (host bits zero).
    pub addr: IpAddr,
    /// Prefix length: 32/128 for a single address.
    pub prefix: u8,
    /// `Some(port)`: only this port (with `proto`); `None`: the profile's `allowed_ports` over TCP.
    pub port: Option<u16>,
    pub proto: Proto,
}

impl Destination {
    /// Parse `IP`, `IP/PREFIX`, `IP:PORT`, `IP:PORT/PROTO`, `[IPv6]:PORT/PROTO`, `IPv6/PREFIX`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let how = "write `10.1.2.3`, `10.0.0.0/8`, `10.1.2.3:5432/tcp`, `fd00::/8` or `[fd00::1]:443/tcp`";
        let (net, port_part) = if let Some(rest) = t.strip_prefix('[') {
            let Some((inside, after)) = rest.split_once(']') else {
                return Err(format!("`{t}`: missing `]`; {how}"));
            };
            let port_part = match after {
                "" => None,
                p => match p.strip_prefix(':') {
                    Some(p) => Some(p),
                    None => return Err(format!("`{t}`: expected `:PORT` after `]`; {how}")),
                },
            };
            (inside, port_part)
        } else if t.matches(':').count() > 1 {
            (t, None) // bare IPv6 (a port needs the [..] form)
        } else {
            match t.split_once(':') {
                Some((a, p)) => (a, Some(p)),
                None => (t, None),
            }
        };
        let (addr_text, prefix_text) = match net.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (net, None),
        };
        let addr: IpAddr =
            addr_text.parse().map_err(|_| format!("`{t}`: `{addr_text}` is not an IP address; {how} (domains go in `network.allowed_domains`)"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => return Err(format!("`{t}`: the prefix length `/{p}` must be a number from 0 to {max}")),
            },
        };
        let masked = mask(addr, prefix);
        if masked != addr {
            return Err(format!("`{t}`: host bits are set below /{prefix}; write `{masked}/{prefix}`"));
        }
        if prefix == 0 {
            return Err(format!("`{t}` allows the whole Internet, which turns the firewall off; name the networks you need"));
        }
        let (port, proto) = match port_part {
            None => (None, Proto::Tcp),
            Some(p) => {
                let (num, proto) = match p.split_once('/') {
                    Some((n, pr)) => (n, Some(pr)),
                    None => (p, None),
                };
                let port = parse_port(num).map_err(|m| format!("`{t}`: {m}"))?;
                let proto = match proto.map(|s| s.to_ascii_lowercase()) {
                    None => Proto::Tcp,
                    Some(s) if s == "tcp" => Proto::Tcp,
                    Some(s) if s == "udp" => Proto::Udp,
                    Some(s) => return Err(format!("`{t}`: unknown protocol `{s}`; use `tcp` or `udp`")),
                };
                (Some(port), proto)
            }
        };
        Ok(Destination { addr, prefix, port, proto })
    }

    /// `addr` or `addr/prefix`, as nftables writes it.
    pub fn network(&self) -> String {
        let max = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            self.addr.to_string()
        } else {
            format!("{}/{}", self.addr, self.prefix)
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.port, self.addr) {
            (None, _) => f.write_str(&self.network()),
            (Some(p), IpAddr::V4(_)) => write!(f, "{}:{}/{}", self.network(), p, self.proto.as_str()),
            (Some(p), IpAddr::V6(_)) => write!(f, "[{}]:{}/{}", self.network(), p, self.proto.as_str()),
        }
    }
}

/// A port number 1..=65535 from text.
pub fn parse_port(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err(format!("`{text}` is not a port; ports are numbers from 1 to 65535")),
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) };
            IpAddr::V6((bits & m).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_parse_and_normalize() {
        let d = DomainPattern::parse("API.Example.COM.").unwrap();
        assert_eq!(d, DomainPattern { name: "api.example.com".into(), subdomains: false });
        let w = DomainPattern::parse("*.example.com").unwrap();
        assert!(w.subdomains);
        assert_eq!(w.to_string(), "*.example.com");
    }

    #[test]
    fn bad_domains_say_how_to_fix_them() {
        for (bad, hint) in [
            ("", "empty"),
            ("com", "top-level"),
            ("*.com", "top-level"),
            ("a..b", "empty label"),
            ("ex*ample.com", "leading `*.`"),
            ("*.*.example.com", "leading `*.`"),
            ("1.2.3.4", "allowed_destinations"),
            ("-a.example.com", "start or end"),
            ("exa mple.com", "letters, digits"),
            ("bücher.de", "xn--"),
        ] {
            let e = DomainPattern::parse(bad).unwrap_err();
            assert!(e.contains(hint), "{bad}: {e}");
        }
    }

    #[test]
    fn matching_is_by_whole_labels() {
        let w = DomainPattern::parse("*.example.com").unwrap();
        assert!(w.matches("a.example.com"));
        assert!(w.matches("a.b.example.com"));
        assert!(!w.matches("example.com"));
        assert!(!w.matches("badexample.com"));
        let e = DomainPattern::parse("example.com").unwrap();
        assert!(e.matches("example.com"));
        assert!(!e.matches("a.example.com"));
        assert!(w.covers(&DomainPattern::parse("x.example.com").unwrap()));
        assert!(w.covers(&DomainPattern::parse("*.x.example.com").unwrap()));
        assert!(!w.covers(&e));
    }

    #[test]
    fn destinations_parse_every_form() {
        let d = Destination::parse("10.1.2.3").unwrap();
        assert_eq!((d.prefix, d.port), (32, None));
        let d = Destination::parse("10.0.0.0/8").unwrap();
        assert_eq!(d.network(), "10.0.0.0/8");
        let d = Destination::parse("10.1.2.3:5432/udp").unwrap();
        assert_eq!((d.port, d.proto), (Some(5432), Proto::Udp));
        assert_eq!(d.to_string(), "10.1.2.3:5432/udp");
        let d = Destination::parse("10.1.2.3:22").unwrap();
        assert_eq!((d.port, d.proto), (Some(22), Proto::Tcp));
        let d = Destination::parse("fd00::/8").unwrap();
        assert_eq!(d.network(), "fd00::/8");
        let d = Destination::parse("[fd00::1]:443/TCP").unwrap();
        assert_eq!(d.to_string(), "[fd00::1]:443/tcp");
        let d = Destination::parse("[fd00::/16]").unwrap();
        assert_eq!(d.port, None);
    }

    #[test]
    fn bad_destinations_say_how_to_fix_them() {
        for (bad, hint) in [
            ("10.1.2.3/8", "write `10.0.0.0/8`"),
            ("10.1.2.3/33", "0 to 32"),
            ("10.1.2.3:0", "1 to 65535"),
            ("10.1.2.3:70000", "1 to 65535"),
            ("10.1.2.3:53/icmp", "tcp` or `udp"),
            ("example.com:443", "not an IP"),
            ("[fd00::1", "missing `]`"),
            ("0.0.0.0/0", "whole Internet"),
            ("::/0", "whole Internet"),
        ] {
            let e = Destination::parse(bad).unwrap_err();
            assert!(e.contains(hint), "{bad}: {e}");
        }
    }
}
