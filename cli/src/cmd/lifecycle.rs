//! `up`, `down`, `destroy`, `status`, `ssh`, `restart`, `lima-config`.

use crate::context::Ctx;
use crate::exit;
use crate::render;
use sandbox_core::events::VmState;
use sandbox_core::lima::HostOs;
use sandbox_core::provision::layout;
use sandbox_core::sandbox::{DownOutcome, Status};
use sandbox_core::sync::queue::SyncRoot;
use std::io::{IsTerminal, Write};

pub async fn up(ctx: &Ctx) -> anyhow::Result<u8> {
    ctx.ensure_dirs()?;
    let sb = ctx.sandbox()?;
    let follower = render::follow(sb.bus());
    let result = sb.up().await;
    follower.finish().await;
    let report = result?;
    let name = &sb.profile().name;
    if !report.reconfigured.is_empty() {
        println!("Applied the profile's changes to `{name}`: {}.", report.reconfigured.join("; "));
    }
    match (report.created, report.started) {
        (true, _) => println!("Created and started `{name}`."),
        (false, true) => println!("Started `{name}`."),
        (false, false) => println!("`{name}` was already running."),
    }
    if report.changed.is_empty() {
        println!("Provisioning: nothing to change.");
    } else {
        println!("Provisioning changed: {}", report.changed.join(", "));
    }
    if !report.secrets_written.is_empty() {
        println!("Secrets in the VM (tmpfs): {}", report.secrets_written.join(", "));
    }
    if !report.secrets_unset.is_empty() {
        eprintln!("warning: not set in the keychain: {} (set them with `sandbox secrets set NAME`)", report.secrets_unset.join(", "));
    }
    if let Some(e) = &report.secrets_error {
        eprintln!("warning: {e}");
    }
    // report.warnings were shown as they came (notices on the event bus).
    if sb.profile().features.gateway {
        println!("Gateway: http://127.0.0.1:{}", sb.profile().gateway_port);
    }
    Ok(exit::OK)
}

pub async fn down(ctx: &Ctx, force: bool) -> anyhow::Result<u8> {
    let sb = ctx.sandbox()?;
    let follower = render::follow(sb.bus());
    let result = sb.down(force).await;
    follower.finish().await;
    let name = &sb.profile().name;
    match result? {
        DownOutcome::Stopped => println!("Stopped `{name}`."),
        DownOutcome::AlreadyStopped => println!("`{name}` is already stopped."),
        DownOutcome::Absent => println!("`{name}` does not exist; nothing to stop."),
    }
    Ok(exit::OK)
}

pub async fn destroy(ctx: &Ctx, yes: bool) -> anyhow::Result<u8> {
    let sb = ctx.sandbox()?;
    let name = sb.profile().name.clone();
    if !yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("error: `sandbox destroy` deletes the VM `{name}` and everything in it; confirm with --yes when not on a terminal");
            return Ok(exit::USAGE);
        }
        eprint!("Delete the VM `{name}` and everything inside it, including agent changes not yet synced? Your host folders are not touched. [y/N] ");
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing deleted.");
            return Ok(exit::OK);
        }
    }
    if sb.destroy().await? {
        println!("Deleted `{name}`.");
    } else {
        println!("`{name}` does not exist; nothing to delete.");
    }
    Ok(exit::OK)
}

pub async fn reset(ctx: &Ctx, yes: bool, root: SyncRoot) -> anyhow::Result<u8> {
    let sb = ctx.sandbox()?;
    sb.root_folder(root)?;
    let pending = sb.overlay_status_in(root).await?.map(|s| s.upper_entries).unwrap_or(0);
    let (workspace, folder) = match root {
        SyncRoot::Project => (layout::WORKSPACE, "your project"),
        SyncRoot::Vault => (layout::VAULT_WORKSPACE, "your vault"),
    };
    if !yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("error: `sandbox reset` discards the agent's unsynced changes; confirm with --yes when not on a terminal");
            return Ok(exit::USAGE);
        }
        eprint!("Discard the agent's {pending} unsynced change(s) in {workspace}? Your host folders are not touched. [y/N] ");
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing discarded.");
            return Ok(exit::OK);
        }
    }
    sb.reset_overlay_in(root).await?;
    println!("Discarded the agent's changes; {workspace} shows {folder} as it is.");
    Ok(exit::OK)
}

/// Print every core event until Ctrl-C: the VM's state (whoever changes it) and, while it
/// runs, firewall denials, the agent's review requests and writes, pairing requests and yolo
/// applies (core's one follower, `Sandbox::watch`). Decisions stay in core; this only prints.
pub async fn watch(ctx: &Ctx, json: bool) -> anyhow::Result<u8> {
    let sb = ctx.sandbox()?;
    let mut rx = sb.bus().subscribe();
    let printer = tokio::spawn(async move {
        while let Ok(event) = rx.recv().await {
            if json {
                println!("{}", serde_json::to_string(&event).unwrap_or_default());
            } else {
                println!("{}", crate::render::line(&event));
            }
        }
    });
    // core's one follower (the same the app runs), until Ctrl-C
    let result = sb
        .watch(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    printer.abort();
    result?;
    Ok(exit::OK)
}

fn state_word(s: VmState) -> &'static str {
    match s {
        VmState::Absent => "not created",
        VmState::Stopped => "stopped",
        VmState::Starting => "starting",
        VmState::Running => "running",
        VmState::Stopping => "stopping",
        VmState::Broken => "BROKEN (recover with `sandbox down --force`)",
        VmState::Unknown => "unknown",
    }
}

fn print_status(s: &Status) {
    println!("instance: {}", s.instance);
    println!("state:    {}", state_word(s.state));
    println!("mode:     {}", s.mode.as_str());
    if let (Some(c), Some(m)) = (s.cpus, s.memory_bytes) {
        println!("size:     {c} CPUs, {} GiB memory", m >> 30);
    }
    println!("mounts:");
    for m in &s.mounts {
        let how = if m.copied {
            "copied into the VM, kept current"
        } else if m.writable {
            "writable"
        } else {
            "read-only"
        };
        println!("  {} -> {} ({how})", m.host.display(), m.guest);
    }
    for (o, workspace) in [(&s.overlay, layout::WORKSPACE), (&s.vault_overlay, layout::VAULT_WORKSPACE)] {
        if let Some(o) = o {
            println!(
                "overlay:  {} unsynced entr{} in {workspace}, audit watcher {}, {} request(s) from the agent",
                o.upper_entries,
                if o.upper_entries == 1 { "y" } else { "ies" },
                o.watcher,
                o.pending_requests
            );
        }
    }
    println!("review:   {} sync request(s) waiting{}", s.pending_requests, if s.pending_requests > 0 { " (`sandbox sync list`)" } else { "" });
    println!("ports:");
    for f in &s.forwarded_ports {
        println!("  {}: guest {} -> {}", f.name, f.guest_port, f.host);
    }
    if let Some(g) = &s.gateway {
        let word = if g.healthy { "answering" } else { "NOT answering" };
        println!("Gateway: {} {word} ({})", g.url, g.detail);
    }
    println!("lima:     {}", s.lima_home.display());
    if let Some(dir) = &s.instance_in_user_lima_home {
        eprintln!("note: {}", sandbox_core::sandbox::user_lima_home_note(&s.instance, dir, &s.lima_home));
    }
}

pub async fn status(ctx: &Ctx, json: bool) -> anyhow::Result<u8> {
    let sb = ctx.sandbox()?;
    let s = sb.status().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print_status(&s);
    }
    Ok(exit::OK)
}

pub async fn ssh(ctx: &Ctx, argv: Vec<String>) -> anyhow::Result<u8> {
    let sb = ctx.sandbox()?;
    let code = sb.ssh(&argv).await?;
    Ok(u8::try_from(code).unwrap_or(exit::ERROR))
}

pub async fn restart(ctx: &Ctx) -> anyhow::Result<u8> {
    let sb = ctx.sandbox()?;
    sb.restart_gateway().await?;
    println!("Restarted the gateway in `{}`.", sb.profile().name);
    Ok(exit::OK)
}

pub fn gateway_settings(ctx: &Ctx) -> anyhow::Result<u8> {
    let profile = ctx.load_profile()?;
    let a = &profile.agent;
    let out = serde_json::json!({
        "openclaw_version": a.openclaw_version,
        "node_version": a.node_version,
        "npm_version": a.npm_version,
        "gateway_port": profile.gateway_port,
        "settings": sandbox_core::agent_runtime::render::sandbox_settings(&profile),
        "dual_container_settings": sandbox_core::agent_runtime::render::dual_container_settings(&profile),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(exit::OK)
}

/// The host `--for` names (`lima-config`, `firewall render`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForHost {
    Macos,
    Linux,
}

impl ForHost {
    /// The named host, or this one.
    pub fn resolve(host: Option<ForHost>) -> HostOs {
        match host {
            Some(ForHost::Macos) => HostOs::MacOs,
            Some(ForHost::Linux) => HostOs::Linux,
            None => HostOs::current(),
        }
    }
}

pub async fn lima_config(ctx: &Ctx, for_host: Option<ForHost>) -> anyhow::Result<u8> {
    let profile = ctx.load_profile()?;
    let sb =
        sandbox_core::sandbox::Sandbox::new(profile, ctx.paths.clone(), sandbox_core::lima::Limactl::at("limactl"), sandbox_core::events::EventBus::default());
    print!("{}", sb.lima_yaml_for(ForHost::resolve(for_host))?);
    Ok(exit::OK)
}
