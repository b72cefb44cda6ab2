use super::*;
use crate::profile::{Mode, Profile};
use std::path::Path;

const FIXTURES: &str = include_str!("../../tests/data/lima/list-json-fixtures.jsonl");

fn profile(mode: &str, dir: &Path) -> Profile {
    for d in ["p", "v", "a"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let text = format!(
        "mode = \"{mode}\"\n[mounts]\nproject = \"p\"\nvault = \"v\"\nagent_data = \"a\"\n[resources]\ncpus = 3\nmemory = \"6GiB\"\ndisk = \"60GiB\"\n"
    );
    Profile::parse(&text, &dir.join("profile.toml"), dir).unwrap()
}

fn yaml(cfg: &LimaConfig) -> serde_yaml::Value {
    serde_yaml::from_str(&to_yaml(cfg, None)).unwrap()
}

#[test]
fn secure_mode_renders_read_only_mounts_except_agent_data() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile("secure", dir.path());
    let y = yaml(&render(&p, HostOs::Linux).unwrap());
    let mounts = y["mounts"].as_sequence().unwrap();
    let got: Vec<(&str, bool)> = mounts.iter().map(|m| (m["mountPoint"].as_str().unwrap(), m["writable"].as_bool().unwrap())).collect();
    assert_eq!(got, vec![("/mnt/openclaw", false), ("/mnt/obsidian", false), ("/mnt/openclaw-agents", true)]);
    assert_eq!(mounts[0]["location"].as_str().unwrap(), dir.path().join("p").to_str().unwrap());
}

#[test]
fn yolo_is_read_only_and_yolo_unsafe_is_writable() {
    let dir = tempfile::tempdir().unwrap();
    for (mode, writable) in [("yolo", false), ("yolo-unsafe", true)] {
        let p = profile(mode, dir.path());
        assert_eq!(p.mode, Mode::parse(mode).unwrap());
        let y = yaml(&render(&p, HostOs::MacOs).unwrap());
        assert_eq!(y["mounts"][0]["writable"].as_bool(), Some(writable), "{mode}");
        assert_eq!(y["mounts"][1]["writable"].as_bool(), Some(writable), "{mode}");
    }
}

#[test]
fn vm_type_and_mount_type_follow_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile("secure", dir.path());
    let mac = yaml(&render(&p, HostOs::MacOs).unwrap());
    assert_eq!(mac["vmType"].as_str(), Some("vz"));
    assert_eq!(mac["mountType"].as_str(), Some("virtiofs"));
    let linux = yaml(&render(&p, HostOs::Linux).unwrap());
    assert_eq!(linux["vmType"].as_str(), Some("qemu"));
    assert_eq!(linux["mountType"].as_str(), Some("9p"));
}

#[test]
fn gateway_is_the_only_forwarded_port_and_only_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile("secure", dir.path());
    let y = yaml(&render(&p, HostOs::Linux).unwrap());
    let fwd = y["portForwards"].as_sequence().unwrap();
    assert_eq!(fwd.len(), 2);
    assert_eq!(fwd[0]["guestPort"].as_u64(), Some(18789));
    assert_eq!(fwd[0]["hostPort"].as_u64(), Some(18789));
    assert_eq!(fwd[0]["hostIP"].as_str(), Some("127.0.0.1"));
    assert!(fwd[0].get("ignore").is_none());
    // issue S1: the ignore rule must cover 0.0.0.0 and :: listeners, explicitly not exact-zero
    assert_eq!(fwd[1]["guestIP"].as_str(), Some("0.0.0.0"));
    assert_eq!(fwd[1]["guestIPMustBeZero"].as_bool(), Some(false));
    assert_eq!(fwd[1]["ignore"].as_bool(), Some(true));
    assert_eq!(fwd[1]["proto"].as_str(), Some("any"));
    assert_eq!(fwd[1]["guestPortRange"][0].as_u64(), Some(1));
    assert_eq!(fwd[1]["guestPortRange"][1].as_u64(), Some(65535));
}

/// A model of Lima's first-match rule walk (lima:pkg/portfwd/forward.go `forwardingAddresses`,
/// pkg/hostagent/port.go; rules after Lima's defaults were filled in by
/// pkg/limayaml/defaults.go `FillPortForwardDefaults`), written from its documented behaviour.
/// Returns the host port a guest listener is forwarded to, or None (ignored / no rule).
fn lima_forward(rules: &[render::PortForward], guest_ip: std::net::IpAddr, port: u16, proto: &str) -> Option<u16> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    struct Filled {
        ip: IpAddr,
        must_be_zero: bool,
        range: [u16; 2],
        host: u16,
        proto: String,
        ignore: bool,
    }
    let fill = |r: &render::PortForward| {
        let ip: IpAddr = r.guest_ip.as_deref().unwrap_or("127.0.0.1").parse().unwrap();
        let must_be_zero = r.guest_ip_must_be_zero.unwrap_or(ip == IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let range = r.guest_port_range.unwrap_or_else(|| r.guest_port.map(|p| [p, p]).unwrap_or([1, 65535]));
        let host = r.host_port.unwrap_or(range[0]);
        Filled { ip, must_be_zero, range, host, proto: r.proto.clone(), ignore: r.ignore }
    };
    let mut all: Vec<Filled> = rules.iter().map(fill).collect();
    // Lima's own catch-all, appended after the instance's rules.
    all.push(Filled { ip: IpAddr::V4(Ipv4Addr::LOCALHOST), must_be_zero: false, range: [1, 65535], host: 0, proto: "any".into(), ignore: false });
    for r in &all {
        if r.proto != "any" && r.proto != proto {
            continue;
        }
        if port < r.range[0] || port > r.range[1] {
            continue;
        }
        let matches = guest_ip.is_unspecified()
            || guest_ip == r.ip
            || (guest_ip == IpAddr::V6(Ipv6Addr::LOCALHOST) && r.ip == IpAddr::V4(Ipv4Addr::LOCALHOST))
            || (r.ip.is_unspecified() && !r.must_be_zero);
        if !matches {
            continue;
        }
        if r.ignore {
            if guest_ip.is_unspecified() && !r.ip.is_unspecified() {
                continue;
            }
            return None;
        }
        return Some(if r.host == 0 { port } else { r.host + (port - r.range[0]) });
    }
    None
}

#[test]
fn issue_s1_only_the_gateway_reaches_the_host_whatever_address_a_listener_binds() {
    let rules = render::port_forwards(18789);
    for addr in ["127.0.0.1", "::1", "0.0.0.0", "::", "192.168.5.15", "fe80::1", "10.88.0.1"] {
        let ip = addr.parse().unwrap();
        for proto in ["tcp", "udp"] {
            for port in [80u16, 8765, 18788, 18790, 65535] {
                assert_eq!(lima_forward(&rules, ip, port, proto), None, "{proto} {addr}:{port} must not be forwarded");
            }
        }
    }
    for addr in ["127.0.0.1", "::1", "0.0.0.0", "::"] {
        assert_eq!(lima_forward(&rules, addr.parse().unwrap(), 18789, "tcp"), Some(18789), "gateway on {addr}");
    }
    // The old rule (default guestIP 127.0.0.1) let 0.0.0.0 and :: through Lima's fallback.
    let mut old = rules.clone();
    old[1].guest_ip = None;
    old[1].guest_ip_must_be_zero = None;
    assert_eq!(lima_forward(&old, "0.0.0.0".parse().unwrap(), 8765, "tcp"), Some(8765));
    assert_eq!(lima_forward(&old, "::".parse().unwrap(), 8765, "tcp"), Some(8765));
    // And v2's default for guestIP 0.0.0.0 (must-be-zero) would leave loopback to the fallback.
    let mut exact = rules.clone();
    exact[1].guest_ip_must_be_zero = None;
    assert_eq!(lima_forward(&exact, "127.0.0.1".parse().unwrap(), 8765, "tcp"), Some(8765));
}

#[test]
fn resources_images_and_hardening_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile("secure", dir.path());
    let y = yaml(&render(&p, HostOs::Linux).unwrap());
    assert_eq!(y["cpus"].as_u64(), Some(3));
    assert_eq!(y["memory"].as_str(), Some("6GiB"));
    assert_eq!(y["disk"].as_str(), Some("60GiB"));
    assert_eq!(y["containerd"]["system"].as_bool(), Some(false));
    assert_eq!(y["containerd"]["user"].as_bool(), Some(false));
    assert_eq!(y["ssh"]["forwardAgent"].as_bool(), Some(false));
    assert_eq!(y["ssh"]["loadDotSSHPubKeys"].as_bool(), Some(false));
    // Linux (qemu + 9p): Debian's generic images, whose kernel has 9p (the cloud kernel has not:
    // Lima's templates/_images/debian-12.yaml says mountTypesUnsupported: [9p])
    let images = y["images"].as_sequence().unwrap();
    for (arch, deb) in [("x86_64", "amd64"), ("aarch64", "arm64")] {
        let of_arch: Vec<_> = images.iter().filter(|i| i["arch"].as_str() == Some(arch)).collect();
        assert_eq!(of_arch.len(), 1, "{arch}");
        assert_eq!(
            of_arch[0]["location"].as_str(),
            Some(format!("https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-generic-{deb}.qcow2").as_str())
        );
    }
    // macOS (vz + virtiofs): Lima's genericcloud images
    let mac = yaml(&render(&p, HostOs::MacOs).unwrap());
    let images = mac["images"].as_sequence().unwrap();
    for (arch, deb) in [("x86_64", "amd64"), ("aarch64", "arm64")] {
        let of_arch: Vec<_> = images.iter().filter(|i| i["arch"].as_str() == Some(arch)).collect();
        assert_eq!(of_arch.len(), 2, "{arch}: dated, then latest");
        // Lima's templates/_images/debian-12.yaml: the dated image pinned by digest first
        let dated = of_arch[0]["location"].as_str().unwrap();
        assert!(dated.starts_with("https://cloud.debian.org/images/cloud/bookworm/20260712-2537/"), "{dated}");
        assert!(dated.ends_with(&format!("debian-12-genericcloud-{deb}-20260712-2537.qcow2")), "{dated}");
        assert!(of_arch[0]["digest"].as_str().unwrap().starts_with("sha512:"));
        assert_eq!(of_arch[0]["digest"].as_str().unwrap().len(), "sha512:".len() + 128);
        assert_eq!(
            of_arch[1]["location"].as_str(),
            Some(format!("https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-{deb}.qcow2").as_str())
        );
        assert!(of_arch[1].get("digest").is_none());
    }
    assert!(!to_yaml(&render(&p, HostOs::MacOs).unwrap(), None).contains("ubuntu"));
    assert_eq!(y["provision"][0]["mode"].as_str(), Some("system"));
    assert!(y["provision"][0]["script"].as_str().unwrap().starts_with("#!/bin/sh"));
    assert!(y.get("caCerts").is_none());
}

#[test]
fn ca_certs_are_rendered_when_set() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("p")).unwrap();
    std::fs::write(dir.path().join("ca.pem"), "x").unwrap();
    let p = Profile::parse("[mounts]\nproject = \"p\"\n[provisioning]\nca_certs = [\"ca.pem\"]\n", &dir.path().join("x.toml"), dir.path()).unwrap();
    let y = yaml(&render(&p, HostOs::Linux).unwrap());
    assert_eq!(y["caCerts"]["files"][0].as_str().unwrap(), dir.path().join("ca.pem").to_str().unwrap());
}

const CA_A: &str = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

fn profile_with_cas(dir: &std::path::Path, list: &str) -> Profile {
    std::fs::create_dir_all(dir.join("p")).unwrap();
    std::fs::write(dir.join("ca.pem"), "x").unwrap();
    Profile::parse(&format!("[mounts]\nproject = \"p\"\n[provisioning]\nca_certs = {list}\n"), &dir.join("x.toml"), dir).unwrap()
}

#[test]
fn system_ca_certs_are_rendered_as_the_host_pems() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile_with_cas(dir.path(), "[\"ca.pem\", \"system\"]");
    let cfg = crate::lima::render_with(&p, HostOs::MacOs, || Ok(crate::host_ca::Pem::all_in(CA_A))).unwrap();
    let y = yaml(&cfg);
    assert_eq!(y["caCerts"]["files"][0].as_str().unwrap(), dir.path().join("ca.pem").to_str().unwrap());
    assert_eq!(y["caCerts"]["certs"][0].as_str().unwrap(), CA_A);
    assert_eq!(y["caCerts"]["certs"].as_sequence().unwrap().len(), 1);
    // only "system": no files key at all
    let p = profile_with_cas(dir.path(), "[\"system\"]");
    let y = yaml(&crate::lima::render_with(&p, HostOs::Linux, || Ok(crate::host_ca::Pem::all_in(CA_A))).unwrap());
    assert!(y["caCerts"].get("files").is_none(), "{y:?}");
}

#[test]
fn system_ca_certs_with_none_on_the_host_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile_with_cas(dir.path(), "[\"system\"]");
    let e = crate::lima::render_with(&p, HostOs::Linux, || Ok(Vec::new())).unwrap_err().to_string();
    assert!(e.contains("no extra CAs are trusted on this host") && e.contains("remove \"system\""), "{e}");
    let e = crate::lima::render_with(&p, HostOs::Linux, || Err(crate::host_ca::HostCaError::Unsupported)).unwrap_err().to_string();
    assert!(e.contains("not supported"), "{e}");
}

#[test]
fn host_cas_are_not_read_when_the_profile_does_not_ask() {
    let dir = tempfile::tempdir().unwrap();
    let p = profile_with_cas(dir.path(), "[\"ca.pem\"]");
    crate::lima::render_with(&p, HostOs::Linux, || panic!("read the host's CAs")).unwrap();
}

#[test]
fn list_fixtures_parse_with_every_status() {
    let list = parse_list(FIXTURES).unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].name, "default");
    assert_eq!(list[0].status, InstanceStatus::Running);
    assert_eq!(list[0].ssh_local_port, Some(50123));
    assert_eq!(list[0].host_agent_pid, list[0].driver_pid);
    assert_eq!(list[0].memory, Some(4294967296));
    assert_eq!(list[1].status, InstanceStatus::Stopped);
    assert_eq!(list[1].host_agent_pid, None);
    assert_eq!(list[2].status, InstanceStatus::Broken);
    assert_eq!(list[2].errors[0]["Op"], "open");
}

#[test]
fn list_tolerates_all_statuses_empty_output_and_pretty_json() {
    let lines = ["Running", "Stopped", "Broken", "Installing", "Uninitialized", "", "Hibernating"]
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{{\"name\":\"i{i}\",\"status\":\"{s}\",\"errors\":[],\"protected\":false}}"))
        .collect::<Vec<_>>()
        .join("\n");
    let list = parse_list(&lines).unwrap();
    let st: Vec<_> = list.iter().map(|i| i.status.clone()).collect();
    assert_eq!(
        st,
        vec![
            InstanceStatus::Running,
            InstanceStatus::Stopped,
            InstanceStatus::Broken,
            InstanceStatus::Installing,
            InstanceStatus::Uninitialized,
            InstanceStatus::Unknown(String::new()),
            InstanceStatus::Unknown("Hibernating".into()),
        ]
    );
    assert!(parse_list("").unwrap().is_empty());
    let pretty = "{\n    \"name\": \"a\",\n    \"status\": \"Running\"\n}\n{\n    \"name\": \"b\"\n}\n";
    let l = parse_list(pretty).unwrap();
    assert_eq!(l[1].status, InstanceStatus::Unknown(String::new()));
}

#[test]
fn list_rejects_garbage_with_a_clear_error() {
    let e = parse_list("{\"name\":\"a\"}\nnot json").unwrap_err();
    assert!(e.to_string().contains("object 2"), "{e}");
    let e = parse_list("{\"status\":\"Running\"}").unwrap_err();
    assert!(e.to_string().contains("name"), "{e}");
}

fn start_log(quote: char) -> String {
    let q = |s: &str| format!("{quote}{s}{quote}");
    let lines = vec![
        format!("Starting the instance {} with internal VM driver {}", q("box"), q("vz")),
        "Attempting to download the image".to_string(),
        format!("Downloaded the image from {}", q("https://example.invalid/img")),
        format!("Converting {} (qcow2) to a raw disk {}", q("a"), q("b")),
        "[hostagent] hostagent socket created at /x/ha.sock".to_string(),
        format!("[hostagent] Starting VZ (hint: to watch the boot progress, see {})", q("/x/serial*.log")),
        "SSH Local Port: 50123".to_string(),
        format!("[hostagent] Waiting for the essential requirement 1 of 3: {}", q("ssh")),
        "[hostagent] The essential requirement 1 of 3 is satisfied".to_string(),
        format!("[hostagent] Waiting for the essential requirement 2 of 3: {}", q("user session is ready for ssh")),
        "[hostagent] The essential requirement 2 of 3 is satisfied".to_string(),
        format!("[hostagent] Waiting for the essential requirement 3 of 3: {}", q("Explicitly start ssh ControlMaster")),
        "[hostagent] The essential requirement 3 of 3 is satisfied".to_string(),
        format!("[hostagent] Waiting for the optional requirement 1 of 1: {}", q("systemd must be available")),
        "[hostagent] The optional requirement 1 of 1 is satisfied".to_string(),
        "[hostagent] Waiting for the guest agent to be running".to_string(),
        format!("[hostagent] Waiting for the final requirement 1 of 1: {}", q("boot scripts must have finished")),
        "[hostagent] The final requirement 1 of 1 is satisfied".to_string(),
        format!("READY. Run {} to open the shell.", q("limactl shell box")),
    ];
    lines
        .into_iter()
        .map(|m| {
            let escaped = m.replace('\\', "\\\\").replace('"', "\\\"");
            format!("time=\"2026-08-21T10:00:03+09:00\" level=info msg=\"{escaped}\"")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn start_log_parses_in_both_quote_styles() {
    for quote in ['`', '"'] {
        let steps: Vec<StartStep> = start_log(quote).lines().filter_map(parse_line).collect();
        assert_eq!(steps[0], StartStep::Starting { driver: Some("vz".into()) }, "{quote}");
        assert!(steps.contains(&StartStep::Downloading { what: "image".into() }));
        assert!(steps.contains(&StartStep::Converting));
        assert!(steps.contains(&StartStep::Booting));
        assert!(steps.contains(&StartStep::SshPort(50123)));
        assert!(steps.contains(&StartStep::Waiting {
            kind: RequirementKind::Essential,
            index: 2,
            total: 3,
            description: "user session is ready for ssh".into()
        }));
        assert!(steps.contains(&StartStep::Satisfied { kind: RequirementKind::Final, index: 1, total: 1 }));
        assert_eq!(steps.last(), Some(&StartStep::Ready));
        // the fraction only grows and ends at 1
        let mut t = ProgressTracker::default();
        let fractions: Vec<f32> = steps.iter().filter_map(|s| t.update(s)).map(|p| p.fraction.unwrap()).collect();
        assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
        assert_eq!(*fractions.last().unwrap(), 1.0);
        assert!(fractions[fractions.len() / 2] > 0.2 && fractions[fractions.len() / 2] < 1.0);
    }
}

#[test]
fn failure_lines_are_recognised() {
    let d = "time=\"t\" level=fatal msg=\"DEGRADED. The VM seems running, but file sharing and port forwarding may not work. (hint: see `/x/ha.stderr.log`)\"";
    assert_eq!(parse_line(d), Some(StartStep::Degraded { hint: "see `/x/ha.stderr.log`".into() }));
    let t = "time=\"t\" level=fatal msg=\"did not receive an event with the \\\"running\\\" status\"";
    assert_eq!(parse_line(t), Some(StartStep::TimedOut));
    let f = "time=\"t\" level=fatal msg=\"expected status `Running`, got `Stopped` (maybe use `limactl stop -f`?)\"";
    assert!(matches!(parse_line(f), Some(StartStep::Fatal { message }) if message.contains("expected status")));
    assert_eq!(parse_line("{\"level\":\"info\",\"msg\":\"READY. Run `lima` to open the shell.\",\"time\":\"t\"}"), Some(StartStep::Ready));
    assert_eq!(
        parse_line("INFO[0003] [hostagent] The essential requirement 1 of 4 is satisfied"),
        Some(StartStep::Satisfied { kind: RequirementKind::Essential, index: 1, total: 4 })
    );
    assert_eq!(
        parse_line("time=\"t\" level=info msg=\"The instance \\\"x\\\" is already running. Run `limactl shell x` to open the shell.\""),
        Some(StartStep::AlreadyRunning)
    );
    // noise and garbage are ignored, never a panic
    for junk in ["", "   ", "msg=", "time=\"unterminated", "level=info msg=\"Waiting for the essential requirement x of y: a\"", "\u{0}\u{ffff}", "{not json"] {
        let _ = parse_line(junk);
    }
    assert_eq!(parse_line("level=info msg=\"hostagent socket created\""), None);
}

#[test]
fn versions_parse_in_all_forms() {
    assert_eq!(Version::parse_output("limactl version 2.2.0\n"), Some(Version { major: 2, minor: 2, patch: 0 }));
    assert_eq!(Version::parse_output("limactl version 2.2.0-153-g183a60d7.m"), Some(Version { major: 2, minor: 2, patch: 0 }));
    assert_eq!(Version::parse_output("v1.0.3"), Some(Version { major: 1, minor: 0, patch: 3 }));
    assert_eq!(Version::parse_output("limactl version HEAD"), None);
    assert!(Version { major: 0, minor: 23, patch: 2 } < MINIMUM_VERSION);
}

/// Linux: a process is gone when /proc has no entry or only a zombie is left.
#[cfg(target_os = "linux")]
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s.rsplit(')').next().and_then(|rest| rest.trim().chars().next()) != Some('Z'),
        Err(_) => false,
    }
}

#[cfg(target_os = "linux")]
async fn gone_within(pid: i32, limit: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    !alive(pid)
}

/// A limactl stand-in whose child (like limactl's ssh) ignores SIGTERM and outlives it.
#[cfg(target_os = "linux")]
fn hanging_limactl(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("limactl");
    std::fs::write(
        &script,
        "#!/bin/sh\nd=$(dirname \"$0\")\nprintf '%s\\n' \"$@\" > \"$d/argv\"\nprintf '%s\\n' \"$LIMA_HOME\" > \"$d/lima_home\"\n\
         ( trap '' TERM; exec sleep 300 ) &\necho $! > \"$d/grandchild.pid\"\necho ready\nsleep 300\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[cfg(target_os = "linux")]
async fn grandchild(dir: &Path) -> i32 {
    for _ in 0..100 {
        if let Ok(s) = std::fs::read_to_string(dir.join("grandchild.pid")) {
            if let Ok(p) = s.trim().parse() {
                return p;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the stand-in never started its child");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn issue_d4_a_timed_out_shell_kills_limactls_whole_group_and_bounds_the_remote_side() {
    let dir = tempfile::tempdir().unwrap();
    let limactl = Limactl::at(hanging_limactl(dir.path())).with_lima_home(dir.path().join("lh"));
    let argv = vec!["sudo".to_string(), "bash".into(), "-s".into()];
    let r = limactl.shell("box", &argv, Some(b"echo hi\n".to_vec()), std::time::Duration::from_secs(1)).await;
    assert!(matches!(r, Err(LimaError::Timeout { secs: 1, .. })), "{r:?}");
    let pid = grandchild(dir.path()).await;
    assert!(gone_within(pid, std::time::Duration::from_secs(3)).await, "limactl's child {pid} survived the timeout");
    let args = std::fs::read_to_string(dir.path().join("argv")).unwrap();
    assert_eq!(args.lines().collect::<Vec<_>>(), ["shell", "--workdir", "/", "box", "--", "timeout", "--kill-after=5", "1", "sudo", "bash", "-s"]);
    assert_eq!(std::fs::read_to_string(dir.path().join("lima_home")).unwrap().trim(), dir.path().join("lh").to_str().unwrap());
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn issue_d4_dropping_a_stream_kills_limactls_whole_group() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let limactl = Limactl::at(hanging_limactl(dir.path())).with_lima_home(dir.path().join("lh"));
    let mut stream = limactl.shell_stream("box", &["journalctl".to_string(), "-f".into()]).unwrap();
    let mut line = String::new();
    stream.read_line(&mut line).await.unwrap();
    assert_eq!(line, "ready\n");
    let pid = grandchild(dir.path()).await;
    assert!(alive(pid));
    drop(stream);
    assert!(gone_within(pid, std::time::Duration::from_secs(5)).await, "limactl's child {pid} survived the dropped stream");
}
