//! Provisioning: everything that makes a booted VM a sandbox, rendered from the profile.
//!
//! [`render`] turns a validated [`Profile`] into the files the VM needs (mount and overlay
//! units, the audit watcher, the in-VM commands, the environment file) — pure and unit-tested.
//! [`payload`] packs them with `provisioning/apply.sh` into one self-extracting stream that
//! [`apply`] pipes over stdin to `sudo bash -s` in the VM; the apply script places what
//! changed, restarts only the units whose files changed, runs health checks and reports one
//! `changed …` line per change.
//!
//! Layout in the VM (all paths fixed here, see [`layout`]):
//! - `/workspace`: overlay (lower: the read-only project mount; upper/work under
//!   `/var/lib/openclaw/overlay`; `redirect_dir=off,metacopy=off` so the upper dir is a plain
//!   change set); in yolo-unsafe a bind mount of the writable project instead.
//! - `/workspace-obsidian` (only with a vault in the profile): the same over the vault mount
//!   (`/mnt/obsidian`), state under `/var/lib/openclaw/overlay-vault`, unit
//!   `workspace\x2dobsidian.mount` (systemd's escaping of the path) and its own audit watcher
//!   (`openclaw-audit-vault.service`, same log, `"root": "vault"`).
//! - `openclaw-audit.service`: every write in the upper dir as a JSON line in
//!   `/var/log/openclaw/overlay-audit.jsonl`.
//! - a vault in iCloud Drive or another provider folder (issue 17) is copied instead of
//!   mounted: `/var/lib/openclaw/vault-copy` (root only), filled by the host through
//!   `openclaw-vault-copy apply`, takes the mount's place under the same lower and overlay.
//! - `openclaw-sync-request [--vault] "message"`: the agent files a request in
//!   `/var/spool/openclaw/sync-requests/` (the agent may create, not read or delete).
//! - `openclaw-sandbox-ctl export-upper|drop|reset|requests|ack|status [--root vault]`: the
//!   host's handle (root only) for the sync loop.
//! - the agent user `openclaw`: no sudo, no root-equivalent groups.

pub mod overlay_ctl;
mod payload;
mod render;

pub use payload::{bootstrap, Payload};
pub use render::{layout, mount_unit_name, render, render_for, vault_mount, GuestFile, Rendered, VaultLower};

use crate::profile::Profile;
use crate::vm::{Vm, VmError};

/// Errors of provisioning.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("cannot provision: {detail}. Fix the profile (`sandbox init --force` rewrites it), then run `sandbox up` again")]
    Render { detail: String },
    #[error(transparent)]
    Vm(#[from] VmError),
    #[error("provisioning the VM failed (exit {code}): {message}. Run `sandbox up` again; if it keeps failing, `sandbox ssh` in and check `journalctl -b`")]
    Failed { code: i32, message: String },
}

/// The argv that runs the payload in the VM (the payload goes to stdin).
pub fn apply_argv() -> Vec<String> {
    ["sudo", "bash", "-s"].iter().map(|s| s.to_string()).collect()
}

/// Render, push and apply the provisioning for `profile`; returns the items that changed
/// (empty when the VM already matched the profile).
pub async fn apply(vm: &dyn Vm, profile: &Profile) -> Result<Vec<String>, ProvisionError> {
    apply_for(vm, profile, VaultLower::Mount).await
}

/// [`apply`] with the vault mounted or copied (`crate::vault::plan` decides).
pub async fn apply_for(vm: &dyn Vm, profile: &Profile, vault_lower: VaultLower) -> Result<Vec<String>, ProvisionError> {
    let rendered = render_for(profile, vault_lower)?;
    let stream = Payload::new(&rendered).to_stream()?;
    run_payload(vm, stream, "").await
}

/// Pipe a payload stream to `sudo bash -s` in the VM; the `changed …` items it reported.
/// `what` names the step in errors (empty for the sandbox's base step).
pub async fn run_payload(vm: &dyn Vm, stream: Vec<u8>, what: &str) -> Result<Vec<String>, ProvisionError> {
    Ok(changed_items(&run_payload_output(vm, stream, what).await?))
}

/// [`run_payload`], returning the step's whole report (stdout).
pub async fn run_payload_output(vm: &dyn Vm, stream: Vec<u8>, what: &str) -> Result<String, ProvisionError> {
    let out = vm.exec(&apply_argv(), Some(stream)).await?;
    if !out.success() {
        let stderr = out.stderr_str();
        let message = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no error output").trim().to_string();
        let message = if what.is_empty() { message } else { format!("{what}: {message}") };
        return Err(ProvisionError::Failed { code: out.status, message });
    }
    Ok(out.stdout_str())
}

/// The `changed …` items of the apply script's report.
pub fn changed_items(stdout: &str) -> Vec<String> {
    stdout.lines().filter_map(|l| l.strip_prefix("changed ")).map(|s| s.trim().to_string()).collect()
}

#[cfg(test)]
mod tests;
