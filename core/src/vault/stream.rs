//! Materialize and pack: read each file to ship (which is what makes a cloud provider download
//! an evicted file), retrying while the provider says "not yet", and pack them with the
//! deletions into one tar stream for the VM (`openclaw-vault-copy apply`).
//!
//! Stream layout: `v/<path>` for each entry (folders, files, relative links that stay inside),
//! then one member `deleted` with the paths to delete, NUL-separated. Owners are root (the VM
//! extracts as root into a root-only folder); modes are 0644/0755 (only the executable bit
//! travels); mtimes are the host's.

use super::tree::{safe_rel, Meta, Plan, Tree};
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

/// Where file contents come from: the host's file system, or a test's stand-in.
pub trait FileSource: Send + Sync {
    /// The whole file. A provider that is still downloading it fails with a transient error
    /// (EIO, ESTALE, EAGAIN…), which is retried.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
}

/// The host's files, read as they are (a read of an evicted file is what asks the provider
/// for it on a FUSE mount; macOS is asked first, see `cloud_macos.rs`).
pub struct HostFiles;

impl FileSource for HostFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

/// How long to keep retrying a file the provider has not delivered yet.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Give up on files still unreadable this long after the pass started.
    pub deadline: Duration,
    /// The first wait between tries; doubles up to `max_wait`.
    pub first_wait: Duration,
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry { deadline: Duration::from_secs(120), first_wait: Duration::from_millis(50), max_wait: Duration::from_secs(2) }
    }
}

/// Errors a provider gives while a file is on its way (or held under file coordination):
/// worth another try. Anything else (permission, not found) is final.
pub fn transient(e: &io::Error) -> bool {
    use rustix::io::Errno;
    if e.kind() == io::ErrorKind::Interrupted || e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut {
        return true;
    }
    let Some(code) = e.raw_os_error() else { return false };
    [Errno::IO, Errno::STALE, Errno::AGAIN, Errno::BUSY, Errno::TIMEDOUT, Errno::INTR, Errno::NOTCONN, Errno::DEADLK].iter().any(|x| x.raw_os_error() == code)
}

/// Read `path`, retrying transient errors with backoff until `until`.
pub fn read_retrying(source: &dyn FileSource, path: &Path, retry: &Retry, until: Instant) -> io::Result<Vec<u8>> {
    let mut wait = retry.first_wait;
    loop {
        match source.read(path) {
            Ok(b) => return Ok(b),
            Err(e) if transient(&e) && Instant::now() + wait <= until => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(retry.max_wait);
            }
            Err(e) => return Err(e),
        }
    }
}

/// How far a pass is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Done {
    pub files: usize,
    pub files_total: usize,
    pub bytes: u64,
    pub bytes_total: u64,
}

/// A file that could not be read (not downloaded in time, or a final error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub path: String,
    pub error: String,
}

/// One packed stream and what it holds.
#[derive(Debug, Default)]
pub struct Packed {
    pub tar: Vec<u8>,
    pub shipped: Vec<String>,
    pub deleted: Vec<String>,
    pub unreadable: Vec<Unreadable>,
}

fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: i64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_size(size);
    h.set_mtime(mtime.max(0) as u64);
    h
}

/// Pack `plan` (entries of `host` under `root`) into tar streams of at most about `max_bytes`
/// of file data each (the deletions ride in the first). Files are read through `source` with
/// `retry`; `progress` hears each file done. Entries whose path is unsafe are refused here
/// (the walk never makes them; the VM refuses them again).
pub fn pack(
    root: &Path,
    host: &Tree,
    plan: &Plan,
    source: &dyn FileSource,
    retry: &Retry,
    max_bytes: u64,
    progress: &mut dyn FnMut(Done),
) -> io::Result<Vec<Packed>> {
    let until = Instant::now() + retry.deadline;
    let mut done = Done { files_total: plan.ship.iter().filter(|p| matches!(host.get(*p), Some(Meta::File { .. }))).count(), ..Done::default() };
    done.bytes_total = plan
        .ship
        .iter()
        .filter_map(|p| match host.get(p) {
            Some(Meta::File { size, .. }) => Some(*size),
            _ => None,
        })
        .sum();
    let mut out = Vec::new();
    let mut cur = Packed::default();
    let mut builder = tar::Builder::new(Vec::new());
    let mut cur_bytes = 0u64;
    let deletions: Vec<&String> = plan.delete.iter().filter(|p| safe_rel(p)).collect();
    if !deletions.is_empty() {
        let list: Vec<u8> = deletions.iter().flat_map(|p| p.as_bytes().iter().copied().chain([0u8])).collect();
        let mut h = header(tar::EntryType::Regular, 0o600, list.len() as u64, 0);
        builder.append_data(&mut h, "deleted", list.as_slice())?;
        cur.deleted = deletions.iter().map(|s| s.to_string()).collect();
    }
    for rel in &plan.ship {
        let Some(meta) = host.get(rel) else { continue };
        if !safe_rel(rel) {
            cur.unreadable.push(Unreadable { path: rel.clone(), error: "unsafe path".into() });
            continue;
        }
        let name = format!("v/{rel}");
        match meta {
            Meta::Dir => {
                let mut h = header(tar::EntryType::Directory, 0o755, 0, 0);
                builder.append_data(&mut h, &name, io::empty())?;
            }
            Meta::Link { target } => {
                let mut h = header(tar::EntryType::Symlink, 0o777, 0, 0);
                builder.append_link(&mut h, &name, target)?;
            }
            Meta::File { mtime, exec, .. } => {
                match read_retrying(source, &root.join(rel), retry, until) {
                    Ok(bytes) => {
                        let mode = if *exec { 0o755 } else { 0o644 };
                        let mut h = header(tar::EntryType::Regular, mode, bytes.len() as u64, *mtime);
                        builder.append_data(&mut h, &name, bytes.as_slice())?;
                        cur_bytes += bytes.len() as u64;
                        done.bytes += bytes.len() as u64;
                    }
                    // gone meanwhile: the next event (or refresh) deletes it
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => {
                        cur.unreadable.push(Unreadable { path: rel.clone(), error: e.to_string() });
                        done.files += 1;
                        progress(done);
                        continue;
                    }
                }
                done.files += 1;
                progress(done);
            }
        }
        cur.shipped.push(rel.clone());
        if cur_bytes >= max_bytes {
            cur.tar = builder.into_inner()?;
            out.push(std::mem::take(&mut cur));
            builder = tar::Builder::new(Vec::new());
            cur_bytes = 0;
        }
    }
    cur.tar = builder.into_inner()?;
    if !cur.shipped.is_empty() || !cur.deleted.is_empty() || out.is_empty() || !cur.unreadable.is_empty() {
        out.push(cur);
    }
    Ok(out)
}
