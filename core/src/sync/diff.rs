//! Text diffs for review (computed on demand from the host file and the request's blob).

use similar::TextDiff;

/// Largest side (bytes) a diff is computed for; bigger files show size and hash only.
pub const MAX_DIFF_BYTES: usize = 1024 * 1024;

/// A unified diff of two texts, `None` if either side is binary or too large.
pub fn unified(path: &str, old: &[u8], new: &[u8]) -> Option<String> {
    if old.len() > MAX_DIFF_BYTES || new.len() > MAX_DIFF_BYTES || old.contains(&0) || new.contains(&0) {
        return None;
    }
    let old = std::str::from_utf8(old).ok()?;
    let new = std::str::from_utf8(new).ok()?;
    let diff = TextDiff::from_lines(old, new);
    Some(diff.unified_diff().context_radius(3).header(&format!("a/{path}"), &format!("b/{path}")).to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn diff_shows_changed_lines_only_for_text() {
        let d = super::unified("x.txt", b"a\nb\nc\n", b"a\nB\nc\n").unwrap();
        assert!(d.contains("-b\n") && d.contains("+B\n") && d.contains("a/x.txt"));
        assert!(super::unified("x.bin", b"\0", b"a").is_none());
    }
}
