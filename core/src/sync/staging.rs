//! Where apply prepares new entries before it commits them: one private folder per
//! transaction at the project root (`.sandbox-sync-stage-<random>`, mode 0700, created
//! exclusively), holding one slot per journal op (`n<i>` for new contents, `o<i>` for a
//! rollback's restored contents).
//!
//! Nothing outside this folder is ever named by a guess: a stream entry cannot predict it
//! (random, and every `.sandbox-sync-*` name in a stream is refused), another user cannot
//! enter it, and commit checks each slot is still the entry it staged (same inode, change
//! time, type, size and mode) before renaming it into place.

use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawMode};
use rustix::io::Errno;
use std::io::Read;
use std::os::fd::OwnedFd;

/// Prefix of every name the gate itself creates in a project; refused in change streams.
pub const RESERVED_PREFIX: &str = ".sandbox-sync-";
const STAGE_PREFIX: &str = ".sandbox-sync-stage-";

const DIR_FLAGS: OFlags = OFlags::RDONLY.union(OFlags::DIRECTORY).union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);

/// The open private staging folder of one transaction.
pub struct Stage {
    fd: OwnedFd,
    name: String,
}

/// What a slot held right after it was staged: commit renames it only if it still does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staged {
    ino: u64,
    /// The change time, to the nanosecond: a new file on a reused inode number differs.
    ctime: (i64, i64),
    kind: FileType,
    size: u64,
    perm: u32,
}

/// The slot of op `i` for new contents (`forward`) or for a rollback's old contents.
pub fn slot(i: usize, forward: bool) -> String {
    format!("{}{i}", if forward { 'n' } else { 'o' })
}

fn random_hex() -> std::io::Result<String> {
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(super::blobs::hex(&b))
}

impl Stage {
    /// Create a fresh staging folder in the project root `root` (never reuses an existing one).
    pub fn create(root: &OwnedFd) -> std::io::Result<Stage> {
        loop {
            let name = format!("{STAGE_PREFIX}{}", random_hex()?);
            match rustix::fs::mkdirat(root, name.as_str(), Mode::from_raw_mode(0o700 as RawMode)) {
                Ok(()) => {}
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            }
            let fd = rustix::fs::openat(root, name.as_str(), DIR_FLAGS, Mode::empty())?;
            // The umask may have left it wider than asked; nobody else may enter it.
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o700 as RawMode))?;
            return Ok(Stage { fd, name });
        }
    }

    /// Reopen the staging folder a journal names (recovery), or create a new one if it is
    /// gone. A folder that is not ours and private is never used.
    pub fn reopen(root: &OwnedFd, name: Option<&str>) -> std::io::Result<Stage> {
        if let Some(name) = name.filter(|n| n.starts_with(STAGE_PREFIX) && !n.contains('/')) {
            match rustix::fs::openat(root, name, DIR_FLAGS, Mode::empty()) {
                Ok(fd) => {
                    // Another user's folder by that name could not be written into anyway.
                    if super::safefs::perm_bits(&rustix::fs::fstat(&fd)?) & 0o077 == 0 {
                        return Ok(Stage { fd, name: name.to_string() });
                    }
                }
                // Gone, or replaced by a symlink or a file: not ours, left alone.
                Err(Errno::NOENT | Errno::LOOP | Errno::NOTDIR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Stage::create(root)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Empty the slot (our own folder: no one else's file can be there).
    pub fn clear(&self, slot: &str) -> std::io::Result<()> {
        super::safefs::unlink(&self.fd, slot)
    }

    /// Record what a slot holds now.
    pub fn identify(&self, slot: &str) -> std::io::Result<Staged> {
        let st = rustix::fs::statat(&self.fd, slot, AtFlags::SYMLINK_NOFOLLOW)?;
        #[allow(clippy::unnecessary_cast)]
        let ctime = (st.st_ctime as i64, st.st_ctime_nsec as i64);
        Ok(Staged { ino: st.st_ino as u64, ctime, kind: FileType::from_raw_mode(st.st_mode), size: st.st_size as u64, perm: super::safefs::perm_bits(&st) })
    }

    /// Error unless the slot still holds exactly what [`Stage::identify`] recorded.
    pub fn check(&self, slot: &str, staged: &Staged) -> std::io::Result<()> {
        match self.identify(slot) {
            Ok(now) if now == *staged => Ok(()),
            Ok(_) => Err(std::io::Error::other("the staged copy changed between staging and commit; refusing to commit content that was not reviewed")),
            Err(e) => Err(std::io::Error::other(format!("the staged copy disappeared before commit ({e})"))),
        }
    }

    /// Remove the folder and whatever slots are left in it (files and symlinks only: a
    /// folder inside is not ours and stops the removal).
    pub fn remove(self, root: &OwnedFd) -> std::io::Result<()> {
        let mut names = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.fd)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name != "." && name != ".." {
                names.push(name);
            }
        }
        for n in names {
            self.clear(&n)?;
        }
        super::safefs::rmdir(root, &self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn open_dir(p: &std::path::Path) -> OwnedFd {
        rustix::fs::open(p, DIR_FLAGS, Mode::empty()).unwrap()
    }

    #[test]
    fn a_slot_swapped_after_staging_is_refused_at_commit() {
        let d = tempfile::tempdir().unwrap();
        let root = open_dir(d.path());
        let stage = Stage::create(&root).unwrap();
        assert!(stage.name().starts_with(STAGE_PREFIX) && stage.name().len() == STAGE_PREFIX.len() + 32);
        let dir = d.path().join(stage.name());
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        std::fs::write(dir.join("n0"), b"reviewed").unwrap();
        let staged = stage.identify("n0").unwrap();
        stage.check("n0", &staged).unwrap();
        // Same size and mode, other inode: not what was staged.
        std::fs::remove_file(dir.join("n0")).unwrap();
        std::fs::write(dir.join("n0"), b"swapped!").unwrap();
        assert!(stage.check("n0", &staged).is_err());
        std::fs::remove_file(dir.join("n0")).unwrap();
        assert!(stage.check("n0", &staged).is_err());
        // Recovery reopens it by name; a name that is not a staging folder gets a fresh one.
        let again = Stage::reopen(&root, Some(stage.name())).unwrap();
        assert_eq!(again.name(), stage.name());
        let fresh = Stage::reopen(&root, Some("../elsewhere")).unwrap();
        assert_ne!(fresh.name(), stage.name());
        let swapped = format!("{STAGE_PREFIX}swapped");
        std::os::unix::fs::symlink("/tmp", d.path().join(&swapped)).unwrap();
        let other = Stage::reopen(&root, Some(&swapped)).unwrap();
        assert_ne!(other.name(), swapped, "a symlink in its place is never used");
        other.remove(&root).unwrap();
        std::fs::remove_file(d.path().join(&swapped)).unwrap();
        std::fs::write(dir.join("o3"), b"x").unwrap();
        stage.remove(&root).unwrap();
        fresh.remove(&root).unwrap();
        drop(again);
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }
}
