//! The firewall allowlist through core::firewall.

use crate::error::{CmdResult, CommandError};
use async_trait::async_trait;
use sandbox_core::events::EventBus;
use sandbox_core::lima::Limactl;
use sandbox_core::paths::Paths;
use sandbox_core::profile::Profile;
use sandbox_core::sandbox::Sandbox;
use std::path::PathBuf;

/// The firewall's allowlist, through core's firewall module ("Allow" on a blocked connection).
#[async_trait]
pub trait Firewall: Send + Sync {
    /// Allow `target` (a domain, or `IP[:PORT/PROTO]`): core edits the profile, audits, and
    /// reloads a running VM's rules.
    async fn allow(&self, target: &str) -> CmdResult<()>;
}

/// core::firewall.
pub struct CoreFirewall {
    pub paths: Paths,
    pub profile_path: PathBuf,
    pub bus: EventBus,
}

#[async_trait]
impl Firewall for CoreFirewall {
    async fn allow(&self, target: &str) -> CmdResult<()> {
        use sandbox_core::firewall::{Change, Target};
        let target = Target::parse(target).map_err(CommandError::failed)?;
        let profile = Profile::load(&self.profile_path)?;
        let sandbox = Sandbox::new(profile, self.paths.clone(), Limactl::locate()?, self.bus.clone());
        let outcome = sandbox.firewall_change(Change::Allow, &target).await.map_err(CommandError::failed)?;
        let applies = if outcome.reloaded { "now" } else { "at the next start" };
        self.bus.publish(sandbox_core::events::Event::Notice { message: format!("Allowed {target} in the profile; it applies {applies}") });
        Ok(())
    }
}
