//! Names that would collide on a case-insensitive or Unicode-normalizing host file system.

use super::changeset::Change;
use super::finding::{rules, Finding};
use super::host::{FileState, HostView};
use super::probe::HostFsBehaviour;
use super::relpath::RelPath;
use std::collections::{HashMap, HashSet};

/// Block collisions this host would suffer; warn about those only a stricter host would.
pub fn check(changes: &[Change], host: &mut HostView, behaviour: HostFsBehaviour, findings: &mut Vec<Finding>) {
    let created: Vec<&Change> = changes.iter().filter(|c| !matches!(c.new, FileState::Missing)).collect();
    let deleted: HashSet<&RelPath> = changes.iter().filter(|c| matches!(c.new, FileState::Missing)).map(|c| &c.path).collect();
    let strict = HostFsBehaviour::strictest();

    // Within the change set: two new names in one folder that fold together.
    let mut groups: HashMap<(Option<RelPath>, String), Vec<&RelPath>> = HashMap::new();
    for c in &created {
        groups.entry((c.path.parent(), strict.fold(c.path.file_name()))).or_default().push(&c.path);
    }
    for paths in groups.values().filter(|v| v.len() > 1) {
        for p in paths {
            let others: Vec<String> = paths.iter().filter(|o| *o != p).map(|o| o.to_string()).collect();
            let collides_here = paths.iter().any(|o| o != p && behaviour.fold(o.file_name()) == behaviour.fold(p.file_name()));
            let msg = format!("`{p}` and `{}` differ only in case or Unicode form", others.join("`, `"));
            if collides_here {
                findings.push(Finding::block(
                    Some(p.as_str()),
                    rules::NAME_COLLISION,
                    format!("{msg}; this host's file system treats them as one file. Rename one in the sandbox"),
                ));
            } else {
                findings.push(Finding::warn(
                    Some(p.as_str()),
                    rules::CASE_COLLISION_ELSEWHERE,
                    format!("{msg}; they would clash on macOS/Windows file systems. Consider renaming one"),
                ));
            }
        }
    }

    // Against the host: a new name that folds onto an existing, differently spelled one.
    // Blocked if this host folds them together; a warning if only a stricter host would.
    let mut listings: HashMap<Option<RelPath>, HashMap<String, Vec<String>>> = HashMap::new();
    for c in &created {
        let parent = c.path.parent();
        let names = listings.entry(parent.clone()).or_insert_with(|| {
            let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
            for n in host.list(parent.as_ref()) {
                by_key.entry(strict.fold(&n)).or_default().push(n);
            }
            by_key
        });
        let name = c.path.file_name();
        let Some(existing_names) = names.get(&strict.fold(name)) else { continue };
        for existing in existing_names {
            if existing == name {
                continue;
            }
            let existing_path = match &parent {
                Some(p) => p.join(existing),
                None => RelPath::parse(existing).ok().flatten().unwrap_or_else(|| c.path.clone()),
            };
            if deleted.contains(&existing_path) {
                continue;
            }
            if behaviour.fold(existing) == behaviour.fold(name) {
                findings.push(Finding::block(
                    Some(c.path.as_str()),
                    rules::NAME_COLLISION,
                    format!("the host already has `{existing_path}`, which this host's file system treats as the same name; rename the file in the sandbox"),
                ));
            } else {
                findings.push(Finding::warn(Some(c.path.as_str()), rules::CASE_COLLISION_ELSEWHERE, format!("the host already has `{existing_path}`; the two names differ only in case or Unicode form and would clash on macOS/Windows file systems. Consider renaming one")));
            }
        }
    }
}
