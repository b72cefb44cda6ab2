//! Scanning files and directory trees in parallel: walk (no symlink following, `.git`
//! skipped), skip binaries and oversized files, scan the rest on every core.

use super::{RequestBudget, Scanner, SecretFinding};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How to walk and which files to skip.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Files larger than this are skipped (reported in `skipped`).
    pub max_file_bytes: u64,
    /// Worker threads; 0 = one per available core.
    pub threads: usize,
    /// Directory names never entered.
    pub skip_dirs: Vec<String>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions { max_file_bytes: 50 * 1024 * 1024, threads: 0, skip_dirs: vec![".git".into(), ".hg".into(), ".svn".into()] }
    }
}

/// Why a file was not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    Binary,
    TooLarge(u64),
    Symlink,
}

/// What a scan of some paths found.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    /// Sorted by path, then line.
    pub findings: Vec<SecretFinding>,
    pub files_scanned: usize,
    pub bytes_scanned: u64,
    pub skipped: Vec<(String, SkipReason)>,
    /// Files or directories that could not be read: (path, error).
    pub errors: Vec<(String, String)>,
    /// Findings left out once the request's cap was reached (at least this many); each file
    /// concerned still has a capped marker finding.
    pub omitted_findings: usize,
}

/// File extensions that are binary whatever their first bytes say.
const BINARY_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tiff", "psd", "mp3", "mp4", "mov", "avi", "mkv", "wav", "flac", "ogg", "webm", "zip", "gz",
    "tgz", "bz2", "xz", "zst", "7z", "rar", "jar", "war", "pdf", "exe", "dll", "so", "dylib", "o", "a", "lib", "class", "pyc", "wasm", "woff", "woff2", "ttf",
    "otf", "eot", "sqlite", "db", "bin", "dat",
];

/// Binary by extension, or a NUL byte in the first 8 KiB.
pub fn looks_binary(path: &Path, head: &[u8]) -> bool {
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        let ext = ext.to_ascii_lowercase();
        if BINARY_EXTENSIONS.contains(&ext.as_str()) {
            return true;
        }
    }
    memchr::memchr(0, &head[..head.len().min(8192)]).is_some()
}

fn collect(path: &Path, opts: &WalkOptions, files: &mut Vec<(PathBuf, u64)>, out: &mut ScanOutcome, top: bool) {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            out.errors.push((path.display().to_string(), e.to_string()));
            return;
        }
    };
    let ft = meta.file_type();
    if ft.is_symlink() {
        if top {
            // A path named on the command line is followed once.
            match std::fs::metadata(path) {
                Ok(m) if m.is_file() => files.push((path.to_path_buf(), m.len())),
                Ok(m) if m.is_dir() => collect_dir(path, opts, files, out),
                Ok(_) => {}
                Err(e) => out.errors.push((path.display().to_string(), e.to_string())),
            }
        } else {
            out.skipped.push((path.display().to_string(), SkipReason::Symlink));
        }
    } else if ft.is_dir() {
        collect_dir(path, opts, files, out);
    } else if ft.is_file() {
        files.push((path.to_path_buf(), meta.len()));
    }
}

fn collect_dir(dir: &Path, opts: &WalkOptions, files: &mut Vec<(PathBuf, u64)>, out: &mut ScanOutcome) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.errors.push((dir.display().to_string(), e.to_string()));
            return;
        }
    };
    // The entry's type comes from the directory listing itself (no stat per file); sizes
    // are checked while reading.
    let mut children: Vec<(PathBuf, std::fs::FileType)> = Vec::new();
    for entry in entries {
        match entry.and_then(|e| e.file_type().map(|t| (e, t))) {
            Ok((e, t)) => {
                let name = e.file_name();
                if t.is_dir() && opts.skip_dirs.iter().any(|d| name.to_str() == Some(d.as_str())) {
                    continue;
                }
                children.push((e.path(), t));
            }
            Err(e) => out.errors.push((dir.display().to_string(), e.to_string())),
        }
    }
    children.sort_by(|a, b| a.0.cmp(&b.0));
    for (child, t) in children {
        if t.is_symlink() {
            out.skipped.push((child.display().to_string(), SkipReason::Symlink));
        } else if t.is_dir() {
            collect_dir(&child, opts, files, out);
        } else if t.is_file() {
            files.push((child, UNKNOWN_SIZE));
        }
    }
}

/// Size not known from the walk; checked while reading.
const UNKNOWN_SIZE: u64 = u64::MAX;

enum FileResult {
    Scanned(u64, Vec<SecretFinding>),
    Skipped(SkipReason),
    Failed(String),
}

fn scan_one(scanner: &Scanner, budget: &RequestBudget, path: &Path, size: u64, opts: &WalkOptions, buf: &mut Vec<u8>) -> FileResult {
    use std::io::Read;
    if size != UNKNOWN_SIZE && size > opts.max_file_bytes {
        return FileResult::Skipped(SkipReason::TooLarge(size));
    }
    buf.clear();
    let read = std::fs::File::open(path).and_then(|f| f.take(opts.max_file_bytes.saturating_add(1)).read_to_end(buf));
    if let Err(e) = read {
        return FileResult::Failed(e.to_string());
    }
    if buf.len() as u64 > opts.max_file_bytes {
        let real = std::fs::metadata(path).map_or(buf.len() as u64, |m| m.len());
        return FileResult::Skipped(SkipReason::TooLarge(real));
    }
    if looks_binary(path, buf) {
        return FileResult::Skipped(SkipReason::Binary);
    }
    let shown = path.to_string_lossy().replace('\\', "/");
    FileResult::Scanned(buf.len() as u64, scanner.scan_bytes_within(&shown, buf, budget))
}

/// Scan files and directory trees with every core.
pub fn scan_paths(scanner: &Scanner, paths: &[PathBuf], opts: &WalkOptions) -> ScanOutcome {
    let mut out = ScanOutcome::default();
    let mut files = Vec::new();
    for p in paths {
        collect(p, opts, &mut files, &mut out, true);
    }
    let threads = if opts.threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { opts.threads }.clamp(1, files.len().max(1));
    let next = AtomicUsize::new(0);
    let budget = scanner.request_budget();
    let results: Mutex<Vec<(usize, FileResult)>> = Mutex::new(Vec::with_capacity(files.len()));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut local = Vec::new();
                let mut buf = Vec::with_capacity(256 * 1024);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((path, size)) = files.get(i) else { break };
                    local.push((i, scan_one(scanner, &budget, path, *size, opts, &mut buf)));
                }
                results.lock().unwrap_or_else(|e| e.into_inner()).extend(local);
            });
        }
    });
    out.omitted_findings = budget.omitted();
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    for (i, r) in results {
        let shown = files[i].0.display().to_string();
        match r {
            FileResult::Scanned(bytes, findings) => {
                out.files_scanned += 1;
                out.bytes_scanned += bytes;
                out.findings.extend(findings);
            }
            FileResult::Skipped(why) => out.skipped.push((shown, why)),
            FileResult::Failed(e) => out.errors.push((shown, e)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_detection() {
        assert!(looks_binary(Path::new("a.png"), b"text"));
        assert!(looks_binary(Path::new("a.txt"), b"ab\0cd"));
        assert!(!looks_binary(Path::new("a.txt"), b"plain text"));
    }
}
