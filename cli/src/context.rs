//! What every verb gets: where state lives and which profile file to use.

use sandbox_core::paths::Paths;
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
}
