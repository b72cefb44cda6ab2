//! `sandbox firewall …` as a process: render, allow/deny on a profile file, parse-log.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sandbox(home: &std::path::Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .args(args)
        .env("SANDBOX_HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn render_prints_both_parts_or_one() {
    let home = tempfile::tempdir().unwrap();
    let out = sandbox(home.path(), &["firewall", "render"], b"");
    assert!(out.status.success());
    let s = text(&out.stdout);
    assert!(s.contains("table inet openclaw {") && s.contains("address=/#/"));
    let nft = text(&sandbox(home.path(), &["firewall", "render", "--part", "nftables"], b"").stdout);
    assert!(nft.contains("policy drop;") && !nft.contains("address=/#/"));
    let dns = text(&sandbox(home.path(), &["firewall", "render", "--part", "dns"], b"").stdout);
    // default: Lima's resolver for this host's VM type
    let lima = if cfg!(target_os = "macos") { "192.168.5.2" } else { "192.168.5.3" };
    assert!(dns.contains(&format!("server=/api.anthropic.com/{lima}")) && !dns.contains("policy drop"), "{dns}");
}

#[test]
fn an_invalid_network_table_is_reported_by_field() {
    let home = tempfile::tempdir().unwrap();
    let profile = home.path().join("p.toml");
    std::fs::write(&profile, format!("[mounts]\nproject = \"{}\"\n[network]\npresets = [\"llm\", \"nope\"]\nallowed_ports = [0]\n", home.path().display()))
        .unwrap();
    let out = sandbox(home.path(), &["--profile", profile.to_str().unwrap(), "firewall", "render"], b"");
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out.stderr);
    assert!(e.contains("line 4: `network.presets[1]` unknown preset `nope`; known presets: llm"), "{e}");
    assert!(e.contains("line 5: `network.allowed_ports[0]`"), "{e}");
}

#[test]
fn allow_then_deny_edits_the_profile_keeps_comments_and_audits() {
    let home = tempfile::tempdir().unwrap();
    let profile = home.path().join("config/profile.toml");
    std::fs::create_dir_all(profile.parent().unwrap()).unwrap();
    std::fs::write(&profile, format!("# mine\n[mounts]\nproject = \"{}\"\n[network]\nallowed_ports = [443] # https only\n", home.path().display())).unwrap();
    let out = sandbox(home.path(), &["firewall", "allow", "*.example.test"], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("next `sandbox up`"));
    let p = std::fs::read_to_string(&profile).unwrap();
    assert!(p.contains("# mine") && p.contains("# https only") && p.contains("\"*.example.test\""), "{p}");
    let render = text(&sandbox(home.path(), &["firewall", "render", "--part", "dns"], b"").stdout);
    assert!(render.contains("server=/*.example.test/"));
    assert!(sandbox(home.path(), &["firewall", "deny", "*.example.test"], b"").status.success());
    assert!(!std::fs::read_to_string(&profile).unwrap().contains("example.test"));
    let audit = std::fs::read_to_string(home.path().join("logs/audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 2);
    assert!(audit.contains("\"firewall.allow\"") && audit.contains("\"firewall.deny\""));
}

#[test]
fn bad_targets_are_usage_errors_and_unknown_denies_are_conflicts() {
    let home = tempfile::tempdir().unwrap();
    let out = sandbox(home.path(), &["firewall", "allow", "10.0.0.1/8"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("10.0.0.0/8"));
    let out = sandbox(home.path(), &["firewall", "deny", "api.anthropic.com"], b"");
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("preset `llm`"));
}

#[test]
fn parse_log_aggregates_mixed_input_and_survives_garbage() {
    let home = tempfile::tempdir().unwrap();
    let mut input = Vec::new();
    for _ in 0..4 {
        input.extend_from_slice(b"[ 12.5] OPENCLAW-DROP-OUT IN= OUT=eth0 SRC=192.168.5.15 DST=203.0.113.7 LEN=60 PROTO=TCP SPT=40000 DPT=443\n");
    }
    input.extend_from_slice(b"{\"SYSLOG_IDENTIFIER\":\"dnsmasq\",\"MESSAGE\":\"9 127.0.0.1/333 config evil.example.test is NXDOMAIN\"}\n");
    input.extend_from_slice(b"\xff\xfe\x00 not a line\n{\"MESSAGE\":\n");
    let out = sandbox(home.path(), &["firewall", "parse-log", "--json"], &input);
    assert!(out.status.success());
    let events: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["type"], "firewall_blocked");
    assert_eq!(events[0]["count"], 4);
    assert_eq!(events[1]["domain"], "evil.example.test");
    assert!(text(&out.stderr).contains("5 denial(s) in 7 line(s)"));
}

#[test]
fn render_for_macos_and_linux_uses_that_vm_types_dns() {
    let home = tempfile::tempdir().unwrap();
    let mac = text(&sandbox(home.path(), &["firewall", "render", "--for", "macos"], b"").stdout);
    assert!(mac.contains("meta skuid \"dnsmasq\" ct original ip daddr 192.168.5.2 meta l4proto { tcp, udp } ct original proto-dst 53 accept"), "{mac}");
    assert!(mac.contains("server=/api.anthropic.com/192.168.5.2"), "{mac}");
    assert!(!mac.contains("192.168.5.3"), "{mac}");
    let linux = text(&sandbox(home.path(), &["firewall", "render", "--part", "nftables", "--for", "linux"], b"").stdout);
    assert!(linux.contains("meta skuid \"dnsmasq\" ct original ip daddr 192.168.5.3 meta l4proto { tcp, udp } ct original proto-dst 53 accept"), "{linux}");
    assert!(!linux.contains("server="), "{linux}");
    let linux_dns = text(&sandbox(home.path(), &["firewall", "render", "--part", "dns", "--for", "linux"], b"").stdout);
    assert!(linux_dns.contains("server=/api.anthropic.com/192.168.5.3"), "{linux_dns}");
    // an explicit upstream wins on both
    let profile = home.path().join("p.toml");
    std::fs::write(&profile, format!("[mounts]\nproject = \"{}\"\n[network]\nupstream_dns = [\"10.0.0.53\"]\n", home.path().display())).unwrap();
    for host in ["macos", "linux"] {
        let dns = text(&sandbox(home.path(), &["--profile", profile.to_str().unwrap(), "firewall", "render", "--part", "dns", "--for", host], b"").stdout);
        assert!(dns.contains("server=/api.anthropic.com/10.0.0.53") && !dns.contains("192.168.5."), "{host}: {dns}");
    }
}
