//! Decoding of encoded runs before matching (gitleaks' `--max-decode-depth`): findings in
//! percent-encoded, hex and base64 text, nested encodings, the depth limit, and positions
//! reported on the original lines.

use base64::Engine as _;
use sandbox_core::scan::{Scanner, SecretFinding};
use std::path::Path;

const RULES: &str = r#"
[[rules]]
id = "acme-key"
description = "ACME key"
regex = '''acme_[a-z0-9]{16}'''
keywords = ["acme_"]
"#;

const KEY: &str = "acme_q7w8e9r0t1y2u3i4";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn pct(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn acme() -> Scanner {
    Scanner::from_gitleaks_toml(RULES, Path::new(".")).unwrap()
}

fn scan(s: &Scanner, text: &str) -> Vec<SecretFinding> {
    s.scan_bytes("conf/app.yaml", text.as_bytes())
}

#[test]
fn encoded_secrets_are_found_on_their_original_lines() {
    let text = format!(
        "# config\nplain: none\npct: \"{}\"\nb64: {}\n\nhex: {}\n",
        pct(&format!("token={KEY}")),
        b64(&format!("token={KEY}")),
        hex(&format!("t={KEY}")),
    );
    let found = scan(&acme(), &text);
    let lines: Vec<usize> = found.iter().map(|f| f.start_line).collect();
    assert_eq!(lines, vec![3, 4, 6], "{found:?}");
    let tags: Vec<&str> = found.iter().map(|f| f.tags[0].as_str()).collect();
    assert_eq!(tags, vec!["decoded:percent", "decoded:base64", "decoded:hex"]);
    assert!(found.iter().all(|f| f.tags.last().unwrap() == "decode-depth:1"));
    // The position is the encoded run's, in the original text.
    let b64_line = text.lines().nth(3).unwrap();
    assert_eq!(found[1].start_column, 6);
    assert_eq!(found[1].end_column, b64_line.len());
    // Reports carry the decoded match redacted, never the key or its encoding.
    let dump = format!("{found:?}");
    assert!(!dump.contains(KEY) && !dump.contains(&b64(&format!("token={KEY}"))), "{dump}");
    assert_eq!(found[1].redacted_secret, "acmeREDACTED");
}

#[test]
fn nested_encodings_and_the_depth_limit() {
    let nested = b64(&pct(&format!("k={KEY}")));
    let text = format!("a: 1\nsecret: {nested}\n");
    let found = scan(&acme(), &text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].start_line, 2);
    assert_eq!(found[0].tags, vec!["decoded:percent", "decoded:base64", "decode-depth:2"]);
    assert!(scan(&acme().with_max_decode_depth(1), &text).is_empty());
    // Depth 0 turns decoding off.
    let once = format!("x: {}\n", b64(KEY));
    assert_eq!(scan(&acme(), &once).len(), 1);
    assert!(scan(&acme().with_max_decode_depth(0), &once).is_empty());
}

#[test]
fn non_printable_decodings_and_plain_text_are_left_alone() {
    // A control byte in the decoded text: not decoded, so no finding.
    let text = format!("v: {}\n", b64(&format!("\u{1}{KEY}")));
    assert!(scan(&acme(), &text).is_empty());
    let text = format!("v: {}\n", pct(&format!("{KEY}\u{0}")));
    assert!(scan(&acme(), &text).is_empty());
    // A plain finding is reported once, without decoding tags.
    let found = scan(&acme(), &format!("k: {KEY}\n"));
    assert_eq!(found.len(), 1);
    assert!(found[0].tags.is_empty());
}

#[test]
fn builtin_rules_see_a_base64_encoded_aws_key() {
    let key = "AKIAQ2XJ7PLM4NBV5CZW";
    let text = format!("apiVersion: v1\ndata:\n  creds: {}\n", b64(&format!("aws_access_key_id={key}")));
    let found = Scanner::builtin().scan_bytes("deploy/creds.yaml", text.as_bytes());
    let aws = found.iter().find(|f| f.rule_id == "aws-access-key-id").unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(aws.start_line, 3);
    assert!(aws.tags.iter().any(|t| t == "decoded:base64"));
    assert!(!format!("{found:?}").contains(key));
}

#[test]
fn decoded_findings_respect_the_per_file_cap() {
    use sandbox_core::scan::{ScanLimits, CAPPED_RULE_ID};
    let s = acme().with_limits(ScanLimits { per_file: 3, per_request: 100 });
    let text: String = (0..50).map(|i| format!("v{i}: {}\n", b64(&format!("k=acme_{i:016}")))).collect();
    let found = scan(&s, &text);
    assert_eq!(found.len(), 4, "{found:?}");
    assert_eq!(found[3].rule_id, CAPPED_RULE_ID);
}

#[test]
fn allowlists_and_entropy_look_at_the_decoded_secret() {
    let rules = r#"
[[rules]]
id = "acme-key"
description = "ACME key"
regex = '''acme_([a-z0-9]{16})'''
secretGroup = 1
entropy = 3.0
keywords = ["acme_"]
[[rules.allowlists]]
regexes = ['''^0000''']
"#;
    let s = Scanner::from_gitleaks_toml(rules, Path::new(".")).unwrap();
    // Passes both checks once decoded.
    assert_eq!(scan(&s, &format!("v: {}\n", b64(&format!("x={KEY}")))).len(), 1);
    // Allowlisted by its decoded value.
    assert!(scan(&s, &format!("v: {}\n", b64("x=acme_0000q7w8e9r0t1y2"))).is_empty());
    // Too little entropy in the decoded secret (the encoded run has plenty).
    assert!(scan(&s, &format!("v: {}\n", b64("x=acme_aaaaaaaaaaaaaaab"))).is_empty());
}
