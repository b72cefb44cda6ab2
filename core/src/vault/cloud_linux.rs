//! Linux: a vault on a FUSE file system (rclone mount, onedriver, google-drive-ocamlfuse…) is
//! provider-backed: such file systems fetch a file when it is opened or read, and fail reads
//! (EIO, ESTALE…) while they cannot. Materializing = reading each file (see `stream.rs`).

use super::kind::VaultKind;
use std::path::Path;

/// The statfs magic of every FUSE file system (`FUSE_SUPER_MAGIC`, linux/magic.h).
const FUSE_SUPER_MAGIC: i64 = 0x6573_5546;

/// A FUSE file system under `path`: its type from /proc/self/mountinfo (e.g. `fuse.rclone`).
pub fn probe(path: &Path) -> Option<VaultKind> {
    let st = rustix::fs::statfs(path).ok()?;
    #[allow(clippy::unnecessary_cast)]
    if st.f_type as i64 != FUSE_SUPER_MAGIC {
        return None;
    }
    let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let (fstype, at) =
        std::fs::read_to_string("/proc/self/mountinfo").ok().and_then(|t| fuse_mount_of(&t, &canon)).unwrap_or_else(|| ("fuse".into(), String::new()));
    let at = if at.is_empty() { String::new() } else { format!(" mounted at {at}") };
    Some(VaultKind::Provider {
        provider: format!("FUSE ({fstype})"),
        why: format!("it lies on a FUSE file system ({fstype}{at}); such folders often fetch files only when they are read, and fail reads until then"),
    })
}

/// mountinfo escapes space, tab, newline and `\` as octal (`\040`).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The type and mount point of the FUSE mount holding `path` (the longest mount point that
/// contains it), from mountinfo's text.
pub fn fuse_mount_of(mountinfo: &str, path: &Path) -> Option<(String, String)> {
    let mut best: Option<(usize, String, String)> = None;
    for line in mountinfo.lines() {
        let Some((left, right)) = line.split_once(" - ") else { continue };
        let Some(mp) = left.split(' ').nth(4) else { continue };
        let Some(fstype) = right.split(' ').next() else { continue };
        let mp = unescape(mp);
        if path.starts_with(&mp) && best.as_ref().is_none_or(|(l, _, _)| mp.len() >= *l) {
            best = Some((mp.len(), fstype.to_string(), mp));
        }
    }
    best.filter(|(_, t, _)| t == "fuse" || t.starts_with("fuse.") || t == "fuseblk").map(|(_, t, m)| (t, m))
}

/// Nothing to ask on Linux: reading the file is what downloads it.
pub fn start_download(_path: &Path) -> Result<(), String> {
    Ok(())
}
