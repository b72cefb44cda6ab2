//! `sandbox scan PATH... [--config F] [--json] [--ignore-gitleaks-allow]`: scan files and
//! directory trees for secrets.
//! Exit 0 when clean, 3 when anything is found, 1 when something could not be scanned
//! (or the config is bad).

use crate::context::Ctx;
use crate::exit;
use anyhow::Context as _;
use clap::Args;
use sandbox_core::scan::{report, scan_paths, InlineAllow, Scanner, WalkOptions};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ScanCmd {
    /// Files or directories to scan (directories are walked; `.git` is skipped, symlinks
    /// inside them are not followed).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// A gitleaks config file (`.gitleaks.toml`). `[extend] useDefault = true` keeps the
    /// built-in rules. Never read from the scanned tree unless given here.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print a gitleaks-format JSON report (secrets redacted) on stdout.
    #[arg(long)]
    pub json: bool,

    /// Report secrets on lines marked `gitleaks:allow` / `sandbox-scan:allow` too (as the
    /// sync gate always does: whoever writes a file writes its markers).
    #[arg(long)]
    pub ignore_gitleaks_allow: bool,

    /// Skip files larger than this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = 50)]
    pub max_file_mib: u64,
}

pub async fn run(_ctx: &Ctx, cmd: ScanCmd) -> anyhow::Result<u8> {
    let scanner = match &cmd.config {
        Some(path) => Scanner::from_gitleaks_config(path).with_context(|| format!("cannot use the scanner config {}", path.display()))?,
        None => Scanner::builtin(),
    };
    // On the user's own tree markers count, as in gitleaks, unless asked otherwise.
    let scanner = scanner.with_inline_allow(if cmd.ignore_gitleaks_allow { InlineAllow::Ignored } else { InlineAllow::Honoured });
    let opts = WalkOptions { max_file_bytes: cmd.max_file_mib.saturating_mul(1024 * 1024), ..WalkOptions::default() };
    let paths = cmd.paths.clone();
    let outcome = tokio::task::spawn_blocking(move || scan_paths(&scanner, &paths, &opts)).await.context("the scan thread stopped unexpectedly")?;

    if cmd.json {
        println!("{}", report::gitleaks_json(&outcome.findings));
    } else {
        for f in &outcome.findings {
            println!("{}", report::human_line(f));
        }
    }
    for (path, err) in &outcome.errors {
        eprintln!("error: cannot scan {path}: {err}");
    }
    eprintln!(
        "scanned {} files ({:.1} MB), skipped {}, {} finding{}",
        outcome.files_scanned,
        outcome.bytes_scanned as f64 / 1e6,
        outcome.skipped.len(),
        outcome.findings.len(),
        if outcome.findings.len() == 1 { "" } else { "s" }
    );
    if outcome.omitted_findings > 0 {
        eprintln!("at least {} more findings were not listed (the list is capped); remove the secrets and scan again", outcome.omitted_findings);
    }
    Ok(if !outcome.findings.is_empty() {
        exit::BLOCKED
    } else if !outcome.errors.is_empty() {
        exit::ERROR
    } else {
        exit::OK
    })
}
