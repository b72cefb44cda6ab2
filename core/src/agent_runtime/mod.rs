//! The agent runtime in the VM: the OpenClaw gateway (Node.js + `openclaw` from the npm
//! registry, a hardened systemd unit running as the agent user), the rootless tool sandbox,
//! `openclaw.json` merged from the profile, and the optional components.
//!
//! [`config`] is the profile's `[agent]` table; [`render`] turns a profile into the runtime
//! step's files; [`apply`] ships them with provisioning/runtime/apply.sh (over stdin, like the
//! base provisioning) and returns what changed.

pub mod components;
/// The profile's `[agent]` table (it lives in `profile`, which every section's owner imports).
pub use crate::profile::agent as config;
pub mod health;
pub mod pairing;
pub mod render;

pub use config::AgentConfig;

use crate::profile::Profile;
use crate::provision::{Payload, ProvisionError};
use crate::vm::Vm;

/// What the runtime step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeReport {
    /// Items it changed (empty: nothing to do).
    pub changed: Vec<String>,
    /// Things the user should know that did not fail the step (e.g. the gateway not answering yet).
    pub warnings: Vec<String>,
}

/// Render, push and apply the runtime for `profile`.
pub async fn apply(vm: &dyn Vm, profile: &Profile) -> Result<RuntimeReport, ProvisionError> {
    let rendered = render::render(profile)?;
    let stream = Payload::with_script(&rendered, render::apply_script()).to_stream()?;
    let out = crate::provision::run_payload_output(vm, stream, "the agent runtime").await?;
    Ok(RuntimeReport {
        changed: crate::provision::changed_items(&out),
        warnings: out.lines().filter_map(|l| l.strip_prefix("warning ")).map(|s| s.trim().to_string()).collect(),
    })
}
