//! The firewall's allowlist use case: allow or deny a domain or address in the profile, audited,
//! reloading a running VM's rules and resolver at once (otherwise at the next `up`). The CLI's
//! `sandbox firewall allow|deny` and the app's "Allow" (a notification, Settings) both call it.

use super::Sandbox;
use crate::firewall::{change, Change, FirewallError, Outcome, Target};

impl Sandbox {
    /// `change` (allow or deny) `target` in the profile this sandbox was opened from.
    pub async fn firewall_change(&self, which: Change, target: &Target) -> Result<Outcome, FirewallError> {
        let profile = self.profile.source.clone().unwrap_or_else(|| self.paths.profile_file());
        let running = self.running_vm().await.unwrap_or(None);
        let vm = running.as_ref().map(|v| v as &dyn crate::vm::Vm);
        change(&profile, &self.paths.log_dir, which, target, vm).await
    }
}
