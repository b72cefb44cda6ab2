//! `sandbox`: the OpenClaw Sandbox command line.

mod cmd;
mod context;
mod exit;
mod mcp;
mod render;

use clap::{Parser, Subcommand};
use sandbox_core::profile::ProfileError;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "sandbox", version, about = "Run AI agents in a hardened Lima VM, with a gate on everything they change")]
struct Cli {
    /// Use this profile file instead of the default one.
    #[arg(long, global = true, value_name = "PATH")]
    profile: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create the profile (a wizard on a terminal; --non-interactive for scripts).
    Init(cmd::init::InitArgs),
    /// Create or start the VM and provision it (idempotent).
    Up,
    /// Stop the VM.
    Down {
        /// Kill the VM instead of shutting it down (the recovery for a Broken VM).
        #[arg(long, short)]
        force: bool,
    },
    /// Delete the VM and its disk (host folders are not touched).
    Destroy {
        /// Do not ask.
        #[arg(long, short)]
        yes: bool,
    },
    /// Show the VM's state, mounts, mode and forwarded ports.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Open a shell in the VM, or run a command: sandbox ssh -- CMD...
    Ssh {
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Restart the OpenClaw gateway service in the VM.
    Restart,
    /// Check that everything the sandbox needs is in place.
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Print the lima.yaml rendered from the profile.
    LimaConfig {
        /// Render for this host (macos: vz + virtiofs; linux: qemu + 9p). Default: this host.
        #[arg(long = "for", value_enum, value_name = "macos|linux")]
        for_host: Option<cmd::lifecycle::ForHost>,
    },
    /// Print what `sandbox up` installs and enforces for the OpenClaw gateway: the pinned
    /// versions and the settings merged into the agent's openclaw.json (JSON).
    GatewaySettings,
    /// Serve MCP on stdio for agents (status, up, down, exec, validate, …; never approvals);
    /// `sandbox mcp connect` adds this server to Claude Desktop, Cursor and VS Code.
    Mcp(cmd::mcp_connect::McpArgs),
    /// Print where state is kept.
    Paths,
    /// Network containment: render rules, parse denial logs, allow/deny destinations.
    Firewall {
        #[command(subcommand)]
        cmd: cmd::firewall::FirewallCmd,
    },
    /// Manage secrets: OS keychain on the host, tmpfs files in the VM.
    Secrets {
        #[command(subcommand)]
        cmd: cmd::secrets::SecretsCmd,
    },
    /// Scan files or directories for secrets (exit 3 when anything is found).
    Scan(cmd::scan::ScanCmd),
    /// The sync gate: bring the agent's changes home (`sandbox sync [--auto]`), review, apply, undo.
    Sync(cmd::sync::SyncArgs),
    /// Follow the sandbox: state changes, the agent's review requests, writes in /workspace,
    /// blocked connections — one line per event (JSON with --json) until interrupted.
    Watch {
        #[arg(long)]
        json: bool,
    },
    /// Telegram DM pairing: list pending requests, approve a code (the user's call only).
    Pairing {
        #[command(subcommand)]
        cmd: cmd::pairing::PairingCmd,
    },
    /// Discard everything the agent wrote in the VM's /workspace (asks; --yes to skip).
    Reset {
        #[arg(long, short)]
        yes: bool,
        /// Which overlay: `project` (/workspace) or `vault` (/workspace-obsidian).
        #[arg(long, default_value = "project", value_name = "project|vault")]
        root: sandbox_core::sync::queue::SyncRoot,
    },
}

/// Exit code for an error: conflicts are 4, everything else 1.
fn code_for(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<ProfileError>() {
        Some(ProfileError::Exists { .. }) => exit::CONFLICT,
        _ => exit::ERROR,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // warnings (and more with SANDBOX_LOG=info|debug) to stderr, through core's redactor
    sandbox_core::secrets::redact_log::init_stderr();
    let ctx = context::Ctx::new(cli.profile);
    let ctx_profile = ctx.profile_path.clone();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    let result: anyhow::Result<u8> = rt.block_on(async move {
        use cmd::lifecycle;
        match cli.command {
            Command::Init(a) => cmd::init::run(&ctx, a).await,
            Command::Up => lifecycle::up(&ctx).await,
            Command::Down { force } => lifecycle::down(&ctx, force).await,
            Command::Destroy { yes } => lifecycle::destroy(&ctx, yes).await,
            Command::Status { json } => lifecycle::status(&ctx, json).await,
            Command::Ssh { command } => lifecycle::ssh(&ctx, command).await,
            Command::Restart => lifecycle::restart(&ctx).await,
            Command::Doctor { json } => cmd::doctor::run(&ctx, json).await,
            Command::LimaConfig { for_host } => lifecycle::lima_config(&ctx, for_host).await,
            Command::GatewaySettings => lifecycle::gateway_settings(&ctx),
            Command::Mcp(cmd::mcp_connect::McpArgs { cmd: Some(c) }) => cmd::mcp_connect::run(c),
            Command::Mcp(cmd::mcp_connect::McpArgs { cmd: None }) => {
                let api = sandbox_core::agent::AgentApi::new(ctx.paths.clone(), ctx.profile_path.clone(), sandbox_core::events::EventBus::default());
                mcp::serve(api).await?;
                Ok(exit::OK)
            }
            Command::Paths => {
                println!("profile: {}", ctx.profile_path.display());
                println!("data:    {}", ctx.paths.data_dir.display());
                println!("logs:    {}", ctx.paths.log_dir.display());
                println!("lima:    {}", sandbox_core::paths::lima_home().display());
                Ok(exit::OK)
            }
            Command::Firewall { cmd } => cmd::firewall::run(&ctx, cmd).await,
            Command::Secrets { cmd } => cmd::secrets::run(&ctx, cmd).await,
            Command::Scan(c) => cmd::scan::run(&ctx, c).await,
            Command::Sync(a) => cmd::sync::run_args(&ctx, a).await,
            Command::Pairing { cmd } => cmd::pairing::run(&ctx, cmd).await,
            Command::Reset { yes, root } => lifecycle::reset(&ctx, yes, root).await,
            Command::Watch { json } => lifecycle::watch(&ctx, json).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Errors can carry remote output: they pass core's redactor (the door), which knows
            // the profile's stored values too.
            let names =
                sandbox_core::secrets::profile_index::read_names(&ctx_profile).map(|n| n.iter().map(|x| x.to_string()).collect::<Vec<_>>()).unwrap_or_default();
            sandbox_core::secrets::redact::load_into_door(&names);
            eprintln!("error: {}", sandbox_core::redact::door().redact(&format!("{e:#}")));
            ExitCode::from(code_for(&e))
        }
    }
}
