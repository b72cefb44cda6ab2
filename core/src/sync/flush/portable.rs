//! Other Unixes (macOS): no `syncfs`, so every write fsyncs itself and [`sync_fs`] only flushes
//! the given descriptor.

use std::os::fd::AsFd;

/// Writes must fsync themselves.
pub const BATCHED: bool = false;

/// Flush `fd` (a folder: its entries).
pub fn sync_fs(fd: impl AsFd) -> std::io::Result<()> {
    rustix::fs::fsync(fd).map_err(std::io::Error::from)
}
