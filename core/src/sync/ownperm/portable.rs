//! Other Unixes (macOS): change the mode of an entry its owner locked (mode 000) with
//! `AT_SYMLINK_NOFOLLOW`, so a symlink swapped in is never followed.

use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawMode};
use std::fs::File;
use std::os::fd::OwnedFd;

fn mode_of(dir: &OwnedFd, name: &str, kind: FileType) -> std::io::Result<u32> {
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    if FileType::from_raw_mode(st.st_mode) != kind {
        return Err(std::io::Error::from(rustix::io::Errno::ACCESS));
    }
    Ok(crate::sync::safefs::perm_bits(&st))
}

/// Open the regular file `name` for reading even if its owner made it unreadable; its mode
/// is restored at once.
pub fn open_unreadable(dir: &OwnedFd, name: &str) -> std::io::Result<File> {
    let mode = mode_of(dir, name, FileType::RegularFile)?;
    rustix::fs::chmodat(dir, name, Mode::from_raw_mode((mode | 0o400) as RawMode), AtFlags::SYMLINK_NOFOLLOW)?;
    let opened = rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty());
    let restored = rustix::fs::chmodat(dir, name, Mode::from_raw_mode(mode as RawMode), AtFlags::SYMLINK_NOFOLLOW);
    let fd = opened?;
    restored?;
    Ok(File::from(fd))
}

/// Set the mode of the folder `name`, which cannot be opened (no `r` for its owner).
pub fn chmod_locked_dir(dir: &OwnedFd, name: &str, mode: Mode) -> std::io::Result<()> {
    mode_of(dir, name, FileType::Directory)?;
    rustix::fs::chmodat(dir, name, mode, AtFlags::SYMLINK_NOFOLLOW).map_err(Into::into)
}
