//! Small crash-safe file helpers for the sync gate's own state (not the host project).

use super::error::SyncError;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temp-file name inside `dir`.
pub fn unique_temp_path(dir: &Path, tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{tag}.{}.{n}.tmp", std::process::id()))
}

/// Write `bytes` to `path` atomically: temp file, fsync, rename, fsync the folder.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), SyncError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| SyncError::state(dir, e))?;
    let tmp = unique_temp_path(dir, "state");
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| SyncError::state(path, e))
}

/// fsync a folder so a rename inside it is durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Read and parse a JSON state file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SyncError> {
    let bytes = std::fs::read(path).map_err(|e| SyncError::state(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| SyncError::CorruptState { path: path.to_path_buf(), detail: e.to_string() })
}

/// Serialize and atomically write a JSON state file.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), SyncError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| SyncError::CorruptState { path: path.to_path_buf(), detail: e.to_string() })?;
    atomic_write(path, &bytes)
}
