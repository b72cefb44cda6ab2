//! Linux: a batch of writes is made durable with one `syncfs` on the file system holding it.

use std::os::fd::AsFd;

/// Writes may skip their own fsync; [`sync_fs`] flushes the whole batch.
pub const BATCHED: bool = true;

/// Flush the file system `fd` lives on.
pub fn sync_fs(fd: impl AsFd) -> std::io::Result<()> {
    rustix::fs::syncfs(fd).map_err(std::io::Error::from)
}
