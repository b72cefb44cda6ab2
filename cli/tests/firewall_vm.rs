//! `sandbox firewall` against a running VM (the scripted limactl): allow/deny reload it at once,
//! `firewall log` reads its denial logs.

mod support;
use support::Env;

#[test]
fn allow_reloads_a_running_vm_and_deny_too() {
    let env = Env::new();
    env.init(&[]);
    assert_eq!(env.run(&["up"]).code, 0);
    env.clear_calls();
    let r = env.run(&["firewall", "allow", "api.example.test"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("reloaded"), "{}", r.stdout);
    let shells: Vec<_> = env.calls().into_iter().filter(|(a, _)| a[0] == "shell").collect();
    let steps: Vec<String> =
        shells.iter().map(|(a, _)| a[a.iter().position(|x| x == "/usr/local/sbin/openclaw-firewall-apply").unwrap() + 1..].join(" ")).collect();
    assert_eq!(steps, vec!["stage nftables", "stage dns", "commit"]);
    let nft = String::from_utf8(shells[0].1.clone().unwrap()).unwrap();
    assert!(nft.contains("table inet openclaw"), "{nft}");
    let dns = String::from_utf8(shells[1].1.clone().unwrap()).unwrap();
    assert!(dns.contains("server=/api.example.test/"), "{dns}");
    // the helper refusing the change: the profile keeps it, the message says what happened
    std::fs::write(env.fake_dir().join("shell.json"), r#"[{"match": "commit", "stderr": "nft: syntax error\n", "exit": 1}]"#).unwrap();
    let r = env.run(&["firewall", "deny", "api.example.test"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("the profile was saved, but the running VM was not updated"), "{}", r.stderr);
    assert!(r.stderr.contains("nft: syntax error"), "{}", r.stderr);
}

#[test]
fn log_reads_the_vms_denials() {
    let env = Env::new();
    env.init(&[]);
    let r = env.run(&["firewall", "log"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("sandbox up"), "{}", r.stderr);
    env.run(&["up"]);
    let kernel = "OPENCLAW-DROP-OUT IN= OUT=eth0 SRC=192.168.5.15 DST=203.0.113.7 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF PROTO=TCP SPT=40112 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0 ";
    let line = serde_json::json!({"__CURSOR": "s=1", "_TRANSPORT": "kernel", "MESSAGE": kernel}).to_string();
    let out = format!("{line}\n{line}\n{line}\n");
    std::fs::write(env.fake_dir().join("shell.json"), serde_json::json!([{"match": "journalctl", "stdout": out}]).to_string()).unwrap();
    let r = env.run(&["firewall", "log"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("blocked outbound tcp 192.168.5.15 → 203.0.113.7:443 (×3)"), "{}", r.stdout);
    let r = env.run(&["firewall", "log", "--json", "--since", "-10min"]);
    let v: serde_json::Value = serde_json::from_str(r.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(v["type"], "firewall_blocked");
    assert_eq!(v["count"], 3);
    let journal = env.calls().into_iter().rev().find(|(a, _)| a.iter().any(|x| x == "journalctl")).unwrap().0;
    assert!(journal.contains(&"--since=-10min".to_string()), "{journal:?}");
}
