//! `sandbox mcp connect`: add this `sandbox` as an MCP server to the installed clients' configs
//! (Claude Desktop, Cursor, VS Code). Core plans and writes; this shows the diff and asks.

use crate::exit;
use sandbox_core::host::HostOs;
use sandbox_core::mcp_clients::{self, Client, Outcome};
use std::io::{IsTerminal, Write};

#[derive(clap::Args, Debug)]
pub struct McpArgs {
    #[command(subcommand)]
    pub cmd: Option<McpCmd>,
}

#[derive(clap::Subcommand, Debug)]
pub enum McpCmd {
    /// Add `sandbox mcp` to the configs of the MCP clients that are installed (Claude Desktop,
    /// Cursor, VS Code): shows each change, asks once, keeps a backup of every file it changes.
    Connect {
        /// Only these clients (repeatable). Default: every installed one.
        #[arg(long = "client", value_enum, value_name = "claude|cursor|vscode")]
        clients: Vec<ClientArg>,
        /// Do not ask.
        #[arg(long, short)]
        yes: bool,
        /// Show what would change and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientArg {
    Claude,
    Cursor,
    Vscode,
}

impl From<ClientArg> for Client {
    fn from(c: ClientArg) -> Client {
        match c {
            ClientArg::Claude => Client::ClaudeDesktop,
            ClientArg::Cursor => Client::Cursor,
            ClientArg::Vscode => Client::VsCode,
        }
    }
}

pub fn run(cmd: McpCmd) -> anyhow::Result<u8> {
    let McpCmd::Connect { clients, yes, dry_run } = cmd;
    let command = std::env::current_exe().map_err(|e| anyhow::anyhow!("cannot tell where this `sandbox` is ({e}); run it by its full path"))?;
    let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()).map(std::path::PathBuf::from) else {
        anyhow::bail!("cannot tell your home folder (HOME is not set); set HOME and try again");
    };
    let wanted: Vec<Client> = clients.iter().map(|c| Client::from(*c)).collect();
    let plans: Vec<_> = mcp_clients::plan(&home, HostOs::current(), &command).into_iter().filter(|p| wanted.is_empty() || wanted.contains(&p.client)).collect();

    let mut failed = false;
    for p in &plans {
        match &p.outcome {
            Outcome::Refused(_) => {
                eprintln!("{}", p.summary());
                failed = true;
            }
            Outcome::NotInstalled if !wanted.is_empty() => {
                eprintln!("{}", p.summary());
                failed = true;
            }
            _ => println!("{}", p.summary()),
        }
        let diff = p.diff();
        if !diff.is_empty() {
            println!("{diff}");
        }
    }
    let changes: Vec<_> = plans.iter().filter(|p| p.is_change()).collect();
    if changes.is_empty() {
        if !wanted.is_empty() && plans.iter().all(|p| matches!(p.outcome, Outcome::NotInstalled)) {
            // the lines above said which of the named clients is missing
        } else if plans.iter().all(|p| matches!(p.outcome, Outcome::NotInstalled)) {
            println!("No MCP client found (Claude Desktop, Cursor, VS Code). Install one, open it once, and run this again.");
        } else {
            println!("Nothing to change.");
        }
        return Ok(if failed { exit::ERROR } else { exit::OK });
    }
    if dry_run {
        println!("Dry run: nothing written.");
        return Ok(if failed { exit::ERROR } else { exit::OK });
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("error: `sandbox mcp connect` changes the files above; confirm with --yes when not on a terminal (or look first with --dry-run)");
            return Ok(exit::USAGE);
        }
        let names: Vec<&str> = changes.iter().map(|p| p.client.name()).collect();
        eprint!("Change the config of {}? A backup of each file is kept. [y/N] ", names.join(", "));
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing written.");
            return Ok(exit::OK);
        }
    }
    for p in changes {
        match mcp_clients::apply(p) {
            Ok(done) => match &done.backup {
                Some(b) => println!("{}: wrote {} (backup: {})", p.client.name(), done.path.display(), b.display()),
                None => println!("{}: created {}", p.client.name(), done.path.display()),
            },
            Err(e) => {
                eprintln!("error: {}: {e}", p.client.name());
                failed = true;
            }
        }
    }
    println!("Restart the clients to load the \"{}\" server.", mcp_clients::ENTRY_NAME);
    Ok(if failed { exit::ERROR } else { exit::OK })
}
