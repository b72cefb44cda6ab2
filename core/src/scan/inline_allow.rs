//! Inline allow markers (`gitleaks:allow`, `sandbox-scan:allow`) written on a line to silence
//! the scanner there. Whoever writes the file writes the marker, so inside the sync gate a
//! marker counts for nothing: the agent could otherwise wave its own secrets through.
//! Allowlists for the gate come only from the user's config, outside the synced tree.

/// Lines carrying one of these markers are skipped when markers are honoured.
pub const MARKERS: &[&[u8]] = &[b"gitleaks:allow", b"sandbox-scan:allow"];

/// Whether inline allow markers silence findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InlineAllow {
    /// Markers are ordinary text (the default; what the sync gate uses).
    #[default]
    Ignored,
    /// A marker on a finding's line drops it (gitleaks' default; `sandbox scan` on the
    /// user's own tree).
    Honoured,
}

impl InlineAllow {
    /// Does this line silence its findings under this policy?
    pub fn silences(self, line: &[u8]) -> bool {
        self == InlineAllow::Honoured && MARKERS.iter().any(|mk| memchr::memmem::find(line, mk).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_honoured_marker_silences() {
        let line = b"T = 'x' # gitleaks:allow";
        assert!(InlineAllow::Honoured.silences(line));
        assert!(!InlineAllow::Ignored.silences(line));
        assert!(!InlineAllow::Honoured.silences(b"T = 'x'"));
    }
}
