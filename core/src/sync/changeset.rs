//! Upper layer + host project → the change set, plus the structural refusals found on the way
//! (paths through symlinks, symlinks escaping the project, inconsistent streams).

use super::finding::{rules, Finding};
use super::host::{FileState, HostView};
use super::ingest::{Upper, UpperKind};
use super::relpath::{resolve_link_target, RelPath};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
    Symlink,
    /// Permission bits only.
    Mode,
}

impl ChangeKind {
    /// The name `--json` and the review window use.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Symlink => "symlink",
            ChangeKind::Mode => "mode",
        }
    }
}

/// One change to one project path: the host's state now (`old`, the snapshot conflicts are
/// checked against) and the state applying it produces (`new`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub path: RelPath,
    pub kind: ChangeKind,
    pub old: FileState,
    pub new: FileState,
    /// New content is binary (not UTF-8 text).
    #[serde(default)]
    pub binary: bool,
}

impl Change {
    /// Size shown for the change: new content, or for a deletion the removed content.
    pub fn size(&self) -> u64 {
        match (&self.new, &self.old) {
            (FileState::File { size, .. }, _) => *size,
            (FileState::Symlink { target }, _) => target.len() as u64,
            (FileState::Missing, FileState::File { size, .. }) => *size,
            _ => 0,
        }
    }

    /// sha256 of the new content, or for a deletion of the removed content; none for folders.
    pub fn sha256(&self) -> Option<String> {
        match (&self.new, &self.old) {
            (FileState::File { sha256, .. }, _) => Some(sha256.clone()),
            (FileState::Symlink { target }, _) => Some(super::blobs::sha256_hex(target.as_bytes())),
            (FileState::Missing, FileState::File { sha256, .. }) => Some(sha256.clone()),
            _ => None,
        }
    }

    /// `(from, to)` when the entry changes type, e.g. `("symlink", "directory")`.
    pub fn type_change(&self) -> Option<(&'static str, &'static str)> {
        if self.old.is_missing() || self.new.is_missing() || self.old.type_name() == self.new.type_name() {
            return None;
        }
        Some((self.old.type_name(), self.new.type_name()))
    }

    /// The change as a reviewer reads it: its kind, and a type change as such
    /// (`modified (symlink → directory)`).
    pub fn describe(&self) -> String {
        match self.type_change() {
            Some((from, to)) => format!("{} ({from} → {to})", self.kind.as_str()),
            None => self.kind.as_str().to_string(),
        }
    }

    /// A text file whose diff can be shown.
    pub fn is_text_file(&self) -> bool {
        matches!(self.new, FileState::File { .. }) && !self.binary
    }
}

fn kind_of(old: &FileState, new: &FileState) -> ChangeKind {
    match (old, new) {
        (_, FileState::Missing) => ChangeKind::Deleted,
        (_, FileState::Symlink { .. }) => ChangeKind::Symlink,
        (FileState::Missing, _) => ChangeKind::Added,
        (FileState::File { sha256: a, .. }, FileState::File { sha256: b, .. }) if a == b => ChangeKind::Mode,
        (FileState::Dir { .. }, FileState::Dir { .. }) => ChangeKind::Mode,
        _ => ChangeKind::Modified,
    }
}

/// Where a symlink may point: inside the project, `..` only as leading components (so the
/// lexical resolution is the real one), and not through another symlink (in the stream or on
/// the host), whose own target could lead anywhere. `Ok(Err(why))` = refused.
fn check_link_target(link: &RelPath, target: &str, upper: &HashMap<&RelPath, &UpperKind>, host: &mut HostView) -> std::io::Result<Result<(), String>> {
    let comps: Vec<&str> = target.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    if let Some(first_name) = comps.iter().position(|c| *c != "..") {
        if comps[first_name..].contains(&"..") {
            return Ok(Err("with `..` after a name; write the target without `..` in the middle".into()));
        }
    }
    let Some(resolved) = resolve_link_target(link, target) else {
        return Ok(Err("outside the project; use a relative target inside the project".into()));
    };
    let mut prefix: Option<RelPath> = None;
    for comp in resolved {
        let here = match &prefix {
            None => RelPath::parse(&comp).ok().flatten(),
            Some(p) => Some(p.join(&comp)),
        };
        let Some(here) = here else { break };
        if matches!(upper.get(&here), Some(UpperKind::Symlink { .. })) {
            return Ok(Err(format!("through the symlink `{here}`; point at the real path instead")));
        }
        // A host symlink counts even if this request replaces it: a partial approval may
        // apply the link without the replacement.
        if matches!(host.state_shallow(&here)?, FileState::Symlink { .. }) {
            return Ok(Err(format!(
                "through `{here}`, a symlink on the host (even if this request replaces it); point at the real path, or sync the replacement first"
            )));
        }
        prefix = Some(here);
    }
    Ok(Ok(()))
}

/// The folder holding `path` (as the stream has it, else as the host has it) has the setgid bit.
fn parent_is_setgid(path: &RelPath, upper: &HashMap<&RelPath, &UpperKind>, host: &mut HostView) -> std::io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    Ok(match path.parent() {
        Some(parent) => match upper.get(&parent) {
            Some(UpperKind::Dir { mode, .. }) => mode & 0o2000 != 0,
            Some(_) => false,
            None => matches!(host.state_shallow(&parent)?, FileState::Dir { mode } if mode & 0o2000 != 0),
        },
        None => std::fs::symlink_metadata(host.root())?.permissions().mode() & 0o2000 != 0,
    })
}

/// Build the change set. Refusals go to `findings`; refused paths produce no change.
pub fn build(upper: &Upper, host: &mut HostView, findings: &mut Vec<Finding>) -> std::io::Result<Vec<Change>> {
    let by_path: HashMap<&RelPath, &UpperKind> = upper.entries.iter().map(|e| (&e.path, &e.kind)).collect();
    let mut changes: BTreeMap<RelPath, Change> = BTreeMap::new();
    let mut implied_dirs: Vec<RelPath> = Vec::new();
    // Entries refused here; whatever lies below them is refused too.
    let mut refused: std::collections::HashSet<RelPath> = std::collections::HashSet::new();
    // Folders whose every ancestor passed the checks below (forgotten when something is refused).
    let mut passed: std::collections::HashSet<RelPath> = std::collections::HashSet::new();
    let mut refused_seen = 0;

    'entries: for entry in &upper.entries {
        let path = &entry.path;
        let p = Some(path.as_str());
        if entry.kind == UpperKind::Refused {
            continue;
        }
        if refused.len() != refused_seen {
            passed.clear();
            refused_seen = refused.len();
        }
        // Ancestors: each must be a folder in the stream, or a real folder (or nothing) on the
        // host. A folder whose whole ancestry passed is remembered, so each entry costs the
        // same however deep it lies.
        let parent = path.parent();
        let ancestry_known = match &parent {
            None => true,
            Some(p) => passed.contains(p),
        };
        for anc in if ancestry_known { Vec::new() } else { path.ancestors() } {
            if refused.contains(&anc) {
                findings.push(Finding::block(p, rules::THROUGH_SYMLINK, format!("the path lies below the refused entry `{anc}`; fix that entry first")));
                refused.insert(path.clone());
                continue 'entries;
            }
            match by_path.get(&anc) {
                Some(UpperKind::Dir { .. }) => {}
                Some(UpperKind::Symlink { .. }) => {
                    findings.push(Finding::block(
                        p,
                        rules::THROUGH_SYMLINK,
                        format!("the path goes through the symlink `{anc}` in the change set; write to the real folder instead"),
                    ));
                    continue 'entries;
                }
                Some(UpperKind::Refused) => {
                    findings.push(Finding::block(p, rules::THROUGH_SYMLINK, format!("the path lies below the refused entry `{anc}`; fix that entry first")));
                    continue 'entries;
                }
                Some(_) => {
                    findings.push(Finding::block(
                        p,
                        rules::INCONSISTENT,
                        format!("the stream puts this path below `{anc}`, which it does not list as a folder; re-export the upper dir"),
                    ));
                    continue 'entries;
                }
                None => match host.state_shallow(&anc)? {
                    FileState::Dir { .. } => {}
                    FileState::Symlink { .. } => {
                        findings.push(Finding::block(
                            p,
                            rules::THROUGH_SYMLINK,
                            format!(
                                "`{anc}` is a symlink on the host; the gate never writes through symlinks. Replace it with a real folder on the host first"
                            ),
                        ));
                        continue 'entries;
                    }
                    FileState::Missing => implied_dirs.push(anc.clone()),
                    _ => {
                        findings.push(Finding::block(
                            p,
                            rules::INCONSISTENT,
                            format!("`{anc}` is not a folder on the host and the stream does not replace it; re-export the upper dir"),
                        ));
                        continue 'entries;
                    }
                },
            }
        }
        if let Some(p) = parent {
            passed.insert(p);
        }
        let new = match &entry.kind {
            UpperKind::File { size, sha256, mode, .. } => FileState::File { size: *size, sha256: sha256.clone(), mode: *mode },
            UpperKind::Dir { mode, .. } => FileState::Dir { mode: *mode },
            UpperKind::Symlink { target } => {
                if let Err(why) = check_link_target(path, target, &by_path, host)? {
                    findings.push(Finding::block(p, rules::SYMLINK_ESCAPE, format!("the symlink points to `{target}`, {why}")));
                    refused.insert(path.clone());
                    continue;
                }
                FileState::Symlink { target: target.clone() }
            }
            UpperKind::Whiteout => FileState::Missing,
            UpperKind::Refused => continue,
        };
        let old = host.state(path)?;
        if old == FileState::Special {
            findings.push(Finding::block(
                p,
                rules::SPECIAL_FILE,
                "the host has a device, fifo or socket here; the gate never replaces those. Remove it on the host first",
            ));
            refused.insert(path.clone());
            continue;
        }
        // What the host has below a folder that goes away or is replaced wholesale.
        let opaque = matches!(entry.kind, UpperKind::Dir { opaque: true, .. });
        if old.is_dir() && (!new.is_dir() || opaque) {
            for (child, st) in host.walk(path)? {
                if opaque && new.is_dir() && by_path.contains_key(&child) {
                    continue;
                }
                if st == FileState::Special {
                    findings.push(Finding::block(
                        Some(child.as_str()),
                        rules::SPECIAL_FILE,
                        "the host has a device, fifo or socket here that the change would delete; remove it on the host first",
                    ));
                    continue;
                }
                changes.insert(child.clone(), Change { path: child, kind: ChangeKind::Deleted, old: st, new: FileState::Missing, binary: false });
            }
        }
        if old == new {
            continue;
        }
        if let FileState::Dir { mode } = new {
            let kept = matches!(old, FileState::Dir { mode: m } if m & 0o6000 == mode & 0o6000);
            // Linux gives a new folder the setgid bit of its parent: that is not the agent's doing.
            let inherited = mode & 0o6000 == 0o2000 && parent_is_setgid(path, &by_path, host)?;
            if mode & 0o6000 != 0 && !kept && !inherited {
                findings.push(Finding::block(
                    p,
                    rules::SETUID,
                    format!("folder mode {mode:o} adds the setuid/setgid bit; the gate never creates such bits. Remove it in the sandbox (chmod g-s)"),
                ));
                refused.insert(path.clone());
                continue;
            }
        }
        if old.is_missing() && new.is_missing() {
            continue;
        }
        let binary = matches!(entry.kind, UpperKind::File { binary: true, .. });
        changes.insert(path.clone(), Change { path: path.clone(), kind: kind_of(&old, &new), old, new, binary });
    }
    for d in implied_dirs {
        changes.entry(d.clone()).or_insert(Change {
            path: d,
            kind: ChangeKind::Added,
            old: FileState::Missing,
            new: FileState::Dir { mode: 0o755 },
            binary: false,
        });
    }
    Ok(changes.into_values().collect())
}
