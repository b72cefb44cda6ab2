//! Git repositories under any name. A folder holding `HEAD`, `objects/` and `refs/` is a git
//! directory to git whatever it is called: `git status` run inside it reads its `config`
//! (`core.fsmonitor`, hooks, aliases) and can run code as the user. Changes to such a folder
//! (as the project will be once the change is applied) are git internals, like `.git/`.

use super::changeset::Change;
use super::finding::{rules, Finding};
use super::host::{FileState, HostView};
use super::policy::is_git_internal;
use super::probe::HostFsBehaviour;
use super::relpath::RelPath;
use std::collections::HashMap;

/// Block every change inside (or creating) a git directory not named `.git` (those the
/// policy already covers). On a case-insensitive host `head` and `Objects/` count too.
pub fn check(changes: &[Change], host: &mut HostView, behaviour: HostFsBehaviour, findings: &mut Vec<Finding>) -> std::io::Result<()> {
    let key = |p: &RelPath| if behaviour.case_insensitive { p.as_str().to_lowercase() } else { p.as_str().to_string() };
    let after: HashMap<String, &FileState> = changes.iter().map(|c| (key(&c.path), &c.new)).collect();
    // Per folder: the innermost git repository it is, or lies in (remembered, so a change
    // costs the same however deep it lies).
    let mut known: HashMap<RelPath, Option<RelPath>> = HashMap::new();
    for c in changes {
        if c.new.is_missing() || is_git_internal(c.path.as_str()) {
            continue;
        }
        let start = if c.new.is_dir() { Some(c.path.clone()) } else { c.path.parent() };
        let Some(start) = start else { continue };
        if let Some(repo) = repo_of(&start, &mut known, &after, &key, host)? {
            findings.push(Finding::block(
                Some(c.path.as_str()),
                rules::GIT_INTERNALS,
                format!("`{repo}` is a git repository (it has HEAD, objects/ and refs/) under another name than .git; git run inside it reads its config and hooks and can run code on the host. Make the change on the host, or set sync.allow_git_internals = true"),
            ));
        }
    }
    Ok(())
}

/// The outermost git repository `dir` is or lies in, if any.
fn repo_of(
    dir: &RelPath,
    known: &mut HashMap<RelPath, Option<RelPath>>,
    after: &HashMap<String, &FileState>,
    key: &dyn Fn(&RelPath) -> String,
    host: &mut HostView,
) -> std::io::Result<Option<RelPath>> {
    if let Some(k) = known.get(dir) {
        return Ok(k.clone());
    }
    let outer = match dir.parent() {
        Some(p) => repo_of(&p, known, after, key, host)?,
        None => None,
    };
    let found = match outer {
        Some(o) => Some(o),
        None if is_git_dir(dir, after, key, host)? => Some(dir.clone()),
        None => None,
    };
    known.insert(dir.clone(), found.clone());
    Ok(found)
}

/// `dir` has `HEAD` (file or symlink), `objects/` and `refs/` once the change is applied.
fn is_git_dir(dir: &RelPath, after: &HashMap<String, &FileState>, key: &dyn Fn(&RelPath) -> String, host: &mut HostView) -> std::io::Result<bool> {
    let mut state = |name: &str| -> std::io::Result<FileState> {
        let p = dir.join(name);
        match after.get(&key(&p)) {
            Some(s) => Ok((*s).clone()),
            None => host.state_shallow(&p),
        }
    };
    let head = state("HEAD")?;
    if !matches!(head, FileState::File { .. } | FileState::Symlink { .. }) {
        return Ok(false);
    }
    Ok(state("objects")?.is_dir() && state("refs")?.is_dir())
}
