//! Linux: change the mode of an entry its owner locked (a mode-000 file or folder, e.g. one
//! a request applied) without following a symlink: the inode is pinned with
//! `O_PATH|O_NOFOLLOW` and changed through `/proc/self/fd`, which names that inode only.

use rustix::fs::{FileType, Mode, OFlags, RawMode};
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};

fn pin(dir: &OwnedFd, name: &str, kind: FileType) -> std::io::Result<(OwnedFd, u32)> {
    let pinned = rustix::fs::openat(dir, name, OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())?;
    let st = rustix::fs::fstat(&pinned)?;
    if FileType::from_raw_mode(st.st_mode) != kind {
        return Err(std::io::Error::from(rustix::io::Errno::ACCESS));
    }
    Ok((pinned, crate::sync::safefs::perm_bits(&st)))
}

fn proc_path(fd: &OwnedFd) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

/// Open the regular file `name` for reading even if its owner made it unreadable; its mode
/// is restored at once.
pub fn open_unreadable(dir: &OwnedFd, name: &str) -> std::io::Result<File> {
    let (pinned, mode) = pin(dir, name, FileType::RegularFile)?;
    let proc = proc_path(&pinned);
    rustix::fs::chmod(proc.as_str(), Mode::from_raw_mode((mode | 0o400) as RawMode))?;
    let opened = rustix::fs::open(proc.as_str(), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty());
    let restored = rustix::fs::chmod(proc.as_str(), Mode::from_raw_mode(mode as RawMode));
    let fd = opened?;
    restored?;
    Ok(File::from(fd))
}

/// Set the mode of the folder `name`, which cannot be opened (no `r` for its owner).
pub fn chmod_locked_dir(dir: &OwnedFd, name: &str, mode: Mode) -> std::io::Result<()> {
    let (pinned, _) = pin(dir, name, FileType::Directory)?;
    rustix::fs::chmod(proc_path(&pinned).as_str(), mode).map_err(Into::into)
}
