#![cfg(target_os = "linux")] // the kernel keyutils store; on macOS these would use the login keychain
//! `sandbox secrets …` as a user runs it, against the kernel keyutils store (a real OS store
//! that needs no daemon) and the scripted limactl stand-in. The Secret Service variant of the
//! canary test is in keychain_secrets_cli.rs (scripts/test keychain).

mod secrets_support;
use secrets_support::*;

fn harness() -> Harness {
    join_session_keyring();
    let h = Harness::new("keyutils");
    h.ok(&["secrets", "check"], None);
    h
}

#[test]
fn canary_never_leaks_through_set_list_push_import_rm() {
    let h = harness();
    let imported = secrets_support::canary("import");
    let canary = secrets_support::canary("cli");

    // set: value from stdin only
    let out = h.ok(&["secrets", "set", "CANARY_KEY", "--stdin"], Some(format!("{canary}\n").as_bytes()));
    assert!(out.contains("Stored CANARY_KEY in the kernel keyutils store"), "{out}");
    assert!(h.profile_text().contains("names = [\"CANARY_KEY\"]"));

    // list: names and state only
    let out = h.ok(&["secrets", "list"], None);
    let row = out.lines().find(|l| l.starts_with("CANARY_KEY")).unwrap();
    assert!(row.contains("set") && row.contains("yes"), "{row}");
    let json: serde_json::Value = serde_json::from_str(&h.ok(&["secrets", "list", "--json"], None)).unwrap();
    let entry = json["secrets"].as_array().unwrap().iter().find(|e| e["name"] == "CANARY_KEY").unwrap();
    assert_eq!(entry["set"], true);
    assert_eq!(entry["in_profile"], true);
    let unset = json["secrets"].as_array().unwrap().iter().find(|e| e["name"] == "BRAVE_API_KEY").unwrap();
    assert_eq!(unset["set"], false);

    // import: a second canary through a .env file, with --delete-source
    let env = h.outside.path().join("keys.env");
    std::fs::write(&env, format!("# keys\nexport IMPORTED_KEY=\"{imported}\"\nEMPTY=\n")).unwrap();
    let out = h.run(&["secrets", "import", env.to_str().unwrap(), "--delete-source"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Imported 1 secret(s)") && stdout.contains("deleted it"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("EMPTY (line 3) has an empty value"));
    assert!(!env.exists(), "--delete-source must remove the file");

    // push: both values go over stdin, exactly as the payload format says
    h.script_push_reply("tmpfs ok\nwrote CANARY_KEY\nwrote IMPORTED_KEY\nenv written\n", "", 0);
    let out = h.ok(&["secrets", "push"], None);
    assert!(out.contains("Wrote 2 secret(s)"), "{out}");
    let calls = h.calls();
    let pushes: Vec<&Call> = calls.iter().filter(|c| c.argv.iter().any(|a| a == "openclaw-secrets-push")).collect();
    assert_eq!(pushes.len(), 1);
    assert_eq!(&pushes[0].argv[..5], ["shell", "--workdir", "/", INSTANCE, "--"]);
    assert_eq!(pushes[0].stdin.as_deref(), Some(&expected_payload(&[("CANARY_KEY", &canary), ("IMPORTED_KEY", &imported)])[..]));

    // up: provisions, then pushes the same payload (values over stdin only)
    let out = h.ok(&["up"], None);
    assert!(out.contains("Secrets in the VM (tmpfs): CANARY_KEY, IMPORTED_KEY"), "{out}");
    let ups: Vec<Call> = h.calls().into_iter().filter(|c| c.argv.iter().any(|a| a == "openclaw-secrets-push")).collect();
    assert_eq!(ups.len(), 2);
    assert_eq!(ups[1].stdin.as_deref(), Some(&expected_payload(&[("CANARY_KEY", &canary), ("IMPORTED_KEY", &imported)])[..]));

    // a remote failure that echoes the value is redacted before it is shown
    h.script_push_reply("", &format!("bash: {canary}: command not found\n"), 1);
    let out = h.run(&["secrets", "push"], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[REDACTED:CANARY_KEY]"), "{stderr}");

    // rm: gone from the store and the index; the next push sends no value and clears the VM
    h.ok(&["secrets", "rm", "CANARY_KEY"], None);
    assert!(!h.profile_text().contains("CANARY_KEY"));
    h.script_push_reply("tmpfs ok\nwrote IMPORTED_KEY\nremoved CANARY_KEY\nenv written\n", "", 0);
    let out = h.ok(&["secrets", "push"], None);
    assert!(out.contains("Removed from the VM: CANARY_KEY"), "{out}");
    let last = h.calls().pop().unwrap();
    assert_eq!(last.stdin.as_deref(), Some(&expected_payload(&[("IMPORTED_KEY", &imported)])[..]));

    // the audit log records every change by name
    let audit = std::fs::read_to_string(h.home.path().join("logs/audit.jsonl")).unwrap();
    for action in ["secrets.set", "secrets.import", "secrets.push", "secrets.rm"] {
        assert!(audit.contains(action), "{action} missing from the audit log:\n{audit}");
    }
    assert!(audit.contains("CANARY_KEY") && audit.contains("IMPORTED_KEY"));

    // every recorded push payload held the values, and nothing else did (the audit log included)
    h.assert_leaks_nowhere(&canary);
    h.assert_leaks_nowhere(&imported);
    h.ok(&["secrets", "rm", "IMPORTED_KEY"], None);
}

#[test]
fn values_never_come_from_argv_and_bad_input_is_a_clear_error() {
    let h = harness();
    // no value argument exists at all
    let out = h.run(&["secrets", "set", "A_KEY", "some-value"], None);
    assert_eq!(out.status.code(), Some(2), "clap must reject a value in argv");
    // no terminal, no --stdin: a hint, not a hang
    let out = h.run(&["secrets", "set", "A_KEY"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--stdin"));
    // empty value
    let out = h.run(&["secrets", "set", "A_KEY", "--stdin"], Some(b"\n"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"), "{}", String::from_utf8_lossy(&out.stderr));
    // a value pasted where the name goes is not echoed back
    let token = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    let out = h.run(&["secrets", "set", token, "--stdin"], Some(b"x"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && !stderr.contains(token) && stderr.contains("not a valid secret name"), "{stderr}");
    // nothing was stored or indexed
    assert!(!h.profile_text().contains("[secrets]"));
}

#[test]
fn a_bad_env_file_imports_nothing() {
    let h = harness();
    let value = canary("bad-import");
    let env = h.outside.path().join("bad.env");
    std::fs::write(&env, format!("GOOD_KEY={value}\nbad-name=x\nOPEN=\"never closed\n")).unwrap();
    let out = h.run(&["secrets", "import", env.to_str().unwrap(), "--delete-source"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 problem(s)") && stderr.contains("line 2") && stderr.contains("line 3"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(env.exists(), "the source must stay when the import fails");
    let json: serde_json::Value = serde_json::from_str(&h.ok(&["secrets", "list", "--json"], None)).unwrap();
    assert!(json["secrets"].as_array().unwrap().iter().all(|e| e["set"] == false));
    assert!(!h.profile_text().contains("GOOD_KEY"));
    h.assert_leaks_nowhere(&value);
}

#[test]
fn missing_profile_is_reported_before_asking_for_a_value() {
    let h = harness();
    std::fs::remove_file(&h.profile).unwrap();
    let out = h.run(&["secrets", "set", "GH_TOKEN", "--stdin"], Some(b"value-1234"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sandbox init"));
    let json: serde_json::Value = serde_json::from_str(&h.ok(&["secrets", "list", "--json"], None)).unwrap();
    assert!(json["secrets"].as_array().unwrap().iter().all(|e| e["set"] == false));
}

#[test]
fn with_the_gateway_the_push_carries_a_generated_token_once() {
    let h = harness();
    let text = h.profile_text().replace("gateway = false", "gateway = true");
    std::fs::write(&h.profile, text).unwrap();
    h.script_push_reply("tmpfs ok\nwrote OPENCLAW_GATEWAY_TOKEN\nenv written\n", "", 0);
    let out = h.ok(&["secrets", "push"], None);
    assert!(out.contains("Wrote 1 secret(s)"), "{out}");
    // generated into the keychain, never printed
    let first = h.calls().pop().unwrap().stdin.unwrap();
    assert!(String::from_utf8_lossy(&first).contains("secret OPENCLAW_GATEWAY_TOKEN "), "the token is not in the payload");
    // a second push sends the same token (generated once)
    h.ok(&["secrets", "push"], None);
    let second = h.calls().pop().unwrap().stdin.unwrap();
    assert_eq!(first, second);
    let audit = std::fs::read_to_string(h.home.path().join("logs/audit.jsonl")).unwrap();
    assert_eq!(audit.matches("secrets.generate").count(), 1, "{audit}");
}
