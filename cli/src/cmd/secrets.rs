//! `sandbox secrets …`: set, list, rm, import, check, push. Values come from a hidden prompt,
//! stdin or a `.env` file — never from argv — and are never printed.

use crate::context::Ctx;
use crate::exit;
use anyhow::Context as _;
use clap::Subcommand;
use sandbox_core::sandbox::secrets::SecretsDesk;
use sandbox_core::secrets::{
    self, import, name::used_by, profile_index, redact::MIN_REDACT_LEN, SecretName, SecretStore, SecretValue, SecretsError, WELL_KNOWN,
};
use std::io::Read;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum SecretsCmd {
    /// Store a secret in the OS keychain. The value is asked for without echo (or read from
    /// stdin with --stdin); it is never taken from the command line.
    Set {
        /// e.g. ANTHROPIC_API_KEY
        name: String,
        /// Read the value from stdin (one trailing newline is dropped).
        #[arg(long)]
        stdin: bool,
    },
    /// List secret names: set or not, listed in the profile, what uses them. Never values.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a secret from the keychain and the profile (and from the VM on the next push).
    Rm { name: String },
    /// Store every NAME=value of a .env file; nothing is stored if any line is wrong.
    Import {
        file: PathBuf,
        /// After a successful import, overwrite the file with zeros and delete it.
        #[arg(long)]
        delete_source: bool,
    },
    /// Is the keychain reachable and unlocked?
    Check,
    /// Write the profile's secrets into the running VM now (tmpfs files, via stdin).
    Push,
}

pub async fn run(ctx: &Ctx, cmd: SecretsCmd) -> anyhow::Result<u8> {
    match cmd {
        SecretsCmd::Set { name, stdin } => set(ctx, &name, stdin).await,
        SecretsCmd::List { json } => list(ctx, json).await,
        SecretsCmd::Rm { name } => rm(ctx, &name).await,
        SecretsCmd::Import { file, delete_source } => import_file(ctx, file, delete_source).await,
        SecretsCmd::Check => check().await,
        SecretsCmd::Push => push_now(ctx).await,
    }
}

/// The change happened; an audit line that could not be written is a warning.
fn warn_audit(warning: &Option<String>) {
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
}

/// Run `f` with the store on a blocking thread (the OS stores are synchronous).
async fn with_store<T: Send + 'static>(f: impl FnOnce(&dyn SecretStore) -> Result<T, SecretsError> + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<T> {
        let store = secrets::open_default_store()?;
        Ok(f(store.as_ref())?)
    })
    .await
    .context("the keychain task stopped unexpectedly")?
}

pub(crate) async fn set(ctx: &Ctx, raw: &str, from_stdin: bool) -> anyhow::Result<u8> {
    let name = secrets::validate_name(raw)?;
    profile_index::read_names(&ctx.profile_path)?; // fail before asking for the value
    let value = if from_stdin { read_stdin_value()? } else { prompt_value(&name)? };
    if value.is_empty() {
        return Err(SecretsError::EmptyValue { name: name.to_string() }.into());
    }
    if value.len() < MIN_REDACT_LEN {
        eprintln!("warning: the value is shorter than {MIN_REDACT_LEN} characters, too short to be redacted from logs; check that it is complete");
    }
    let n = name.clone();
    let (log_dir, profile) = (ctx.paths.log_dir.clone(), ctx.profile_path.clone());
    let stored = with_store(move |s| SecretsDesk { log_dir: &log_dir, profile: &profile }.set(s, &n, &value)).await?;
    warn_audit(&stored.audit_warning);
    println!("Stored {name} in {}.", stored.backend);
    println!("It reaches the VM on the next `sandbox up`, or now with `sandbox secrets push`.");
    Ok(exit::OK)
}

fn read_stdin_value() -> anyhow::Result<SecretValue> {
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes).context("cannot read the value from stdin")?;
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let mut b = e.into_bytes();
        zeroize_vec(&mut b);
        anyhow::anyhow!("the value on stdin is not UTF-8 text")
    })?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(SecretValue::new(text))
}

fn prompt_value(name: &SecretName) -> anyhow::Result<SecretValue> {
    let text = rpassword::prompt_password(format!("Value for {name} (input hidden): "))
        .map_err(|e| anyhow::anyhow!("cannot prompt for the value ({e}); pipe it in instead: `sandbox secrets set {name} --stdin`"))?;
    Ok(SecretValue::new(text))
}

fn zeroize_vec(b: &mut [u8]) {
    b.iter_mut().for_each(|x| *x = 0);
}

#[derive(serde::Serialize)]
struct ListedSecret {
    name: SecretName,
    set: bool,
    in_profile: bool,
    used_by: &'static str,
}

#[derive(serde::Serialize)]
struct Listing {
    store: String,
    secrets: Vec<ListedSecret>,
}

async fn list(ctx: &Ctx, json: bool) -> anyhow::Result<u8> {
    let indexed = match profile_index::read_names(&ctx.profile_path) {
        Ok(n) => n,
        Err(SecretsError::ProfileMissing { path }) => {
            eprintln!("note: no profile at {}; showing the well-known names only", path.display());
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    let mut candidates = indexed.clone();
    for w in WELL_KNOWN {
        let n = secrets::validate_name(w.name)?;
        if !candidates.contains(&n) {
            candidates.push(n);
        }
    }
    let probe = candidates.clone();
    let (store, set) = with_store(move |s| Ok((s.backend(), s.list_set(&probe)?))).await?;
    let listing = Listing {
        store,
        secrets: candidates
            .into_iter()
            .map(|name| ListedSecret { set: set.contains(&name), in_profile: indexed.contains(&name), used_by: used_by(&name), name })
            .collect(),
    };
    let text = if json { serde_json::to_string_pretty(&listing)? + "\n" } else { render_table(&listing) };
    write_stdout(&text)?;
    Ok(exit::OK)
}

fn render_table(listing: &Listing) -> String {
    use std::fmt::Write as _;
    let mut out = format!("Secrets in {} (names only; values are never shown):\n", listing.store);
    let width = listing.secrets.iter().map(|s| s.name.as_str().len()).max().unwrap_or(4).max(4);
    let _ = writeln!(out, "{:width$}  {:5}  {:10}  USED BY", "NAME", "VALUE", "IN PROFILE");
    for s in &listing.secrets {
        let _ =
            writeln!(out, "{:width$}  {:5}  {:10}  {}", s.name.as_str(), if s.set { "set" } else { "-" }, if s.in_profile { "yes" } else { "no" }, s.used_by);
    }
    out
}

/// Print without panicking when the reader went away (`sandbox secrets list | head`).
fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

async fn rm(ctx: &Ctx, raw: &str) -> anyhow::Result<u8> {
    let name = secrets::validate_name(raw)?;
    let n = name.clone();
    let (log_dir, profile) = (ctx.paths.log_dir.clone(), ctx.profile_path.clone());
    let removed = with_store(move |s| SecretsDesk { log_dir: &log_dir, profile: &profile }.remove(s, &n)).await?;
    warn_audit(&removed.audit_warning);
    let backend = removed.backend;
    match (removed.was_stored, removed.unindexed) {
        (false, false) => println!("{name} was not stored in {backend} nor listed in the profile; nothing to do."),
        _ => {
            println!("Removed {name} from {backend} and the profile's index.");
            println!("It disappears from the VM on the next `sandbox up` or `sandbox secrets push`.");
        }
    }
    Ok(exit::OK)
}

pub(crate) async fn import_file(ctx: &Ctx, file: PathBuf, delete_source: bool) -> anyhow::Result<u8> {
    let plan = import::plan(&file, delete_source)?;
    profile_index::read_names(&ctx.profile_path)?; // the index must be writable afterwards
    for w in &plan.dotenv.warnings {
        eprintln!("warning: {w}");
    }
    if plan.dotenv.entries.is_empty() {
        println!("{} has no non-empty values; nothing was imported.", file.display());
        return Ok(exit::OK);
    }
    let short: Vec<String> = plan.dotenv.entries.iter().filter(|e| e.value.len() < MIN_REDACT_LEN).map(|e| e.name.to_string()).collect();
    let (log_dir, profile, source) = (ctx.paths.log_dir.clone(), ctx.profile_path.clone(), file.clone());
    let imported = with_store(move |s| SecretsDesk { log_dir: &log_dir, profile: &profile }.import(s, &source, &plan, delete_source)).await?;
    warn_audit(&imported.audit_warning);
    let (report, backend) = (imported.report, imported.backend);
    let names: Vec<&str> = report.stored.iter().map(|n| n.as_str()).collect();
    println!("Imported {} secret(s) into {backend}: {}", names.len(), names.join(", "));
    if !report.replaced.is_empty() {
        let replaced: Vec<&str> = report.replaced.iter().map(|n| n.as_str()).collect();
        println!("Replaced the previous value of: {}", replaced.join(", "));
    }
    if !short.is_empty() {
        eprintln!("warning: shorter than {MIN_REDACT_LEN} characters, too short to be redacted from logs: {}", short.join(", "));
    }
    if delete_source {
        println!(
            "Overwrote {} with zeros and deleted it. (On SSDs and copy-on-write file systems old blocks may survive; also remove any backups of it.)",
            file.display()
        );
    } else {
        println!("{} still holds these values in plain text: delete it, or import with --delete-source next time.", file.display());
    }
    Ok(exit::OK)
}

async fn check() -> anyhow::Result<u8> {
    let status = with_store(|s| s.check()).await?;
    println!(
        "OK: {} is reachable, unlocked and writable; values {}.",
        status.backend,
        if status.persistent { "persist across reboots" } else { "are lost at logout or reboot" }
    );
    if let Some(note) = status.note {
        println!("note: {note}");
    }
    Ok(exit::OK)
}

async fn push_now(ctx: &Ctx) -> anyhow::Result<u8> {
    let sandbox = ctx.sandbox()?;
    let report = sandbox.push_secrets().await?;
    let written: Vec<&str> = report.written.iter().map(|n| n.as_str()).collect();
    println!(
        "Wrote {} secret(s) to /run/openclaw/secrets in `{}`{}",
        written.len(),
        sandbox.profile().name,
        if written.is_empty() { ".".to_string() } else { format!(": {}", written.join(", ")) }
    );
    if report.mounted_tmpfs {
        println!("(mounted a tmpfs on /run/openclaw first: secrets never touch the VM's disk)");
    }
    if !report.removed.is_empty() {
        println!("Removed from the VM: {}", report.removed.join(", "));
    }
    if !report.unset.is_empty() {
        let unset: Vec<&str> = report.unset.iter().map(|n| n.as_str()).collect();
        eprintln!("warning: listed in the profile but not set: {} (set them with `sandbox secrets set NAME`)", unset.join(", "));
    }
    if !report.env_skipped.is_empty() {
        let skipped: Vec<&str> = report.env_skipped.iter().map(|n| n.as_str()).collect();
        eprintln!("note: left out of secrets.env (multi-line values; use the files instead): {}", skipped.join(", "));
    }
    if !report.too_short_to_redact.is_empty() {
        let short: Vec<&str> = report.too_short_to_redact.iter().map(|n| n.as_str()).collect();
        eprintln!("warning: too short to be redacted from logs: {}", short.join(", "));
    }
    Ok(exit::OK)
}
