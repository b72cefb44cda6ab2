//! Regression tests for the scanner part of issue 14, one per point, named after it.
//! Secrets are generated at run time (random, fake): this file holds none.

mod sync_common;

use sandbox_core::scan::{scan_paths, InlineAllow, ScanLimits, Scanner, WalkOptions, CAPPED_RULE_ID};
use sandbox_core::sync::probe::HostFsBehaviour;
use sandbox_core::sync::{check_with, CheckOptions, SyncPolicy};
use scan_corpus::{secrets, Rng, SecretKind};
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
    let sizes: Vec<usize> = (0..5).map(|i| s.scan_bytes_within(&format!("f{i}.env"), line.repeat(12).as_bytes(), &budget).len()).collect();
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

fn ids(found: &[sandbox_core::scan::SecretFinding]) -> Vec<&str> {
    found.iter().map(|f| f.rule_id.as_str()).collect()
}

/// Point 10: every value of a Kubernetes Secret's `data` (base64) or `stringData` is found
/// (gitleaks finds them), ConfigMaps, SealedSecrets and templated values are not.
#[test]
fn issue14_p10_kubernetes_secret_base64_values_found() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let pw = "Zq8#rT2mWv9pLx4";
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels:\n    app: web\ntype: Opaque\ndata:\n  username: {}\n  password: \"{}\"\nstringData:\n  api: {pw}\n---\napiVersion: v1\nkind: ConfigMap\ndata:\n  blob: {}\n",
        b64("app_user"),
        b64(pw),
        b64(pw)
    );
    let s = Scanner::builtin();
    let found = s.scan_bytes("deploy/secret.yaml", manifest.as_bytes());
    let lines: Vec<usize> = found.iter().filter(|f| f.rule_id == "kubernetes-secret-data").map(|f| f.start_line).collect();
    assert_eq!(lines, vec![9, 10, 12], "{found:?}");
    assert!(!format!("{found:?}").contains(&b64(pw)));
    // A Secret inside a List, key order reversed (data before kind).
    let listed = format!("apiVersion: v1\nitems:\n- data:\n    token: {}\n  kind: Secret\n", b64(pw));
    assert_eq!(ids(&s.scan_bytes("k8s/list.yml", listed.as_bytes())), vec!["kubernetes-secret-data"]);
    // Not secrets: labels of a Secret, SealedSecret ciphertext, templates, placeholders.
    for clean in [
        format!("kind: SealedSecret\nspec:\n  encryptedData:\n    password: {}\n", b64(pw)),
        "kind: Secret\ndata:\n  password: {{ .Values.password | b64enc }}\n".to_string(),
        format!("kind: Secret\ndata:\n  password: {}\n", b64("changeme")),
        format!("kind: ConfigMap\ndata:\n  password: {}\n", b64("app_user")),
    ] {
        let found = s.scan_bytes("a.yaml", clean.as_bytes());
        assert!(found.iter().all(|f| f.rule_id != "kubernetes-secret-data"), "{clean}: {found:?}");
    }
}

/// Point 10: an assignment inside a notebook's JSON-escaped source line is found.
#[test]
fn issue14_p10_ipynb_escaped_assignment_found() {
    let s = Scanner::builtin();
    let nb = r#"{
 "cells": [
  {
   "cell_type": "code",
   "source": [
    "import requests\n",
    "db_password = \"Zq8rT2mWv9pLx4\"\n",
    "cfg = {\"api_key\": \"Hf73kPq9ZmX2vL8w\"}\n",
    "os.environ.setdefault(\"SERVICE_TOKEN\", \"Tk93mQ7xLp2ZvW8r\")\n"
   ]
  }
 ]
}"#;
    let found = s.scan_bytes("analysis.ipynb", nb.as_bytes());
    let lines: Vec<usize> = found.iter().map(|f| f.start_line).collect();
    assert_eq!(lines, vec![7, 8, 9], "{found:?}");
    assert!(found.iter().all(|f| f.rule_id == "generic-secret-assignment"));
    // Escaped placeholders and code references stay clean.
    let clean = r#"    "password = \"changeme\"\n",
    "token = \"${TOKEN}\"\n","#;
    assert!(s.scan_bytes("a.ipynb", clean.as_bytes()).is_empty());
}

/// Point 10: git stores and pushes file names and symlink targets: tokens there are found.
/// The sync gate calls `scan_name` for every added or renamed path and
/// `scan_symlink_target` for every symlink.
#[test]
fn issue14_p10_tokens_in_names_and_symlink_targets_found() {
    use sandbox_core::scan::Location;
    let t = token(101);
    let s = Scanner::builtin();
    let named = format!("notes/{t}.txt");
    let found = s.scan_name(&named);
    assert_eq!(ids(&found), vec!["github-token"]);
    assert_eq!((found[0].location, found[0].start_line), (Location::Name, 0));
    assert!(found[0].description.contains("in the name"));
    // The path is the name (the gate must show it redacted); nothing else carries the token.
    let f = &found[0];
    for field in [&f.description, &f.redacted_match, &f.redacted_secret, &f.fingerprint] {
        assert!(!field.contains(&t[4..]), "{field}");
    }
    let found = s.scan_symlink_target("link", &format!("../x/{t}"));
    assert_eq!(ids(&found), vec!["github-token"]);
    assert!(!format!("{found:?}").contains(&t[4..]));
    assert_eq!(found[0].location, Location::SymlinkTarget);
    assert!(s.scan_name("src/main.rs").is_empty());
    assert!(s.scan_symlink_target("l", "../shared/config.toml").is_empty());
    // The gitleaks JSON keeps its shape for content findings.
    let json = serde_json::to_value(&s.scan_bytes("a", format!("x={t}").as_bytes())[0]).unwrap();
    assert!(json.get("location").is_none());
}

/// Point 10: a lockfile's content is exempt from the catch-all rules only as a lockfile;
/// hard-linked under a normal name it is found there. The sync gate scans a hard link's
/// content under the link's own name (`scan_bytes_as` / `scan_bytes`).
#[test]
fn issue14_p10_hardlinked_lockfile_content_found_under_its_other_name() {
    let s = Scanner::builtin();
    let content = "DB_PASSWORD=Zq8rT2mWv9pLx4\n";
    assert!(s.scan_bytes("yarn.lock", content.as_bytes()).is_empty(), "lockfiles are exempt by name");
    let found = s.scan_bytes_as(&["yarn.lock", "config.env"], content.as_bytes());
    let at: Vec<(&str, &str)> = found.iter().map(|f| (f.path.as_str(), f.rule_id.as_str())).collect();
    assert_eq!(at, vec![("config.env", "generic-secret-assignment")]);
}

/// The sync gate itself (`sync::check`) with the scanner as the gate uses it.
fn gate_check(tar: &[u8], scanner: &Scanner) -> sandbox_core::sync::CheckReport {
    let root = Root::new();
    check_with(tar, &root.project(), &SyncPolicy::default(), scanner, &CheckOptions { blobs: None, host_fs: Some(HostFsBehaviour::default()) }).unwrap()
}

/// Point 10 through the gate: a token in a new file's name or in a symlink's target blocks the
/// request, and the finding does not repeat the token.
#[test]
fn issue14_p10_gate_blocks_tokens_in_names_and_symlink_targets() {
    let t = token(211);
    let tar = Tar::new().root().file(&format!("notes/{t}.txt"), b"harmless\n").build();
    let report = gate_check(&tar, &Scanner::builtin());
    assert!(report.blocked, "a token in a name must block");
    let f = report.findings.iter().find(|f| f.rule.ends_with("github-token")).expect("a name finding");
    assert_eq!(f.path.as_deref(), Some("notes/REDACTED.txt"), "{f:?}");
    assert!(!format!("{:?}", report.findings).contains(&t[4..]), "the finding repeats the token");

    let tar = Tar::new().root().file("x/keep", b"k\n").symlink("link", &format!("x/{t}")).build();
    let report = gate_check(&tar, &Scanner::builtin());
    assert!(report.blocked, "a token in a symlink target must block");
    assert!(report.findings.iter().any(|f| f.path.as_deref() == Some("link") && f.rule.ends_with("github-token")), "{:?}", report.findings);

    let clean = Tar::new().root().file("src/main.rs", b"fn main() {}\n").symlink("docs", "src").build();
    assert!(!gate_check(&clean, &Scanner::builtin()).blocked);
}

/// Point 10 through the gate: a lockfile's content hard-linked under a normal name is scanned
/// under that name.
#[test]
fn issue14_p10_gate_scans_a_hard_link_under_its_own_name() {
    let content = b"DB_PASSWORD=Zq8rT2mWv9pLx4\n";
    let tar = Tar::new().root().file("yarn.lock", content).hardlink("config.env", "yarn.lock").build();
    let report = gate_check(&tar, &Scanner::builtin());
    assert!(report.blocked, "{:?}", report.findings);
    assert!(report.findings.iter().any(|f| f.path.as_deref() == Some("config.env") && f.rule.starts_with("secret/")), "{:?}", report.findings);
    assert!(!report.findings.iter().any(|f| f.path.as_deref() == Some("yarn.lock") && f.rule.starts_with("secret/")), "the lockfile itself stays exempt");
}

/// Point 8 through the gate: one request's findings are capped across files, and the cap
/// blocks like any finding.
#[test]
fn issue14_p8_gate_caps_findings_per_request() {
    let s = Scanner::builtin().with_limits(ScanLimits { per_file: 5, per_request: 12 });
    let mut tar = Tar::new().root();
    for i in 0..10 {
        let body: String = (0..5).map(|j| format!("t{j} = \"{}\"\n", token(1000 + i * 10 + j))).collect();
        tar = tar.file(&format!("f{i}.py"), body.as_bytes());
    }
    let report = gate_check(&tar.build(), &s);
    assert!(report.blocked);
    let secrets: Vec<_> = report.findings.iter().filter(|f| f.rule.starts_with("secret/")).collect();
    let capped = secrets.iter().filter(|f| f.rule.ends_with(CAPPED_RULE_ID)).count();
    assert_eq!(secrets.len() - capped, 12, "exactly the request's budget of real findings: {secrets:?}");
    assert!(capped >= 1, "the files past the budget carry the capped marker");
}
