//! Tar ingestion: the overlay upper dir, as GNU tar streams it, into [`UpperEntry`]s.
//!
//! Streaming: file contents are hashed (and optionally copied into a [`BlobStore`]) chunk by
//! chunk; only a file no larger than `buffer_limit` is held in memory, for scanning, so memory
//! stays flat however big the stream is.

use super::blobs::{hex, BlobStore};
use super::error::SyncError;
use super::finding::{quoted, rules, Finding};
use super::relpath::{PathProblem, RelPath, MAX_DEPTH, MAX_PATH_BYTES};
use super::staging::RESERVED_PREFIX;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use tar::EntryType;

/// What the upper layer holds at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpperKind {
    File {
        size: u64,
        sha256: String,
        mode: u32,
        binary: bool,
    },
    Dir {
        mode: u32,
        opaque: bool,
    },
    Symlink {
        target: String,
    },
    /// Overlay whiteout (char device 0:0): the path was deleted.
    Whiteout,
    /// Refused at ingestion (a finding says why); never applied, and nothing below it either.
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpperEntry {
    pub path: RelPath,
    pub kind: UpperKind,
}

/// The ingested upper layer, in stream order, plus the refusals found on the way.
#[derive(Debug, Default)]
pub struct Upper {
    pub entries: Vec<UpperEntry>,
    pub findings: Vec<Finding>,
}

/// Receives each regular file's content while the stream passes.
pub trait ContentSink {
    /// `data` is the whole content when it fit in the buffer limit, else `None`.
    fn file(&mut self, path: &RelPath, data: Option<&[u8]>, binary: bool);
    /// `link` is a hard link to the already-seen `target`.
    fn hardlink(&mut self, link: &RelPath, target: &RelPath);
}

/// A sink that ignores content.
pub struct NoContent;
impl ContentSink for NoContent {
    fn file(&mut self, _: &RelPath, _: Option<&[u8]>, _: bool) {}
    fn hardlink(&mut self, _: &RelPath, _: &RelPath) {}
}

pub struct IngestOptions<'a> {
    /// Files up to this size are buffered and handed to the sink whole.
    pub buffer_limit: u64,
    /// Where to keep the new contents (needed to apply later); `None` for a check only.
    pub blobs: Option<&'a BlobStore>,
}

const XATTR_PREFIX: &str = "SCHILY.xattr.";
const BINARY_SNIFF: usize = 8192;

/// Extended-header data gathered for the next real entry (PAX `x` records, GNU long names).
#[derive(Default)]
struct Pending {
    path: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
    xattrs: Vec<(String, Vec<u8>)>,
}

/// Largest PAX / long-name header accepted (they hold names and small xattrs).
const MAX_EXTENSION_BYTES: u64 = 1 << 20;

/// Read a whole tar stream.
///
/// Extended headers are parsed here, not by the `tar` crate: PAX records are length-prefixed
/// and overlay xattr values (`trusted.overlay.origin`, `metacopy`) are binary and may contain
/// newlines, which the crate's line-based PAX reader misparses.
pub fn ingest<R: Read>(reader: R, opts: &IngestOptions<'_>, sink: &mut dyn ContentSink) -> Result<Upper, SyncError> {
    let mut archive = tar::Archive::new(reader);
    let mut upper = Upper::default();
    let mut index: HashMap<RelPath, usize> = HashMap::new();
    let entries = archive.entries().map_err(malformed)?.raw(true);
    let mut pending = Pending::default();
    for entry in entries {
        let mut entry = entry.map_err(malformed)?;
        let etype = entry.header().entry_type();
        match etype {
            EntryType::XHeader => {
                let data = read_extension(&mut entry)?;
                for (key, value) in parse_pax(&data)? {
                    match key.as_str() {
                        "path" => pending.path = Some(value),
                        "linkpath" => pending.link = Some(value),
                        "size" => pending.size = std::str::from_utf8(&value).ok().and_then(|v| v.parse().ok()),
                        k => {
                            if let Some(name) = k.strip_prefix(XATTR_PREFIX) {
                                if name.starts_with("trusted.overlay.") {
                                    pending.xattrs.push((name.to_string(), value));
                                }
                            }
                        }
                    }
                }
                continue;
            }
            EntryType::XGlobalHeader => {
                read_extension(&mut entry)?;
                continue;
            }
            EntryType::GNULongName | EntryType::GNULongLink => {
                let mut data = read_extension(&mut entry)?;
                while data.last() == Some(&0) {
                    data.pop();
                }
                if etype == EntryType::GNULongName {
                    pending.path = Some(data);
                } else {
                    pending.link = Some(data);
                }
                continue;
            }
            _ => {}
        }
        let ext = std::mem::take(&mut pending);
        if let Some(size) = ext.size {
            if size != entry.size() {
                return Err(malformed_msg(format!("an entry's PAX size ({size}) differs from its header; files of 8 GiB and more are not supported")));
            }
        }
        let raw_path = ext.path.unwrap_or_else(|| entry.path_bytes().into_owned());
        let raw_link = ext.link.or_else(|| entry.link_name_bytes().map(|l| l.into_owned()));
        let shown = quoted(String::from_utf8_lossy(&raw_path).trim_start_matches("./"));
        let path = match RelPath::from_tar(&raw_path) {
            Ok(Some(p)) => p,
            Ok(None) => continue, // the upper dir itself
            Err(problem) => {
                upper.findings.push(path_refusal(&shown, problem));
                continue;
            }
        };
        if path.components().any(|c| c.starts_with(RESERVED_PREFIX)) {
            upper.findings.push(Finding::block(
                Some(path.as_str()),
                rules::RESERVED_NAME,
                format!("names starting with `{RESERVED_PREFIX}` are reserved for the gate's own staging; rename it in the sandbox"),
            ));
            index.entry(path.clone()).or_insert_with(|| {
                upper.entries.push(UpperEntry { path: path.clone(), kind: UpperKind::Refused });
                upper.entries.len() - 1
            });
            continue;
        }
        let mode = entry.header().mode().map_err(malformed)? & 0o7777;
        let extras = Extras { xattrs: &ext.xattrs, link: raw_link.as_deref() };
        let kind = match classify(&mut upper, &path, etype, &entry, mode, &extras, &index)? {
            Some(Classified::Kind(k)) => k,
            // The sticky bit means nothing on a file (and is not applied): not part of review.
            Some(Classified::Regular) => read_file(&mut entry, &path, mode & 0o777, opts, sink)?,
            Some(Classified::Hardlink(target)) => {
                let k = upper.entries[index[&target]].kind.clone();
                sink.hardlink(&path, &target);
                k
            }
            None => UpperKind::Refused,
        };
        if let Some(&prev) = index.get(&path) {
            upper.findings.push(Finding::block(
                Some(path.as_str()),
                rules::DUPLICATE_ENTRY,
                "the stream holds this path twice; refusing to guess which one is meant. Re-export the upper dir",
            ));
            upper.entries[prev].kind = UpperKind::Refused;
            continue;
        }
        index.insert(path.clone(), upper.entries.len());
        upper.entries.push(UpperEntry { path, kind });
    }
    if pending.path.is_some() || pending.link.is_some() || !pending.xattrs.is_empty() {
        return Err(malformed_msg("the stream ends with an extended header but no entry".into()));
    }
    Ok(upper)
}

fn read_extension<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Vec<u8>, SyncError> {
    if entry.size() > MAX_EXTENSION_BYTES {
        return Err(malformed_msg(format!("an extended header of {} bytes is larger than the {MAX_EXTENSION_BYTES} accepted", entry.size())));
    }
    let mut data = Vec::with_capacity(entry.size() as usize);
    entry.read_to_end(&mut data).map_err(malformed)?;
    Ok(data)
}

/// Parse PAX records: `<len> <key>=<value>\n`, `len` counting the whole record in bytes.
pub fn parse_pax(data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, SyncError> {
    let bad = |why: &str| malformed_msg(format!("malformed PAX header: {why}"));
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let space = rest.iter().position(|&b| b == b' ').ok_or_else(|| bad("no length"))?;
        let len: usize = std::str::from_utf8(&rest[..space]).ok().and_then(|s| s.parse().ok()).ok_or_else(|| bad("bad length"))?;
        if len <= space + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err(bad("record length does not match"));
        }
        let record = &rest[space + 1..len - 1];
        let eq = record.iter().position(|&b| b == b'=').ok_or_else(|| bad("record without `=`"))?;
        let key = std::str::from_utf8(&record[..eq]).map_err(|_| bad("key is not UTF-8"))?;
        out.push((key.to_string(), record[eq + 1..].to_vec()));
        rest = &rest[len..];
    }
    Ok(out)
}

/// What the extended headers said about an entry.
struct Extras<'a> {
    xattrs: &'a [(String, Vec<u8>)],
    link: Option<&'a [u8]>,
}

enum Classified {
    Kind(UpperKind),
    Regular,
    Hardlink(RelPath),
}

fn classify<R: Read>(
    upper: &mut Upper,
    path: &RelPath,
    etype: EntryType,
    entry: &tar::Entry<'_, R>,
    mode: u32,
    extras: &Extras<'_>,
    index: &HashMap<RelPath, usize>,
) -> Result<Option<Classified>, SyncError> {
    let (xattrs, raw_link) = (extras.xattrs, extras.link);
    let p = Some(path.as_str());
    let mut opaque = false;
    for (name, value) in xattrs {
        match name.as_str() {
            "trusted.overlay.opaque" if value.as_slice() == b"y" => opaque = true,
            "trusted.overlay.impure" | "trusted.overlay.origin" | "trusted.overlay.nlink" | "trusted.overlay.protattr" => {}
            "trusted.overlay.redirect" => {
                upper.findings.push(Finding::block(
                    p,
                    rules::OVERLAY_REDIRECT,
                    "the overlay recorded a directory rename (redirect_dir), which the gate does not support; mount the overlay with redirect_dir=off",
                ));
                return Ok(None);
            }
            "trusted.overlay.metacopy" => {
                upper.findings.push(Finding::block(
                    p,
                    rules::OVERLAY_METACOPY,
                    "the overlay holds only metadata for this file (metacopy), so its content is not in the stream; mount the overlay with metacopy=off",
                ));
                return Ok(None);
            }
            other => {
                upper.findings.push(Finding::block(
                    p,
                    rules::OVERLAY_UNSUPPORTED,
                    format!("unsupported overlay attribute `{other}`; the gate does not guess at it. Mount the overlay with redirect_dir=off,metacopy=off"),
                ));
                return Ok(None);
            }
        }
    }
    // Folders: checked against the host in the change set (a setgid folder copied up unchanged is fine).
    if mode & 0o6000 != 0 && matches!(etype, EntryType::Regular | EntryType::Continuous | EntryType::Link) {
        upper.findings.push(Finding::block(
            p,
            rules::SETUID,
            format!("mode {mode:o} has the setuid/setgid bit; the gate never creates such files. Remove the bit in the sandbox (chmod u-s,g-s)"),
        ));
        return Ok(None);
    }
    let header = entry.header();
    Ok(Some(match etype {
        EntryType::Regular | EntryType::Continuous => Classified::Regular,
        EntryType::Directory => Classified::Kind(UpperKind::Dir { mode, opaque }),
        EntryType::Symlink => {
            let target = match raw_link {
                Some(t) => t.to_vec(),
                None => return Err(malformed_msg(format!("symlink {path} has no target"))),
            };
            match String::from_utf8(target) {
                Ok(t) if !t.is_empty() && !t.chars().any(char::is_control) => Classified::Kind(UpperKind::Symlink { target: t }),
                _ => {
                    upper.findings.push(Finding::block(
                        p,
                        rules::UNSAFE_NAME,
                        "the symlink target is empty, not UTF-8 or holds control characters; change it in the sandbox",
                    ));
                    return Ok(None);
                }
            }
        }
        EntryType::Link => {
            let raw = raw_link.map(|t| t.to_vec()).unwrap_or_default();
            let target = match RelPath::from_tar(&raw) {
                Ok(Some(t)) => t,
                _ => {
                    upper.findings.push(Finding::block(
                        p,
                        rules::HARDLINK_OUTSIDE,
                        format!(
                            "hard link to `{}`, which is outside the change set; copy the file instead of linking it",
                            quoted(&String::from_utf8_lossy(&raw))
                        ),
                    ));
                    return Ok(None);
                }
            };
            match index.get(&target).map(|&i| &upper.entries[i].kind) {
                Some(UpperKind::File { .. }) => Classified::Hardlink(target),
                _ => {
                    upper.findings.push(Finding::block(
                        p,
                        rules::HARDLINK_OUTSIDE,
                        format!("hard link to `{target}`, which is not a file in the change set; copy the file instead of linking it"),
                    ));
                    return Ok(None);
                }
            }
        }
        EntryType::Char => {
            let major = header.device_major().ok().flatten().unwrap_or(u32::MAX);
            let minor = header.device_minor().ok().flatten().unwrap_or(u32::MAX);
            if major == 0 && minor == 0 {
                Classified::Kind(UpperKind::Whiteout)
            } else {
                upper.findings.push(Finding::block(
                    p,
                    rules::SPECIAL_FILE,
                    format!("character device {major}:{minor}; the gate never creates device files. Remove it in the sandbox"),
                ));
                return Ok(None);
            }
        }
        other => {
            let what = match other {
                EntryType::Block => "block device".to_string(),
                EntryType::Fifo => "fifo".to_string(),
                EntryType::GNUSparse => "GNU sparse file (re-export without --sparse)".to_string(),
                o => format!("tar entry of type {:?}", o.as_byte() as char),
            };
            upper.findings.push(Finding::block(
                p,
                rules::SPECIAL_FILE,
                format!("{what}; only files, folders and symlinks can be synced. Remove it in the sandbox"),
            ));
            return Ok(None);
        }
    }))
}

fn read_file<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    path: &RelPath,
    mode: u32,
    opts: &IngestOptions<'_>,
    sink: &mut dyn ContentSink,
) -> Result<UpperKind, SyncError> {
    let declared = entry.size();
    let buffer = declared <= opts.buffer_limit;
    // The header's size is untrusted: never pre-allocate more than 1 MiB on its word.
    let mut kept: Vec<u8> = if buffer { Vec::with_capacity(declared.min(1 << 20) as usize) } else { Vec::new() };
    let mut writer = match opts.blobs {
        Some(store) => Some(store.writer()?),
        None => None,
    };
    let mut hasher = Sha256::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    let mut binary = false;
    loop {
        let n = entry.read(&mut chunk).map_err(malformed)?;
        if n == 0 {
            break;
        }
        let data = &chunk[..n];
        if (size as usize) < BINARY_SNIFF {
            let upto = (BINARY_SNIFF - size as usize).min(n);
            binary |= data[..upto].contains(&0);
        }
        hasher.update(data);
        if let Some(w) = writer.as_mut() {
            w.write(data)?;
        }
        if buffer {
            kept.extend_from_slice(data);
        }
        size += n as u64;
    }
    if size != declared {
        return Err(malformed_msg(format!("{path} is truncated ({size} of {declared} bytes)")));
    }
    let sha256 = hex(&hasher.finalize());
    if let Some(w) = writer {
        w.finish(&sha256)?;
    }
    if buffer && !binary {
        binary = std::str::from_utf8(&kept).is_err();
    }
    sink.file(path, if buffer { Some(&kept) } else { None }, binary);
    Ok(UpperKind::File { size, sha256, mode, binary })
}

fn path_refusal(shown: &str, problem: PathProblem) -> Finding {
    let (rule, msg) = match problem {
        PathProblem::Absolute => (rules::ABSOLUTE_PATH, "absolute path in the change stream; only paths inside the project can be synced"),
        PathProblem::ParentDir => (rules::PARENT_DIR, "path climbs out with `..`; only paths inside the project can be synced"),
        PathProblem::NotUtf8 => (rules::UNSAFE_NAME, "file name is not valid UTF-8; rename it in the sandbox"),
        PathProblem::ControlChar => {
            (rules::UNSAFE_NAME, "file name contains control or bidirectional-text characters (shown escaped); rename it in the sandbox")
        }
        PathProblem::TooDeep => (rules::PATH_TOO_DEEP, "the path has more components than the gate handles"),
        PathProblem::TooLong => (rules::PATH_TOO_DEEP, "the path is longer than the gate handles"),
    };
    let msg = match problem {
        PathProblem::TooDeep | PathProblem::TooLong => {
            format!("{msg} (at most {MAX_DEPTH} components and {MAX_PATH_BYTES} bytes); shorten or flatten it in the sandbox")
        }
        _ => msg.to_string(),
    };
    Finding::block(Some(shown), rule, msg)
}

fn malformed(e: std::io::Error) -> SyncError {
    SyncError::MalformedTar { detail: e.to_string() }
}

fn malformed_msg(detail: String) -> SyncError {
    SyncError::MalformedTar { detail }
}
