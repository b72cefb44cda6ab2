//! The host's handle on a provisioned VM's overlay and sync-request spool: thin typed calls of
//! `openclaw-sandbox-ctl` (root only in the VM) over the [`Vm`] trait. The sync loop uses
//! [`export_upper`] → gate → apply on the host → [`drop_entries`]; the follower polls
//! [`requests`] and answers with [`ack`]; `sandbox reset` is [`reset`]; `sandbox status`
//! shows [`overlay_status`].
//!
//! Each overlay verb works on one [`SyncRoot`]: the project's `/workspace` (the default; the
//! argv is unchanged) or the vault's `/workspace-obsidian` (`VERB --root vault`). The spool is
//! shared: each request names its root.

use super::layout;
pub use crate::sync::queue::SyncRoot;
use crate::vm::{ExecOutput, Vm, VmError};
use serde::{Deserialize, Serialize};

/// Errors of overlay and spool calls.
#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    #[error(transparent)]
    Vm(#[from] VmError),
    #[error("`openclaw-sandbox-ctl {verb}` failed in the VM (exit {code}): {message}. Run `sandbox up` to re-provision the VM, then retry")]
    Failed { verb: String, code: i32, message: String },
    #[error("`openclaw-sandbox-ctl {verb}` printed something unexpected ({detail}). Run `sandbox up` to re-provision the VM, then retry")]
    BadOutput { verb: String, detail: String },
    #[error("cannot drop `{path}` from the overlay: only relative paths inside the upper dir can be dropped")]
    BadPath { path: String },
}

/// A request the agent filed with `openclaw-sync-request`. Everything in it is agent input:
/// show it, never act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub id: String,
    pub time: String,
    pub user: String,
    pub message: String,
    /// The overlay the agent asked about (`openclaw-sync-request --vault`); absent = project.
    #[serde(default)]
    pub root: SyncRoot,
}

/// What `openclaw-sandbox-ctl status` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverlayStatus {
    pub mode: String,
    /// Entries (files, folders, whiteouts) in the upper dir: the agent's unsynced changes.
    pub upper_entries: u64,
    /// `systemctl is-active` of the audit watcher (`absent` in yolo-unsafe).
    pub watcher: String,
    pub pending_requests: u64,
}

/// `sudo openclaw-sandbox-ctl VERB [--root vault] ARGS…` (the project root adds nothing).
pub fn argv(verb: &str, root: SyncRoot, args: &[&str]) -> Vec<String> {
    let mut v = vec!["sudo".to_string(), layout::CTL.to_string(), verb.to_string()];
    if root != SyncRoot::Project {
        v.extend(["--root".to_string(), root.as_str().to_string()]);
    }
    v.extend(args.iter().map(|a| a.to_string()));
    v
}

async fn call(vm: &dyn Vm, verb: &str, args: &[&str], stdin: Option<Vec<u8>>) -> Result<ExecOutput, CtlError> {
    call_in(vm, verb, SyncRoot::Project, args, stdin).await
}

async fn call_in(vm: &dyn Vm, verb: &str, root: SyncRoot, args: &[&str], stdin: Option<Vec<u8>>) -> Result<ExecOutput, CtlError> {
    let out = vm.exec(&argv(verb, root, args), stdin).await?;
    if !out.success() {
        let stderr = out.stderr_str();
        let message = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no error output").trim().to_string();
        return Err(CtlError::Failed { verb: verb.into(), code: out.status, message });
    }
    Ok(out)
}

/// The upper dir as a tar stream (with `trusted.overlay.*` xattrs; whiteouts are char
/// devices 0:0, opaque folders carry `trusted.overlay.opaque=y`).
pub async fn export_upper(vm: &dyn Vm) -> Result<Vec<u8>, CtlError> {
    export_upper_in(vm, SyncRoot::Project).await
}

/// [`export_upper`] of `root`'s overlay.
pub async fn export_upper_in(vm: &dyn Vm, root: SyncRoot) -> Result<Vec<u8>, CtlError> {
    Ok(call_in(vm, "export-upper", root, &[], None).await?.stdout)
}

/// [`export_upper`] into the host file `to` (flat memory, whatever the size of the upper dir).
pub async fn export_upper_to(vm: &dyn Vm, to: &std::path::Path) -> Result<(), CtlError> {
    export_upper_to_in(vm, SyncRoot::Project, to).await
}

/// [`export_upper_to`] of `root`'s overlay.
pub async fn export_upper_to_in(vm: &dyn Vm, root: SyncRoot, to: &std::path::Path) -> Result<(), CtlError> {
    let out = vm.exec_to_file(&argv("export-upper", root, &[]), to).await?;
    if !out.success() {
        let stderr = out.stderr_str();
        let message = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no error output").trim().to_string();
        return Err(CtlError::Failed { verb: "export-upper".into(), code: out.status, message });
    }
    Ok(())
}

/// Check and encode paths (relative to the upper dir, as in the tar) for `drop`.
pub fn drop_list(paths: &[String]) -> Result<Vec<u8>, CtlError> {
    let mut out = Vec::new();
    for p in paths {
        let trimmed = p.strip_prefix("./").unwrap_or(p);
        let bad = trimmed.is_empty()
            || trimmed.starts_with('/')
            || trimmed.contains('\0')
            || trimmed.split('/').any(|part| part == ".." || part == "." || part.is_empty());
        if bad {
            return Err(CtlError::BadPath { path: p.clone() });
        }
        out.extend_from_slice(trimmed.as_bytes());
        out.push(0);
    }
    Ok(out)
}

/// Remove these entries from the upper dir (after they were applied to the host project) and
/// remount the overlay, so the updated project shows through.
pub async fn drop_entries(vm: &dyn Vm, paths: &[String]) -> Result<(), CtlError> {
    drop_entries_in(vm, SyncRoot::Project, paths).await
}

/// [`drop_entries`] from `root`'s overlay (after they were applied to its host folder).
pub async fn drop_entries_in(vm: &dyn Vm, root: SyncRoot, paths: &[String]) -> Result<(), CtlError> {
    let list = drop_list(paths)?;
    if list.is_empty() {
        return Ok(());
    }
    call_in(vm, "drop", root, &[], Some(list)).await.map(|_| ())
}

/// Discard every agent change (empty the upper dir) and remount.
pub async fn reset(vm: &dyn Vm) -> Result<(), CtlError> {
    reset_in(vm, SyncRoot::Project).await
}

/// [`reset`] of `root`'s overlay.
pub async fn reset_in(vm: &dyn Vm, root: SyncRoot) -> Result<(), CtlError> {
    call_in(vm, "reset", root, &[], None).await.map(|_| ())
}

/// Parse `requests` output: one JSON object per line; a line that is not a request is an error.
pub fn parse_requests(stdout: &str) -> Result<Vec<SyncRequest>, CtlError> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| CtlError::BadOutput { verb: "requests".into(), detail: e.to_string() }))
        .collect()
}

/// The pending sync requests, oldest first.
pub async fn requests(vm: &dyn Vm) -> Result<Vec<SyncRequest>, CtlError> {
    parse_requests(&call(vm, "requests", &[], None).await?.stdout_str())
}

/// Remove answered requests.
pub async fn ack(vm: &dyn Vm, ids: &[String]) -> Result<(), CtlError> {
    if ids.is_empty() {
        return Ok(());
    }
    let args: Vec<&str> = ids.iter().map(String::as_str).collect();
    call(vm, "ack", &args, None).await.map(|_| ())
}

/// Unsynced entries, watcher state, pending requests.
pub async fn overlay_status(vm: &dyn Vm) -> Result<OverlayStatus, CtlError> {
    overlay_status_in(vm, SyncRoot::Project).await
}

/// [`overlay_status`] of `root`'s overlay (its pending requests: those for `root`).
pub async fn overlay_status_in(vm: &dyn Vm, root: SyncRoot) -> Result<OverlayStatus, CtlError> {
    let out = call_in(vm, "status", root, &[], None).await?.stdout_str();
    serde_json::from_str(out.trim()).map_err(|e| CtlError::BadOutput { verb: "status".into(), detail: e.to_string() })
}
