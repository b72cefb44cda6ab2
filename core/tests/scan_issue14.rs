//! Regression tests for the scanner part of issue 14, one per point, named after it.
//! Secrets are generated at run time (random, fake): this file holds none.

mod sync_common;

use sandbox_core::scan::corpus::{secrets, Rng, SecretKind};
use sandbox_core::scan::{scan_paths, InlineAllow, ScanLimits, Scanner, WalkOptions, CAPPED_RULE_ID};
use sandbox_core::sync::probe::HostFsBehaviour;
use sandbox_core::sync::{check_with, CheckOptions, SyncPolicy};
use sync_common::{Root, Tar};

fn token(seed: u64) -> String {
    secrets::value(SecretKind::GithubToken, &mut Rng::new(seed))
}

/// Point 5: `gitleaks:allow` (or our own marker) written by the agent does not let a live
/// token through the gate; markers only count where explicitly honoured (`sandbox scan`).
#[test]
fn issue14_p5_inline_allow_marker_ignored_in_gate() {
    let t = token(51);
    for marker in ["gitleaks:allow", "sandbox-scan:allow"] {
        let text = format!("TOKEN = \"{t}\"  # {marker}\n");
        // The scanner the gate uses, as the gate uses it.
        let root = Root::new();
        let tar = Tar::new().root().file("leak.py", text.as_bytes()).build();
        let report = check_with(
            &tar[..],
            &root.project(),
            &SyncPolicy::default(),
            &Scanner::builtin(),
            &CheckOptions { blobs: None, host_fs: Some(HostFsBehaviour::default()) },
        )
        .unwrap();
        assert!(report.blocked, "{marker}: the gate must block a marked live token");
        assert!(report.findings.iter().any(|f| f.path.as_deref() == Some("leak.py") && f.rule.ends_with("github-token")));
        // Default scanners (built-in or from a config) ignore markers.
        assert_eq!(Scanner::builtin().inline_allow(), InlineAllow::Ignored);
        let from_config = Scanner::from_gitleaks_toml("[extend]\nuseDefault = true\n", std::path::Path::new(".")).unwrap();
        assert_eq!(from_config.inline_allow(), InlineAllow::Ignored);
        assert_eq!(from_config.scan_bytes("leak.py", text.as_bytes()).len(), 1);
        // Only an explicitly honouring scanner (the user's own `sandbox scan`) drops it.
        let honouring = Scanner::builtin().with_inline_allow(InlineAllow::Honoured);
        assert!(honouring.scan_bytes("leak.py", text.as_bytes()).is_empty());
    }
}

/// Point 8: a file (or a request) full of secrets yields a bounded list plus a marker
/// finding, never one finding per match.
#[test]
fn issue14_p8_findings_capped_per_file_and_request() {
    let t = token(81);
    let line = format!("T={t}\n");
    let big = line.repeat(200_000); // 200k findings uncapped, ~9 MB
    let s = Scanner::builtin();
    let per_file = s.limits().per_file;
    let found = s.scan_bytes("flood.env", big.as_bytes());
    assert_eq!(found.len(), per_file + 1, "capped list plus one marker");
    assert_eq!(found.last().unwrap().rule_id, CAPPED_RULE_ID);
    assert!(found[..per_file].iter().all(|f| f.rule_id == "github-token"));
    assert!(!format!("{found:?}").contains(&t));

    // A file at or under the cap is listed whole, with no marker.
    let few = line.repeat(3);
    let found = s.scan_bytes("few.env", few.as_bytes());
    assert_eq!(found.len(), 3);
    assert!(found.iter().all(|f| f.rule_id != CAPPED_RULE_ID));

    // Per request: once the budget is spent, each further file gets only the marker.
    let s = Scanner::builtin().with_limits(ScanLimits { per_file: 10, per_request: 25 });
    let budget = s.request_budget();
    let sizes: Vec<usize> = (0..5)
        .map(|i| s.scan_bytes_within(&format!("f{i}.env"), line.repeat(12).as_bytes(), &budget).len())
        .collect();
    assert_eq!(sizes, vec![11, 11, 6, 1, 1], "10+marker, 10+marker, 5+marker, marker, marker");
    assert!(budget.omitted() >= 2 * 10 + 5);

    // The directory walker applies both caps.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..6 {
        std::fs::write(dir.path().join(format!("f{i}.env")), line.repeat(50)).unwrap();
    }
    let out = scan_paths(&s, &[dir.path().to_path_buf()], &WalkOptions { threads: 2, ..Default::default() });
    let real = out.findings.iter().filter(|f| f.rule_id != CAPPED_RULE_ID).count();
    let markers = out.findings.len() - real;
    assert_eq!(real, 25);
    assert_eq!(markers, 6, "every file had more than it listed");
    assert!(out.omitted_findings > 0);
}
