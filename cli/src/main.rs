//! `sandbox`: the OpenClaw Sandbox command line.

mod cmd;
mod context;
mod exit;

use clap::{Parser, Subcommand};
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
    /// Print where state is kept.
    Paths,
    /// The sync gate: check, review, apply and undo the agent's changes.
    #[command(subcommand)]
    Sync(cmd::sync::SyncCmd),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = context::Ctx::new(cli.profile);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    let result: anyhow::Result<u8> = rt.block_on(async move {
        match cli.command {
            Command::Paths => {
                println!("profile: {}", ctx.profile_path.display());
                println!("data:    {}", ctx.paths.data_dir.display());
                println!("logs:    {}", ctx.paths.log_dir.display());
                Ok(exit::OK)
            }
            Command::Sync(c) => cmd::sync::run(&ctx, c).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
