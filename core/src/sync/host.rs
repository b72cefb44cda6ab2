//! Reading the host project without following symlinks: states, hashes, subtree walks.

use super::relpath::RelPath;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// What is (or will be) at one project path. Used both for the snapshot of the host (`old`)
/// and the state a change produces (`new`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FileState {
    Missing,
    File {
        size: u64,
        sha256: String,
        mode: u32,
    },
    Dir {
        mode: u32,
    },
    Symlink {
        target: String,
    },
    /// A device, fifo or socket on the host: never touched.
    Special,
}

impl FileState {
    pub fn is_dir(&self) -> bool {
        matches!(self, FileState::Dir { .. })
    }
    pub fn is_missing(&self) -> bool {
        matches!(self, FileState::Missing)
    }
    /// The kind of entry, as a reviewer reads it.
    pub fn type_name(&self) -> &'static str {
        match self {
            FileState::Missing => "missing",
            FileState::File { .. } => "file",
            FileState::Dir { .. } => "directory",
            FileState::Symlink { .. } => "symlink",
            FileState::Special => "special file",
        }
    }
}

/// A read-only view of the host project.
pub struct HostView {
    root: PathBuf,
    /// Known kind of directories on the way down: true = real directory.
    dirs: HashMap<RelPath, bool>,
    /// Folders known to be real folders all the way from the root (true) or not (false).
    chains: HashMap<RelPath, bool>,
}

impl HostView {
    pub fn new(root: &Path) -> std::io::Result<Self> {
        let root = root.canonicalize()?;
        if !root.is_dir() {
            return Err(std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"));
        }
        Ok(HostView { root, dirs: HashMap::new(), chains: HashMap::new() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn abs(&self, rel: &RelPath) -> PathBuf {
        self.root.join(rel.as_str())
    }

    /// The kind of an ancestor: `Ok(true)` real dir, `Ok(false)` missing/other.
    fn is_real_dir(&mut self, rel: &RelPath) -> bool {
        if let Some(&k) = self.dirs.get(rel) {
            return k;
        }
        let k = std::fs::symlink_metadata(self.abs(rel)).map(|m| m.file_type().is_dir()).unwrap_or(false);
        self.dirs.insert(rel.clone(), k);
        k
    }

    /// Every ancestor of `rel` is a real folder. Remembered per folder, so the cost of a
    /// lookup does not grow with the path's depth.
    fn ancestry_is_real(&mut self, rel: &RelPath) -> bool {
        let Some(parent) = rel.parent() else { return true };
        if let Some(&k) = self.chains.get(&parent) {
            return k;
        }
        let k = self.ancestry_is_real(&parent) && self.is_real_dir(&parent);
        self.chains.insert(parent, k);
        k
    }

    /// Lstat without following anything: `None` if the path or an ancestor is missing.
    pub fn ancestor_symlink(&mut self, rel: &RelPath) -> Option<RelPath> {
        for anc in rel.ancestors() {
            if self.is_real_dir(&anc) {
                continue;
            }
            let is_link = std::fs::symlink_metadata(self.abs(&anc)).map(|m| m.file_type().is_symlink()).unwrap_or(false);
            return if is_link { Some(anc) } else { None };
        }
        None
    }

    /// The state at `rel`; files are hashed. An ancestor that is not a real folder → Missing.
    pub fn state(&mut self, rel: &RelPath) -> std::io::Result<FileState> {
        if !self.ancestry_is_real(rel) {
            return Ok(FileState::Missing);
        }
        state_at(&self.abs(rel))
    }

    /// Like [`HostView::state`] but without hashing files (`sha256` left empty).
    pub fn state_shallow(&mut self, rel: &RelPath) -> std::io::Result<FileState> {
        if !self.ancestry_is_real(rel) {
            return Ok(FileState::Missing);
        }
        let meta = match std::fs::symlink_metadata(self.abs(rel)) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Missing),
            Err(e) => return Err(e),
        };
        let ft = meta.file_type();
        let mode = meta.permissions().mode() & 0o7777;
        Ok(if ft.is_dir() {
            FileState::Dir { mode }
        } else if ft.is_symlink() {
            FileState::Symlink { target: String::new() }
        } else if ft.is_file() {
            FileState::File { size: meta.len(), sha256: String::new(), mode }
        } else {
            FileState::Special
        })
    }

    /// Every host entry strictly below `dir`, each with its state, parents before children.
    pub fn walk(&mut self, dir: &RelPath) -> std::io::Result<Vec<(RelPath, FileState)>> {
        let mut out = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            let mut names: Vec<String> = Vec::new();
            for e in std::fs::read_dir(self.abs(&d))? {
                let e = e?;
                match e.file_name().into_string() {
                    Ok(n) => names.push(n),
                    Err(n) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("non-UTF-8 host file name {n:?} under {d}"))),
                }
            }
            names.sort();
            for n in names {
                let child = d.join(&n);
                let st = state_at(&self.abs(&child))?;
                if st.is_dir() {
                    stack.push(child.clone());
                }
                out.push((child, st));
            }
        }
        Ok(out)
    }

    /// Names directly inside a host folder (empty if it is not a real folder).
    pub fn list(&mut self, dir: Option<&RelPath>) -> Vec<String> {
        let real = match dir {
            None => true,
            Some(d) => self.ancestry_is_real(d) && self.is_real_dir(d),
        };
        if !real {
            return Vec::new();
        }
        let abs = dir.map(|d| self.abs(d)).unwrap_or_else(|| self.root.clone());
        std::fs::read_dir(abs).map(|it| it.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect()).unwrap_or_default()
    }
}

/// Lstat one absolute path into a [`FileState`], hashing regular files (opened O_NOFOLLOW).
pub fn state_at(abs: &Path) -> std::io::Result<FileState> {
    let meta = match std::fs::symlink_metadata(abs) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Missing),
        Err(e) => return Err(e),
    };
    let ft = meta.file_type();
    let mode = meta.permissions().mode() & 0o7777;
    Ok(if ft.is_symlink() {
        let t = std::fs::read_link(abs)?;
        FileState::Symlink { target: t.to_string_lossy().into_owned() }
    } else if ft.is_dir() {
        FileState::Dir { mode }
    } else if ft.is_file() {
        let (sha256, size) = hash_file_nofollow(abs)?;
        FileState::File { size, sha256, mode }
    } else {
        // fifo, socket, device
        FileState::Special
    })
}

/// sha256 and size of a regular file, refusing to follow a symlink at the last component.
/// A file its owner made unreadable (mode 000, e.g. applied by an earlier request) is read
/// through a pinned inode, its mode left as it was.
pub fn hash_file_nofollow(abs: &Path) -> std::io::Result<(String, u64)> {
    let opened = std::fs::OpenOptions::new().read(true).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32).open(abs);
    let mut f = match opened {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            let (Some(parent), Some(name)) = (abs.parent(), abs.file_name().and_then(|n| n.to_str())) else { return Err(e) };
            let flags = rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::CLOEXEC;
            let dir = rustix::fs::open(parent, flags, rustix::fs::Mode::empty())?;
            super::ownperm::open_unreadable(&dir, name).map_err(|_| e)?
        }
        r => r?,
    };
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    super::blobs::sha256_reader(&mut f)
}
