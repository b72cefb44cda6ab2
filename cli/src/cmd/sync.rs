//! `sandbox sync …`: check a change stream, queue it for review, apply, recover, undo.
//! Decisions live in `sandbox_core::sync`; this file parses arguments and renders results.

use crate::context::Ctx;
use crate::exit;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use sandbox_core::sandbox::SandboxError;
use sandbox_core::sandbox::{Collected, SyncDesk};
use sandbox_core::scan::Scanner;
use sandbox_core::sync::apply::{FailMode, FailPoint};
use sandbox_core::sync::queue::{Queue, Request, SyncRoot};
use sandbox_core::sync::report::contract_json;
use sandbox_core::sync::{self as core_sync, Change, Finding, Severity, SyncError, SyncPolicy, SyncPolicyConfig};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// `sandbox sync [--auto|--dry-run] [--every SECS]` runs the loop with the VM; the
/// subcommands work on the review queue (and offline on tar streams).
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub cmd: Option<SyncCmd>,
    /// Apply at once when nothing blocks (otherwise: ask on a terminal, else queue for review).
    #[arg(long)]
    pub auto: bool,
    /// Only show what would sync and what blocks it; queue nothing.
    #[arg(long, conflicts_with = "auto")]
    pub dry_run: bool,
    /// Keep going: collect again every SECS seconds until interrupted (yolo mode's loop).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(5..=86400))]
    pub every: Option<u64>,
    /// Which overlay: `project` (/workspace → the project) or `vault` (/workspace-obsidian →
    /// the Obsidian vault).
    #[arg(long, default_value = "project", value_name = "project|vault")]
    pub root: SyncRoot,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum SyncCmd {
    /// Show what a change stream would do to the project and what blocks it (exit 3 if blocked).
    Check(StreamArgs),
    /// Check a change stream, then apply it (exit 3 and nothing written if blocked, 4 on conflict).
    Apply {
        #[command(flatten)]
        stream: StreamArgs,
        /// Apply without asking (otherwise: ask on a terminal, else queue it for review).
        #[arg(long)]
        yes: bool,
        /// Overwrite host files that changed since the check (they are backed up).
        #[arg(long)]
        force: bool,
    },
    /// List sync requests.
    List {
        #[arg(long)]
        json: bool,
        /// Only the requests of this overlay (`project` or `vault`).
        #[arg(long, value_name = "project|vault")]
        root: Option<SyncRoot>,
    },
    /// Show one request: changes, findings, and diffs of text files.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
        /// Include unified diffs of changed text files.
        #[arg(long)]
        diff: bool,
    },
    /// Approve a request (or only some paths / folders of it) and apply it.
    Approve {
        id: String,
        /// Approve only these paths (a folder covers everything below it).
        #[arg(long, num_args = 1..)]
        paths: Option<Vec<String>>,
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
        /// Policy TOML (a `[sync]` table) for re-checking the selection; defaults otherwise.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
    },
    /// Reject a request (its stored contents are dropped).
    Reject { id: String },
    /// Finish or roll back interrupted applies (also done before every sync command).
    Recover {
        #[arg(long)]
        json: bool,
    },
    /// Restore what a request's apply overwrote or deleted (default: the newest applied one).
    Undo {
        id: Option<String>,
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct StreamArgs {
    /// The upper dir as a tar stream (`-` = stdin).
    #[arg(long, value_name = "FILE|-")]
    from_tar: String,
    /// The host project folder.
    #[arg(long, value_name = "DIR")]
    project: PathBuf,
    /// Policy TOML holding a `[sync]` table (defaults otherwise).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

/// Test hook: `SANDBOX_TEST_SYNC_FAILPOINT=after-step:2` aborts the process at that journal step.
const FAILPOINT_ENV: &str = "SANDBOX_TEST_SYNC_FAILPOINT";

pub async fn run_args(ctx: &Ctx, args: SyncArgs) -> Result<u8> {
    match args.cmd {
        None => run_loop(ctx, args.root, args.auto, args.dry_run, args.every, args.json).await,
        // With a profile whose VM this is, approve and reject go through the facade: audited,
        // published as events, and applied entries leave the VM's overlay.
        Some(SyncCmd::Approve { id, paths, force, json, policy: None }) if ctx.profile_path.exists() => {
            let sb = ctx.sandbox()?;
            match sb.sync_apply(&id, paths.as_deref(), force).await {
                Ok((req, outcome)) => {
                    print_applied(&req, &outcome, json);
                    Ok(exit::OK)
                }
                Err(SandboxError::Sync(e)) => error_exit(e),
                Err(e) => Err(e.into()),
            }
        }
        Some(SyncCmd::Reject { id }) if ctx.profile_path.exists() => {
            let r = ctx.sandbox()?.sync_reject(&id)?;
            println!("request {} rejected", r.id);
            Ok(exit::OK)
        }
        Some(cmd) => run(ctx, cmd).await,
    }
}

fn print_applied(req: &Request, outcome: &sandbox_core::sync::apply::ApplyOutcome, json: bool) {
    if json {
        println!("{}", serde_json::json!({"request": req.id, "state": req.state, "applied": outcome.applied, "forced": outcome.forced}));
    } else {
        println!("applied request {} ({} change(s)); undo with `sandbox sync undo {}`", req.id, outcome.applied, req.id);
    }
}

/// One pass (or one every `every` seconds) of VM overlay → gate → review → apply.
async fn run_loop(ctx: &Ctx, root: SyncRoot, auto: bool, dry_run: bool, every: Option<u64>, json: bool) -> Result<u8> {
    let sb = ctx.sandbox()?;
    if dry_run {
        let report = sb.sync_dry_run_in(root).await?;
        if json {
            println!("{}", report.contract_json());
        } else if report.changes.is_empty() && report.findings.is_empty() {
            println!("no changes to sync");
        } else {
            print_report(&report.changes, &report.findings);
        }
        return Ok(if report.blocked { exit::BLOCKED } else { exit::OK });
    }
    let mut code = exit::OK;
    loop {
        match sb.sync_collect_in(root, None).await? {
            Collected::Nothing => {
                if json {
                    println!("{}", serde_json::json!({"request": null, "applied": false, "root": root}));
                } else {
                    println!("no changes to sync");
                }
            }
            Collected::Request(req) => {
                if !json {
                    if let Some(m) = &req.message {
                        println!("the agent asks: {m}");
                    }
                    print_report(&req.changes, &req.findings);
                }
                let apply = !req.blocked
                    && (auto
                        || (every.is_none()
                            && !json
                            && std::io::stdin().is_terminal()
                            && confirm(&format!("apply {} change(s) to {}?", req.changes.len(), req.project.display()))?));
                if req.blocked {
                    code = exit::BLOCKED;
                    eprintln!("blocked: nothing was applied. Review request {} with `sandbox sync show {}`; apply unblocked paths with `sandbox sync approve {} --paths …`", req.id, req.id, req.id);
                }
                let mut applied = false;
                if apply {
                    match sb.sync_apply(&req.id, None, false).await {
                        Ok((r, outcome)) => {
                            applied = true;
                            if !json {
                                print_applied(&r, &outcome, false);
                            }
                        }
                        Err(SandboxError::Sync(e)) => {
                            let c = error_exit(e)?;
                            code = code.max(c);
                        }
                        Err(e) => return Err(e.into()),
                    }
                } else if !req.blocked && !json {
                    println!(
                        "request {} waits for review: `sandbox sync show {}`, then `sandbox sync approve {}` or `reject {}`",
                        req.id, req.id, req.id, req.id
                    );
                }
                if json {
                    let mut v = contract_json(&req.changes, &req.findings);
                    v["request"] = serde_json::json!(req.id);
                    v["applied"] = serde_json::json!(applied);
                    v["message"] = serde_json::json!(req.message);
                    v["root"] = serde_json::json!(req.root);
                    println!("{v}");
                }
            }
        }
        let Some(secs) = every else { break };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tokio::time::sleep(std::time::Duration::from_secs(secs)) => {}
        }
    }
    Ok(code)
}

pub async fn run(ctx: &Ctx, cmd: SyncCmd) -> Result<u8> {
    let queue = Queue::open(&ctx.paths.data_dir.join("sync"))?;
    let _lock = queue.lock()?;
    let recovered = queue.recover()?;
    for r in &recovered {
        match &r.error {
            None => {
                eprintln!("recovered interrupted apply {}: {:?}", r.id, r.outcome);
                if !r.kept.is_empty() {
                    eprintln!("  left as you changed them since (not overwritten): {}", r.kept.join(", "));
                }
            }
            Some(e) => eprintln!("warning: could not recover interrupted apply {} (retried next time): {e}", r.id),
        }
    }
    match cmd {
        SyncCmd::Check(a) => check(ctx, &a),
        SyncCmd::Apply { stream, yes, force } => apply(ctx, &queue, &stream, yes, force),
        SyncCmd::List { json, root } => list(&queue, json, root),
        SyncCmd::Show { id, json, diff } => show(&queue, &id, json, diff),
        SyncCmd::Approve { id, paths, force, json, policy } => {
            let policy = resolve_policy(ctx, policy.as_deref())?;
            approve_and_apply(&desk(ctx, &queue), &id, paths.as_deref(), force, json, &policy)
        }
        SyncCmd::Reject { id } => match desk(ctx, &queue).reject(&id) {
            Ok(r) => {
                println!("request {} rejected", r.id);
                Ok(exit::OK)
            }
            Err(e) => desk_error(e),
        },
        SyncCmd::Recover { json } => {
            if json {
                println!("{}", serde_json::json!({ "recovered": recovered }));
            } else if recovered.is_empty() {
                println!("nothing to recover");
            }
            Ok(exit::OK)
        }
        SyncCmd::Undo { id, force, json } => undo(&desk(ctx, &queue), id, force, json),
    }
}

fn failpoint() -> Option<(FailPoint, FailMode)> {
    let v = std::env::var(FAILPOINT_ENV).ok()?;
    FailPoint::parse(&v).map(|p| (p, FailMode::Abort))
}

/// The policy: `--policy FILE` when given, else the profile's `[sync]` table (validated with
/// the rest of the profile), else the defaults when there is no profile yet.
fn resolve_policy(ctx: &Ctx, explicit: Option<&Path>) -> Result<SyncPolicy> {
    if explicit.is_some() {
        return load_policy(explicit);
    }
    if ctx.profile_path.exists() {
        return Ok(ctx.load_profile()?.sync_policy);
    }
    Ok(SyncPolicy::default())
}

/// Read `[sync]` from a TOML file (a profile or just the table).
pub fn load_policy(path: Option<&Path>) -> Result<SyncPolicy> {
    let Some(path) = path else { return Ok(SyncPolicy::default()) };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read policy file {}", path.display()))?;
    let value: toml::Table = toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    let config: SyncPolicyConfig = match value.get("sync") {
        Some(v) => v.clone().try_into().with_context(|| format!("the [sync] table in {} is invalid", path.display()))?,
        None => SyncPolicyConfig::default(),
    };
    config.validate().map_err(|issues| {
        let lines: Vec<String> = issues.iter().map(|i| format!("  {}: {}", i.field, i.message)).collect();
        anyhow::anyhow!("the [sync] table in {} is invalid:\n{}", path.display(), lines.join("\n"))
    })
}

fn open_stream(from: &str) -> Result<Box<dyn Read>> {
    if from == "-" {
        Ok(Box::new(std::io::stdin().lock()))
    } else {
        let f = std::fs::File::open(from).with_context(|| format!("cannot open the change stream {from}"))?;
        Ok(Box::new(std::io::BufReader::with_capacity(256 * 1024, f)))
    }
}

fn check(ctx: &Ctx, a: &StreamArgs) -> Result<u8> {
    let policy = resolve_policy(ctx, a.policy.as_deref())?;
    let report = core_sync::check(open_stream(&a.from_tar)?, &a.project, &policy, &Scanner::builtin())?;
    if a.json {
        println!("{}", report.contract_json());
    } else {
        print_report(&report.changes, &report.findings);
    }
    Ok(if report.blocked { exit::BLOCKED } else { exit::OK })
}

fn apply(ctx: &Ctx, queue: &Queue, a: &StreamArgs, yes: bool, force: bool) -> Result<u8> {
    let policy = resolve_policy(ctx, a.policy.as_deref())?;
    let req = queue.create(open_stream(&a.from_tar)?, &a.project, &policy, &Scanner::builtin(), None)?;
    let render = |req: &Request, applied: bool| {
        let mut v = contract_json(&req.changes, &req.findings);
        v["request"] = serde_json::json!(req.id);
        v["applied"] = serde_json::json!(applied);
        v
    };
    if req.blocked {
        if a.json {
            println!("{}", render(&req, false));
        } else {
            print_report(&req.changes, &req.findings);
            eprintln!("blocked: nothing was applied. Request {} is queued; `sandbox sync show {}` to review, `sandbox sync approve {} --paths …` to apply unblocked paths", req.id, req.id, req.id);
        }
        return Ok(exit::BLOCKED);
    }
    if req.changes.is_empty() {
        queue.reject(&req.id)?;
        if a.json {
            println!("{}", render(&req, false));
        } else {
            println!("no changes");
        }
        return Ok(exit::OK);
    }
    if !yes {
        let interactive = a.from_tar != "-" && std::io::stdin().is_terminal();
        if !a.json {
            print_report(&req.changes, &req.findings);
        }
        if !interactive || !confirm(&format!("apply {} change(s) to {}?", req.changes.len(), req.project.display()))? {
            if a.json {
                println!("{}", render(&req, false));
            } else {
                println!("queued as request {}; apply it with `sandbox sync approve {}`", req.id, req.id);
            }
            return Ok(exit::OK);
        }
    }
    queue.approve(&req.id, None, &policy)?;
    match queue.apply(&req.id, force, failpoint()) {
        Ok((req, outcome)) => {
            if a.json {
                println!("{}", render(&req, true));
            } else {
                if yes {
                    print_report(&req.changes, &req.findings);
                }
                println!("applied request {} ({} change(s)); undo with `sandbox sync undo {}`", req.id, outcome.applied, req.id);
            }
            Ok(exit::OK)
        }
        Err(e) => error_exit(e),
    }
}

fn confirm(question: &str) -> Result<bool> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

fn error_exit(e: SyncError) -> Result<u8> {
    match e {
        SyncError::Conflict { .. } => {
            eprintln!("error: {e}");
            Ok(exit::CONFLICT)
        }
        SyncError::Blocked { .. } => {
            eprintln!("error: {e}");
            Ok(exit::BLOCKED)
        }
        e => Err(e.into()),
    }
}

/// core's queue use cases (audited like the facade's) over this command's queue.
fn desk<'a>(ctx: &'a Ctx, queue: &'a Queue) -> SyncDesk<'a> {
    SyncDesk { queue, log_dir: &ctx.paths.log_dir }
}

fn desk_error(e: SandboxError) -> Result<u8> {
    match e {
        SandboxError::Sync(e) => error_exit(e),
        e => Err(e.into()),
    }
}

fn approve_and_apply(desk: &SyncDesk, id: &str, paths: Option<&[String]>, force: bool, json: bool, policy: &SyncPolicy) -> Result<u8> {
    match desk.apply(id, paths, force, policy, failpoint()) {
        Ok((req, outcome)) => {
            if json {
                println!("{}", serde_json::json!({"request": req.id, "state": req.state, "applied": outcome.applied, "forced": outcome.forced}));
            } else {
                println!("applied request {} ({} change(s)); undo with `sandbox sync undo {}`", req.id, outcome.applied, req.id);
            }
            Ok(exit::OK)
        }
        Err(e) => desk_error(e),
    }
}

fn list(queue: &Queue, json: bool, root: Option<SyncRoot>) -> Result<u8> {
    let reqs: Vec<Request> = queue.list()?.into_iter().filter(|r| root.is_none_or(|root| r.root == root)).collect();
    if json {
        let v: Vec<serde_json::Value> = reqs
            .iter()
            .map(|r| serde_json::json!({"id": r.id, "state": r.state, "root": r.root, "project": r.project, "changes": r.changes.len(), "blocked": r.blocked, "created_unix": r.created_unix}))
            .collect();
        println!("{}", serde_json::Value::Array(v));
        return Ok(exit::OK);
    }
    if reqs.is_empty() {
        println!("no sync requests");
    }
    for r in reqs {
        println!(
            "{:>4}  {:<9} {:<7} {:>5} change(s){}  {}",
            r.id,
            r.state.to_string(),
            r.root.as_str(),
            r.changes.len(),
            if r.blocked { "  BLOCKED" } else { "" },
            r.project.display()
        );
    }
    Ok(exit::OK)
}

fn show(queue: &Queue, id: &str, json: bool, diff: bool) -> Result<u8> {
    let req = queue.load(id)?;
    if json {
        let mut v = contract_json(&req.changes, &req.findings);
        v["request"] = serde_json::json!(req.id);
        v["state"] = serde_json::json!(req.state);
        v["project"] = serde_json::json!(req.project);
        v["root"] = serde_json::json!(req.root);
        v["selection"] = serde_json::json!(req.selection);
        if diff {
            let diffs: serde_json::Map<String, serde_json::Value> =
                req.changes.iter().filter_map(|c| Some((c.path.to_string(), serde_json::json!(queue.diff(&req, c)?)))).collect();
            v["diffs"] = serde_json::Value::Object(diffs);
        }
        println!("{v}");
        return Ok(exit::OK);
    }
    println!("request {}: {}  ({}: {})", req.id, req.state, req.root, req.project.display());
    if let Some(e) = &req.error {
        println!("last error: {e}");
    }
    print_report(&req.changes, &req.findings);
    if diff {
        for c in req.changes.iter().filter(|c| c.is_text_file()) {
            if let Some(d) = queue.diff(&req, c) {
                print!("{d}");
            }
        }
    }
    Ok(exit::OK)
}

fn undo(desk: &SyncDesk, id: Option<String>, force: bool, json: bool) -> Result<u8> {
    let id = match id {
        Some(id) => id,
        None => match desk.queue.last_applied()? {
            Some(r) => r.id,
            None => {
                eprintln!("nothing to undo: no applied request");
                return Ok(exit::ERROR);
            }
        },
    };
    match desk.undo(&id, force, failpoint()) {
        Ok((req, outcome)) => {
            if json {
                println!("{}", serde_json::json!({"request": req.id, "state": req.state, "restored": outcome.applied}));
            } else {
                println!("undid request {} ({} path(s) restored)", req.id, outcome.applied);
            }
            Ok(exit::OK)
        }
        Err(e) => desk_error(e),
    }
}

fn print_report(changes: &[Change], findings: &[Finding]) {
    if changes.is_empty() {
        println!("no changes");
    }
    for c in changes {
        println!("  {:<8} {}  ({} bytes)", c.describe(), c.path, c.size());
    }
    for (from, to) in sandbox_core::sync::report::renames(changes) {
        println!("  (renamed {from} -> {to})");
    }
    for f in findings {
        let sev = if f.severity == Severity::Block { "BLOCK" } else { "warn " };
        let at = match (&f.path, f.line) {
            (Some(p), Some(l)) => format!("{p}:{l}"),
            (Some(p), None) => p.clone(),
            (None, _) => "(request)".into(),
        };
        println!("{sev} {at}  [{}] {}", f.rule, f.message);
    }
}
