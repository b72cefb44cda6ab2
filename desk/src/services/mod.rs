//! What the app asks of core, behind small traits so commands are tested with fakes:
//! VM control and followers, the keychain, the review queue, the firewall allowlist.

mod control;
mod firewall;
mod keychain;
mod review;

pub use control::{Control, CoreControl};
pub use firewall::{CoreFirewall, Firewall};
pub use keychain::{CoreKeychain, Keychain};
pub use review::{CoreReviewer, ReviewFile, ReviewRequest, Reviewer};

use crate::error::{CmdResult, CommandError, ErrorKind};
use async_trait::async_trait;
use std::sync::Arc;

/// Everything the app asks of core, bundled.
#[derive(Clone)]
pub struct Services {
    pub control: Arc<dyn Control>,
    pub keychain: Arc<dyn Keychain>,
    pub reviewer: Arc<dyn Reviewer>,
    pub firewall: Arc<dyn Firewall>,
}

/// Stands in for a core part this build does not have yet; every call says so.
pub struct NotInThisBuild(pub &'static str);

impl NotInThisBuild {
    fn err<T>(&self) -> CmdResult<T> {
        Err(CommandError::new(ErrorKind::Unavailable, format!("{} is not part of this build yet; use the `sandbox` CLI once it is", self.0)))
    }
}

impl Keychain for NotInThisBuild {
    fn set(&self, _: &str, _: String) -> CmdResult<()> {
        self.err()
    }
    fn import_env(&self, _: &std::path::Path, _: bool) -> CmdResult<Vec<String>> {
        self.err()
    }
    fn remove(&self, _: &str) -> CmdResult<bool> {
        self.err()
    }
    fn which_set(&self, _: &[String]) -> CmdResult<Vec<String>> {
        self.err()
    }
}

#[async_trait]
impl Firewall for NotInThisBuild {
    async fn allow(&self, _: &str) -> CmdResult<()> {
        self.err()
    }
}

#[async_trait]
impl Reviewer for NotInThisBuild {
    async fn list(&self) -> CmdResult<Vec<ReviewRequest>> {
        self.err()
    }
    async fn approve(&self, _: &str, _: Option<Vec<String>>) -> CmdResult<serde_json::Value> {
        self.err()
    }
    async fn reject(&self, _: &str) -> CmdResult<()> {
        self.err()
    }
    async fn undo(&self) -> CmdResult<serde_json::Value> {
        self.err()
    }
}
