//! `sandbox firewall …`: render the VM's ruleset and resolver config, list presets, parse
//! denial logs into alerts, and allow/deny domains or addresses in the profile.

use crate::context::Ctx;
use crate::exit;
use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use sandbox_core::events::{BlockedConnection, Direction, Event};
use sandbox_core::firewall::{self, dnsmasq, edit, nftables, presets, Change, NetworkPolicy, Target, ThrottleConfig, Throttler};

#[derive(Subcommand, Debug)]
pub enum FirewallCmd {
    /// Print the files the VM loads: the nftables ruleset and the resolver (dnsmasq) config.
    Render {
        /// Print only one of them.
        #[arg(long, value_enum)]
        part: Option<Part>,
        /// Render for this host's VM (macos: vz, DNS upstream 192.168.5.2; linux: qemu,
        /// 192.168.5.3 through Lima's DNAT). Default: this host.
        #[arg(long = "for", value_enum, value_name = "macos|linux")]
        for_host: Option<crate::cmd::lifecycle::ForHost>,
    },
    /// List the domain presets `network.presets` can name.
    Presets,
    /// Read kernel/resolver log lines on stdin (journal JSON, dmesg, syslog) and print the
    /// denials in them, de-duplicated into alerts with counts.
    ParseLog {
        /// One JSON event per line (`{"type":"firewall_blocked",…}`).
        #[arg(long)]
        json: bool,
        /// One entry per denial line instead of de-duplicated alerts.
        #[arg(long)]
        each: bool,
    },
    /// Show connections the VM's firewall blocked and names its resolver refused,
    /// de-duplicated into alerts with counts.
    Log {
        /// Keep following (reconnects when the VM restarts) until interrupted.
        #[arg(long, short)]
        follow: bool,
        /// One JSON event per line.
        #[arg(long)]
        json: bool,
        /// How far back, in journalctl's words (`-1h`, `today`, `2026-11-27 10:00`).
        #[arg(long, default_value = "-1h", allow_hyphen_values = true)]
        since: String,
    },
    /// Allow a domain (`api.example.com`, `*.example.com`) or an address
    /// (`10.1.2.3`, `10.0.0.0/8`, `10.1.2.3:5432/tcp`, `[fd00::1]:443`).
    Allow { target: String },
    /// Remove a domain or address that `allow` (or the profile) added.
    Deny { target: String },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Nftables,
    Dns,
}

pub async fn run(ctx: &Ctx, cmd: FirewallCmd) -> anyhow::Result<u8> {
    match cmd {
        FirewallCmd::Render { part, for_host } => render(ctx, part, crate::cmd::lifecycle::ForHost::resolve(for_host)),
        FirewallCmd::Presets => {
            for p in presets::PRESETS {
                println!("{:<9} {}", p.name, p.about);
                println!("{:<9} {}", "", p.domains.join(", "));
            }
            Ok(exit::OK)
        }
        FirewallCmd::ParseLog { json, each } => parse_log(json, each).await,
        FirewallCmd::Log { follow, json, since } => log(ctx, follow, json, &since).await,
        FirewallCmd::Allow { target } => change(ctx, Change::Allow, &target).await,
        FirewallCmd::Deny { target } => change(ctx, Change::Deny, &target).await,
    }
}

/// The validated policy from the profile (the default policy when there is no profile yet).
/// Profile problems are reported exactly as every other verb reports them.
fn load_policy(ctx: &Ctx) -> anyhow::Result<Result<NetworkPolicy, u8>> {
    if !ctx.profile_path.exists() {
        eprintln!("note: no profile at {}; using the default [network] policy", ctx.profile_path.display());
        return Ok(Ok(sandbox_core::firewall::NetworkConfig::default().validate().expect("the default policy is valid")));
    }
    Ok(Ok(ctx.load_profile()?.network_policy))
}

async fn log(ctx: &Ctx, follow: bool, json: bool, since: &str) -> anyhow::Result<u8> {
    let sb = ctx.sandbox()?;
    let vm = sb.require_vm().await?;
    if !follow {
        let alerts = firewall::follow::recent(&vm, since).await?;
        for a in &alerts {
            print_alert(a, json);
        }
        if !json {
            eprintln!("{} alert(s) since {since}", alerts.len());
        }
        return Ok(exit::OK);
    }
    let bus = sandbox_core::events::EventBus::default();
    let mut rx = bus.subscribe();
    let printer = tokio::spawn(async move {
        while let Ok(event) = rx.recv().await {
            if let Event::FirewallBlocked(b) = event {
                print_alert(&b, json);
            }
        }
    });
    let open = |cursor: Option<String>| {
        let vm = vm.clone();
        async move {
            use sandbox_core::vm::Vm;
            vm.exec_stream(&firewall::follow::journal_follow_argv(cursor.as_deref())).await.map_err(std::io::Error::other)
        }
    };
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    firewall::follow::follow_reconnecting(open, &bus, ThrottleConfig::default(), std::time::Duration::from_secs(30), stop).await;
    printer.abort();
    Ok(exit::OK)
}

fn render(ctx: &Ctx, part: Option<Part>, host: sandbox_core::lima::HostOs) -> anyhow::Result<u8> {
    let policy = match load_policy(ctx)? {
        Ok(p) => p.for_host(host),
        Err(code) => return Ok(code),
    };
    match part {
        Some(Part::Nftables) => print!("{}", nftables::render(&policy)),
        Some(Part::Dns) => print!("{}", dnsmasq::render(&policy)),
        None => {
            println!("# ===== /etc/openclaw/firewall/rules.nft =====");
            print!("{}", nftables::render(&policy));
            println!("\n# ===== /etc/openclaw/firewall/dnsmasq.conf =====");
            print!("{}", dnsmasq::render(&policy));
        }
    }
    Ok(exit::OK)
}

async fn parse_log(json: bool, each: bool) -> anyhow::Result<u8> {
    use std::io::BufRead;
    let mut input = std::io::stdin().lock();
    let mut throttler = Throttler::new(ThrottleConfig { max_keys: usize::MAX, ..Default::default() });
    let now = std::time::Instant::now();
    let (mut seen, mut denials) = (0u64, 0u64);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf).context("cannot read stdin")? == 0 {
            break;
        }
        seen += 1;
        // invalid UTF-8 is replaced, not fatal: a log stream can carry any bytes
        if let Some(d) = firewall::parse_line(&String::from_utf8_lossy(&buf)) {
            denials += 1;
            if each {
                print_alert(&d.to_blocked(1), json);
            } else {
                throttler.observe(d, now);
            }
        }
    }
    for a in throttler.drain() {
        print_alert(&a, json);
    }
    eprintln!("{denials} denial(s) in {seen} line(s)");
    Ok(exit::OK)
}

fn print_alert(b: &BlockedConnection, json: bool) {
    if json {
        println!("{}", serde_json::to_string(&Event::FirewallBlocked(b.clone())).expect("events serialize"));
    } else {
        println!("{}", describe(b));
    }
}

/// One human line per alert, e.g. `blocked outbound tcp 10.0.0.1 → 203.0.113.7:443 (×3)`.
pub fn describe(b: &BlockedConnection) -> String {
    let times = if b.count > 1 { format!(" (×{})", b.count) } else { String::new() };
    let or_q = |s: &Option<String>| s.clone().unwrap_or_else(|| "?".into());
    let dst = match (b.dst.as_deref(), b.dport) {
        (Some(d), Some(p)) if d.contains(':') => format!("[{d}]:{p}"),
        (Some(d), Some(p)) => format!("{d}:{p}"),
        (Some(d), None) => d.to_string(),
        (None, _) => "?".into(),
    };
    let proto = b.proto.as_deref().unwrap_or("ip");
    match b.direction {
        Direction::Dns if b.domain.is_some() => {
            format!("refused DNS name {}{}{times}", or_q(&b.domain), b.src.as_ref().map(|s| format!(" (asked by {s})")).unwrap_or_default())
        }
        Direction::Dns => format!("blocked DNS to a foreign server {proto} {} → {dst}{times}", or_q(&b.src)),
        Direction::Inbound => format!("blocked inbound {proto} {} → {dst}{times}", or_q(&b.src)),
        Direction::Outbound => format!("blocked outbound {proto} {} → {dst}{times}", or_q(&b.src)),
    }
}

async fn change(ctx: &Ctx, which: Change, text: &str) -> anyhow::Result<u8> {
    let target = match Target::parse(text) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    // core's use case: a running VM gets the new rules at once; otherwise they apply at the
    // next `sandbox up`. A profile that does not load as a whole can still be edited (the same
    // edit and audit, with no VM to reload).
    let changed = match ctx.sandbox() {
        Ok(sb) => sb.firewall_change(which, &target).await,
        Err(_) => firewall::change(&ctx.profile_path, &ctx.paths.log_dir, which, &target, None).await,
    };
    let outcome = match changed {
        Ok(o) => o,
        Err(firewall::FirewallError::Edit(e @ edit::EditError::NotListed { .. })) => {
            eprintln!("error: {e}");
            return Ok(exit::CONFLICT);
        }
        Err(e) => return Err(e.into()),
    };
    let verb = if which == Change::Allow { "allowed" } else { "removed" };
    if !outcome.changed {
        println!("{target} is already allowed in {}", ctx.profile_path.display());
        return Ok(exit::OK);
    }
    println!("{verb} {target} in network.{} of {}", target.field(), ctx.profile_path.display());
    if which == Change::Allow {
        if let Target::Domain(_) = target {
            let ports: Vec<String> = outcome.policy.allowed_ports.iter().map(|p| p.to_string()).collect();
            println!("reachable on TCP port(s) {} (network.allowed_ports)", ports.join(", "));
        }
    }
    if outcome.reloaded {
        println!("the running VM's firewall and resolver were reloaded");
    } else {
        println!("the change applies at the next `sandbox up`");
    }
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_read_naturally() {
        let b = BlockedConnection {
            direction: Direction::Outbound,
            proto: Some("tcp".into()),
            src: Some("10.0.0.1".into()),
            dst: Some("fd00::3".into()),
            dport: Some(443),
            domain: None,
            count: 3,
        };
        assert_eq!(describe(&b), "blocked outbound tcp 10.0.0.1 → [fd00::3]:443 (×3)");
        let d = BlockedConnection {
            direction: Direction::Dns,
            proto: None,
            src: Some("127.0.0.1".into()),
            dst: None,
            dport: None,
            domain: Some("evil.example.test".into()),
            count: 1,
        };
        assert_eq!(describe(&d), "refused DNS name evil.example.test (asked by 127.0.0.1)");
    }
}
