//! Content-addressed blob store (`<dir>/<sha256>`): where a request keeps the new file contents
//! it will write, and where apply keeps backups of what it overwrote.

use super::error::SyncError;
use super::fsutil;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, SyncError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| SyncError::state(&dir, e))?;
        Ok(BlobStore { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256)
    }

    pub fn contains(&self, sha256: &str) -> bool {
        self.path_of(sha256).is_file()
    }

    /// Make every blob written so far durable (one `syncfs` instead of an fsync per blob).
    pub fn sync(&self) -> Result<(), SyncError> {
        let dir = std::fs::File::open(&self.dir).map_err(|e| SyncError::state(&self.dir, e))?;
        super::flush::sync_fs(&dir).map_err(|e| SyncError::state(&self.dir, e))
    }

    /// Start writing one blob; the name is known only once all bytes are in.
    pub fn writer(&self) -> Result<BlobWriter, SyncError> {
        let tmp = fsutil::unique_temp_path(&self.dir, "blob");
        let file = File::create(&tmp).map_err(|e| SyncError::state(&tmp, e))?;
        Ok(BlobWriter { file, tmp, dir: self.dir.clone(), done: false })
    }
}

/// A blob being written; dropped without `finish` it removes its temp file. Either way its
/// file descriptor is closed (a request may hold 100k files under a 256-descriptor limit).
pub struct BlobWriter {
    file: File,
    tmp: PathBuf,
    dir: PathBuf,
    /// Moved into place: nothing to remove on drop.
    done: bool,
}

impl BlobWriter {
    pub fn write(&mut self, data: &[u8]) -> Result<(), SyncError> {
        self.file.write_all(data).map_err(|e| SyncError::state(&self.tmp, e))
    }

    /// Move into place under its hash. Not fsynced: call [`BlobStore::sync`] once the batch is in.
    pub fn finish(mut self, sha256: &str) -> Result<(), SyncError> {
        if !super::flush::BATCHED {
            self.file.sync_all().map_err(|e| SyncError::state(&self.tmp, e))?;
        }
        let dest = self.dir.join(sha256);
        std::fs::rename(&self.tmp, &dest).map_err(|e| SyncError::state(&dest, e))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// sha256 (hex) and size of everything `r` yields, read in 64 KiB chunks (flat memory).
pub fn sha256_reader(r: &mut impl std::io::Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex(&hasher.finalize()), size))
}

/// sha256 of a byte slice, hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}
