#![cfg(feature = "kernel-tests")]
//! Tier 2: the rendered firewall and resolver, loaded for real in a network namespace ("vm")
//! wired over a veth pair to a second namespace ("up") that plays the Internet: an upstream
//! DNS server (dnsmasq with fixed answers for *.example.test) and TCP listeners. Real TCP,
//! UDP and DNS prove what passes and what is dropped; the kernel log (/dev/kmsg) and the
//! resolver log are read back and every line the tests produced must parse into the right
//! event. No packet leaves the namespaces. Needs root, nft, dnsmasq, ip, python3.

use sandbox_core::events::Direction;
use sandbox_core::firewall::{dnsmasq, logparse, nftables, NetworkConfig, NetworkPolicy, ThrottleConfig, Throttler};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One lab at a time: the tests share the kernel log and the nf_log_all_netns switch.
static SERIAL: Mutex<()> = Mutex::new(());
static COUNTER: AtomicU32 = AtomicU32::new(0);

const HELPER: &str = r#"
import socket, sys, threading, time, struct, random
def serve(ports):
    socks = []
    for p in ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", p)); s.listen(16); socks.append(s)
    def loop(s):
        while True:
            c, _ = s.accept()
            try: c.sendall(b"ok\n")
            finally: c.close()
    for s in socks: threading.Thread(target=loop, args=(s,), daemon=True).start()
    print("ready", flush=True)
    time.sleep(300)
def connect(host, port, fam, timeout):
    family = {"4": socket.AF_INET, "6": socket.AF_INET6}[fam]
    try:
        infos = socket.getaddrinfo(host, int(port), family, socket.SOCK_STREAM)
    except socket.gaierror as e:
        print("resolve-failed", e.errno); return
    s = socket.socket(family, socket.SOCK_STREAM); s.settimeout(float(timeout))
    try:
        s.connect(infos[0][4]); data = s.recv(16)
        print("connected" if data == b"ok\n" else "bad-data")
    except socket.timeout: print("timeout")
    except ConnectionRefusedError: print("refused")
    except OSError as e: print("error", e.errno)
def dns(server, name, timeout):
    q = struct.pack(">HHHHHH", random.randint(0, 65535), 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\x00" + struct.pack(">HH", 1, 1)
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(float(timeout))
    try:
        s.sendto(q, (server, 53))
        r, _ = s.recvfrom(512); print("answer rcode", r[3] & 15)
    except socket.timeout: print("timeout")
    except OSError as e: print("error", e.errno)
def udp(sport, dst, dport, src="0.0.0.0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    try: s.bind((src, int(sport)))
    except OSError as e: print("bind-error", e.errno); return
    try: s.sendto(b"x" * 8, (dst, int(dport))); print("sent")
    except OSError as e: print("error", e.errno)
def dnsecho(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    print("ready", flush=True)
    while True:
        q, peer = s.recvfrom(512)
        s.sendto(q[:2] + b"\x81\x80" + q[4:], peer)
cmd = sys.argv[1]
if cmd == "serve": serve([int(p) for p in sys.argv[2:]])
elif cmd == "udp": udp(*sys.argv[2:6])
elif cmd == "dnsecho": dnsecho(*sys.argv[2:4])
elif cmd == "connect": connect(*sys.argv[2:6])
elif cmd == "dns": dns(*sys.argv[2:5])
"#;

fn run(argv: &[&str]) -> std::process::Output {
    Command::new(argv[0]).args(&argv[1..]).output().unwrap_or_else(|e| panic!("cannot run {argv:?}: {e}"))
}

fn must(argv: &[&str]) -> String {
    let out = run(argv);
    assert!(out.status.success(), "{argv:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Reads kernel log records appended after it was opened.
struct Kmsg(std::fs::File);

impl Kmsg {
    fn open() -> Kmsg {
        let mut f = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open("/dev/kmsg").expect("/dev/kmsg");
        f.seek(SeekFrom::End(0)).expect("seek /dev/kmsg");
        Kmsg(f)
    }

    /// Every new record's text (`PRIO,SEQ,TIME,FLAGS;message` as the kernel gives it).
    fn read_new(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 16384];
        for _ in 0..100_000 {
            match self.0.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.push(String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or("").to_string()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue, // overwritten records
                Err(e) => panic!("reading /dev/kmsg: {e}"),
            }
        }
        out
    }
}

/// Two namespaces, a veth pair, an upstream DNS + listeners in "up", the rendered firewall and
/// resolver in "vm". Dropping it kills every process and deletes every namespace.
struct Lab {
    id: String,
    vm: String,
    up: String,
    /// 10.<n>.0.0/24 and fd00:<n>::/64
    n: u32,
    dir: tempfile::TempDir,
    children: Vec<Child>,
    /// Namespaces added after `new` (containers).
    extra_ns: Vec<String>,
    etc_netns: PathBuf,
    old_log_all: String,
    kmsg: Kmsg,
    policy: NetworkPolicy,
    _serial: std::sync::MutexGuard<'static, ()>,
}

impl Lab {
    fn v4(&self, host: u8) -> String {
        format!("10.{}.0.{host}", self.n)
    }
    fn v6(&self, host: u8) -> String {
        format!("fd00:{}::{host}", self.n)
    }

    fn new(extra: impl FnOnce(&mut NetworkConfig)) -> Lab {
        assert_eq!(unsafe { libc::geteuid() }, 0, "the kernel tier runs as root");
        let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let k = COUNTER.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let n = 100 + (pid + k * 37) % 150;
        let id = format!("{}{}", pid % 100_000, k);
        let old_log_all = std::fs::read_to_string("/proc/sys/net/netfilter/nf_log_all_netns").unwrap_or_else(|_| "0".into());
        let dir = tempfile::Builder::new().prefix("ocfw-").tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut lab = Lab {
            vm: format!("ocfw{id}-vm"),
            up: format!("ocfw{id}-up"),
            etc_netns: PathBuf::from(format!("/etc/netns/ocfw{id}-vm")),
            id,
            n,
            dir,
            children: Vec::new(),
            extra_ns: Vec::new(),
            old_log_all,
            kmsg: Kmsg::open(),
            policy: NetworkConfig::default().validate().unwrap(),
            _serial: serial,
        };
        let mut cfg = NetworkConfig {
            presets: vec![],
            allowed_domains: vec!["api.example.test".into(), "*.cdn.example.test".into()],
            allowed_ports: vec![443],
            upstream_dns: Some(vec![lab.v4(2), lab.v6(2)]),
            ntp: false,
            ..Default::default()
        };
        extra(&mut cfg);
        lab.policy = cfg.validate().expect("test policy is valid");
        lab.wire();
        lab
    }

    fn wire(&mut self) {
        std::fs::write("/proc/sys/net/netfilter/nf_log_all_netns", "1").unwrap();
        let (vm, up) = (self.vm.clone(), self.up.clone());
        let (va, ub) = (format!("ocv{}", self.id), format!("ocu{}", self.id));
        must(&["ip", "netns", "add", &vm]);
        must(&["ip", "netns", "add", &up]);
        must(&["ip", "link", "add", &va, "type", "veth", "peer", "name", &ub]);
        must(&["ip", "link", "set", &va, "netns", &vm]);
        must(&["ip", "link", "set", &ub, "netns", &up]);
        must(&["ip", "-n", &vm, "addr", "add", &format!("{}/24", self.v4(1)), "dev", &va]);
        must(&["ip", "-n", &vm, "addr", "add", &format!("{}/64", self.v6(1)), "dev", &va, "nodad"]);
        for h in [2, 3] {
            must(&["ip", "-n", &up, "addr", "add", &format!("{}/24", self.v4(h)), "dev", &ub]);
            must(&["ip", "-n", &up, "addr", "add", &format!("{}/64", self.v6(h)), "dev", &ub, "nodad"]);
        }
        for (ns, dev) in [(&vm, &va), (&up, &ub)] {
            must(&["ip", "-n", ns, "link", "set", "lo", "up"]);
            must(&["ip", "-n", ns, "link", "set", dev, "up"]);
        }
        // The "Internet": an upstream DNS answering *.example.test, and TCP listeners.
        let helper = self.dir.path().join("helper.py");
        std::fs::write(&helper, HELPER).unwrap();
        let upstream_log = self.dir.path().join("upstream.log");
        let mut dns = vec![
            "ip".to_string(),
            "netns".into(),
            "exec".into(),
            up.clone(),
            "dnsmasq".into(),
            "--keep-in-foreground".into(),
            "--no-resolv".into(),
            "--no-hosts".into(),
            "--bind-interfaces".into(),
            format!("--listen-address={},{}", self.v4(2), self.v6(2)),
            format!("--pid-file={}", self.dir.path().join("upstream.pid").display()),
            format!("--log-facility={}", upstream_log.display()),
            "--log-queries".into(),
        ];
        for name in ["api.example.test", "x.api.example.test", "a.cdn.example.test", "cdn.example.test", "evil.example.test"] {
            let host = if name.starts_with("evil") { 3 } else { 2 };
            dns.push(format!("--address=/{name}/{}", self.v4(host)));
            dns.push(format!("--address=/{name}/{}", self.v6(host)));
        }
        self.spawn(&dns);
        self.spawn_ready(&up, &["serve", "443", "9999"]);

        // The "VM": the rendered ruleset, loaded through the in-VM helper, then the resolver.
        let fwdir = self.dir.path().join("etc-firewall");
        let apply = self.apply_helper();
        for (part, text) in [("nftables", nftables::render(&self.policy)), ("dns", self.vm_dnsmasq_conf())] {
            self.helper_step(&apply, &fwdir, &["stage", part], Some(text)).expect("stage");
        }
        let out = self.helper_step(&apply, &fwdir, &["commit"], None).expect("commit");
        assert!(out.contains("reloaded"), "{out}");
        std::fs::create_dir_all(&self.etc_netns).unwrap();
        std::fs::write(self.etc_netns.join("resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n").unwrap();
        let conf = fwdir.join("dnsmasq.conf");
        self.spawn(&[
            "ip".into(),
            "netns".into(),
            "exec".into(),
            vm.clone(),
            "dnsmasq".into(),
            "--keep-in-foreground".into(),
            format!("--conf-file={}", conf.display()),
            format!("--pid-file={}", self.dir.path().join("vm-dns.pid").display()),
        ]);
        self.spawn_ready(&vm, &["serve", "22", "18789", "8080"]);
        // Wait (bounded) until the resolver answers an allowed name through the upstream.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = self.py(&vm, &["dns", "127.0.0.1", "api.example.test", "1"]);
            if r.trim() == "answer rcode 0" {
                break;
            }
            assert!(Instant::now() < deadline, "the VM resolver never answered: {r}; log:\n{}", self.resolver_log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A "container" namespace routed through the VM namespace (like Docker's bridge):
    /// 172.31.<n>.2 / fd01:<n>::2, gateway the VM side; no NAT (the upstream routes back).
    fn add_container(&mut self) -> String {
        let ct = format!("ocfw{}-ct", self.id);
        let (c, b) = (format!("occ{}", self.id), format!("ocb{}", self.id));
        must(&["ip", "netns", "add", &ct]);
        self.extra_ns.push(ct.clone());
        must(&["ip", "link", "add", &c, "type", "veth", "peer", "name", &b]);
        must(&["ip", "link", "set", &c, "netns", &ct]);
        must(&["ip", "link", "set", &b, "netns", &self.vm]);
        let n = self.n;
        must(&["ip", "-n", &ct, "addr", "add", &format!("172.31.{n}.2/24"), "dev", &c]);
        must(&["ip", "-n", &ct, "addr", "add", &format!("fd01:{n}::2/64"), "dev", &c, "nodad"]);
        must(&["ip", "-n", &self.vm, "addr", "add", &format!("172.31.{n}.1/24"), "dev", &b]);
        must(&["ip", "-n", &self.vm, "addr", "add", &format!("fd01:{n}::1/64"), "dev", &b, "nodad"]);
        for (ns, dev) in [(&ct, &c), (&self.vm, &b)] {
            must(&["ip", "-n", ns, "link", "set", "lo", "up"]);
            must(&["ip", "-n", ns, "link", "set", dev, "up"]);
        }
        must(&["ip", "-n", &ct, "route", "add", "default", "via", &format!("172.31.{n}.1")]);
        must(&["ip", "-n", &ct, "-6", "route", "add", "default", "via", &format!("fd01:{n}::1")]);
        must(&["ip", "-n", &self.up, "route", "add", &format!("172.31.{n}.0/24"), "via", &self.v4(1)]);
        must(&["ip", "-n", &self.up, "-6", "route", "add", &format!("fd01:{n}::/64"), "via", &self.v6(1)]);
        must(&["ip", "netns", "exec", &self.vm, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]);
        ct
    }

    fn apply_helper(&self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../provisioning/firewall/openclaw-firewall-apply")
    }

    /// The rendered resolver config, plus a log file this test can read (the VM uses the journal).
    fn vm_dnsmasq_conf(&self) -> String {
        let log = self.dir.path().join("vm-dns.log");
        std::fs::write(&log, "").unwrap();
        std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o666)).unwrap();
        format!("{}log-facility={}\n", dnsmasq::render(&self.policy), log.display())
    }

    fn resolver_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("vm-dns.log")).unwrap_or_default()
    }

    /// Run one step of the in-VM helper inside the "vm" namespace.
    fn helper_step(&self, apply: &Path, fwdir: &Path, args: &[&str], stdin: Option<String>) -> Result<String, String> {
        use std::io::Write;
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.vm, "sh"]).arg(apply).args(args);
        cmd.env("OPENCLAW_FW_DIR", fwdir).env("OPENCLAW_FW_DNS_RESTART", "true");
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or_default().as_bytes()).unwrap();
        drop(input);
        let out = child.wait_with_output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if out.status.success() {
            Ok(text)
        } else {
            Err(text)
        }
    }

    fn spawn(&mut self, argv: &[String]) {
        let child = Command::new(&argv[0]).args(&argv[1..]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        self.children.push(child);
    }

    /// Start the helper's listeners in `ns` and wait for its "ready" line.
    fn spawn_ready(&mut self, ns: &str, args: &[&str]) {
        use std::io::BufRead;
        let helper = self.dir.path().join("helper.py");
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, "/usr/bin/python3"])
            .arg(&helper)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "listeners in {ns} did not start");
        self.children.push(child);
    }

    fn py(&self, ns: &str, args: &[&str]) -> String {
        let helper = self.dir.path().join("helper.py");
        let out = Command::new("ip").args(["netns", "exec", ns, "/usr/bin/python3"]).arg(&helper).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Connect from the VM namespace (name resolution through the VM's resolver).
    fn connect_out(&self, host: &str, port: u16, family: &str) -> String {
        self.py(&self.vm, &["connect", host, &port.to_string(), family, "2"])
    }

    /// Connect from the "Internet" namespace into the VM.
    fn connect_in(&self, addr: &str, port: u16, family: &str) -> String {
        self.py(&self.up, &["connect", addr, &port.to_string(), family, "2"])
    }

    /// Our firewall's kernel log lines since the lab started, from this lab's addresses
    /// (the kernel writes IPv6 uncompressed, so compare parsed addresses).
    fn firewall_log(&mut self) -> Vec<String> {
        let (v4, v6) = (format!("10.{}.0.", self.n), format!("fd00:{}::", self.n));
        let ours = |a: &Option<String>| a.as_deref().is_some_and(|a| a.starts_with(&v4) || a.starts_with(&v6));
        self.kmsg
            .read_new()
            .into_iter()
            .filter(|l| l.contains(logparse::DROP_MARK))
            .filter(|l| logparse::parse_line(l).is_none_or(|d| ours(&d.src) || ours(&d.dst)))
            .collect()
    }

    /// Run the helper in the VM namespace as `uid` (no capabilities, no groups).
    fn py_as(&self, uid: u32, args: &[&str]) -> String {
        let helper = self.dir.path().join("helper.py");
        let reuid = format!("--reuid={uid}");
        let out = Command::new("ip")
            .args(["netns", "exec", &self.vm, "setpriv", &reuid, "--regid=65534", "--clear-groups", "--inh-caps=-all", "/usr/bin/python3"])
            .arg(&helper)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn nft_set(&self, set: &str) -> String {
        must(&["ip", "netns", "exec", &self.vm, "nft", "list", "set", "inet", "openclaw", set])
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in &self.extra_ns {
            let _ = run(&["ip", "netns", "del", ns]);
        }
        let _ = run(&["ip", "netns", "del", &self.vm]);
        let _ = run(&["ip", "netns", "del", &self.up]);
        let _ = std::fs::remove_dir_all(&self.etc_netns);
        let _ = std::fs::write("/proc/sys/net/netfilter/nf_log_all_netns", self.old_log_all.trim());
    }
}

/// Parse every line and find one matching `pred`.
fn parsed(lines: &[String]) -> Vec<logparse::ParsedDenial> {
    lines.iter().map(|l| logparse::parse_line(l).unwrap_or_else(|| panic!("unparsed firewall line: {l}"))).collect()
}

#[test]
fn allowed_domain_on_allowed_port_passes_over_ipv4_and_ipv6() {
    let lab = Lab::new(|_| {});
    assert_eq!(lab.connect_out("api.example.test", 443, "4"), "connected");
    assert_eq!(lab.connect_out("api.example.test", 443, "6"), "connected");
    // *.cdn.example.test: a subdomain passes, the bare name is refused
    assert_eq!(lab.connect_out("a.cdn.example.test", 443, "4"), "connected");
    assert!(lab.connect_out("cdn.example.test", 443, "4").starts_with("resolve-failed"));
    // an exact name does not allow its subdomains
    assert!(lab.connect_out("x.api.example.test", 443, "4").starts_with("resolve-failed"));
    assert!(lab.nft_set("allow4").contains(&lab.v4(2)), "{}", lab.nft_set("allow4"));
    assert!(lab.nft_set("allow6").contains(&lab.v6(2)), "{}", lab.nft_set("allow6"));
}

#[test]
fn allowed_domain_on_another_port_is_dropped_and_logged() {
    let mut lab = Lab::new(|_| {});
    assert_eq!(lab.connect_out("api.example.test", 9999, "4"), "timeout");
    assert_eq!(lab.connect_out("api.example.test", 9999, "6"), "timeout");
    let d = parsed(&lab.firewall_log());
    for dst in [lab.v4(2), lab.v6(2)] {
        assert!(
            d.iter().any(|d| d.direction == Direction::Outbound
                && d.source == "out"
                && d.dst.as_deref() == Some(&dst)
                && d.dport == Some(9999)
                && d.proto.as_deref() == Some("tcp")),
            "no OUT drop for {dst}:9999 in {d:?}"
        );
    }
}

#[test]
fn unlisted_domain_gets_no_answer_and_is_logged() {
    let lab = Lab::new(|_| {});
    let r = lab.connect_out("evil.example.test", 443, "4");
    assert!(r.starts_with("resolve-failed"), "{r}");
    // the upstream would have answered: the refusal is the VM resolver's
    assert!(!std::fs::read_to_string(lab.dir.path().join("upstream.log")).unwrap().contains("evil.example.test"));
    std::thread::sleep(Duration::from_millis(300)); // log-async
    let log = lab.resolver_log();
    let refusals: Vec<_> = log.lines().filter_map(logparse::parse_line).collect();
    assert!(
        refusals.iter().any(|d| d.direction == Direction::Dns && d.domain.as_deref() == Some("evil.example.test") && d.src.as_deref() == Some("127.0.0.1")),
        "no refusal parsed from:\n{log}"
    );
    // every resolver line that is not a refusal is a normal query/forward/reply line
    for line in log.lines().filter(|l| l.contains(" config ")) {
        assert!(logparse::parse_line(line).is_some(), "unparsed refusal: {line}");
    }
}

#[test]
fn hard_coded_addresses_are_dropped_and_logged() {
    let mut lab = Lab::new(|_| {});
    assert_eq!(lab.connect_out(&lab.v4(3), 443, "4"), "timeout");
    assert_eq!(lab.connect_out(&lab.v6(3), 443, "6"), "timeout");
    // DNS straight to the upstream (bypassing the resolver) is dropped with its own prefix
    // (a local drop of UDP shows as EPERM to the sender)
    let r = lab.py(&lab.vm, &["dns", &lab.v4(2), "evil.example.test", "1"]);
    assert!(r == "timeout" || r == "error 1", "{r}");
    let d = parsed(&lab.firewall_log());
    for dst in [lab.v4(3), lab.v6(3)] {
        assert!(d.iter().any(|d| d.source == "out" && d.dst.as_deref() == Some(&dst) && d.dport == Some(443)), "{dst}: {d:?}");
    }
    assert!(
        d.iter().any(|d| d.direction == Direction::Dns
            && d.source == "dns"
            && d.dst.as_deref() == Some(&lab.v4(2))
            && d.dport == Some(53)
            && d.proto.as_deref() == Some("udp")),
        "{d:?}"
    );
}

#[test]
fn inbound_only_gateway_and_ssh() {
    let mut lab = Lab::new(|_| {});
    for (addr, fam) in [(lab.v4(1), "4"), (lab.v6(1), "6")] {
        assert_eq!(lab.connect_in(&addr, 18789, fam), "connected", "{addr} gateway");
        assert_eq!(lab.connect_in(&addr, 22, fam), "connected", "{addr} ssh");
        assert_eq!(lab.connect_in(&addr, 8080, fam), "timeout", "{addr} other port");
    }
    let d = parsed(&lab.firewall_log());
    for dst in [lab.v4(1), lab.v6(1)] {
        assert!(d.iter().any(|d| d.direction == Direction::Inbound && d.dst.as_deref() == Some(&dst) && d.dport == Some(8080)), "{dst}: {d:?}");
    }
    assert!(!d.iter().any(|d| matches!(d.dport, Some(22) | Some(18789))), "allowed ports were logged: {d:?}");
}

#[test]
fn ssh_off_closes_port_22() {
    let lab = Lab::new(|c| c.ssh_inbound = false);
    assert_eq!(lab.connect_in(&lab.v4(1), 22, "4"), "timeout");
    assert_eq!(lab.connect_in(&lab.v4(1), 18789, "4"), "connected");
}

#[test]
fn static_destination_with_port_passes_without_dns() {
    let mut lab = Lab::new(|_| {});
    // not allowed yet
    assert_eq!(lab.connect_out(&lab.v4(3), 9999, "4"), "timeout");
    let dest = format!("{}:9999/tcp", lab.v4(3));
    let mut cfg = NetworkConfig { allowed_destinations: vec![dest], ..Default::default() };
    cfg.presets.clear();
    cfg.allowed_domains = vec!["api.example.test".into()];
    cfg.upstream_dns = Some(vec![lab.v4(2)]);
    cfg.ntp = false;
    let policy = cfg.validate().unwrap();
    // reload without restarting anything else: stage + commit through the helper
    let (apply, fwdir) = (lab.apply_helper(), lab.dir.path().join("etc-firewall"));
    lab.helper_step(&apply, &fwdir, &["stage", "nftables"], Some(nftables::render(&policy))).unwrap();
    lab.helper_step(&apply, &fwdir, &["commit"], None).unwrap();
    assert_eq!(lab.connect_out(&lab.v4(3), 9999, "4"), "connected");
    assert_eq!(lab.connect_out(&lab.v4(3), 443, "4"), "timeout", "only the named port");
    let _ = lab.firewall_log();
}

#[test]
fn a_broken_ruleset_is_refused_and_the_old_one_stays() {
    let lab = Lab::new(|_| {});
    let (apply, fwdir) = (lab.apply_helper(), lab.dir.path().join("etc-firewall"));
    lab.helper_step(&apply, &fwdir, &["stage", "nftables"], Some("table inet openclaw { chain input { nonsense } }\n".into())).unwrap();
    let err = lab.helper_step(&apply, &fwdir, &["commit"], None).unwrap_err();
    assert!(err.contains("does not load"), "{err}");
    assert_eq!(lab.connect_out("api.example.test", 443, "4"), "connected");
    assert_eq!(lab.connect_in(&lab.v4(1), 8080, "4"), "timeout");
    assert_eq!(std::fs::read_to_string(fwdir.join("rules.nft")).unwrap(), nftables::render(&lab.policy));
}

#[test]
fn every_line_of_a_mixed_session_becomes_the_right_throttled_event() {
    let mut lab = Lab::new(|_| {});
    for _ in 0..3 {
        assert_eq!(lab.connect_out(&lab.v4(3), 443, "4"), "timeout");
    }
    assert_eq!(lab.connect_in(&lab.v4(1), 8080, "4"), "timeout");
    assert!(lab.connect_out("evil.example.test", 443, "4").starts_with("resolve-failed"));
    std::thread::sleep(Duration::from_millis(300));
    let mut lines = lab.firewall_log();
    lines.extend(lab.resolver_log().lines().filter(|l| l.contains(" config ")).map(String::from));
    let mut t = Throttler::new(ThrottleConfig::default());
    let now = Instant::now();
    for d in parsed(&lines) {
        assert!(t.observe(d, now).is_none());
    }
    let alerts = t.due(now + Duration::from_secs(10));
    let out: Vec<_> = alerts.iter().filter(|a| a.direction == Direction::Outbound).collect();
    assert_eq!(out.len(), 1, "three connects to one host = one alert: {alerts:?}");
    assert!(out[0].count >= 3, "every SYN (and retransmit) counted: {:?}", out[0]);
    assert_eq!(out[0].dst.as_deref(), Some(lab.v4(3).as_str()));
    assert!(alerts.iter().any(|a| a.direction == Direction::Inbound && a.dport == Some(8080)));
    assert!(alerts.iter().any(|a| a.direction == Direction::Dns && a.domain.as_deref() == Some("evil.example.test")));
}

#[test]
fn container_traffic_is_forwarded_only_to_allowed_destinations() {
    let mut lab = Lab::new(|_| {});
    let ct = lab.add_container();
    // a lookup in the VM fills the allow sets, which cover forwarded traffic as well
    assert_eq!(lab.connect_out("api.example.test", 443, "4"), "connected");
    assert_eq!(lab.connect_out("api.example.test", 443, "6"), "connected");
    let from_ct = |lab: &Lab, addr: &str, port: &str, fam: &str| lab.py(&ct, &["connect", addr, port, fam, "2"]);
    assert_eq!(from_ct(&lab, &lab.v4(2), "443", "4"), "connected");
    assert_eq!(from_ct(&lab, &lab.v6(2), "443", "6"), "connected");
    assert_eq!(from_ct(&lab, &lab.v4(2), "9999", "4"), "timeout");
    assert_eq!(from_ct(&lab, &lab.v4(3), "443", "4"), "timeout");
    assert_eq!(from_ct(&lab, &lab.v6(3), "443", "6"), "timeout");
    let d = parsed(&lab.firewall_log());
    for (dst, port) in [(lab.v4(2), 9999), (lab.v4(3), 443), (lab.v6(3), 443)] {
        assert!(
            d.iter().any(|d| d.source == "fwd" && d.direction == Direction::Outbound && d.dst.as_deref() == Some(&dst) && d.dport == Some(port)),
            "no FWD drop for {dst}:{port}: {d:?}"
        );
    }
}

#[test]
fn an_unprivileged_user_cannot_change_the_firewall() {
    let lab = Lab::new(|_| {});
    let as_nobody = |args: &[&str]| {
        let mut argv = vec!["ip", "netns", "exec", &lab.vm, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"];
        argv.extend_from_slice(args);
        run(&argv)
    };
    let flush = as_nobody(&["nft", "flush", "ruleset"]);
    assert!(!flush.status.success(), "nobody flushed the ruleset");
    let add = as_nobody(&["nft", "add", "element", "inet", "openclaw", "allow4", &format!("{{ {} }}", lab.v4(3))]);
    assert!(!add.status.success(), "nobody added to the allow set");
    let helper = lab.apply_helper();
    let commit = as_nobody(&["sh", helper.to_str().unwrap(), "commit"]);
    assert!(!commit.status.success());
    assert!(String::from_utf8_lossy(&commit.stderr).contains("must run as root"));
    // still enforced
    assert!(!lab.nft_set("allow4").contains(&lab.v4(3)));
    assert_eq!(lab.connect_out(&lab.v4(3), 443, "4"), "timeout");
    assert_eq!(lab.connect_in(&lab.v4(1), 8080, "4"), "timeout");
}

/// A scratch namespace for `nft -c` checks; deleted on drop.
struct ScratchNs(String);

impl Drop for ScratchNs {
    fn drop(&mut self) {
        let _ = run(&["ip", "netns", "del", &self.0]);
    }
}

fn domain_strategy() -> impl proptest::strategy::Strategy<Value = String> {
    proptest::string::string_regex("(\\*\\.)?[a-z0-9]{1,8}(-[a-z0-9]{1,4})?(\\.[a-z]{2,6}){1,3}").unwrap()
}

fn destination_strategy() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    (any::<[u8; 4]>(), any::<u16>(), prop_oneof![Just(""), Just("/tcp"), Just("/udp")], 0u8..4, any::<[u16; 3]>()).prop_map(|(o, port, proto, form, v6)| {
        let port = port.max(1);
        match form {
            0 => format!("{}.{}.{}.{}", o[0].max(1), o[1], o[2], o[3]),
            1 => format!("{}.{}.{}.0/24", o[0].max(1), o[1], o[2]),
            2 => format!("{}.{}.{}.{}:{port}{proto}", o[0].max(1), o[1], o[2], o[3]),
            _ => format!("[fd00:{:x}:{:x}::{:x}]:{port}{proto}", v6[0], v6[1], v6[2].max(1)),
        }
    })
}

#[test]
fn every_valid_policy_renders_files_nft_and_dnsmasq_accept() {
    use proptest::prelude::*;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ns = ScratchNs(format!("ocfw{}-chk", std::process::id() % 100_000));
    must(&["ip", "netns", "add", &ns.0]);
    let dir = tempfile::tempdir().unwrap();
    let checked = std::cell::Cell::new(0u32);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 24, ..ProptestConfig::default() });
    let strategy = (
        proptest::collection::vec(domain_strategy(), 0..12),
        proptest::collection::vec(destination_strategy(), 0..6),
        proptest::collection::vec(1u16..=65535, 0..4),
        proptest::sample::subsequence(vec!["llm", "github", "npm", "pypi", "telegram", "debian", "ubuntu"], 0..4),
        any::<(bool, bool, bool, bool)>(),
        1u16..=65535,
        proptest::collection::vec(1u16..=65535, 0..3),
    );
    runner
        .run(&strategy, |(domains, dests, ports, presets, (ssh, ntp, tailscale, v6_upstream), gateway, host_ports)| {
            let cfg = NetworkConfig {
                gateway_port: gateway,
                ssh_inbound: ssh,
                allowed_ports: ports,
                presets: presets.into_iter().map(String::from).collect(),
                allowed_domains: domains,
                allowed_destinations: dests,
                upstream_dns: Some(if v6_upstream { vec!["192.168.5.3".into(), "fd00::53".into()] } else { vec!["192.168.5.3".into()] }),
                ntp,
                tailscale,
                host_ports,
                ..Default::default()
            };
            let Ok(policy) = cfg.validate() else { return Ok(()) }; // e.g. gateway 22 with ssh on
            checked.set(checked.get() + 1);
            let rules = dir.path().join("rules.nft");
            std::fs::write(&rules, nftables::render(&policy)).unwrap();
            let out = run(&["ip", "netns", "exec", &ns.0, "nft", "-c", "-f", rules.to_str().unwrap()]);
            prop_assert!(out.status.success(), "nft -c rejected:\n{}\n{}", String::from_utf8_lossy(&out.stderr), nftables::render(&policy));
            let conf = dir.path().join("dnsmasq.conf");
            std::fs::write(&conf, dnsmasq::render(&policy)).unwrap();
            let out = run(&["dnsmasq", "--test", &format!("--conf-file={}", conf.display())]);
            prop_assert!(out.status.success(), "dnsmasq --test rejected:\n{}\n{}", String::from_utf8_lossy(&out.stderr), dnsmasq::render(&policy));
            Ok(())
        })
        .unwrap();
    assert!(checked.get() >= 12, "only {} of 24 generated policies were valid", checked.get());
}

/// A user's uid in this machine's passwd (the VM namespace shares it).
fn uid_of(user: &str) -> u32 {
    must(&["id", "-u", user]).trim().parse().unwrap_or_else(|_| panic!("no uid for {user}"))
}

/// Issue 13 (S2): Lima sets net.ipv4.ip_unprivileged_port_start=0, so any user can bind the
/// DHCP, DNS and NTP ports. Sending from them must not open a side door: dropped and logged.
#[test]
fn issue13_unprivileged_user_on_dhcp_dns_ntp_source_ports_is_dropped_and_logged() {
    let mut lab = Lab::new(|c| c.ntp = true);
    must(&["ip", "netns", "exec", &lab.vm, "sysctl", "-q", "-w", "net.ipv4.ip_unprivileged_port_start=0"]);
    // a default route, so a broadcast and any address are routable, as in the VM
    must(&["ip", "-n", &lab.vm, "route", "add", "default", "via", &lab.v4(2)]);
    let cases: Vec<(u16, String, u16)> = vec![
        (68, lab.v4(3), 67),
        (68, lab.v4(2), 67),
        (68, "255.255.255.255".into(), 67),
        (53, lab.v4(3), 9999),
        (53, lab.v4(3), 67),
        (123, lab.v4(3), 9999),
        (123, lab.v4(3), 443),
    ];
    for (sport, dst, dport) in &cases {
        // bound to the VM's address: the resolver already listens on 127.0.0.1:53
        let r = lab.py_as(65534, &["udp", &sport.to_string(), dst, &dport.to_string(), &lab.v4(1)]);
        // the bind must work (that is the hole Lima's sysctl opens); the send is refused locally
        assert_eq!(r, "error 1", "uid 65534 udp :{sport} -> {dst}:{dport}");
    }
    let d = parsed(&lab.firewall_log());
    for (sport, dst, dport) in &cases {
        assert!(
            d.iter().any(|d| d.direction == Direction::Outbound
                && d.source == "out"
                && d.dst.as_deref() == Some(dst.as_str())
                && d.dport == Some(*dport)
                && d.proto.as_deref() == Some("udp")),
            "no OPENCLAW-DROP-OUT for udp :{sport} -> {dst}:{dport} in {d:?}"
        );
    }
    // from port 53 to port 53: the DNS catch-all drops it (OPENCLAW-DROP-DNS)
    assert_eq!(lab.py_as(65534, &["udp", "53", &lab.v4(3), "53", &lab.v4(1)]), "error 1");
    let d = parsed(&lab.firewall_log());
    assert!(d.iter().any(|d| d.direction == Direction::Dns && d.dst.as_deref() == Some(lab.v4(3).as_str()) && d.dport == Some(53)), "{d:?}");
    // the time daemon's user still reaches NTP
    assert_eq!(lab.py_as(uid_of("systemd-timesync"), &["udp", "40123", &lab.v4(3), "123"]), "sent");
}

/// Issue 13 (B3): on qemu Lima DNATs 192.168.5.3:53 to 192.168.5.2:<port> in the guest's nat
/// OUTPUT chain (lima:pkg/cidata/cidata.TEMPLATE.d/boot.Linux/09-host-dns-setup.sh, with
/// iptables). The same DNAT (nft, same hook and match) is added here: the resolver's query is
/// accepted by its original destination; any other user's is dropped and logged.
#[test]
fn issue13_resolver_query_dnated_like_lima_is_accepted_and_others_are_dropped() {
    let mut lab = Lab::new(|c| {
        let mut up = c.upstream_dns.clone().unwrap_or_default();
        up.push("192.168.5.3".into());
        c.upstream_dns = Some(up);
    });
    let (vm, up, target) = (lab.vm.clone(), lab.up.clone(), lab.v4(3));
    lab.spawn_ready(&up, &["dnsecho", &target, "5353"]);
    // route 192.168.5.3 the way the VM would (it is not on the lab's link)
    must(&["ip", "-n", &vm, "route", "add", "192.168.5.3/32", "via", &lab.v4(2)]);
    let nat = format!(
        "table ip limadns {{\n  chain output {{\n    type nat hook output priority -100;\n    ip daddr 192.168.5.3 udp dport 53 dnat to {target}:5353\n    ip daddr 192.168.5.3 tcp dport 53 dnat to {target}:5353\n  }}\n}}\n"
    );
    let file = lab.dir.path().join("limadns.nft");
    std::fs::write(&file, nat).unwrap();
    must(&["ip", "netns", "exec", &vm, "nft", "-f", file.to_str().unwrap()]);
    let resolver = uid_of(nftables::RESOLVER_USER);
    assert_eq!(lab.py_as(resolver, &["dns", "192.168.5.3", "api.example.test", "2"]), "answer rcode 0");
    let other = lab.py_as(65534, &["dns", "192.168.5.3", "api.example.test", "1"]);
    assert!(other == "timeout" || other == "error 1", "{other}");
    // straight to the NAT target on another port is not DNS to the resolver's upstream either
    assert_eq!(lab.py_as(resolver, &["udp", "40000", &target, "5353"]), "error 1");
    let d = parsed(&lab.firewall_log());
    assert!(
        d.iter().any(|d| d.direction == Direction::Dns && d.dst.as_deref() == Some(target.as_str()) && d.dport == Some(5353)),
        "no OPENCLAW-DROP-DNS for the other user's NATed query: {d:?}"
    );
}
