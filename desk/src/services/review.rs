//! The sync review queue through core's sync facade.

use crate::error::CmdResult;
use async_trait::async_trait;
use sandbox_core::events::EventBus;
use sandbox_core::lima::Limactl;
use sandbox_core::paths::Paths;
use sandbox_core::profile::Profile;
use sandbox_core::sandbox::Sandbox;
use std::path::PathBuf;

/// The sync gate's review queue, through core's sync facade.
#[async_trait]
pub trait Reviewer: Send + Sync {
    /// Pending requests as the review window shows them (see [`ReviewRequest`]).
    async fn list(&self) -> CmdResult<Vec<ReviewRequest>>;
    /// Approve a request (`paths`: only those) and apply it to the host project.
    async fn approve(&self, id: &str, paths: Option<Vec<String>>) -> CmdResult<serde_json::Value>;
    async fn reject(&self, id: &str) -> CmdResult<()>;
    /// Undo the last apply.
    async fn undo(&self) -> CmdResult<serde_json::Value>;
}

/// One pending request, as the review window gets it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReviewRequest {
    pub id: String,
    pub project: String,
    /// Which overlay the changes come from: `project` or `vault` (the Obsidian vault).
    pub root: sandbox_core::sync::queue::SyncRoot,
    pub message: Option<String>,
    /// Something blocks: only unblocked files can be approved (core enforces it).
    pub blocked: bool,
    pub files: Vec<ReviewFile>,
    pub findings: Vec<sandbox_core::sync::Finding>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReviewFile {
    pub path: String,
    pub kind: sandbox_core::sync::ChangeKind,
    /// `"symlink → directory"` when the entry changes type.
    pub type_change: Option<String>,
    pub size: u64,
    pub binary: bool,
    /// A unified diff for text files (core withholds it where a secret was found).
    pub diff: Option<String>,
}

/// core's sync facade (`Sandbox::sync_apply` / `sync_reject`, the queue for listing and undo).
pub struct CoreReviewer {
    pub paths: Paths,
    pub profile_path: PathBuf,
    pub bus: EventBus,
}

impl CoreReviewer {
    fn sandbox(&self) -> CmdResult<Sandbox> {
        let profile = Profile::load(&self.profile_path)?;
        Ok(Sandbox::new(profile, self.paths.clone(), Limactl::locate()?, self.bus.clone()))
    }
}

#[async_trait]
impl Reviewer for CoreReviewer {
    async fn list(&self) -> CmdResult<Vec<ReviewRequest>> {
        let sb = self.sandbox()?;
        let queue = sb.queue()?;
        Ok(sb
            .pending_requests()?
            .into_iter()
            .map(|r| ReviewRequest {
                files: r
                    .changes
                    .iter()
                    .map(|c| ReviewFile {
                        path: c.path.to_string(),
                        kind: c.kind,
                        type_change: c.type_change().map(|(from, to)| format!("{from} → {to}")),
                        size: c.size(),
                        binary: c.binary,
                        diff: queue.diff(&r, c),
                    })
                    .collect(),
                id: r.id,
                project: r.project.display().to_string(),
                root: r.root,
                message: r.message,
                blocked: r.blocked,
                findings: r.findings,
            })
            .collect())
    }

    async fn approve(&self, id: &str, paths: Option<Vec<String>>) -> CmdResult<serde_json::Value> {
        let (req, outcome) = self.sandbox()?.sync_apply(id, paths.as_deref(), false).await?;
        Ok(serde_json::json!({ "id": req.id, "applied": outcome.applied }))
    }

    async fn reject(&self, id: &str) -> CmdResult<()> {
        self.sandbox()?.sync_reject(id)?;
        Ok(())
    }

    async fn undo(&self) -> CmdResult<serde_json::Value> {
        // core's undo use case: the same audit line as `sandbox sync undo`
        let (req, outcome) = self.sandbox()?.sync_undo(None, false)?;
        Ok(serde_json::json!({ "id": req.id, "restored": outcome.applied }))
    }
}
