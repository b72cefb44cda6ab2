//! `sandbox doctor`: checks, one line each, with the fix when something is wrong.

use crate::context::Ctx;
use crate::exit;
use sandbox_core::doctor::{self, Health};

pub async fn run(ctx: &Ctx, json: bool) -> anyhow::Result<u8> {
    let checks = doctor::run(&ctx.paths, &ctx.profile_path).await;
    if json {
        println!("{}", serde_json::to_string_pretty(&checks)?);
    } else {
        for c in &checks {
            let mark = match c.health {
                Health::Ok => "ok  ",
                Health::Warn => "warn",
                Health::Fail => "FAIL",
            };
            println!("[{mark}] {}: {}", c.name, c.detail.replace('\n', "\n       "));
            if let Some(fix) = &c.fix {
                println!("       fix: {fix}");
            }
        }
    }
    Ok(if checks.iter().any(|c| c.health == Health::Fail) { exit::ERROR } else { exit::OK })
}
