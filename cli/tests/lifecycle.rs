//! The `sandbox` CLI's lifecycle verbs, run as a user would, against the scripted limactl.

mod support;
use support::Env;

const NAME: &str = "openclaw-sandbox";

#[test]
fn init_writes_a_valid_profile_and_refuses_to_overwrite() {
    let env = Env::new();
    let r = env.init(&["--cpus", "2", "--memory", "4GiB", "--mode", "yolo"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let text = std::fs::read_to_string(env.profile_path()).unwrap();
    assert!(text.contains("mode = \"yolo\""), "{text}");
    assert!(text.contains("cpus = 2"));
    let again = env.init(&[]);
    assert_eq!(again.code, 4, "{}", again.all());
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    let forced = env.init(&["--force", "--name", "other"]);
    assert_eq!(forced.code, 0, "{}", forced.all());
    assert!(std::fs::read_to_string(env.profile_path()).unwrap().contains("name = \"other\""));
}

#[test]
fn init_rejects_bad_flags_without_writing() {
    let env = Env::new();
    for (args, needle) in [
        (vec!["--mode", "fast"], "--mode fast"),
        (vec!["--memory", "1GiB"], "resources.memory"),
        (vec!["--cpus", "0"], "resources.cpus"),
        (vec!["--vault", "/nonexistent/vault"], "--vault"),
        (vec!["--name", "bad name"], "`name`"),
    ] {
        let r = env.init(&args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.all());
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
        assert!(!env.profile_path().exists(), "{args:?} wrote a profile");
    }
    let r = env.run(&["init", "--non-interactive"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("--project"));
    // no terminal and no --non-interactive: says how to script it
    let r = env.run(&["init"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("--non-interactive"), "{}", r.stderr);
}

#[test]
fn init_imports_a_reference_profile() {
    let env = Env::new();
    let src = env.path("sandbox-profile.toml");
    std::fs::write(
        &src,
        format!(
            "[mounts]\nopenclaw = \"{}\"\nsecrets = \"~/.secrets.env\"\n[mode]\nyolo = true\n[resources]\ncpus = 3\nmemory = \"6GiB\"\n",
            env.project().display()
        ),
    )
    .unwrap();
    let r = env.run(&["init", "--import", src.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("secrets import"), "{}", r.stdout);
    let s = env.run(&["lima-config"]);
    assert!(s.stdout.contains("cpus: 3"), "{}", s.stdout);
    assert!(s.stdout.contains("memory: 6GiB"));
}

#[test]
fn broken_profile_names_field_and_line() {
    let env = Env::new();
    let p = env.path("p.toml");
    std::fs::write(&p, format!("[mounts]\nproject = \"{}\"\n\n[resources]\ncpus = 2\nmemory = \"lots\"\n", env.project().display())).unwrap();
    let r = env.run(&["--profile", p.to_str().unwrap(), "status"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("line 6: `resources.memory`"), "{}", r.stderr);
    std::fs::write(&p, "[mounts]\nproject = 3\n").unwrap();
    let r = env.run(&["--profile", p.to_str().unwrap(), "up"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("line 2"), "{}", r.stderr);
}

#[test]
fn up_without_lima_says_what_to_install() {
    let env = Env::new();
    env.init(&[]);
    let mut c = env.command(&["up"]);
    c.env("SANDBOX_LIMACTL", "").env("PATH", "/nonexistent");
    let r = env.run_cmd(c);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("limactl was not found"), "{}", r.stderr);
    assert!(r.stderr.contains("brew install lima"), "{}", r.stderr);
    let mut c = env.command(&["up"]);
    c.env("SANDBOX_LIMACTL", "/nonexistent/limactl");
    let r = env.run_cmd(c);
    assert!(r.stderr.contains("SANDBOX_LIMACTL is /nonexistent/limactl"), "{}", r.stderr);
}

#[test]
fn up_refuses_a_too_old_lima() {
    let env = Env::new();
    env.init(&[]);
    let mut c = env.command(&["up"]);
    c.env("FAKE_LIMA_VERSION", "0.23.2");
    let r = env.run_cmd(c);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Lima 0.23.2 is too old"), "{}", r.stderr);
    assert!(env.verbs().is_empty(), "nothing may be started: {:?}", env.verbs());
}

#[test]
fn start_passes_progress_only_to_lima_2_and_newer() {
    for (version, progress) in [("1.2.3", false), ("2.0.0", true), ("2.2.0", true)] {
        let env = Env::new();
        env.init(&[]);
        let mut c = env.command(&["up"]);
        c.env("FAKE_LIMA_VERSION", version);
        let r = env.run_cmd(c);
        assert_eq!(r.code, 0, "{version}: {}", r.all());
        let start = env.verbs().into_iter().find(|v| v.starts_with("start")).expect("start");
        assert_eq!(start.contains("--progress"), progress, "{version}: {start}");
    }
}

#[test]
fn full_lifecycle_up_status_down_up_destroy() {
    let env = Env::new();
    assert_eq!(env.init(&[]).code, 0);

    // first up: creates from the rendered lima.yaml, shows progress, provisions over stdin
    let r = env.run(&["up"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("Created and started"), "{}", r.stdout);
    assert!(r.stderr.contains("Waiting for ssh (1/3)"), "progress missing: {}", r.stderr);
    assert!(r.stderr.contains("[100%] Ready"), "{}", r.stderr);
    let calls = env.calls();
    let start = calls.iter().find(|(a, _)| a.contains(&"start".to_string())).unwrap();
    let yaml_path = start.0.last().unwrap();
    assert!(start.0.windows(2).any(|w| w == ["--name", NAME]), "{:?}", start.0);
    assert!(std::fs::read_to_string(yaml_path).unwrap().contains("mountPoint: /mnt/openclaw"));
    let shell = calls.iter().find(|(a, _)| a[0] == "shell").unwrap();
    assert!(shell.0.contains(&"bash".to_string()) && shell.0.contains(&"-s".to_string()), "{:?}", shell.0);
    assert!(String::from_utf8_lossy(shell.1.as_ref().unwrap()).contains("OpenClaw Sandbox in-VM apply step"));

    // status --json is stable
    let s = env.run(&["status", "--json"]);
    assert_eq!(s.code, 0, "{}", s.all());
    let v: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
    assert_eq!(v["instance"], NAME);
    assert_eq!(v["state"], "running");
    assert_eq!(v["mode"], "secure");
    assert_eq!(v["mounts"][0]["guest"], "/mnt/openclaw");
    assert_eq!(v["mounts"][0]["writable"], false);
    assert_eq!(v["forwarded_ports"][0]["host"], "127.0.0.1:18789");
    assert_eq!(v["ssh_port"], 60022);

    // second up on a running VM starts nothing
    env.clear_calls();
    let r = env.run(&["up"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("already running"), "{}", r.stdout);
    assert!(!env.verbs().iter().any(|v| v.starts_with("start")), "{:?}", env.verbs());

    // down, down again
    let r = env.run(&["down"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("Stopped"));
    let r = env.run(&["down"]);
    assert!(r.stdout.contains("already stopped"), "{}", r.stdout);
    let s = env.run(&["status", "--json"]);
    assert!(s.stdout.contains("\"state\": \"stopped\""), "{}", s.stdout);

    // up again starts the existing instance by name (no re-create)
    env.clear_calls();
    let r = env.run(&["up"]);
    assert!(r.stdout.contains("Started `openclaw-sandbox`"), "{}", r.all());
    assert!(env.verbs().iter().any(|v| v == &format!("start --progress {NAME}")), "{:?}", env.verbs());

    // destroy asks; --yes deletes
    let r = env.run(&["destroy"]);
    assert_eq!(r.code, 2, "{}", r.all());
    let r = env.run(&["destroy", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(env.verbs().iter().any(|v| v == &format!("delete -f {NAME}")), "{:?}", env.verbs());
    let s = env.run(&["status", "--json"]);
    assert!(s.stdout.contains("\"state\": \"absent\""), "{}", s.stdout);
    let r = env.run(&["destroy", "--yes"]);
    assert!(r.stdout.contains("does not exist"), "{}", r.stdout);

    // the audit log recorded the life cycle
    let audit = std::fs::read_to_string(env.path("home/logs/audit.jsonl")).unwrap();
    for action in ["\"up\"", "\"down\"", "\"destroy\""] {
        assert!(audit.contains(action), "{action} missing in {audit}");
    }
}

#[test]
fn broken_vm_needs_force_and_up_recovers_it() {
    let env = Env::new();
    env.init(&[]);
    assert_eq!(env.run(&["up"]).code, 0);
    env.set_status(NAME, "Broken");
    let s = env.run(&["status"]);
    assert!(s.stdout.contains("BROKEN"), "{}", s.stdout);
    let r = env.run(&["down"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("sandbox down --force"), "{}", r.stderr);
    let r = env.run(&["ssh", "--", "true"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Broken"), "{}", r.stderr);
    // up recovers with stop -f, then start
    env.clear_calls();
    let r = env.run(&["up"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stderr.contains("force-stopping"), "{}", r.stderr);
    let v = env.verbs();
    let stop = v.iter().position(|x| x == &format!("stop -f {NAME}")).expect("stop -f");
    let start = v.iter().position(|x| x == &format!("start --progress {NAME}")).expect("start");
    assert!(stop < start);
    // and down --force works on a broken VM
    env.set_status(NAME, "Broken");
    let r = env.run(&["down", "--force"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn odd_statuses_are_reported_not_guessed() {
    let env = Env::new();
    env.init(&[]);
    std::fs::write(env.fake_dir().join("list-override.jsonl"), format!("{{\"name\":\"{NAME}\",\"status\":\"\",\"errors\":[{{}}]}}\n")).unwrap();
    let s = env.run(&["status", "--json"]);
    assert!(s.stdout.contains("\"state\": \"unknown\""), "{}", s.all());
    let r = env.run(&["up"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("unknown state"), "{}", r.stderr);
    std::fs::write(env.fake_dir().join("list-override.jsonl"), "this is not json\n").unwrap();
    let r = env.run(&["status"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("could not understand `limactl list --json`"), "{}", r.stderr);
}

#[test]
fn start_failures_are_explained() {
    let env = Env::new();
    env.init(&[]);
    env.fail("start", 1, "time=\"t\" level=info msg=\"[hostagent] Waiting for the essential requirement 1 of 3: `ssh`\"\ntime=\"t\" level=fatal msg=\"DEGRADED. The VM seems running, but file sharing and port forwarding may not work. (hint: see `/x/ha.stderr.log`)\"\n");
    let r = env.run(&["up"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("DEGRADED"), "{}", r.stderr);
    assert!(r.stderr.contains("ha.stderr.log"), "{}", r.stderr);
    env.fail("start", 1, "time=\"t\" level=fatal msg=\"did not receive an event with the \\\"running\\\" status\"\n");
    let r = env.run(&["up"]);
    assert!(r.stderr.contains("did not come up in time"), "{}", r.stderr);
    env.fail("start", 1, "time=\"t\" level=fatal msg=\"failed to download the image: no route to host\"\n");
    let r = env.run(&["up"]);
    assert!(r.stderr.contains("`limactl start` failed (exit 1): failed to download the image"), "{}", r.stderr);
}

#[test]
fn stop_failure_passes_limas_reason_through() {
    let env = Env::new();
    env.init(&[]);
    env.run(&["up"]);
    env.fail("stop", 1, "time=\"t\" level=fatal msg=\"timed out waiting for instance to shut down after 3 minutes\"\n");
    let r = env.run(&["down"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("timed out waiting for instance to shut down"), "{}", r.stderr);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
}

#[test]
fn provisioning_failure_is_an_error() {
    let env = Env::new();
    env.init(&[]);
    std::fs::write(env.fake_dir().join("shell.json"), r#"[{"match": "bash -s", "stderr": "apt-get: disk full\n", "exit": 100}]"#).unwrap();
    let r = env.run(&["up"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("provisioning the VM failed (exit 100): apt-get: disk full"), "{}", r.stderr);
}

#[test]
fn provisioning_reports_changes_and_no_changes() {
    let env = Env::new();
    env.init(&[]);
    std::fs::write(env.fake_dir().join("shell.json"), r#"[{"match": "bash -s", "stdout": "changed /etc/openclaw/sandbox.env\n"}]"#).unwrap();
    let r = env.run(&["up"]);
    assert!(r.stdout.contains("Provisioning changed: /etc/openclaw/sandbox.env"), "{}", r.stdout);
    std::fs::write(env.fake_dir().join("shell.json"), r#"[{"match": "bash -s", "stdout": "unchanged /etc/openclaw/sandbox.env\n"}]"#).unwrap();
    let r = env.run(&["up"]);
    assert!(r.stdout.contains("Provisioning: nothing to change."), "{}", r.stdout);
}

#[test]
fn ssh_passes_the_remote_exit_code() {
    let env = Env::new();
    env.init(&[]);
    let r = env.run(&["ssh", "--", "true"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("does not exist; create it with `sandbox up`"), "{}", r.stderr);
    env.run(&["up"]);
    std::fs::write(env.fake_dir().join("shell.json"), r#"[{"match": "exit-7", "stdout": "hi\n", "exit": 7}]"#).unwrap();
    let r = env.run(&["ssh", "--", "exit-7"]);
    assert_eq!(r.code, 7, "{}", r.all());
    assert_eq!(r.stdout, "hi\n");
}

#[test]
fn restart_explains_a_missing_gateway() {
    let env = Env::new();
    env.init(&[]);
    env.run(&["up"]);
    std::fs::write(
        env.fake_dir().join("shell.json"),
        r#"[{"match": "systemctl restart", "stderr": "Failed to restart openclaw-gateway.service: Unit openclaw-gateway.service not found.\n", "exit": 5}]"#,
    )
    .unwrap();
    let r = env.run(&["restart"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not installed in this VM yet"), "{}", r.stderr);
    std::fs::write(env.fake_dir().join("shell.json"), "[]").unwrap();
    let r = env.run(&["restart"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn doctor_reports_each_check() {
    let env = Env::new();
    let r = env.run(&["doctor", "--json"]);
    assert_eq!(r.code, 1, "no profile yet: {}", r.all());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"limactl") && names.contains(&"profile") && names.contains(&"disk"), "{names:?}");
    assert_eq!(v[0]["health"], "ok", "{}", r.stdout);
    assert!(v[0]["detail"].as_str().unwrap().contains("Lima 2.2.0"));
    env.init(&[]);
    let r = env.run(&["doctor"]);
    assert!(r.stdout.contains("[ok  ] profile"), "{}", r.stdout);
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    let r = env.run(&["frobnicate"]);
    assert_eq!(r.code, 2);
    let r = env.run(&["status", "--bogus"]);
    assert_eq!(r.code, 2);
}

#[test]
fn lima_config_for_macos_and_linux_prints_what_that_host_gets() {
    let env = Env::new();
    assert_eq!(env.init(&[]).code, 0);
    let mac = env.run(&["lima-config", "--for", "macos"]);
    assert_eq!(mac.code, 0, "{}", mac.all());
    assert!(mac.stdout.contains("vmType: vz\n"), "{}", mac.stdout);
    assert!(mac.stdout.contains("mountType: virtiofs\n"), "{}", mac.stdout);
    let linux = env.run(&["lima-config", "--for", "linux"]);
    assert_eq!(linux.code, 0, "{}", linux.all());
    assert!(linux.stdout.contains("vmType: qemu\n"), "{}", linux.stdout);
    assert!(linux.stdout.contains("mountType: 9p\n"), "{}", linux.stdout);
    for out in [&mac.stdout, &linux.stdout] {
        assert!(out.contains("guestIP: 0.0.0.0") && out.contains("guestIPMustBeZero: false"), "{out}");
    }
    // default: this host
    let here = env.run(&["lima-config"]);
    let expect = if cfg!(target_os = "macos") { &mac.stdout } else { &linux.stdout };
    assert_eq!(&here.stdout, expect);
    let bad = env.run(&["lima-config", "--for", "windows"]);
    assert_eq!(bad.code, 2, "{}", bad.all());
}

/// Every limactl call's LIMA_HOME, as the fake recorded it.
fn recorded_lima_homes(env: &Env) -> Vec<Option<String>> {
    let text = std::fs::read_to_string(env.fake_dir().join("calls.jsonl")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["lima_home"].as_str().map(String::from)).collect()
}

#[test]
fn every_limactl_call_gets_the_private_lima_home_not_the_users() {
    let env = Env::new();
    env.init(&[]);
    let private = env.path("private-lima");
    let run = |args: &[&str]| {
        let mut c = env.command(args);
        c.env("SANDBOX_LIMA_HOME", &private).env("LIMA_HOME", env.path("users-own-lima"));
        env.run_cmd(c)
    };
    for args in [&["up"][..], &["status"], &["ssh", "--", "true"], &["restart"], &["down"], &["doctor"]] {
        let r = run(args);
        assert!(r.code == 0 || args == ["doctor"], "{args:?}: {}", r.all());
    }
    let homes = recorded_lima_homes(&env);
    assert!(homes.len() > 5, "{homes:?}");
    assert!(homes.iter().all(|h| h.as_deref() == Some(private.to_str().unwrap())), "{homes:?}");
    assert!(private.is_dir(), "the private Lima home is created");
    let p = run(&["paths"]);
    assert!(p.stdout.contains(&format!("lima:    {}", private.display())), "{}", p.stdout);
    let s = run(&["status"]);
    assert!(s.stdout.contains(&format!("lima:     {}", private.display())), "{}", s.stdout);
    // without SANDBOX_LIMA_HOME: $SANDBOX_HOME/lima
    env.clear_calls();
    let mut c = env.command(&["status"]);
    c.env("LIMA_HOME", env.path("users-own-lima"));
    assert_eq!(env.run_cmd(c).code, 0);
    let homes = recorded_lima_homes(&env);
    assert!(!homes.is_empty() && homes.iter().all(|h| h.as_deref() == Some(env.path("home/lima").to_str().unwrap())), "{homes:?}");
}

#[test]
fn status_and_doctor_point_at_a_vm_left_in_the_users_lima_home() {
    let env = Env::new();
    env.init(&[]);
    // an older version created the VM in ~/.lima (HOME is the test's home folder)
    let old = env.path(&format!("home/.lima/{NAME}"));
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(old.join("lima.yaml"), "vmType: vz\n").unwrap();
    let mut c = env.command(&["status"]);
    c.env_remove("LIMA_HOME");
    let r = env.run_cmd(c);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stderr.contains(&format!("a VM `{NAME}` exists in your own Lima home ({})", old.display())), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("limactl delete {NAME}")), "{}", r.stderr);
    let j = env.run(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["instance_in_user_lima_home"].as_str(), Some(old.to_str().unwrap()));
    let mut c = env.command(&["doctor"]);
    c.env_remove("LIMA_HOME");
    let d = env.run_cmd(c);
    assert!(d.stdout.contains("[warn] lima home"), "{}", d.stdout);
    assert!(d.stdout.contains("exists in your own Lima home"), "{}", d.stdout);
    // once the sandbox's own VM exists, nothing is said
    env.run(&["up"]);
    let r = env.run(&["status"]);
    assert!(!r.stderr.contains("own Lima home"), "{}", r.stderr);
}

#[test]
fn ssh_starts_in_the_workspace_not_the_hosts_cwd() {
    let env = Env::new();
    env.init(&[]);
    env.run(&["up"]);
    env.clear_calls();
    let r = env.run(&["ssh", "--", "pwd"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let shell = env.calls().into_iter().find(|(a, _)| a[0] == "shell").expect("shell");
    assert_eq!(&shell.0[..4], ["shell", "--workdir", "/workspace", NAME], "{:?}", shell.0);
}

/// Linux: gone when /proc has no entry or only a zombie is left.
#[cfg(target_os = "linux")]
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s.rsplit(')').next().and_then(|rest| rest.trim().chars().next()) != Some('Z'),
        Err(_) => false,
    }
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_on_ssh_stops_limactl_and_everything_it_started() {
    use std::time::{Duration, Instant};
    let env = Env::new();
    env.init(&[]);
    env.run(&["up"]);
    std::fs::write(env.fake_dir().join("shell.json"), r#"[{"match": "hang-here", "hang": true}]"#).unwrap();
    let mut c = env.command(&["ssh", "--", "hang-here"]);
    c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    let pidfile = env.fake_dir().join("grandchild.pid");
    let deadline = Instant::now() + Duration::from_secs(10);
    let grandchild: i32 = loop {
        if let Some(p) = std::fs::read_to_string(&pidfile).ok().and_then(|s| s.trim().parse().ok()) {
            break p;
        }
        assert!(Instant::now() < deadline, "the fake limactl never started its child");
        std::thread::sleep(Duration::from_millis(20));
    };
    // what a terminal's Ctrl-C sends to `sandbox` (stdin is not a terminal here)
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(grandchild) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!alive(grandchild), "limactl's child {grandchild} survived Ctrl-C");
}

/// Rewrite one `key = value` line of the profile's [resources].
fn set_resource(env: &Env, key: &str, value: &str) {
    let text = std::fs::read_to_string(env.profile_path()).unwrap();
    let mut out: Vec<String> = text.lines().filter(|l| !l.trim_start().starts_with(&format!("{key} ="))).map(String::from).collect();
    let at = out.iter().position(|l| l.trim() == "[resources]").expect("[resources]") + 1;
    out.insert(at, format!("{key} = {value}"));
    std::fs::write(env.profile_path(), out.join("\n") + "\n").unwrap();
}

#[test]
fn profile_changes_reach_an_existing_vm_through_limactl_edit() {
    let env = Env::new();
    env.init(&["--cpus", "2", "--memory", "4GiB"]);
    assert_eq!(env.run(&["up"]).code, 0);
    let instance_yaml = env.path("home/lima").join(NAME).join("lima.yaml");
    assert!(std::fs::read_to_string(&instance_yaml).unwrap().contains("cpus: 2"));
    set_resource(&env, "cpus", "4");
    set_resource(&env, "memory", "\"6GiB\"");
    env.clear_calls();
    let r = env.run(&["up"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains(&format!("Applied the profile's changes to `{NAME}`: cpus: 2 → 4; memory: 4GiB → 6GiB.")), "{}", r.stdout);
    assert!(r.stderr.contains("Applying it: stop, `limactl edit`, start"), "{}", r.stderr);
    let verbs = env.verbs();
    let at = |v: &str| verbs.iter().position(|x| x == v).unwrap_or_else(|| panic!("{v} missing in {verbs:?}"));
    let (stop, edit, start) =
        (at(&format!("stop {NAME}")), at(&format!("edit {NAME} --set .cpus = 4 | .memory = \"6GiB\"")), at(&format!("start --progress {NAME}")));
    assert!(stop < edit && edit < start, "{verbs:?}");
    let y = std::fs::read_to_string(&instance_yaml).unwrap();
    assert!(y.contains("cpus: 4") && y.contains("memory: 6GiB"), "{y}");
    // applied: the next up changes nothing
    env.clear_calls();
    let r = env.run(&["up"]);
    assert!(r.stdout.contains("already running") && !r.stdout.contains("Applied"), "{}", r.all());
    assert!(!env.verbs().iter().any(|v| v.starts_with("edit") || v.starts_with("stop")), "{:?}", env.verbs());
}

#[test]
fn a_smaller_disk_is_refused_before_anything_is_stopped() {
    let env = Env::new();
    env.init(&[]);
    assert_eq!(env.run(&["up"]).code, 0);
    set_resource(&env, "disk", "\"10GiB\"");
    env.clear_calls();
    let r = env.run(&["up"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("Lima cannot shrink a disk"), "{}", r.stderr);
    assert!(env.verbs().is_empty(), "{:?}", env.verbs());
}

#[test]
fn system_ca_certs_render_this_hosts_cas_or_say_there_are_none() {
    let env = Env::new();
    assert_eq!(env.init(&[]).code, 0);
    // The answers depend on this host's trust store; each case is checked against it.
    let host = sandbox_core::host_ca::host_extra_cas().unwrap();
    let hint = |env: &Env| env.run(&["doctor", "--json"]).stdout.contains("\"host CAs\"");
    assert_eq!(hint(&env), !host.is_empty(), "doctor hints at the host's CAs exactly when there are some");
    let mut text = std::fs::read_to_string(env.profile_path()).unwrap();
    text.push_str("\n[provisioning]\nca_certs = [\"system\"]\n");
    std::fs::write(env.profile_path(), text).unwrap();
    let r = env.run(&["lima-config"]);
    if host.is_empty() {
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.stderr.contains("no extra CAs are trusted on this host") && r.stderr.contains("remove \"system\""), "{}", r.stderr);
    } else {
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(r.stdout.contains("caCerts:\n  certs:\n"), "{}", r.stdout);
        for pem in &host {
            let first_line = pem.as_str().lines().nth(1).unwrap();
            assert!(r.stdout.contains(first_line), "{first_line} missing from\n{}", r.stdout);
        }
    }
    // once the profile uses them, doctor has nothing to say about them
    assert!(!hint(&env));
}

#[test]
fn status_says_where_a_copied_vault_is() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("vault/notes")).unwrap();
    let vault = env.path("vault");
    assert_eq!(env.init(&["--vault", vault.to_str().unwrap()]).code, 0);
    let text = std::fs::read_to_string(env.profile_path()).unwrap();
    // a local folder is mounted; `vault_mode = "copy"` copies it as a provider folder would be
    let s = env.run(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
    let vault_entry = |v: &serde_json::Value| v["mounts"].as_array().unwrap().iter().find(|m| m["role"] == "vault").cloned().unwrap();
    assert_eq!(vault_entry(&v)["guest"], "/mnt/obsidian", "{}", s.stdout);
    assert!(vault_entry(&v).get("copied").is_none(), "{}", s.stdout);
    std::fs::write(env.profile_path(), text.replacen("[mounts]\n", "[mounts]\nvault_mode = \"copy\"\n", 1)).unwrap();
    let s = env.run(&["status", "--json"]);
    assert_eq!(s.code, 0, "{}", s.all());
    let v: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
    assert_eq!(vault_entry(&v)["guest"], "/var/lib/openclaw/vault-copy", "{}", s.stdout);
    assert_eq!(vault_entry(&v)["copied"], true);
    assert!(v["mounts"][0].get("copied").is_none(), "only the copied vault says so: {}", s.stdout);
    let s = env.run(&["status"]);
    assert!(s.stdout.contains("/var/lib/openclaw/vault-copy (copied into the VM, kept current)"), "{}", s.stdout);
}
