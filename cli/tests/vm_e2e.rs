#![cfg(feature = "vm-tests")]
//! Tier 3: the real `sandbox` binary against a real VM (QEMU, Debian 12) behind the test-bed
//! limactl shim (tests/vm/limactl). One VM is shared by every assertion; it is deleted and
//! every process it started is stopped when the test ends, pass or fail.
//! Run by `scripts/test vm` (root: the image build uses debootstrap + chroot).

mod vm_bed;

use sandbox_core::provision::overlay_ctl;
use sandbox_core::vm::Vm;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use vm_bed::*;

const NAME: &str = "e2e-vm";
/// A secret value that must reach the VM's tmpfs and nothing else.
const CANARY: &str = "canary-e2e-9f3b7c1d2a4e6f80";

#[test]
fn sandbox_up_ssh_down_up_destroy_in_a_real_vm() {
    join_session_keyring();
    let mut bed = Bed::new(NAME, &[]);
    // deeper user files (owned by the host user, like the rest): the agent edits them below
    std::fs::create_dir_all(bed.path("project/x/y/z")).unwrap();
    std::fs::write(bed.path("project/x/y/z/deep.txt"), "deep\n").unwrap();
    std::fs::write(bed.path("project/x/y/nested.txt"), "nested\n").unwrap();
    chown_tree(&bed.project(), HOST_UID, HOST_GID);
    bed.allow_domain(RESOLVABLE);
    // the user's own Lima set-up: an override that would mount their home writable and forward
    // a port into every instance of *their* Lima home (Lima merges it on every start)
    std::fs::create_dir_all(bed.user_lima_home().join("_config")).unwrap();
    std::fs::write(
        bed.user_lima_home().join("_config/override.yaml"),
        format!(
            "mounts:\n- location: {}\n  mountPoint: /mnt/leaked-home\n  writable: true\nportForwards:\n- guestPort: 8790\n  hostPort: 8790\n",
            bed.path("home").display()
        ),
    )
    .unwrap();
    let before = snapshot(&bed.project());
    let mut set = bed.sandbox(&["secrets", "set", "ANTHROPIC_API_KEY", "--stdin"]);
    set.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = set.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), CANARY.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // first up: create, boot, provision
    let (r, ready, total) = up_timed(&bed, Duration::from_secs(1200));
    assert_eq!(r.code, 0, "first up failed\n{}", r.all());
    assert!(r.stdout.contains("Created and started"), "{}", r.all());
    assert!(r.stdout.contains("Provisioning changed:"), "{}", r.all());
    assert!(r.stderr.contains("Waiting for ssh (1/3)"), "the shim's progress was not parsed:\n{}", r.stderr);
    let ready = ready.expect("no Ready progress line");
    bed.timings.push(("boot to ssh + boot scripts (first up)".into(), ready));
    bed.timings.push(("first provision".into(), total - ready));

    // the project mount is read-only, enforced by the host: even root remounting it rw gets EROFS
    let out = bed.vm_ok(
        "touch /mnt/openclaw/x 2>&1; echo \"agent-rc=$?\"; \
         sudo mount -o remount,rw /mnt/openclaw && sudo touch /mnt/openclaw/y 2>&1; echo \"root-rc=$?\"; \
         sudo mount -o remount,ro /mnt/openclaw",
    );
    assert!(out.contains("agent-rc=1") && out.contains("root-rc=1"), "{out}");
    assert_eq!(out.matches("Read-only file system").count(), 2, "{out}");

    // /workspace is the overlay with the options that keep the upper dir a plain change set
    let out = bed.vm_ok("findmnt -n -o FSTYPE /workspace; systemctl cat workspace.mount | grep ^Options=");
    assert!(out.starts_with("overlay\n") && out.contains("redirect_dir=off,metacopy=off"), "{out}");

    // Lima's Mac case: the admin is the host user (uid 501), the 9p mount shows the host's
    // owner (501:20); the agent has its own uid, no sudo, no groups beyond its own
    let out = bed.vm_ok("id -u; stat -c %u:%g /mnt/openclaw/a.txt; id -nG openclaw; id -u openclaw; sudo -u openclaw sudo -n true 2>&1; echo \"sudo-rc=$?\"");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(HOST_UID.to_string().as_str()), "the admin takes the host user's uid: {out}");
    assert_eq!(lines.next(), Some(format!("{HOST_UID}:{HOST_GID}").as_str()), "9p shows the host owner: {out}");
    assert_eq!(lines.next(), Some("openclaw"), "{out}");
    let agent_uid: u32 = lines.next().and_then(|l| l.parse().ok()).unwrap_or_else(|| panic!("{out}"));
    assert!(agent_uid >= 1000 && agent_uid != HOST_UID, "the agent has an ordinary uid of its own: {out}");
    assert!(out.contains("sudo-rc=1"), "{out}");
    // the user's Lima override reached nothing; sudo finds the hostname (no warning)
    let out = bed.vm_ok("mountpoint -q /mnt/leaked-home && echo leaked; sudo true 2>&1; echo sudo-done");
    assert_eq!(out, "sudo-done\n", "the user's ~/.lima/_config/override.yaml reached the sandbox, or sudo warned: {out}");

    // the agent works in /workspace: add, modify, delete, rename; then asks for a sync
    let out = bed.vm_ok(
        "sudo -u openclaw -H bash -euc 'cd /workspace; echo new > new.txt; echo more >> a.txt; rm sub/b.txt; \
         mv c.txt c2.txt; mkdir -p made/deep; echo d > made/deep/d.txt; \
         echo more >> x/y/z/deep.txt; echo created > sub/created.txt; mv x/y/nested.txt x/y/renamed.txt; \
         openclaw-sync-request \"added new.txt, please review\"; \
         ls /var/spool/openclaw/sync-requests 2>&1 || echo spool-unreadable'",
    );
    assert!(out.contains("spool-unreadable"), "the agent must not read the spool: {out}");
    assert_eq!(bed.vm_ok("cat /workspace/a.txt"), "alpha\nmore\n");
    assert_eq!(snapshot(&bed.project()), before, "the host project changed while the agent wrote");

    // the upper dir holds exactly the change set (whiteouts for deletions), exported through
    // core's typed handle (what the sync loop calls), listed by the host's tar
    let vm = bed.core_vm();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tar = rt.block_on(overlay_ctl::export_upper(&vm)).expect("export-upper");
    let listing = tar_listing(&tar);
    for (name, kind) in [("./new.txt", '-'), ("./a.txt", '-'), ("./sub/b.txt", 'c'), ("./c.txt", 'c'), ("./c2.txt", '-'), ("./made/deep/d.txt", '-')] {
        let line = listing.lines().find(|l| l.ends_with(&format!(" {name}"))).unwrap_or_else(|| panic!("{name} not in upper:\n{listing}"));
        assert!(line.starts_with(kind), "{name} should be `{kind}`: {line}");
    }
    assert!(!listing.contains("./keep/"), "untouched dirs are not copied up:\n{listing}");

    // every write is in the audit log
    let log = bed.vm_ok("sleep 1; sudo cat /var/log/openclaw/overlay-audit.jsonl");
    let entries = audit_paths(&log);
    let has = |path: &str, event: &str| entries.iter().any(|(p, ev, _)| p == path && ev.iter().any(|e| e == event));
    for (path, event) in [("new.txt", "CLOSE_WRITE"), ("a.txt", "CLOSE_WRITE"), ("sub/b.txt", "DELETE"), ("c.txt", "MOVED_FROM"), ("c2.txt", "MOVED_TO")] {
        assert!(has(path, event), "no {event} for {path} in the audit log:\n{log}");
    }
    // a file made right after its new folder may precede the folder's watch: found by the scan
    assert!(has("made/deep/d.txt", "CLOSE_WRITE") || has("made/deep/d.txt", "CREATE"), "made/deep/d.txt missing:\n{log}");
    assert!(entries.iter().any(|(p, _, k)| p == "sub/b.txt" && k == "whiteout"), "{log}");

    // limactl copy both ways, through core's Vm trait
    std::fs::write(bed.path("to-vm.txt"), "over scp\n").unwrap();
    rt.block_on(vm.copy_in(&bed.path("to-vm.txt"), "/tmp/from-host.txt")).expect("copy_in");
    assert_eq!(bed.vm_ok("cat /tmp/from-host.txt"), "over scp\n");
    rt.block_on(vm.copy_out("/etc/hostname", &bed.path("hostname"))).expect("copy_out");
    assert_eq!(std::fs::read_to_string(bed.path("hostname")).unwrap().trim(), format!("lima-{NAME}"));

    // the sync request is in the spool, for the host
    let reqs = rt.block_on(overlay_ctl::requests(&vm)).expect("requests");
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].message, "added new.txt, please review");
    assert_eq!(reqs[0].user, "openclaw");
    let st = rt.block_on(overlay_ctl::overlay_status(&vm)).expect("status");
    assert_eq!((st.watcher.as_str(), st.pending_requests, st.mode.as_str()), ("active", 1, "secure"));
    assert!(st.upper_entries >= 7, "{st:?}");

    // the host follows the agent: `sandbox watch` turns the request into a SyncRequested event
    let t = Instant::now();
    let event = watch_for(&bed, "\"type\":\"sync_requested\"", Duration::from_secs(240));
    bed.timings.push(("watch: agent request -> SyncRequested".into(), t.elapsed()));
    assert!(event.contains("added new.txt, please review"), "{event}");

    // `sandbox sync --auto` applies exactly the agent's changes to the host project
    let r = bed.time("sync round trip (sandbox sync --auto)", |b| b.run(&["sync", "--auto"], Duration::from_secs(600)));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("applied request"), "{}", r.all());
    let mut expected = before.clone();
    let file = |s: &str, mode: u32| (s.as_bytes().to_vec(), mode);
    let mode_of = |p: &str| before[Path::new(p)].1;
    expected.insert("a.txt".into(), file("alpha\nmore\n", mode_of("a.txt")));
    expected.insert("x/y/z/deep.txt".into(), file("deep\nmore\n", mode_of("x/y/z/deep.txt")));
    let nested = expected.remove(Path::new("x/y/nested.txt")).unwrap();
    expected.insert("x/y/renamed.txt".into(), nested);
    expected.remove(Path::new("sub/b.txt"));
    let c = expected.remove(Path::new("c.txt")).unwrap();
    expected.insert("c2.txt".into(), c);
    let after = snapshot(&bed.project());
    for p in ["new.txt", "made", "made/deep", "made/deep/d.txt", "sub/created.txt"] {
        assert!(after.contains_key(Path::new(p)), "{p} missing on the host after sync");
        expected.insert(p.into(), after[Path::new(p)].clone());
    }
    assert_eq!(after.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (p, (bytes, _)) in &expected {
        assert_eq!(&after[p].0, bytes, "{} differs on the host", p.display());
    }
    assert_eq!(std::fs::read_to_string(bed.path("project/new.txt")).unwrap(), "new\n");
    // ... and the upper dir no longer holds them; /workspace still shows them (now from below)
    let listing = tar_listing(&rt.block_on(overlay_ctl::export_upper(&vm)).expect("export-upper"));
    for name in ["new.txt", "a.txt", "sub/b.txt", "c.txt", "c2.txt", "made/deep/d.txt"] {
        assert!(!listing.lines().any(|l| l.ends_with(&format!(" ./{name}"))), "{name} still in the upper dir:\n{listing}");
    }
    // fresh after sync: the agent reads the applied files from the host folder below at once
    assert_eq!(
        bed.vm_ok("cat /workspace/a.txt /workspace/new.txt /workspace/x/y/z/deep.txt; systemctl is-active openclaw-audit.service"),
        "alpha\nmore\nnew\ndeep\nmore\nactive\n"
    );
    let s = bed.run(&["status", "--json"], Duration::from_secs(120));
    let st: serde_json::Value = serde_json::from_str(&s.stdout).unwrap_or_else(|e| panic!("{e}: {}", s.all()));
    assert_eq!(st["pending_requests"], 0, "{}", s.stdout);
    assert_eq!(st["overlay"]["pending_requests"], 0, "{}", s.stdout);
    assert!(rt.block_on(overlay_ctl::drop_entries(&vm, &["../etc/passwd".to_string()])).is_err());

    // secrets: 0600 files owned by the agent on tmpfs, exactly the keychain's value, nowhere on
    // disk (the journal included; the pattern comes from the file, so not even this check puts
    // the value in an argv that sudo would log)
    let out = bed.vm_ok(
        "stat -f -c %T /run/openclaw; sudo stat -c '%a %U' /run/openclaw/secrets /run/openclaw/secrets/ANTHROPIC_API_KEY /run/openclaw/secrets.env; \
         sudo cat /run/openclaw/secrets/ANTHROPIC_API_KEY; echo; \
         sudo grep -rlsF -f /run/openclaw/secrets/ANTHROPIC_API_KEY /etc /var/lib/openclaw /var/log /var/spool /home /root /tmp /workspace || echo not-on-disk; \
         sudo journalctl -o export 2>/dev/null | grep -a -F -f /run/openclaw/secrets/ANTHROPIC_API_KEY -B 30 | grep -a -E '^(_COMM|SYSLOG_IDENTIFIER|_CMDLINE|MESSAGE)=' | cut -c1-300 | head -20 >&2",
    );
    let mut l = out.lines();
    assert_eq!(l.next(), Some("tmpfs"), "{out}");
    assert_eq!(l.next(), Some("700 openclaw"), "{out}");
    assert_eq!(l.next(), Some("600 openclaw"), "{out}");
    assert_eq!(l.next(), Some("600 root"), "{out}");
    assert_eq!(l.next(), Some(CANARY), "{out}");
    assert!(out.trim_end().ends_with("not-on-disk"), "the secret is on the VM's disk: {out}");

    // firewall: loaded, out of the agent's reach, default deny with logged drops, allow reloads it
    let out = bed.vm_ok("sudo nft list table inet openclaw | head -3; sudo -u openclaw nft flush ruleset 2>&1; echo \"agent-flush=$?\"");
    assert!(out.contains("table inet openclaw") && !out.contains("agent-flush=0"), "{out}");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let probe = format!("sudo -u openclaw timeout 8 bash -c 'echo hi > /dev/tcp/192.168.5.2/{port}' 2>&1; echo \"rc=$?\"");
    let out = bed.vm_ok(&probe);
    assert!(!out.contains("rc=0"), "a connection to the host's port {port} must be dropped: {out}");
    let out = bed.vm_ok("getent hosts blocked.example.test; echo \"rc=$?\"");
    assert!(out.contains("rc=2"), "an unlisted name must not resolve: {out}");
    let r = bed.run(&["firewall", "log", "--json", "--since", "-10min"], Duration::from_secs(120));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains(&format!("\"dport\":{port}")) && r.stdout.contains("\"dst\":\"192.168.5.2\""), "the drop was not logged:\n{}", r.all());
    assert!(r.stdout.contains("\"domain\":\"blocked.example.test\""), "the refused name was not logged:\n{}", r.all());
    let r = bed.time("firewall allow (live reload)", |b| b.run(&["firewall", "allow", &format!("192.168.5.2:{port}/tcp")], Duration::from_secs(180)));
    assert!(r.code == 0 && r.stdout.contains("reloaded"), "{}", r.all());
    listener.set_nonblocking(false).unwrap();
    let accept = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut got = String::new();
        std::io::Read::read_to_string(&mut sock, &mut got).unwrap();
        got
    });
    let out = bed.vm_ok(&probe);
    assert!(out.contains("rc=0"), "after allow the connection must pass: {out}");
    assert_eq!(accept.join().unwrap(), "hi\n");

    // DNS behind the firewall on qemu: the resolver's upstream is Lima's 192.168.5.3, which the
    // guest DNATs to the host agent's resolver; an allowlisted name resolves for the agent
    let out = bed.vm_ok(&format!("sudo -u openclaw getent hosts {RESOLVABLE} >/dev/null; echo \"rc=$?\""));
    assert!(out.contains("rc=0"), "an allowlisted name must resolve behind the firewall: {out}");

    // no UDP side doors: Lima lets any guest user bind ports below 1024; whatever the agent sends
    // from the DHCP, DNS and NTP ports (to the host, the only address here) is dropped and logged
    let side_door = [
        "import socket",
        "def send(sport, dport):",
        " for addr in ('0.0.0.0', '192.168.5.15'):",
        "  s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "  try: s.bind((addr, sport))",
        "  except OSError: continue",
        // the firewall's drop in the output hook refuses a local sender with EPERM
        "  try: s.sendto(b'side-door', ('192.168.5.2', dport))",
        "  except PermissionError: return 'tried'",
        "  return 'tried'",
        " return 'busy'",
        "for sport, dport in ((68, 67), (67, 68), (53, 9053), (123, 9123)): print(send(sport, dport), sport)",
    ]
    .join("\n");
    let out = bed.vm_ok(&format!("cat /proc/sys/net/ipv4/ip_unprivileged_port_start; sudo -u openclaw python3 -c \"{side_door}\""));
    // a port the VM's own daemons hold (the DHCP client's 68) cannot be the agent's: no door there
    assert!(out.starts_with("0\n"), "Lima's sysctl is not in force: {out}");
    for sport in [67, 123] {
        assert!(out.contains(&format!("tried {sport}\n")), "the agent could not even try from {sport}: {out}");
    }
    let r = bed.run(&["firewall", "log", "--json", "--since", "-10min"], Duration::from_secs(120));
    for (sport, dport) in [(68, 67), (67, 68), (53, 9053), (123, 9123)] {
        if !out.contains(&format!("tried {sport}\n")) {
            continue;
        }
        assert!(
            // (the alert names the destination; each probe has its own destination port)
            r.stdout.lines().any(|l| l.contains("\"proto\":\"udp\"") && l.contains(&format!("\"dport\":{dport},"))),
            "UDP {sport} -> {dport} from the agent was not dropped and logged:\n{}",
            r.all()
        );
    }

    // ports: Lima forwards every guest listener its rules do not ignore. The agent's listeners on
    // 0.0.0.0, 127.0.0.1, :: and ::1 stay in the VM; the gateway's port reaches the host.
    bed.vm_ok(
        "for l in 0.0.0.0:18801 127.0.0.1:18802 ::0:18803 ::1:18804 0.0.0.0:18789; do \
           sudo -u openclaw setsid -f timeout 120 python3 -m http.server --bind ${l%:*} ${l##*:} >/dev/null 2>&1; done; sleep 2; \
         ss -Hltn | grep -c ':188'",
    );
    let reached = |port: u16| {
        std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut c| {
            std::io::Write::write_all(&mut c, b"GET / HTTP/1.0\r\n\r\n")?;
            let mut got = String::new();
            std::io::Read::read_to_string(&mut c, &mut got)?;
            Ok(got)
        })
    };
    let t = Instant::now();
    let gateway = loop {
        match reached(18789) {
            Ok(got) if got.starts_with("HTTP/") => break got,
            _ if t.elapsed() > Duration::from_secs(30) => panic!("the gateway port was not forwarded to the host within 30 s"),
            _ => std::thread::sleep(Duration::from_millis(500)),
        }
    };
    bed.timings.push(("guest listener -> host forward (gateway port)".into(), t.elapsed()));
    assert!(gateway.contains("Directory listing"), "{gateway}");
    for port in [18801, 18802, 18803, 18804] {
        assert!(!matches!(reached(port), Ok(g) if g.starts_with("HTTP/")), "the agent's listener on guest port {port} reached the host");
    }
    bed.vm_ok("sudo pkill -u openclaw -f 'http.server' || true");

    // a killed command dies in the VM too: Ctrl-C of `sandbox ssh -- CMD` without a terminal
    // (limactl forwards no signal and sshd keeps a pty-less command running)
    let mut ssh = bed.sandbox(&["ssh", "--", "sleep", "4711"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let running = |b: &Bed| b.vm_ok("pgrep -fx 'sleep 4711' >/dev/null && echo yes || echo no").trim() == "yes";
    let t = Instant::now();
    while !running(&bed) {
        assert!(t.elapsed() < Duration::from_secs(60), "`sleep 4711` never started in the VM");
    }
    unsafe { libc::kill(ssh.id() as i32, libc::SIGINT) };
    let status = ssh.wait().unwrap();
    assert_eq!(status.code(), Some(130), "Ctrl-C ends `sandbox ssh` with 130");
    let t = Instant::now();
    while running(&bed) {
        assert!(t.elapsed() < Duration::from_secs(30), "`sleep 4711` still runs in the VM 30 s after Ctrl-C");
    }
    bed.timings.push(("Ctrl-C of sandbox ssh -> the VM's command gone".into(), t.elapsed()));

    // the agent writes once more before the restart: the overlay keeps it
    bed.vm_ok("sudo -u openclaw bash -c 'echo later > /workspace/later.txt'");

    // up on the running VM: nothing to change
    let r = bed.time("no-op up (provision only)", |b| b.run(&["up"], Duration::from_secs(300)));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("already running") && r.stdout.contains("nothing to change"), "{}", r.all());

    // down, then up again: the agent's writes and the request survive, nothing is re-provisioned
    let r = bed.time("stop (sandbox down)", |b| b.run(&["down"], Duration::from_secs(300)));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(bed.qemu_pid().is_none(), "QEMU still runs after down");
    let r = bed.run(&["status", "--json"], Duration::from_secs(30));
    assert!(r.stdout.contains("\"state\": \"stopped\""), "{}", r.all());
    // the profile changes while the VM is stopped: more memory and one more read-only folder;
    // the next up applies them to the existing VM (limactl edit) instead of keeping the old ones
    std::fs::create_dir_all(bed.path("datasets")).unwrap();
    std::fs::write(bed.path("datasets/rows.csv"), "a,b\n").unwrap();
    chown_tree(&bed.path("datasets"), HOST_UID, HOST_GID);
    let text = std::fs::read_to_string(bed.profile()).unwrap().replace("memory = \"2GiB\"", "memory = \"3GiB\"");
    let text = text.replacen(
        "[resources]",
        &format!("[[mounts.extra]]\npath = \"{}\"\nmount_point = \"/mnt/datasets\"\n\n[resources]", bed.path("datasets").display()),
        1,
    );
    std::fs::write(bed.profile(), text).unwrap();
    let (r, ready, total) = up_timed(&bed, Duration::from_secs(1200));
    assert_eq!(r.code, 0, "second up failed\n{}", r.all());
    assert!(r.all().contains("memory: 2GiB → 3GiB") && r.all().contains("/mnt/datasets"), "the changes were not announced:\n{}", r.all());
    let out = bed.vm_ok("awk '/MemTotal/ {print $2}' /proc/meminfo; cat /mnt/datasets/rows.csv");
    let mut l = out.lines();
    let mem_kib: u64 = l.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!(mem_kib > 2_600_000, "the VM did not get the new memory: {out}");
    assert_eq!(l.next(), Some("a,b"), "the new folder is not mounted: {out}");
    bed.timings.push(("boot to ssh + boot scripts (restart)".into(), ready.unwrap_or(total)));
    bed.timings.push(("provision after restart".into(), total - ready.unwrap_or(total)));
    assert!(r.stdout.contains("Started `e2e-vm`"), "{}", r.all());
    if !r.stdout.contains("nothing to change") {
        let boot = bed.vm("sudo journalctl -b --no-pager -o short-monotonic -u lima-testbed-cidata -u openclaw-lower-project.service -u workspace.mount -u mnt-openclaw.mount -u mnt-datasets.mount; grep lima-testbed /etc/fstab");
        panic!("a restart must not re-provision:\n{}\n--- this boot's journal\n{}", r.all(), boot.all());
    }
    let out = bed.vm_ok("cat /workspace/a.txt /workspace/later.txt; ls /workspace; sudo openclaw-sandbox-ctl status; sudo test -s /run/openclaw/secrets/ANTHROPIC_API_KEY && echo secret-pushed");
    assert!(out.starts_with("alpha\nmore\nlater\n") && out.contains("c2.txt") && !out.contains("c.txt\n"), "{out}");
    assert!(
        out.contains("\"watcher\":\"active\"") && out.contains("\"upper_entries\":1"),
        "only later.txt is left unsynced (emptied parents are pruned): {out}"
    );
    assert!(out.contains("secret-pushed"), "the tmpfs secrets come back after a restart: {out}");

    let r = bed.time("destroy", |b| b.run(&["destroy", "--yes"], Duration::from_secs(300)));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!bed.lima_home().join(NAME).exists(), "the instance folder is left");
    assert!(bed.qemu_pid().is_none());
    assert_eq!(snapshot(&bed.project()), after, "the host project changed outside the sync gate");
    assert!(!bed.path("project/later.txt").exists(), "unsynced writes must not reach the host");

    bed.print_timings("vm e2e (secure)");
}

/// yolo-unsafe: the project is mounted writable, /workspace is a bind of it, no overlay, no
/// watcher; the agent's writes reach the host at once, and `sandbox up` says so every time.
#[test]
fn yolo_unsafe_writes_straight_through_without_an_overlay() {
    let mut bed = Bed::new("e2e-unsafe", &["--mode", "yolo-unsafe"]);
    let (r, ready, total) = up_timed(&bed, Duration::from_secs(1200));
    assert_eq!(r.code, 0, "up failed\n{}", r.all());
    assert!(r.stderr.contains("WARNING: yolo-unsafe"), "{}", r.all());
    bed.timings.push(("boot to ssh + boot scripts".into(), ready.unwrap_or(total)));
    bed.timings.push(("first provision".into(), total - ready.unwrap_or(total)));
    let out = bed.vm_ok(
        "findmnt -n -o FSTYPE /workspace; sudo -u openclaw bash -euc 'echo more >> /workspace/a.txt; echo new > /workspace/new.txt'; \
         systemctl is-enabled openclaw-audit.service 2>/dev/null || echo no-watcher; sudo openclaw-sandbox-ctl export-upper 2>&1 || true; pgrep -a bindfs",
    );
    // files the agent creates belong to the host folder's owner (the unit's `$$(stat -c %%u …)`)
    assert!(out.contains(&format!("--create-for-user={HOST_UID} --create-for-group={HOST_GID}")), "{out}");
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(bed.path("project/new.txt")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (HOST_UID, HOST_GID), "a file the agent created is the host user's");
    assert!(out.starts_with("fuse"), "/workspace must be the (bound) id-mapped project mount: {out}");
    assert!(out.contains("no-watcher") && out.contains("has no overlay"), "{out}");
    assert_eq!(std::fs::read_to_string(bed.path("project/a.txt")).unwrap(), "alpha\nmore\n");
    assert_eq!(std::fs::read_to_string(bed.path("project/new.txt")).unwrap(), "new\n");
    let r = bed.time("no-op up", |b| b.run(&["up"], Duration::from_secs(300)));
    assert!(r.stdout.contains("nothing to change") && r.stderr.contains("WARNING: yolo-unsafe"), "{}", r.all());
    let r = bed.time("destroy", |b| b.run(&["destroy", "--yes"], Duration::from_secs(300)));
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(bed.qemu_pid().is_none());
    bed.print_timings("vm e2e (yolo-unsafe)");
}
