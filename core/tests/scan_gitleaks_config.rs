//! gitleaks config loading: rules, allowlists (current and legacy forms), global allowlists,
//! [extend], Go-regex translation and errors that name the rule.

use sandbox_core::scan::corpus::{secrets, Rng, SecretKind};
use sandbox_core::scan::{ConfigError, Scanner};
use std::path::Path;

fn load(text: &str) -> Scanner {
    Scanner::from_gitleaks_toml(text, Path::new(".")).unwrap_or_else(|e| panic!("{e}"))
}

fn ids(s: &Scanner, path: &str, text: &str) -> Vec<String> {
    s.scan_bytes(path, text.as_bytes()).into_iter().map(|f| f.rule_id).collect()
}

const CUSTOM: &str = r#"
title = "custom"

[[rules]]
id = "acme-key"
description = "ACME internal key"
regex = '''(?i)acme[_-]?key\s*=\s*["']?(acme_[a-z0-9]{16})'''
secretGroup = 1
entropy = 3.0
keywords = ["acme"]
tags = ["internal"]

  [[rules.allowlists]]
  description = "test fixtures"
  paths = ['''^tests/''']

  [[rules.allowlists]]
  regexTarget = "line"
  regexes = ['''#\s*fake''']

  [[rules.allowlists]]
  condition = "AND"
  stopwords = ["dead"]
  paths = ['''^docs/''']

[[rules]]
id = "legacy-style"
regex = '''LEGACY-[0-9]{8}'''
  [rules.allowlist]
  regexes = ['''LEGACY-00000000''']

[[rules]]
id = "pem-file"
description = "a .pem file"
path = '''\.pem$'''

[allowlist]
description = "global"
paths = ['''(^|/)vendor/''']
stopwords = ["sample"]
"#;

#[test]
fn custom_rules_with_allowlists() {
    let s = load(CUSTOM);
    assert_eq!(s.rules().len(), 3, "useDefault not set: only the file's rules");
    let hit = "ACME_KEY = \"acme_k3j9x0q2m7v5b1z8\"";
    assert_eq!(ids(&s, "src/a.py", hit), vec!["acme-key"]);
    let f = &s.scan_bytes("src/a.py", hit.as_bytes())[0];
    assert_eq!(f.redacted_secret, "acmeREDACTED");
    assert_eq!(f.tags, vec!["internal".to_string()]);
    // keyword gate: no "acme" anywhere, no scan (the regex itself would need it anyway)
    assert!(ids(&s, "src/a.py", "nothing here").is_empty());
    // entropy floor: a low-entropy secret is dropped
    assert!(ids(&s, "src/a.py", "acme_key = acme_aaaaaaaaaaaaaaaa").is_empty());
    // per-rule allowlists: path, line regex, AND(stopword, path)
    assert!(ids(&s, "tests/a.py", hit).is_empty());
    assert!(ids(&s, "src/a.py", &format!("{hit}  # fake")).is_empty());
    let dead = "acme_key = acme_dead9x0q2m7v5b1z";
    assert!(ids(&s, "docs/a.md", dead).is_empty());
    assert_eq!(ids(&s, "src/a.md", dead), vec!["acme-key"], "AND needs the path too");
    // legacy [rules.allowlist]
    assert_eq!(ids(&s, "a", "LEGACY-12345678"), vec!["legacy-style"]);
    assert!(ids(&s, "a", "LEGACY-00000000").is_empty());
    // global allowlist: path and stopword
    assert!(ids(&s, "vendor/x/a.py", hit).is_empty());
    assert!(ids(&s, "a", "acme_key = acme_sample92x0q2m7v").is_empty());
    // path-only rule
    assert_eq!(ids(&s, "certs/server.pem", "anything"), vec!["pem-file"]);
}

#[test]
fn extend_default_disable_and_override() {
    let s = load(
        r#"
[extend]
useDefault = true
disabledRules = ["jwt"]

[[rules]]
id = "github-token"
  [[rules.allowlists]]
  regexTarget = "match"
  regexes = ['''ghp_Zz''']
"#,
    );
    let builtin = Scanner::builtin().rules().len();
    assert_eq!(s.rules().len(), builtin - 1);
    assert!(s.rules().iter().all(|r| r.id != "jwt"));
    let gh = s.rules().iter().find(|r| r.id == "github-token").unwrap();
    assert_eq!(gh.allowlists.len(), 1, "allowlist added to the built-in rule");
    assert!(gh.validator.is_some(), "built-in behaviour kept when only allowlists change");
    let tok = secrets::value(SecretKind::GithubToken, &mut Rng::new(11));
    let real = format!("T=ghp_{}", &tok[4..]);
    assert_eq!(ids(&s, "a", &real), vec!["github-token"]);
    let allowed = format!("T=ghp_Zz{}", &tok[6..]);
    assert!(ids(&s, "a", &allowed).is_empty());
}

#[test]
fn extend_path_is_relative_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("base.toml"),
        "[[rules]]\nid = \"base-rule\"\nregex = '''BASE-[0-9]{6}'''\nkeywords = [\"base-\"]\n",
    )
    .unwrap();
    let top = dir.path().join("top.toml");
    std::fs::write(&top, "[extend]\npath = \"base.toml\"\n\n[[rules]]\nid = \"top-rule\"\nregex = '''TOP-[0-9]{6}'''\n").unwrap();
    let s = Scanner::from_gitleaks_config(&top).unwrap();
    assert_eq!(ids(&s, "a", "BASE-123456 TOP-654321"), vec!["base-rule", "top-rule"]);
}

#[test]
fn go_regex_syntax_is_translated() {
    let s = load(
        r#"
[[rules]]
id = "quoted"
regex = '''\Qa.b+c\E-\d{3}\b'''
"#,
    );
    assert_eq!(ids(&s, "x", "a.b+c-123 "), vec!["quoted"]);
    assert!(ids(&s, "x", "aXbbc-123").is_empty());
}

#[test]
fn errors_name_the_rule_and_say_what_to_do() {
    let bad = Scanner::from_gitleaks_toml("[[rules]]\nid = \"broken\"\nregex = '''(?=x)abc'''\n", Path::new("."));
    let e = bad.unwrap_err();
    assert!(matches!(e, ConfigError::BadRegex { ref rule_id, .. } if rule_id == "broken"));
    let msg = e.to_string();
    assert!(msg.contains("broken") && msg.contains("fix the regex"), "{msg}");

    let e = Scanner::from_gitleaks_toml("[[rules]]\nid = \"empty\"\n", Path::new(".")).unwrap_err();
    assert!(e.to_string().contains("neither `regex` nor `path`"));
    let e = Scanner::from_gitleaks_toml("[[rules]]\nregex = 'x'\n", Path::new(".")).unwrap_err();
    assert!(matches!(e, ConfigError::NoId { .. }));
    let e = Scanner::from_gitleaks_toml("rules = 3", Path::new(".")).unwrap_err();
    assert!(matches!(e, ConfigError::Parse { .. }));
    let e = Scanner::from_gitleaks_toml("[[rules]]\nid = \"c\"\nregex = 'x'\n[[rules.allowlists]]\ncondition = \"XOR\"\n", Path::new(".")).unwrap_err();
    assert!(e.to_string().contains("XOR"));
    let e = Scanner::from_gitleaks_toml("[extend]\nurl = \"https://x/y.toml\"\n", Path::new(".")).unwrap_err();
    assert!(e.to_string().contains("never fetches"));
    let e = Scanner::from_gitleaks_config(Path::new("/nonexistent/.gitleaks.toml")).unwrap_err();
    assert!(matches!(e, ConfigError::Read { .. }));
}
