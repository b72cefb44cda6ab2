//! What does not travel into the VM's copy of a vault, and why: one table, shown by
//! `sandbox doctor` and the README. Everything else travels, `.obsidian/` plugins and
//! settings included. Excluded files stay on the host untouched; the sync gate only looks at
//! what the agent writes, so they are never seen as deleted.

/// One rule: a path pattern (as the user would read it) and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exclusion {
    pub pattern: &'static str,
    pub why: &'static str,
}

pub const WORKSPACE: Exclusion = Exclusion {
    pattern: ".obsidian/workspace*.json",
    why: "the per-device window layout (open tabs, panes) that Obsidian rewrites on every click; not a note, and a copy would churn constantly",
};
pub const DS_STORE: Exclusion = Exclusion { pattern: "**/.DS_Store", why: "Finder's per-folder view settings; not part of the vault" };
pub const ICLOUD_PLACEHOLDER: Exclusion =
    Exclusion { pattern: "**/.*.icloud", why: "iCloud's placeholder of an evicted file (older macOS); the file itself is downloaded and copied instead" };
pub const TRASH: Exclusion = Exclusion { pattern: ".trash/", why: "notes deleted into Obsidian's own trash; the agent has no use for them" };

pub const GATE: Exclusion =
    Exclusion { pattern: "**/.sandbox-sync-*", why: "the sync gate's own staging folders and probes while it applies to the vault; never part of the vault" };

/// Every rule, in the order they are checked.
pub static EXCLUSIONS: &[Exclusion] = &[WORKSPACE, DS_STORE, ICLOUD_PLACEHOLDER, TRASH, GATE];

/// The rule that keeps `rel` (a `/`-separated path relative to the vault) out of the copy.
/// A folder that is excluded excludes everything under it.
pub fn excluded(rel: &str) -> Option<&'static Exclusion> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if let Some(rest) = rel.strip_prefix(".obsidian/") {
        if !rest.contains('/') && rest.starts_with("workspace") && rest.ends_with(".json") {
            return Some(&EXCLUSIONS[0]);
        }
    }
    if name == ".DS_Store" {
        return Some(&EXCLUSIONS[1]);
    }
    if name.len() > ".x.icloud".len() - 1 && name.starts_with('.') && name.ends_with(".icloud") {
        return Some(&EXCLUSIONS[2]);
    }
    if rel == ".trash" || rel.starts_with(".trash/") {
        return Some(&EXCLUSIONS[3]);
    }
    if rel.split('/').any(|p| p.starts_with(".sandbox-sync-")) {
        return Some(&EXCLUSIONS[4]);
    }
    None
}

/// The real name behind an iCloud placeholder: `dir/.Note.md.icloud` → `dir/Note.md`.
pub fn placeholder_target(rel: &str) -> Option<String> {
    let (dir, name) = match rel.rsplit_once('/') {
        Some((d, n)) => (Some(d), n),
        None => (None, rel),
    };
    let inner = name.strip_prefix('.')?.strip_suffix(".icloud")?;
    if inner.is_empty() {
        return None;
    }
    Some(match dir {
        Some(d) => format!("{d}/{inner}"),
        None => inner.to_string(),
    })
}
