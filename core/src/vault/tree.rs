//! The vault as a list of entries (host side: a walk that follows no symlink; VM side: the
//! copy's manifest) and the difference between the two: what to ship, what to delete.

use super::exclude;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What one entry is, as far as the copy cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meta {
    Dir,
    /// Size, mtime (whole seconds: what the tar carries), executable bit.
    File {
        size: u64,
        mtime: i64,
        exec: bool,
    },
    /// A relative link that stays inside the vault.
    Link {
        target: String,
    },
}

/// Entries by `/`-separated relative path (sorted: parents before children).
pub type Tree = BTreeMap<String, Meta>;

/// What the walk left out, and why (for the user: never silently).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub why: String,
}

/// The walk of a host vault: its entries, the iCloud placeholders seen (their real names, to
/// download), what was skipped.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    pub tree: Tree,
    pub placeholders: Vec<String>,
    pub skipped: Vec<Skipped>,
}

/// A relative path we may ship: no empty, `.` or `..` part, not absolute, no NUL or `\\`.
pub fn safe_rel(rel: &str) -> bool {
    !rel.is_empty() && !rel.starts_with('/') && !rel.contains('\0') && rel.split('/').all(|p| !p.is_empty() && p != "." && p != "..")
}

/// Whether a symlink at `rel` pointing to `target` stays inside the vault: a relative target
/// whose `..` never climb above the vault root (checked on the names, the way the VM checks it).
pub fn link_inside(rel: &str, target: &str) -> bool {
    if target.is_empty() || target.starts_with('/') || target.contains('\0') {
        return false;
    }
    let mut depth: Vec<&str> = rel.split('/').collect();
    depth.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if depth.pop().is_none() {
                    return false;
                }
            }
            p => depth.push(p),
        }
    }
    true
}

fn mtime_secs(meta: &std::fs::Metadata) -> i64 {
    use std::os::unix::fs::MetadataExt;
    meta.mtime()
}

/// The entry at `path` (not followed), or why it cannot travel.
pub fn meta_of(rel: &str, path: &Path) -> std::io::Result<Result<Meta, String>> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    let ft = meta.file_type();
    Ok(if ft.is_dir() {
        Ok(Meta::Dir)
    } else if ft.is_file() {
        Ok(Meta::File { size: meta.len(), mtime: mtime_secs(&meta), exec: meta.permissions().mode() & 0o111 != 0 })
    } else if ft.is_symlink() {
        let target = std::fs::read_link(path)?;
        match target.to_str() {
            Some(t) if link_inside(rel, t) => Ok(Meta::Link { target: t.to_string() }),
            _ => Err(format!("a symlink pointing outside the vault ({})", target.display())),
        }
    } else {
        Err("not a file, folder or symlink (a device, fifo or socket)".into())
    })
}

/// Walk the host vault at `root` (symlinks are not followed), leaving out [`exclude::EXCLUSIONS`].
pub fn walk(root: &Path) -> std::io::Result<Walk> {
    let mut w = Walk::default();
    walk_under(root, "", &mut w)?;
    Ok(w)
}

/// [`walk`] of the subtree `rel` only (the entry itself included), for the follower.
pub fn walk_under(root: &Path, rel: &str, w: &mut Walk) -> std::io::Result<()> {
    let mut stack = vec![rel.to_string()];
    while let Some(dir) = stack.pop() {
        let path = if dir.is_empty() { root.to_path_buf() } else { root.join(&dir) };
        let entries = match std::fs::read_dir(&path) {
            Ok(e) => e,
            Err(e) if !dir.is_empty() && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                w.skipped.push(Skipped { path: format!("{dir}/{}", name.to_string_lossy()), why: "its name is not UTF-8".into() });
                continue;
            };
            let rel = if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") };
            if let Some(x) = exclude::excluded(&rel) {
                if *x == exclude::ICLOUD_PLACEHOLDER {
                    if let Some(t) = exclude::placeholder_target(&rel) {
                        w.placeholders.push(t);
                    }
                }
                continue;
            }
            match meta_of(&rel, &entry.path()) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => w.skipped.push(Skipped { path: rel, why: e.to_string() }),
                Ok(Err(why)) => w.skipped.push(Skipped { path: rel, why }),
                Ok(Ok(m)) => {
                    if m == Meta::Dir {
                        stack.push(rel.clone());
                    }
                    w.tree.insert(rel, m);
                }
            }
        }
    }
    Ok(())
}

/// One line of the VM copy's manifest (`openclaw-vault-copy manifest`).
#[derive(Debug, Deserialize)]
struct ManifestLine {
    p: String,
    t: String,
    #[serde(default)]
    s: u64,
    #[serde(default)]
    m: i64,
    #[serde(default)]
    x: bool,
    #[serde(default)]
    l: String,
}

/// Parse the VM copy's manifest (JSON lines); lines that do not parse are skipped (the
/// entry is then shipped again, which is harmless).
pub fn parse_manifest(text: &str) -> Tree {
    text.lines()
        .filter_map(|l| serde_json::from_str::<ManifestLine>(l).ok())
        .filter(|l| safe_rel(&l.p))
        .filter_map(|l| {
            let m = match l.t.as_str() {
                "d" => Meta::Dir,
                "f" => Meta::File { size: l.s, mtime: l.m, exec: l.x },
                "l" => Meta::Link { target: l.l },
                _ => return None,
            };
            Some((l.p, m))
        })
        .collect()
}

/// What to do to make the copy (`vm`) equal the host (`host`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Entries to ship (parents before children).
    pub ship: Vec<String>,
    /// Entries to delete in the copy (only the topmost of a deleted subtree).
    pub delete: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.ship.is_empty() && self.delete.is_empty()
    }
}

/// The difference by kind, size and mtime (and a link's target).
pub fn diff(host: &Tree, vm: &Tree) -> Plan {
    let mut plan = Plan::default();
    for (rel, m) in host {
        if vm.get(rel) != Some(m) {
            plan.ship.push(rel.clone());
        }
    }
    let mut last_deleted: Option<String> = None;
    for rel in vm.keys() {
        if host.contains_key(rel) {
            continue;
        }
        if let Some(d) = &last_deleted {
            if rel.starts_with(d.as_str()) && rel.as_bytes().get(d.len()) == Some(&b'/') {
                continue;
            }
        }
        plan.delete.push(rel.clone());
        last_deleted = Some(rel.clone());
    }
    plan
}
