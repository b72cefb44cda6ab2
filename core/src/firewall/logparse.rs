//! Denial log lines → `ParsedDenial`.
//!
//! Understands the kernel's nftables `log` lines (prefix `OPENCLAW-DROP-{IN,OUT,FWD,DNS} `
//! followed by `KEY=VALUE` fields) and dnsmasq's refusals (`config NAME is NXDOMAIN`), in any
//! of these wrappers: `journalctl -o json` objects (`MESSAGE` as a string or a byte array),
//! `/dev/kmsg` records (`6,123,456,-;…`), `dmesg` (`[  12.345] …`) and syslog text. Anything
//! else is `None`; no input makes it panic.

use crate::events::{BlockedConnection, Direction};

/// The prefix every firewall log line starts with.
pub const DROP_MARK: &str = "OPENCLAW-DROP-";

/// One denial, before de-duplication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDenial {
    pub direction: Direction,
    /// Which chain dropped it: "in", "out", "fwd" (containers), "dns" (DNS to a foreign
    /// server) or "resolver" (dnsmasq refused the name).
    pub source: &'static str,
    /// "tcp", "udp", "icmp", "icmpv6", … lower case.
    pub proto: Option<String>,
    pub src: Option<String>,
    pub dst: Option<String>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    pub domain: Option<String>,
}

impl ParsedDenial {
    /// As an event payload standing for `count` denials.
    pub fn to_blocked(&self, count: u64) -> BlockedConnection {
        BlockedConnection {
            direction: self.direction,
            proto: self.proto.clone(),
            src: self.src.clone(),
            dst: self.dst.clone(),
            dport: self.dport,
            domain: self.domain.clone(),
            count,
        }
    }
}

/// Parse one line in any supported wrapper.
pub fn parse_line(line: &str) -> Option<ParsedDenial> {
    let t = line.trim();
    if t.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(t).ok()?;
        let msg = journal_message(v.get("MESSAGE")?)?;
        return parse_message(&msg);
    }
    parse_message(t)
}

/// journald writes MESSAGE as a string, or as an array of bytes when it is not valid UTF-8.
fn journal_message(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(a) => {
            let bytes: Vec<u8> = a.iter().map(|b| b.as_u64().and_then(|n| u8::try_from(n).ok())).collect::<Option<_>>()?;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        _ => None,
    }
}

/// Parse the message text (wrappers such as timestamps before it are skipped).
pub fn parse_message(msg: &str) -> Option<ParsedDenial> {
    if let Some(at) = msg.find(DROP_MARK) {
        return parse_kernel(&msg[at + DROP_MARK.len()..]);
    }
    parse_dnsmasq(msg)
}

fn parse_kernel(rest: &str) -> Option<ParsedDenial> {
    let (kind, fields) = rest.split_once(' ').unwrap_or((rest, ""));
    let (direction, source) = match kind {
        "IN" => (Direction::Inbound, "in"),
        "OUT" => (Direction::Outbound, "out"),
        "FWD" => (Direction::Outbound, "fwd"),
        "DNS" => (Direction::Dns, "dns"),
        _ => return None,
    };
    let mut d = ParsedDenial { direction, source, proto: None, src: None, dst: None, sport: None, dport: None, domain: None };
    for token in fields.split_ascii_whitespace() {
        if token.starts_with('[') {
            break; // an ICMP error's quoted packet follows: keep the outer packet's fields
        }
        let Some((k, v)) = token.split_once('=') else { continue };
        if v.is_empty() {
            continue;
        }
        match k {
            "SRC" if d.src.is_none() => d.src = Some(canonical_ip(v)),
            "DST" if d.dst.is_none() => d.dst = Some(canonical_ip(v)),
            "PROTO" if d.proto.is_none() => d.proto = Some(v.to_ascii_lowercase()),
            "SPT" if d.sport.is_none() => d.sport = v.parse().ok(),
            "DPT" if d.dport.is_none() => d.dport = v.parse().ok(),
            _ => {}
        }
    }
    if d.src.is_none() && d.dst.is_none() {
        return None;
    }
    Some(d)
}

/// The kernel writes IPv6 addresses uncompressed (`fd00:0000:…:0001`); show them the usual
/// way (`fd00::1`) so alerts and the profile's entries compare equal. Non-addresses stay as is.
fn canonical_ip(text: &str) -> String {
    text.parse::<std::net::IpAddr>().map(|a| a.to_string()).unwrap_or_else(|_| text.to_string())
}

/// `… config NAME is NXDOMAIN`, optionally after `SERIAL CLIENT/PORT` (log-queries=extra).
fn parse_dnsmasq(msg: &str) -> Option<ParsedDenial> {
    let tokens: Vec<&str> = msg.split_ascii_whitespace().collect();
    let i = tokens.iter().rposition(|t| *t == "config")?;
    let (name, is, answer) = (tokens.get(i + 1)?, tokens.get(i + 2)?, tokens.get(i + 3)?);
    if *is != "is" || !matches!(*answer, "NXDOMAIN" | "NODATA" | "REFUSED") || tokens.len() != i + 4 {
        return None;
    }
    let domain = name.trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() || !domain.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')) {
        return None;
    }
    // log-queries=extra puts `CLIENT/PORT` right before `config`.
    let src = i
        .checked_sub(1)
        .and_then(|j| tokens.get(j))
        .and_then(|t| t.rsplit_once('/'))
        .filter(|(addr, port)| addr.parse::<std::net::IpAddr>().is_ok() && port.parse::<u16>().is_ok())
        .map(|(addr, _)| addr.to_string());
    Some(ParsedDenial { direction: Direction::Dns, source: "resolver", proto: None, src, dst: None, sport: None, dport: None, domain: Some(domain) })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT_V4: &str = "OPENCLAW-DROP-OUT IN= OUT=eth0 SRC=192.168.5.15 DST=203.0.113.7 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=54321 DF PROTO=TCP SPT=40112 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0 ";

    #[test]
    fn kernel_text_in_every_wrapper() {
        for line in [
            OUT_V4.to_string(),
            format!("[ 1234.567890] {OUT_V4}"),
            format!("4,1021,123456789,-;{OUT_V4}"),
            format!("Nov 26 23:10:01 lima-default kernel: [ 1234.5] {OUT_V4}"),
            format!("2026-11-26T23:10:01.123456+00:00 lima-default kernel: {OUT_V4}"),
            serde_json::json!({"MESSAGE": OUT_V4, "_TRANSPORT": "kernel", "PRIORITY": "4"}).to_string(),
        ] {
            let d = parse_line(&line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(d.direction, Direction::Outbound);
            assert_eq!(d.proto.as_deref(), Some("tcp"));
            assert_eq!(d.src.as_deref(), Some("192.168.5.15"));
            assert_eq!(d.dst.as_deref(), Some("203.0.113.7"));
            assert_eq!((d.sport, d.dport), (Some(40112), Some(443)));
            assert_eq!(d.domain, None);
        }
    }

    #[test]
    fn inbound_ipv6_and_dns_prefixes() {
        let d = parse_line("OPENCLAW-DROP-IN IN=eth0 OUT= MAC=52:55:55:12:34:56:52:55:55:65:43:21:86:dd SRC=fd00:99::2 DST=fd00:99::1 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=123 PROTO=TCP SPT=50000 DPT=8080 WINDOW=64800 RES=0x00 SYN URGP=0").unwrap();
        assert_eq!(d.direction, Direction::Inbound);
        assert_eq!(d.dst.as_deref(), Some("fd00:99::1"));
        assert_eq!(d.dport, Some(8080));
        let d = parse_line("OPENCLAW-DROP-OUT IN= OUT=eth0 SRC=fd00:0099:0000:0000:0000:0000:0000:0001 DST=2001:0db8:0000:0000:0000:0000:0000:0003 LEN=80 PROTO=TCP SPT=1 DPT=443").unwrap();
        assert_eq!((d.src.as_deref(), d.dst.as_deref()), (Some("fd00:99::1"), Some("2001:db8::3")));
        let d = parse_line("OPENCLAW-DROP-DNS IN= OUT=eth0 SRC=10.0.0.1 DST=198.51.100.53 LEN=56 PROTO=UDP SPT=5353 DPT=53 LEN=36").unwrap();
        assert_eq!((d.direction, d.source, d.proto.as_deref()), (Direction::Dns, "dns", Some("udp")));
        let d = parse_line("OPENCLAW-DROP-FWD IN=docker0 OUT=eth0 SRC=172.17.0.2 DST=203.0.113.9 PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1").unwrap();
        assert_eq!((d.direction, d.source, d.proto.as_deref(), d.dport), (Direction::Outbound, "fwd", Some("icmp"), None));
    }

    #[test]
    fn icmp_errors_keep_the_outer_packet() {
        let d =
            parse_line("OPENCLAW-DROP-IN IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.1 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.0.0.1 DST=10.0.0.9 PROTO=UDP SPT=1 DPT=2 ]")
                .unwrap();
        assert_eq!(d.src.as_deref(), Some("10.0.0.9"));
        assert_eq!(d.dport, None);
    }

    #[test]
    fn dnsmasq_refusals() {
        for line in [
            "Nov 26 23:57:34 dnsmasq[8689]: 3 127.0.0.1/50045 config evil.example.test is NXDOMAIN",
            r#"{"SYSLOG_IDENTIFIER":"dnsmasq","MESSAGE":"3 127.0.0.1/50045 config Evil.Example.Test is NXDOMAIN","_PID":"8689"}"#,
        ] {
            let d = parse_line(line).unwrap();
            assert_eq!(d.direction, Direction::Dns);
            assert_eq!(d.domain.as_deref(), Some("evil.example.test"));
            assert_eq!(d.src.as_deref(), Some("127.0.0.1"));
        }
        let d = parse_line("dnsmasq[1]: config old.example.test is NXDOMAIN").unwrap();
        assert_eq!((d.domain.as_deref(), d.src), (Some("old.example.test"), None));
    }

    #[test]
    fn journal_byte_array_messages() {
        let bytes: Vec<u8> = OUT_V4.bytes().collect();
        let d = parse_line(&serde_json::json!({ "MESSAGE": bytes }).to_string()).unwrap();
        assert_eq!(d.dst.as_deref(), Some("203.0.113.7"));
    }

    #[test]
    fn unrelated_lines_are_none() {
        for line in [
            "",
            "{",
            "{\"MESSAGE\": 5}",
            "Nov 26 23:57:33 dnsmasq[8689]: 1 127.0.0.1/55052 reply sub.example.test is 10.250.0.2",
            "Nov 26 23:57:33 dnsmasq[8689]: 1 127.0.0.1/55052 query[A] sub.example.test from 127.0.0.1",
            "UFW BLOCK IN=eth0 SRC=1.2.3.4 DST=5.6.7.8",
            "OPENCLAW-DROP-XYZ SRC=1.2.3.4",
            "OPENCLAW-DROP-OUT",
            "config is NXDOMAIN",
            "config a.b is NXDOMAIN trailing",
        ] {
            assert_eq!(parse_line(line), None, "{line}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_garbage(s in "\\PC*") {
            let _ = parse_line(&s);
        }

        #[test]
        fn never_panics_on_mangled_real_lines(cut in 0usize..200, junk in "[ =\\[\\]{}\":/a-zA-Z0-9.-]{0,40}") {
            for base in [OUT_V4, "3 127.0.0.1/50045 config evil.example.test is NXDOMAIN"] {
                let cut = base.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(base.len());
                let _ = parse_line(&format!("{}{}", &base[..cut], junk));
                let _ = parse_line(&format!("{{\"MESSAGE\":\"{}{}\"}}", &base[..cut], junk));
            }
        }
    }
}
