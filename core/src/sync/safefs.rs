//! Writing inside the host project without ever leaving it or following a symlink: every
//! operation walks from an fd of the project root with `O_NOFOLLOW|O_DIRECTORY` per component
//! and then acts with `*at` calls on the final folder's fd.

use super::blobs::hex;
use super::host::FileState;
use super::relpath::RelPath;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawMode};
use rustix::io::Errno;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// An open project root.
pub struct ProjectRoot {
    fd: OwnedFd,
    path: PathBuf,
}

fn io(e: Errno) -> std::io::Error {
    std::io::Error::from(e)
}

const DIR_FLAGS: OFlags = OFlags::RDONLY.union(OFlags::DIRECTORY).union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);

/// Where an ancestor walk stopped.
pub enum Parent {
    Open(OwnedFd),
    /// An ancestor does not exist.
    Missing,
    /// An ancestor is a symlink or not a folder.
    NotADir(RelPath),
}

impl ProjectRoot {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let path = path.canonicalize()?;
        let fd = rustix::fs::open(&path, DIR_FLAGS, Mode::empty()).map_err(io)?;
        Ok(ProjectRoot { fd, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Open the folder holding `rel`, refusing symlinks on the way.
    pub fn parent(&self, rel: &RelPath) -> std::io::Result<Parent> {
        let mut cur = rustix::io::dup(&self.fd).map_err(io)?;
        for anc in rel.ancestors() {
            match rustix::fs::openat(&cur, anc.file_name(), DIR_FLAGS, Mode::empty()) {
                Ok(fd) => cur = fd,
                Err(Errno::NOENT) => return Ok(Parent::Missing),
                Err(Errno::LOOP) | Err(Errno::NOTDIR) => return Ok(Parent::NotADir(anc)),
                Err(e) => return Err(io(e)),
            }
        }
        Ok(Parent::Open(cur))
    }

    /// The parent folder, or an error saying why it cannot be written into.
    pub fn parent_for_write(&self, rel: &RelPath) -> std::io::Result<OwnedFd> {
        match self.parent(rel)? {
            Parent::Open(fd) => Ok(fd),
            Parent::Missing => Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("the folder of {rel} does not exist"))),
            Parent::NotADir(a) => Err(std::io::Error::other(format!("`{a}` is a symlink or not a folder; refusing to write through it"))),
        }
    }

    /// The state at `rel` (files hashed), never following symlinks. An ancestor that is
    /// missing or not a real folder reads as Missing.
    pub fn state(&self, rel: &RelPath) -> std::io::Result<FileState> {
        let dir = match self.parent(rel)? {
            Parent::Open(fd) => fd,
            _ => return Ok(FileState::Missing),
        };
        state_in(&dir, rel.file_name())
    }

    /// Copy the regular file at `rel` into `out` (no symlink following); returns (sha256, size).
    pub fn copy_out(&self, rel: &RelPath, out: &mut dyn Write) -> std::io::Result<(String, u64)> {
        let dir = self.parent_for_write(rel)?;
        let mut f = open_read(&dir, rel.file_name())?;
        if !f.metadata()?.is_file() {
            return Err(std::io::Error::other(format!("{rel} is not a regular file")));
        }
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            size += n as u64;
        }
        Ok((hex(&hasher.finalize()), size))
    }
}

/// Permission bits of a stat (`st_mode` is u32 on Linux, u16 on macOS).
#[allow(clippy::useless_conversion)]
pub fn perm_bits(st: &rustix::fs::Stat) -> u32 {
    u32::from(st.st_mode) & 0o7777
}

/// State of `name` inside an open folder.
pub fn state_in(dir: &OwnedFd, name: &str) -> std::io::Result<FileState> {
    let st = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(Errno::NOENT) => return Ok(FileState::Missing),
        Err(e) => return Err(io(e)),
    };
    let mode = perm_bits(&st);
    Ok(match FileType::from_raw_mode(st.st_mode) {
        FileType::Directory => FileState::Dir { mode },
        FileType::Symlink => {
            let t = rustix::fs::readlinkat(dir, name, Vec::new()).map_err(io)?;
            FileState::Symlink { target: t.to_string_lossy().into_owned() }
        }
        FileType::RegularFile => {
            let (sha256, size) = super::blobs::sha256_reader(&mut open_read(dir, name)?)?;
            FileState::File { size, sha256, mode }
        }
        _ => FileState::Special,
    })
}

/// Open a regular file for reading without following a symlink; a file its owner made
/// unreadable (mode 000) is opened too, its mode left as it was.
pub fn open_read(dir: &OwnedFd, name: &str) -> std::io::Result<File> {
    match rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => Ok(File::from(fd)),
        Err(Errno::ACCESS) => super::ownperm::open_unreadable(dir, name).map_err(|_| io(Errno::ACCESS)),
        Err(e) => Err(io(e)),
    }
}

/// Write a new regular file `tmp` in `dir` from `src` with `mode` (permission bits only);
/// fsynced if `durable` (otherwise the caller makes a batch durable with [`syncfs`]).
pub fn write_temp(dir: &OwnedFd, tmp: &str, src: &mut dyn Read, mode: u32, durable: bool) -> std::io::Result<()> {
    match rustix::fs::unlinkat(dir, tmp, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => {}
        Err(e) => return Err(io(e)),
    }
    let fd = rustix::fs::openat(
        dir,
        tmp,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600 as RawMode),
    )
    .map_err(io)?;
    let mut f = File::from(fd);
    std::io::copy(src, &mut f)?;
    rustix::fs::fchmod(&f, Mode::from_raw_mode((mode & 0o777) as RawMode)).map_err(io)?;
    if durable || !super::flush::BATCHED {
        f.sync_all()?;
    }
    Ok(())
}

impl ProjectRoot {
    /// Flush the project's whole file system (makes a batch of staged temps durable at once).
    pub fn syncfs(&self) -> std::io::Result<()> {
        super::flush::sync_fs(&self.fd)
    }
}

/// A temp symlink in `dir`.
pub fn write_temp_symlink(dir: &OwnedFd, tmp: &str, target: &str) -> std::io::Result<()> {
    match rustix::fs::unlinkat(dir, tmp, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => {}
        Err(e) => return Err(io(e)),
    }
    rustix::fs::symlinkat(target, dir, tmp).map_err(io)
}

pub fn exists(dir: &OwnedFd, name: &str) -> bool {
    rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).is_ok()
}

pub fn rename(dir: &OwnedFd, from: &str, to: &str) -> std::io::Result<()> {
    rustix::fs::renameat(dir, from, dir, to).map_err(io)
}

/// Remove a non-folder entry (file or symlink); missing is fine.
pub fn unlink(dir: &OwnedFd, name: &str) -> std::io::Result<()> {
    match rustix::fs::unlinkat(dir, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(io(e)),
    }
}

/// Remove an empty folder; missing is fine.
pub fn rmdir(dir: &OwnedFd, name: &str) -> std::io::Result<()> {
    match rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(io(e)),
    }
}

/// Create a folder if missing. Its final permission bits are set later, after its content
/// (as tar does): until then it is `rwx` for its owner.
pub fn mkdir(dir: &OwnedFd, name: &str) -> std::io::Result<()> {
    match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o700 as RawMode)) {
        Ok(()) | Err(Errno::EXIST) => Ok(()),
        Err(e) => Err(io(e)),
    }
}

/// Set a folder's permission bits without following a symlink (a folder its owner locked,
/// mode 000, included).
pub fn chmod_dir(dir: &OwnedFd, name: &str, mode: u32) -> std::io::Result<()> {
    let mode = Mode::from_raw_mode((mode & 0o3777) as RawMode);
    match rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty()) {
        Ok(fd) => rustix::fs::fchmod(&fd, mode).map_err(io),
        Err(Errno::ACCESS) => super::ownperm::chmod_locked_dir(dir, name, mode),
        Err(e) => Err(io(e)),
    }
}

pub fn fsync_dir(dir: &OwnedFd) -> std::io::Result<()> {
    rustix::fs::fsync(dir).map_err(io)
}
