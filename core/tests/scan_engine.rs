//! Engine behaviour through the public API: positions, redaction, allowlists, generic vs
//! specific overlap, and the directory walker.

use regex::bytes::Regex;
use sandbox_core::scan::{scan_paths, Allowlist, RegexTarget, Rule, Scanner, WalkOptions};
use scan_corpus::{secrets, Rng, SecretKind};

fn token(seed: u64) -> String {
    secrets::value(SecretKind::GithubToken, &mut Rng::new(seed))
}

#[test]
fn positions_are_one_based_bytes() {
    let t = token(1);
    let text = format!("line one\n  x = \"{t}\"\n");
    let f = &Scanner::builtin().scan_bytes("a.py", text.as_bytes())[0];
    assert_eq!(f.rule_id, "github-token");
    assert_eq!((f.start_line, f.end_line), (2, 2));
    assert_eq!(f.start_column, 8);
    assert_eq!(f.end_column, 8 + t.len() - 1);
    assert_eq!(f.fingerprint, "a.py:github-token:2");
}

#[test]
fn findings_never_carry_the_secret() {
    let t = token(2);
    let key = secrets::value(SecretKind::RsaPrivateKey, &mut Rng::new(2));
    let text = format!("TOKEN={t}\nDB_PASSWORD=Xk9#mP2vLq7Z\n{key}\n");
    let findings = Scanner::builtin().scan_bytes(".env", text.as_bytes());
    assert!(findings.len() >= 3, "{findings:?}");
    let dump = format!("{findings:?}");
    assert!(!dump.contains(&t));
    assert!(!dump.contains("Xk9#mP2vLq7Z"));
    let body_line = key.lines().nth(2).unwrap();
    assert!(!dump.contains(body_line));
    let gh = findings.iter().find(|f| f.rule_id == "github-token").unwrap();
    assert_eq!(gh.redacted_secret, format!("{}REDACTED", &t[..4]));
}

#[test]
fn generic_rule_yields_to_a_specific_one() {
    let t = token(3);
    let findings = Scanner::builtin().scan_bytes(".env", format!("GITHUB_TOKEN={t}").as_bytes());
    let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, vec!["github-token"]);
}

#[test]
fn global_allowlist_paths_and_targeted_rules() {
    let t = token(4);
    let text = format!("TOKEN={t}");
    let by_path = Allowlist { paths: vec![Regex::new(r"^fixtures/").unwrap()], ..Default::default() };
    let s = Scanner::from_rules(Scanner::builtin_rules(), vec![by_path]);
    assert!(s.scan_bytes("fixtures/a.env", text.as_bytes()).is_empty());
    assert!(!s.scan_bytes("src/a.env", text.as_bytes()).is_empty());

    let other_rule =
        Allowlist { regexes: vec![Regex::new(".*").unwrap()], regex_target: RegexTarget::Line, target_rules: vec!["jwt".into()], ..Default::default() };
    let s = Scanner::from_rules(Scanner::builtin_rules(), vec![other_rule]);
    assert!(!s.scan_bytes("src/a.env", text.as_bytes()).is_empty());
}

#[test]
fn rules_without_keywords_run_everywhere() {
    let rule = Rule::new("digits", "ten digits", Regex::new(r"\b\d{10}\b").unwrap(), &[]);
    let s = Scanner::from_rules(vec![rule], vec![]);
    let f = s.scan_bytes("x", b"a\nid 1234567890 here");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].start_line, 2);
}

#[test]
fn scanner_is_shared_across_threads() {
    let s = Scanner::builtin();
    let t = token(5);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let s = s.clone();
            let t = t.clone();
            std::thread::spawn(move || s.scan_bytes("a", format!("x={t}").as_bytes()).len())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 1);
    }
}

#[test]
fn walker_skips_binaries_big_files_symlinks_and_git() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let t = token(6);
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join("src/leak.py"), format!("T = \"{t}\"\n")).unwrap();
    std::fs::write(root.join("src/clean.py"), "print('hi')\n").unwrap();
    std::fs::write(root.join(".git/config"), format!("token = {t}\n")).unwrap();
    std::fs::write(root.join("blob.bin"), [&b"\0\x01"[..], t.as_bytes()].concat()).unwrap();
    std::fs::write(root.join("big.txt"), format!("{}\nT={t}\n", "x".repeat(4096))).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("o.txt"), format!("T={t}\n")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path().join("o.txt"), root.join("link.txt")).unwrap();

    let opts = WalkOptions { max_file_bytes: 1024, threads: 2, ..Default::default() };
    let out = scan_paths(&Scanner::builtin(), &[root.to_path_buf()], &opts);
    let paths: Vec<String> = out.findings.iter().map(|f| f.path.clone()).collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert!(paths[0].ends_with("src/leak.py"));
    assert_eq!(out.files_scanned, 2);
    let skipped: Vec<&str> = out.skipped.iter().map(|(p, _)| p.as_str()).collect();
    assert!(skipped.iter().any(|p| p.ends_with("blob.bin")));
    assert!(skipped.iter().any(|p| p.ends_with("big.txt")));
    #[cfg(unix)]
    assert!(skipped.iter().any(|p| p.ends_with("link.txt")));
    assert!(out.errors.is_empty());

    let missing = scan_paths(&Scanner::builtin(), &[root.join("nope")], &opts);
    assert_eq!(missing.errors.len(), 1);
}

#[test]
fn arbitrary_bytes_never_panic() {
    // Random bytes salted with keyword fragments, quotes, separators and invalid UTF-8.
    const PIECES: &[&[u8]] = &[
        b"password",
        b"token",
        b"=",
        b":",
        b"\"",
        b"'",
        b"://",
        b"@",
        b"-----BEGIN RSA PRIVATE KEY-----",
        b"-----END RSA PRIVATE KEY-----",
        b"ghp_",
        b"eyJ",
        b"\n",
        b"\\n",
        b"\xff\xfe",
        b"\xe2\x82",
        b"sk-ant-",
        b"AKIA",
        b"gitleaks:allow",
        b"::",
        b"||",
        b"%41",
        b"`",
        b"<",
        b">",
        b"_auth",
    ];
    let scanner = Scanner::builtin();
    let mut rng = Rng::new(99);
    for _ in 0..3000 {
        let mut data = Vec::new();
        for _ in 0..rng.range(0, 40) {
            if rng.chance(0.5) {
                let piece: &[u8] = rng.pick::<&[u8]>(PIECES);
                data.extend_from_slice(piece);
            } else {
                for _ in 0..rng.range(1, 30) {
                    data.push(rng.below(256) as u8);
                }
            }
        }
        for f in scanner.scan_bytes("fuzz.env", &data) {
            assert!(f.start_line >= 1 && f.end_line >= f.start_line);
            assert!(f.redacted_secret.ends_with("REDACTED"));
        }
    }
}
