//! The in-VM firewall files agree with what core renders and calls (no root needed).

use sandbox_core::firewall::{nftables, reload::APPLY_HELPER};
use std::path::PathBuf;
use std::process::Command;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../provisioning/firewall")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn scripts_are_valid_posix_shell() {
    for name in ["openclaw-firewall-apply", "install.sh"] {
        let out = Command::new("sh").arg("-n").arg(dir().join(name)).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn the_helper_is_installed_where_core_calls_it() {
    let install = read("install.sh");
    assert!(install.contains(&format!("openclaw-firewall-apply\" {APPLY_HELPER} 0755")), "install.sh must place the helper at {APPLY_HELPER}");
    assert!(read("openclaw-firewall.service").contains(&format!("ExecStart={APPLY_HELPER} load")));
}

#[test]
fn boot_order_loads_rules_before_the_network_and_the_resolver() {
    let fw = read("openclaw-firewall.service");
    assert!(fw.contains("Before=network-pre.target") && fw.contains("DefaultDependencies=no"));
    let dns = read("openclaw-dns.service");
    assert!(dns.contains("After=openclaw-firewall.service") && dns.contains("Requires=openclaw-firewall.service"));
    assert!(dns.contains("/etc/openclaw/firewall/dnsmasq.conf"));
}

#[test]
fn install_creates_the_users_the_ruleset_names() {
    let install = read("install.sh");
    for user in [nftables::RESOLVER_USER, nftables::NTP_USER] {
        assert!(install.contains(&format!("id {user} >/dev/null 2>&1 || useradd")), "{user}");
    }
}

#[test]
fn the_helper_refuses_unknown_verbs() {
    let out = Command::new("sh").arg(dir().join("openclaw-firewall-apply")).arg("bogus").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("usage") || err.contains("root"), "{err}");
}
