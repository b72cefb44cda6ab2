//! Caps on how many findings the scanner keeps, so memory stays flat whatever the input: a
//! file full of matches (or a request full of such files) yields a bounded list plus a marker
//! saying more were left out. Any finding blocks a sync, so the list never needs to be whole.

use super::SecretFinding;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Rule id of the marker finding that stands for findings left out of a file's list.
pub const CAPPED_RULE_ID: &str = "scanner-findings-capped";

/// Finding caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanLimits {
    /// Findings listed per file; further ones are replaced by one marker finding.
    pub per_file: usize,
    /// Findings listed per request (a sync request, one `sandbox scan` run); past it, each
    /// file with findings gets only the marker.
    pub per_request: usize,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits { per_file: 100, per_request: 1000 }
    }
}

/// How many findings a request may still list. Shared by the threads scanning its files.
#[derive(Debug)]
pub struct RequestBudget {
    left: AtomicUsize,
    omitted: AtomicUsize,
}

impl RequestBudget {
    pub fn new(per_request: usize) -> Self {
        RequestBudget { left: AtomicUsize::new(per_request), omitted: AtomicUsize::new(0) }
    }

    /// Takes up to `wanted` findings from the budget; returns how many may be listed.
    pub(crate) fn take(&self, wanted: usize) -> usize {
        let mut granted = 0;
        let _ = self.left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
            granted = left.min(wanted);
            Some(left - granted)
        });
        granted
    }

    pub(crate) fn record_omitted(&self, n: usize) {
        self.omitted.fetch_add(n, Ordering::Relaxed);
    }

    /// Findings the request's files had beyond what was listed (at least this many).
    pub fn omitted(&self) -> usize {
        self.omitted.load(Ordering::Relaxed)
    }
}

/// The finding that stands for those left out of `path`'s list. It blocks like any other.
pub(crate) fn capped_marker(path: &str, listed: usize) -> SecretFinding {
    SecretFinding::whole_file(
        path,
        CAPPED_RULE_ID,
        format!("more secrets in this file than the scanner lists ({listed} shown); treat the whole file as leaking"),
        vec!["capped".to_string()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_hands_out_what_is_left() {
        let b = RequestBudget::new(5);
        assert_eq!(b.take(3), 3);
        assert_eq!(b.take(3), 2);
        assert_eq!(b.take(1), 0);
    }
}
