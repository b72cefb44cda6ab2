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
#[cfg_attr(target_os = "linux", path = "flush/linux.rs")]
#[cfg_attr(not(target_os = "linux"), path = "flush/portable.rs")]
mod flush;
mod fsutil;
pub mod gitdir;
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
use host::FileState;
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
    let mut sink = ScanSink::new(scanner);
    let ingest_opts = IngestOptions { buffer_limit: policy.config.max_file_bytes, blobs: opts.blobs };
    let upper = ingest::ingest(tar, &ingest_opts, &mut sink)?;
    let mut findings = upper.findings.clone();
    if let Some(e) = probe_failed {
        findings.push(Finding::warn(
            None,
            finding::rules::PROBE_FAILED,
            format!("could not probe how the project's file system treats names ({e}); assuming case-insensitive and Unicode-normalizing"),
        ));
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
        // A token in a name or a symlink's target travels too: git stores and pushes both.
        if !matches!(c.new, FileState::Missing) {
            findings.extend(gate_findings(&c.path, scanner.scan_name(c.path.as_str())));
        }
        if let FileState::Symlink { target } = &c.new {
            findings.extend(gate_findings(&c.path, scanner.scan_symlink_target(c.path.as_str(), target)));
        }
    }
    policy.evaluate_total(&changes.iter().collect::<Vec<_>>(), &mut findings);
    Ok(CheckReport::new(changes, findings, behaviour))
}

/// Runs the secret scanner on each file's content as it streams past, within one budget of
/// findings for the whole request (memory stays flat whatever the agent wrote).
struct ScanSink<'a> {
    scanner: &'a Scanner,
    budget: crate::scan::RequestBudget,
    found: HashMap<RelPath, Vec<Finding>>,
    /// Contents kept for hard links that may follow (a lockfile's content linked under a normal
    /// name must be scanned under that name), up to [`KEPT_FOR_LINKS`] bytes in all.
    kept: HashMap<RelPath, std::sync::Arc<[u8]>>,
    kept_bytes: usize,
}

/// How much file content one check keeps for re-scanning under hard links' names.
const KEPT_FOR_LINKS: usize = 32 << 20;

impl<'a> ScanSink<'a> {
    fn new(scanner: &'a Scanner) -> Self {
        ScanSink { scanner, budget: scanner.request_budget(), found: HashMap::new(), kept: HashMap::new(), kept_bytes: 0 }
    }

    fn report(&mut self, path: &RelPath, hits: Vec<crate::scan::SecretFinding>) {
        if !hits.is_empty() {
            self.found.entry(path.clone()).or_default().extend(gate_findings(path, hits));
        }
    }
}

/// The scanner's findings for `path`, as the gate reports them: never the matched text (a secret
/// value must not reach reports or logs), and for a secret in the name, the name redacted.
fn gate_findings(path: &RelPath, hits: Vec<crate::scan::SecretFinding>) -> Vec<Finding> {
    hits.into_iter()
        .map(|h| {
            let (shown, message) = match h.location {
                crate::scan::Location::Name => (
                    redacted_name(path.as_str(), h.start_column, h.end_column),
                    format!("{} in a file or folder name (`{}`); rename it in the sandbox", h.description, h.redacted_secret),
                ),
                crate::scan::Location::SymlinkTarget => (
                    Some(path.to_string()),
                    format!("{} in the symlink's target (`{}`); point the link elsewhere in the sandbox", h.description, h.redacted_secret),
                ),
                crate::scan::Location::Content if h.start_line == 0 => {
                    (Some(path.to_string()), format!("{}; remove secrets from the file in the sandbox and keep them in the keychain", h.description))
                }
                crate::scan::Location::Content => (
                    Some(path.to_string()),
                    format!(
                        "{} at line {}, column {}; remove it from the file in the sandbox and keep secrets in the keychain",
                        h.description, h.start_line, h.start_column
                    ),
                ),
            };
            Finding {
                path: shown,
                line: (h.start_line > 0).then_some(h.start_line),
                rule: format!("{}{}", finding::rules::SECRET_PREFIX, h.rule_id),
                severity: Severity::Block,
                message,
            }
        })
        .collect()
}

/// `path` with the scanner's match (1-based byte columns, inclusive) replaced, so a finding about
/// a secret in a name does not repeat it; `None` when the columns do not fit the name.
fn redacted_name(path: &str, start_column: usize, end_column: usize) -> Option<String> {
    let (a, b) = (start_column.checked_sub(1)?, end_column);
    (a < b && b <= path.len() && !path.contains('\n') && path.is_char_boundary(a) && path.is_char_boundary(b))
        .then(|| format!("{}REDACTED{}", &path[..a], &path[b..]))
}

impl ContentSink for ScanSink<'_> {
    fn file(&mut self, path: &RelPath, data: Option<&[u8]>, _binary: bool) {
        let Some(data) = data else { return };
        let hits = self.scanner.scan_bytes_within(path.as_str(), data, &self.budget);
        if self.kept_bytes + data.len() <= KEPT_FOR_LINKS {
            self.kept_bytes += data.len();
            self.kept.insert(path.clone(), data.into());
        }
        self.report(path, hits);
    }

    fn hardlink(&mut self, link: &RelPath, target: &RelPath) {
        // The same content under another name: rules, path allowlists and the lockfile
        // exemption look at names, so scan it again under the link's.
        match self.kept.get(target).cloned() {
            Some(data) => {
                let hits = self.scanner.scan_bytes_within(link.as_str(), &data, &self.budget);
                self.report(link, hits);
            }
            None => {
                let copied: Vec<Finding> = self.found.get(target).cloned().unwrap_or_default();
                let moved = copied.into_iter().map(|mut f| {
                    f.path = Some(link.to_string());
                    f
                });
                self.found.entry(link.clone()).or_default().extend(moved);
                self.found.entry(link.clone()).or_default().push(Finding::block(
                    Some(link.as_str()),
                    finding::rules::HARDLINK_UNSCANNED,
                    format!("a hard link to {} whose content could not be scanned again under this name (too much content in this request); write it as a copy in the sandbox", finding::quoted(target.as_str())),
                ));
            }
        }
    }
}
