//! `sandbox init`: create the profile — a terminal wizard, flags for scripts, or an import of
//! the reference product's profile.

use crate::context::Ctx;
use crate::exit;
use anyhow::{bail, Context as _};
use sandbox_core::profile::{expand_path, ByteSize, Draft, Mode, Profile, ProfileError};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Do not ask anything; take everything from flags (needs --project or --import).
    #[arg(long)]
    pub non_interactive: bool,
    /// The project folder the agent works on (mounted read-only).
    #[arg(long, value_name = "DIR")]
    pub project: Option<String>,
    /// Instance name (default "openclaw-sandbox").
    #[arg(long)]
    pub name: Option<String>,
    /// An Obsidian vault to mount read-only.
    #[arg(long, value_name = "DIR")]
    pub vault: Option<String>,
    /// OpenClaw config folder to copy into the VM.
    #[arg(long, value_name = "DIR")]
    pub config_dir: Option<String>,
    /// Folder for the agent's persistent data (mounted writable).
    #[arg(long, value_name = "DIR")]
    pub agent_data: Option<String>,
    /// secure (default), yolo or yolo-unsafe.
    #[arg(long)]
    pub mode: Option<String>,
    #[arg(long)]
    pub cpus: Option<u32>,
    /// e.g. 8GiB
    #[arg(long)]
    pub memory: Option<String>,
    /// e.g. 50GiB
    #[arg(long)]
    pub disk: Option<String>,
    /// Import the reference product's ~/.openclaw/sandbox-profile.toml.
    #[arg(long, value_name = "FILE")]
    pub import: Option<PathBuf>,
    /// Replace an existing profile.
    #[arg(long)]
    pub force: bool,
}

fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"))
}

fn folder(flag: &str, value: &str) -> anyhow::Result<PathBuf> {
    let p = expand_path(value, &cwd()).map_err(|m| anyhow::anyhow!("--{flag} {m}"))?;
    if !p.is_dir() {
        bail!("--{flag} {}: no such folder; create it or give another path", p.display());
    }
    Ok(p)
}

/// Apply flags on top of a draft.
fn apply_flags(d: &mut Draft, a: &InitArgs) -> anyhow::Result<()> {
    if let Some(n) = &a.name {
        d.name = n.clone();
    }
    if let Some(v) = &a.vault {
        d.vault = Some(folder("vault", v)?);
    }
    if let Some(v) = &a.config_dir {
        d.config = Some(folder("config-dir", v)?);
    }
    if let Some(v) = &a.agent_data {
        d.agent_data = Some(folder("agent-data", v)?);
    }
    if let Some(m) = &a.mode {
        d.mode = Mode::parse(m).ok_or_else(|| anyhow::anyhow!("--mode {m}: use secure, yolo or yolo-unsafe"))?;
    }
    if let Some(c) = a.cpus {
        d.resources.cpus = c;
    }
    if let Some(m) = &a.memory {
        d.resources.memory = ByteSize::parse(m).map_err(|e| anyhow::anyhow!("--memory {e}"))?;
    }
    if let Some(m) = &a.disk {
        d.resources.disk = ByteSize::parse(m).map_err(|e| anyhow::anyhow!("--disk {e}"))?;
    }
    Ok(())
}

/// Validate a draft exactly as a loaded profile would be, before anything is written.
fn validate(d: &Draft, path: &Path) -> anyhow::Result<Profile> {
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(Profile::parse(&d.to_toml(), path, base)?)
}

pub async fn run(ctx: &Ctx, a: InitArgs) -> anyhow::Result<u8> {
    if ctx.profile_path.exists() && !a.force {
        return Err(ProfileError::Exists { path: ctx.profile_path.clone() }.into());
    }
    let mut notes = Vec::new();
    let interactive = a.import.is_none() && !a.non_interactive;
    let mut draft = if let Some(src) = &a.import {
        let project = a.project.as_deref().map(|p| folder("project", p)).transpose()?;
        let outcome = sandbox_core::profile::import_reference(src, project)?;
        notes = outcome.notes;
        outcome.draft
    } else if a.non_interactive {
        let Some(p) = &a.project else {
            eprintln!("error: --non-interactive needs --project DIR (or --import FILE)");
            return Ok(exit::USAGE);
        };
        Draft::new(folder("project", p)?)
    } else {
        if !std::io::stdin().is_terminal() {
            eprintln!("error: the init wizard needs a terminal. For scripts use: sandbox init --non-interactive --project DIR");
            return Ok(exit::USAGE);
        }
        wizard(&a)?
    };
    apply_flags(&mut draft, &a)?;
    let profile = validate(&draft, &ctx.profile_path)?;
    ctx.ensure_dirs()?;
    draft.write(&ctx.profile_path, a.force)?;
    println!(
        "Wrote {} (instance `{}`, mode {}, project {}).",
        ctx.profile_path.display(),
        profile.name,
        profile.mode.as_str(),
        profile.project().host.display()
    );
    for n in notes {
        println!("note: {n}");
    }
    if profile.mode == Mode::YoloUnsafe {
        println!("WARNING: yolo-unsafe lets the agent write straight into your folders, with no sync gate.");
    }
    if interactive {
        secrets_step(ctx, &profile.secrets).await?;
        println!("Next: `sandbox up`.");
    } else {
        println!("Next: store your API keys with `sandbox secrets set NAME`, then `sandbox up`.");
    }
    Ok(exit::OK)
}

/// Keychain-first: offer to import an existing .env and to store each listed key now.
/// Values go straight to the OS keychain; nothing is written to disk.
async fn secrets_step(ctx: &Ctx, names: &[String]) -> anyhow::Result<()> {
    use dialoguer::{Confirm, Input};
    println!("\nAPI keys live in your OS keychain, never in files. The VM gets them as private in-memory files.");
    let env_file = Input::<String>::new().with_prompt("Import keys from a .env file? (path, empty to skip)").allow_empty(true).interact_text()?;
    if !env_file.trim().is_empty() {
        let path = expand_path(&env_file, &cwd()).map_err(anyhow::Error::msg)?;
        let delete = Confirm::new().with_prompt("Delete the .env file after a successful import?").default(false).interact()?;
        if let Err(e) = crate::cmd::secrets::import_file(ctx, path, delete).await {
            eprintln!("import failed: {e:#}. Nothing was stored; you can retry with `sandbox secrets import FILE`.");
        }
    }
    for name in names {
        if Confirm::new().with_prompt(format!("Store {name} now? (typing is hidden)")).default(true).interact()? {
            if let Err(e) = crate::cmd::secrets::set(ctx, name, false).await {
                eprintln!("{name} was not stored: {e:#}. Retry later with `sandbox secrets set {name}`.");
            }
        }
    }
    Ok(())
}

/// The terminal wizard: every answer is checked as it is given.
fn wizard(a: &InitArgs) -> anyhow::Result<Draft> {
    use dialoguer::{Confirm, Input, Select};
    println!("OpenClaw Sandbox set-up. The agent works in a VM; your folders are mounted read-only.\n");
    let ask_folder = |prompt: &str, initial: Option<&str>, optional: bool| -> anyhow::Result<Option<PathBuf>> {
        loop {
            let mut input = Input::<String>::new().with_prompt(prompt).allow_empty(optional);
            if let Some(i) = initial {
                input = input.with_initial_text(i);
            }
            let answer = input.interact_text().context("the wizard was interrupted")?;
            if answer.trim().is_empty() && optional {
                return Ok(None);
            }
            match expand_path(&answer, &cwd()) {
                Ok(p) if p.is_dir() => return Ok(Some(p)),
                Ok(p) => eprintln!("  {} is not a folder; try again", p.display()),
                Err(m) => eprintln!("  that path {m}"),
            }
        }
    };
    let project = ask_folder("Project folder the agent works on", a.project.as_deref(), false)?.expect("not optional");
    let mut d = Draft::new(project);
    d.vault = ask_folder("Obsidian vault (empty: none)", None, true)?;
    let modes = [
        "secure — changes reach your folder only after you approve them (recommended)",
        "yolo — changes are still scanned, but applied by themselves",
        "yolo-unsafe — the agent writes straight into your folder (no gate!)",
    ];
    d.mode = match Select::new().with_prompt("Mode").items(modes).default(0).interact().context("the wizard was interrupted")? {
        0 => Mode::Secure,
        1 => Mode::Yolo,
        _ => Mode::YoloUnsafe,
    };
    d.resources.cpus = Input::<u32>::new()
        .with_prompt("CPUs")
        .default(d.resources.cpus)
        .validate_with(|c: &u32| if (1..=64).contains(c) { Ok(()) } else { Err("use 1 to 64") })
        .interact_text()?;
    let size = |prompt: &str, default: ByteSize| -> anyhow::Result<ByteSize> {
        let s = Input::<String>::new()
            .with_prompt(prompt)
            .default(default.to_string())
            .validate_with(|s: &String| ByteSize::parse(s).map(|_| ()))
            .interact_text()?;
        ByteSize::parse(&s).map_err(anyhow::Error::msg)
    };
    d.resources.memory = size("Memory", d.resources.memory)?;
    d.resources.disk = size("Disk", d.resources.disk)?;
    println!("\n{}", d.to_toml());
    if !Confirm::new().with_prompt("Write this profile?").default(true).interact()? {
        bail!("nothing written");
    }
    Ok(d)
}
