//! The sync gate (issue #3): the overlay upper layer (a GNU tar stream) → change set → policy,
//! hard refusals and secret scan → review queue → journaled, conflict-aware apply with undo.
//!
//! Entry points: [`check`] (no side effects on the host beyond a name probe), [`queue::Queue`]
//! (persisted review requests), [`apply::apply`] and [`journal::recover`], [`undo::undo`].

pub mod apply;
pub mod blobs;
pub mod changeset;
pub mod collision;
pub mod diff;
pub mod error;
pub mod finding;
pub mod gitdir;
#[cfg_attr(target_os = "linux", path = "flush/linux.rs")]
#[cfg_attr(not(target_os = "linux"), path = "flush/portable.rs")]
mod flush;
mod fsutil;
pub mod host;
pub mod ingest;
pub mod journal;
#[cfg_attr(target_os = "linux", path = "ownperm/linux.rs")]
#[cfg_attr(not(target_os = "linux"), path = "ownperm/portable.rs")]
mod ownperm;
pub mod policy;
pub mod probe;
pub mod queue;
pub mod relpath;
pub mod report;
pub mod safefs;
pub mod staging;
pub mod undo;

pub use changeset::{Change, ChangeKind};
pub use error::SyncError;
pub use finding::{Finding, Severity};
pub use policy::{SyncPolicy, SyncPolicyConfig};
pub use report::CheckReport;

use crate::scan::Scanner;
use blobs::BlobStore;
use ingest::{ContentSink, IngestOptions};
use probe::HostFsBehaviour;
use relpath::RelPath;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// Options of [`check_with`].
#[derive(Default)]
pub struct CheckOptions<'a> {
    /// Keep the new contents here (needed to apply later); `None` for a check only.
    pub blobs: Option<&'a BlobStore>,
    /// How the host file system folds names; `None` = probe the project folder.
    pub host_fs: Option<HostFsBehaviour>,
}

/// Check a change stream against a project: the change set and every finding.
pub fn check<R: Read>(tar: R, project: &Path, policy: &SyncPolicy, scanner: &Scanner) -> Result<CheckReport, SyncError> {
    check_with(tar, project, policy, scanner, &CheckOptions::default())
}

/// [`check`] with options.
pub fn check_with<R: Read>(tar: R, project: &Path, policy: &SyncPolicy, scanner: &Scanner, opts: &CheckOptions<'_>) -> Result<CheckReport, SyncError> {
    let project_err = |e| SyncError::Project { path: project.to_path_buf(), source: e };
    let mut host = host::HostView::new(project).map_err(project_err)?;
    let mut probe_failed = None;
    let behaviour = match opts.host_fs {
        Some(b) => b,
        // A read-only project cannot be probed: assume the strictest folding, and say so.
        None => probe::probe(host.root()).unwrap_or_else(|e| {
            probe_failed = Some(e);
            HostFsBehaviour::strictest()
        }),
    };
    let mut sink = ScanSink { scanner, found: HashMap::new() };
    let ingest_opts = IngestOptions { buffer_limit: policy.config.max_file_bytes, blobs: opts.blobs };
    let upper = ingest::ingest(tar, &ingest_opts, &mut sink)?;
    let mut findings = upper.findings.clone();
    if let Some(e) = probe_failed {
        findings.push(Finding::warn(None, finding::rules::PROBE_FAILED, format!("could not probe how the project's file system treats names ({e}); assuming case-insensitive and Unicode-normalizing")));
    }
    let changes = changeset::build(&upper, &mut host, &mut findings).map_err(project_err)?;
    collision::check(&changes, &mut host, behaviour, &mut findings);
    if !policy.config.allow_git_internals {
        gitdir::check(&changes, &mut host, behaviour, &mut findings).map_err(project_err)?;
    }
    for c in &changes {
        policy.evaluate(c, &mut findings);
        if matches!(c.kind, ChangeKind::Added | ChangeKind::Modified) {
            if let Some(f) = sink.found.remove(&c.path) {
                findings.extend(f);
            }
        }
    }
    policy.evaluate_total(&changes.iter().collect::<Vec<_>>(), &mut findings);
    Ok(CheckReport::new(changes, findings, behaviour))
}

/// Runs the secret scanner on each file's content as it streams past.
struct ScanSink<'a> {
    scanner: &'a Scanner,
    found: HashMap<RelPath, Vec<Finding>>,
}

impl ContentSink for ScanSink<'_> {
    fn file(&mut self, path: &RelPath, data: Option<&[u8]>, _binary: bool) {
        let Some(data) = data else { return };
        let hits = self.scanner.scan_bytes(path.as_str(), data);
        if hits.is_empty() {
            return;
        }
        let v = self.found.entry(path.clone()).or_default();
        for h in hits {
            // Never the matched text: a secret value must not reach reports or logs.
            v.push(Finding {
                path: Some(path.to_string()),
                line: Some(h.start_line),
                rule: format!("{}{}", finding::rules::SECRET_PREFIX, h.rule_id),
                severity: Severity::Block,
                message: format!("{} at line {}, column {}; remove it from the file in the sandbox and keep secrets in the keychain", h.description, h.start_line, h.start_column),
            });
        }
    }

    fn hardlink(&mut self, link: &RelPath, target: &RelPath) {
        if let Some(v) = self.found.get(target).cloned() {
            let moved = v.into_iter().map(|mut f| {
                f.path = Some(link.to_string());
                f
            });
            self.found.entry(link.clone()).or_default().extend(moved);
        }
    }
}
