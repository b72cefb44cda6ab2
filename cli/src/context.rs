//! What every verb gets: where state lives, which profile file to use, and the way to the core.

use anyhow::Context as _;
use sandbox_core::events::EventBus;
use sandbox_core::lima::Limactl;
use sandbox_core::paths::Paths;
use sandbox_core::profile::Profile;
use sandbox_core::sandbox::Sandbox;
use std::path::PathBuf;

pub struct Ctx {
    pub paths: Paths,
    /// `--profile PATH`, else the default profile file under `paths`.
    pub profile_path: PathBuf,
}

impl Ctx {
    pub fn new(profile: Option<PathBuf>) -> Self {
        let paths = Paths::from_env();
        let profile_path = profile.unwrap_or_else(|| paths.profile_file());
        Ctx { paths, profile_path }
    }

    /// Load and validate the profile.
    pub fn load_profile(&self) -> anyhow::Result<Profile> {
        Ok(Profile::load(&self.profile_path)?)
    }

    /// The facade over the profile, with a located limactl and a fresh event bus.
    pub fn sandbox(&self) -> anyhow::Result<Sandbox> {
        let profile = self.load_profile()?;
        let limactl = Limactl::locate()?;
        Ok(Sandbox::new(profile, self.paths.clone(), limactl, EventBus::default()))
    }

    /// Ensure the state folders exist.
    pub fn ensure_dirs(&self) -> anyhow::Result<()> {
        for d in [&self.paths.config_dir, &self.paths.data_dir, &self.paths.log_dir] {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        Ok(())
    }
}
