//! Probing how the host file system treats names: case folding and Unicode normalization.
//! Detected at runtime (macOS APFS folds both by default, ext4 neither, ext4 casefold dirs fold case).

use std::path::Path;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct HostFsBehaviour {
    /// `a` and `A` name the same file.
    pub case_insensitive: bool,
    /// NFC and NFD spellings of a name name the same file.
    pub normalizes_unicode: bool,
}

impl HostFsBehaviour {
    pub fn folds(&self) -> bool {
        self.case_insensitive || self.normalizes_unicode
    }

    /// The key two names share iff this file system treats them as the same name.
    pub fn fold(&self, name: &str) -> String {
        let mut s: String = if self.normalizes_unicode { name.nfc().collect() } else { name.to_string() };
        if self.case_insensitive {
            s = s.to_lowercase();
        }
        s
    }

    /// The strictest folding (what a case-insensitive, normalizing FS would do).
    pub fn strictest() -> Self {
        HostFsBehaviour { case_insensitive: true, normalizes_unicode: true }
    }
}

/// Create a probe file in `dir`, look it up under other spellings, remove it.
pub fn probe(dir: &Path) -> std::io::Result<HostFsBehaviour> {
    let tag = format!(
        ".sandbox-sync-probe-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
    );
    let case_insensitive = probe_pair(dir, &format!("{tag}-aB"), &format!("{tag}-Ab"))?;
    let nfc = format!("{tag}-\u{e9}");
    let nfd = format!("{tag}-e\u{301}");
    let normalizes_unicode = probe_pair(dir, &nfc, &nfd)?;
    Ok(HostFsBehaviour { case_insensitive, normalizes_unicode })
}

fn probe_pair(dir: &Path, create: &str, lookup: &str) -> std::io::Result<bool> {
    let made = dir.join(create);
    std::fs::OpenOptions::new().write(true).create_new(true).open(&made)?;
    let seen = std::fs::symlink_metadata(dir.join(lookup)).is_ok();
    std::fs::remove_file(&made)?;
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_follows_behaviour() {
        let b = HostFsBehaviour::strictest();
        assert_eq!(b.fold("R\u{e9}adme"), b.fold("re\u{301}ADME"));
        let none = HostFsBehaviour::default();
        assert_ne!(none.fold("a"), none.fold("A"));
    }

    #[test]
    fn probe_leaves_nothing_behind() {
        let d = tempfile::tempdir().unwrap();
        let b = probe(d.path()).unwrap();
        // tmpfs/ext4 without casefold: both false; whatever it is, nothing is left behind.
        let _ = b;
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }
}
