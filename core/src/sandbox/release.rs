//! The opt-in check for a newer OpenClaw release (`core::release_check`): asks the npm
//! registry at most once a day, only when the profile opted in, and publishes what it found.
//! Never installs anything.

use super::Sandbox;
use crate::events::{Event, ReleaseStatus};

impl Sandbox {
    /// Compare the profile's `openclaw_version` with the registry's `latest` and publish
    /// [`Event::ReleaseChecked`] (also when the check is off: `off`, so front ends drop a line
    /// they showed). Off (the default): no request at all.
    pub async fn check_openclaw_release(&self) -> ReleaseStatus {
        let release = crate::release_check::check(&self.profile, &self.paths.data_dir).await;
        if let ReleaseStatus::Unknown { why, .. } = &release {
            tracing::info!("release check: {why}");
        }
        self.bus.publish(Event::ReleaseChecked { release: release.clone() });
        release
    }
}
