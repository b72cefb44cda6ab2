//! `sandbox pairing …`: Telegram DM pairing requests in the VM; approving one is the user's call.

use crate::context::Ctx;
use crate::exit;
use clap::Subcommand;
use sandbox_core::agent_runtime::pairing::{PairingCode, PairingRequest};

#[derive(Subcommand, Debug)]
pub enum PairingCmd {
    /// List the pending Telegram pairing requests (strangers who DMed the bot).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Approve a pairing code: that sender may then talk to the bot (audited).
    Approve {
        /// The code the bot sent the sender (8 characters, e.g. ABCD2345).
        code: String,
        /// Do not tell the sender on Telegram that they were approved.
        #[arg(long)]
        no_notify: bool,
    },
}

pub async fn run(ctx: &Ctx, cmd: PairingCmd) -> anyhow::Result<u8> {
    match cmd {
        PairingCmd::List { json } => {
            let requests = ctx.sandbox()?.pairing_requests().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&requests)?);
            } else {
                print_list(&requests);
            }
            Ok(exit::OK)
        }
        PairingCmd::Approve { code, no_notify } => {
            // Checked before anything else, so a typo is a usage error, not a VM round trip.
            let code = match PairingCode::parse(&code) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(exit::USAGE);
                }
            };
            ctx.sandbox()?.pairing_approve(code.as_str(), !no_notify).await?;
            println!("Approved pairing code {code}: that Telegram sender may now message the bot.");
            Ok(exit::OK)
        }
    }
}

fn print_list(requests: &[PairingRequest]) {
    if requests.is_empty() {
        println!("No pending Telegram pairing requests.");
        return;
    }
    println!("{:<10} {:<20} {:<24} REQUESTED", "CODE", "SENDER", "NAME");
    for r in requests {
        println!("{:<10} {:<20} {:<24} {}", r.code, r.sender, r.name.as_deref().unwrap_or("-"), r.created_at.as_deref().unwrap_or("-"));
    }
    println!("Approve one with `sandbox pairing approve CODE`.");
}
