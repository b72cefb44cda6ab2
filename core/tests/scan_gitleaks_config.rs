//! gitleaks config loading: rules, allowlists (current and legacy forms), global allowlists,
//! [extend], Go-regex translation and errors that name the rule.

use sandbox_core::scan::{ConfigError, Scanner};
use scan_corpus::{secrets, Rng, SecretKind};
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
    std::fs::write(dir.path().join("base.toml"), "[[rules]]\nid = \"base-rule\"\nregex = '''BASE-[0-9]{6}'''\nkeywords = [\"base-\"]\n").unwrap();
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

// ---- issue 14: gitleaks compatibility for real configs ----------------------------------
// Generated configs of the same shapes as gitleaks' default config and its
// testdata/config fixtures (the project ships none of gitleaks' files; scan_gitleaks_real.rs
// loads the real ones when a copy is given).

use sandbox_core::scan::gitleaks_config::{load_file_in, load_str};

/// The default config's shape: a legacy global `[allowlist]` with paths, regexes and
/// stopwords; `minVersion`; rules whose Go regexes hold a `{` that opens no repetition
/// (`${`, `{}` in a class, `{{ … }}`), lazy counted repeats, `(?s:.)`, `\x60`; per-rule
/// allowlists with `regexTarget` and `condition`; path-only rules.
#[test]
fn issue14_gitleaks_default_config_shape_loads() {
    let text = r#"
title = "gitleaks config"
minVersion = "v8.25.0"

[allowlist]
description = "global allow lists"
paths = ['''gitleaks\.toml''', '''(?i)\.(?:bmp|gif|jpe?g|png|svg|tiff?)$''', '''(?:^|/)vendor/modules\.txt$''']
regexes = ['''(?i)^true|false|null$''', '''^\$(?:\d+|{\d+})$''', '''^\$(?:[A-Z_]+|[a-z_]+)$''', '''^\${(?:[A-Z_]+|[a-z_]+)}$''', '''^\{\{[ \t]*[\w ().|]+[ \t]*}}$''']
stopwords = ["014df517-39d1-4453-b7b3-9930c563627c"]

[[rules]]
id = "shell-user-pass"
description = "user:password given to a command line tool"
regex = '''\bfetchit\b(?:.*|.*(?:[\r\n]{1,2}.*){1,5})[ \t\n\r](?:-u|--user)(?:=|[ \t]{0,5})("(:[^"]{3,}|[^:"]{3,}:|[^:"]{3,}:[^"]{3,})"|'([^:']{3,}:[^']{3,})'|((?:"[^"]{3,}"|'[^']{3,}'|[\w$@.-]+):(?:"[^"]{3,}"|'[^']{3,}'|[\w${}@.-]+)))(?:\s|\z)'''
entropy = 2
keywords = ["fetchit"]
[[rules.allowlists]]
regexes = ['''[^:]+:(?:change(?:it|me)|pass(?:word)?|pwd|test|token|\*+|x+)''', '''['"]?<[^>]+>['"]?:['"]?<[^>]+>|<[^:]+:[^>]+>['"]?''', '''[^:]+:\[[^]]+]''', '''['"]?[^:]+['"]?:['"]?\$(?:\d|\w+|\{(?:\d|\w+)})['"]?''']

[[rules]]
id = "acme-api-key"
description = "ACME key"
regex = '''(?i)[\w.-]{0,50}?(?:acme)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([a-z0-9]{32})(?:[\x60'"\s;]|\\[nr]|$)'''
keywords = ["acme"]

[[rules]]
id = "yaml-secret"
regex = '''(?i)\bkind:[ \t]*["']?\bsecret\b["']?(?s:.){0,200}?\bdata:(?s:.){0,100}?\s+([\w.-]+:[ \t]*["']?[a-z0-9+/]{10,}={0,3}["']?)'''
path = '''(?i)\.ya?ml$'''
keywords = ["secret"]
[[rules.allowlists]]
regexTarget = "match"
regexes = ['''(kind:(?s:.)+\n---\n(?s:.)+\bdata:)''']
[[rules.allowlists]]
condition = "AND"
regexTarget = "line"
regexes = ['''example''']
paths = ['''^docs/''']

[[rules]]
id = "keystore-file"
description = "a keystore"
path = '''(?i)(?:^|\/)[^\/]+\.p(?:12|fx)$'''
"#;
    let s = load(text);
    assert_eq!(s.rules().len(), 4);
    let line = "fetchit -u admin:Zx9$Qw7.Lp2 https://x";
    assert_eq!(ids(&s, "a.sh", line), vec!["shell-user-pass"]);
    assert_eq!(ids(&s, "a.sh", "fetchit --user admin:${PASSWORD} https://x").len(), 0, "allowlisted by the rule");
    assert_eq!(ids(&s, "certs/site.p12", "x"), vec!["keystore-file"]);
    assert!(ids(&s, "vendor/modules.txt", "x").is_empty());
}

#[test]
fn issue14_gitleaks_use_default_extends_gitleaks_rule_ids() {
    // gitleaks' own example (its issue 1844): an allowlist for its `generic-api-key`.
    let text = r#"
[extend]
useDefault = true
disabledRules = ["github-pat"]

[[rules]]
id = "generic-api-key"
[[rules.allowlists]]
description = "Exclude a specific file from generic-api-key rule"
paths = ['''^path/to/your/problematic/file\.js$''']

[[rules]]
id = "age-secret-key"
[[rules.allowlists]]
paths = ['''^keys/''']

[[allowlists]]
targetRules = ["aws-access-token", "kubernetes-secret-yaml"]
paths = ['''^fixtures/''']
"#;
    let cfg = load_str(text, Path::new("."), "<test>").unwrap_or_else(|e| panic!("{e}"));
    let generic = cfg.rules.iter().find(|r| r.id == "generic-secret-assignment").unwrap();
    assert_eq!(generic.allowlists.len(), 1, "generic-api-key's extension applies to our catch-all rule");
    assert!(cfg.rules.iter().all(|r| r.id != "github-token"), "disabling github-pat disables our GitHub rule");
    assert!(cfg.notes.iter().any(|n| n.contains("age-secret-key")), "{:?}", cfg.notes);
    assert!(cfg.notes.iter().any(|n| n.contains("kubernetes-secret-yaml")), "{:?}", cfg.notes);
    let targeted: Vec<&Vec<String>> = cfg.allowlists.iter().map(|a| &a.target_rules).collect();
    assert_eq!(targeted, vec![&vec!["aws-access-key-id".to_string()]]);
    // Still refused without useDefault: then the id extends nothing.
    let e = load_str("[[rules]]\nid = \"generic-api-key\"\n[[rules.allowlists]]\npaths = ['x']\n", Path::new("."), "<t>").unwrap_err();
    assert!(matches!(e, ConfigError::NoPattern { ref rule_id, .. } if rule_id == "generic-api-key"), "{e}");
}

/// One generated config per gitleaks fixture in testdata/config/invalid (same name, same
/// fault): each is refused, and the message names the rule (when there is one) and the reason.
#[test]
fn issue14_gitleaks_invalid_fixtures_refused() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("allowlist_global_empty", "[[allowlists]]\n", &["global allowlist", "at least one check"]),
        ("allowlist_global_old_and_new", "[allowlist]\nregexes = ['a']\n[[allowlists]]\nregexes = ['b']\n", &["[allowlist]", "[[allowlists]]"]),
        ("allowlist_global_regextarget", "[[allowlists]]\nregexTarget = \"mtach\"\nregexes = ['b']\n", &["regexTarget", "mtach"]),
        (
            "allowlist_global_target_rule_id",
            "[[rules]]\nid = \"one\"\nregex = 'x1'\n[[allowlists]]\ntargetRules = [\"one\", \"two\"]\nregexes = ['z']\n",
            &["\"two\"", "does not exist"],
        ),
        ("allowlist_rule_empty", "[[rules]]\nid = \"r1\"\nregex = 'r\\d+'\n[[rules.allowlists]]\n", &["\"r1\"", "at least one check"]),
        (
            "allowlist_rule_old_and_new",
            "[[rules]]\nid = \"r1\"\nregex = 'r\\d+'\n[rules.allowlist]\nregexes = ['1']\n[[rules.allowlists]]\nregexes = ['2']\n",
            &["\"r1\"", "deprecated"],
        ),
        (
            "allowlist_rule_regextarget",
            "[[rules]]\nid = \"r1\"\nregex = 'r\\d+'\n[[rules.allowlists]]\nregexTarget = \"mtach\"\nregexes = ['2']\n",
            &["\"r1\"", "mtach"],
        ),
        ("extend_invalid_base", "[extend]\npath = \"no/such/base.toml\"\n[[rules]]\nid = \"r1\"\nregex = 'x'\n", &["no/such/base.toml", "not found"]),
        ("extend_invalid_ruleid", "[extend]\nuseDefault = true\n[[rules]]\n[[rules.allowlists]]\npaths = ['x']\n", &["no `id`"]),
        (
            "rule_bad_entropy_group",
            "[[rules]]\nid = \"grp\"\nregex = '(a)(b)(c)'\nsecretGroup = 5\nentropy = 3.5\n",
            &["\"grp\"", "secretGroup 5", "3 capture group"],
        ),
        ("rule_missing_id", "[[rules]]\ndescription = \"Some key\"\nregex = 'x'\n", &["no `id`", "Some key"]),
        ("rule_no_regex_or_path", "[[rules]]\nid = \"lonely\"\ndescription = \"d\"\n", &["\"lonely\"", "neither `regex` nor `path`"]),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, text, wants) in cases {
        let e = load_str(text, dir.path(), name).err().unwrap_or_else(|| panic!("{name} was accepted"));
        let msg = e.to_string();
        for w in *wants {
            assert!(msg.contains(w), "{name}: {msg:?} lacks {w:?}");
        }
    }
}

/// The shapes of gitleaks' testdata/config/valid, generated: each loads, with gitleaks'
/// merge semantics. `[extend] path`s are relative to the working directory, as in gitleaks'
/// own tests (run in its `config/` folder), with the configs under `testdata/config/valid/`.
#[test]
fn issue14_gitleaks_valid_fixtures_load() {
    let root = tempfile::tempdir().unwrap();
    let cwd = root.path().join("config");
    let valid = root.path().join("testdata/config/valid");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(&valid).unwrap();
    let simple = "[[rules]]\ndescription = \"AWS Access Key\"\nid = \"aws-access-key\"\nregex = '''(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}'''\ntags = [\"key\", \"AWS\"]\n";
    std::fs::write(root.path().join("testdata/config/simple.toml"), simple).unwrap();
    let aws = "regex = '''(?i)aws_(.{0,20})?=?.[\\'\\\"0-9a-zA-Z\\/+]{40}'''\ntags = [\"key\", \"AWS\"]\n";
    let files: Vec<(&str, String)> = vec![
        ("allowlist_global_multiple", "[[rules]]\nid = \"test\"\nregex = '''token = \"(.+)\"'''\n[[allowlists]]\nregexes = [\"^changeit$\"]\n[[allowlists]]\ncondition = \"AND\"\npaths = [\"^node_modules/.*\"]\nstopwords = [\"mock\"]\n".into()),
        ("allowlist_global_old_compat", "[allowlist]\nstopwords = [\"0989c462-69c9-49fa-b7d2-30dc5c576a97\"]\n".into()),
        ("allowlist_global_regex", "[allowlist]\nregexes = ['''AKIALALEM.L33243OLIA''']\n".into()),
        ("allowlist_global_target_rules", "[[rules]]\nid = \"a\"\nregex = 'a_[0-9]{4}'\n[[rules]]\nid = \"b\"\nregex = 'b_[0-9]{4}'\n[[allowlists]]\nregexes = ['''.*fake.*''']\n[[allowlists]]\ntargetRules = [\"a\", \"b\"]\npaths = ['''README\\.md$''']\n".into()),
        ("allowlist_rule_commit", format!("{simple}[[rules.allowlists]]\ncommits = ['''allowthiscommit''']\n")),
        ("allowlist_rule_extend_default", "[extend]\nuseDefault = true\n[[rules]]\nid = \"generic-api-key\"\n[[rules.allowlists]]\npaths = ['''^path/to/file\\.js$''']\n".into()),
        ("allowlist_rule_old_compat", "[[rules]]\nid = \"example\"\nregex = '''example\\d+'''\n[rules.allowlist]\nregexes = ['''123''']\n".into()),
        ("allowlist_rule_path", format!("{simple}[[rules.allowlists]]\npaths = ['''.go''']\n")),
        ("allowlist_rule_regex", format!("{simple}[[rules.allowlists]]\nregexes = ['''AKIALALEMEL33243OLIA''']\n")),
        ("extend", format!("[extend]\npath=\"../testdata/config/valid/extend_base_1.toml\"\n[[rules]]\nid = \"aws-secret-key\"\n{aws}")),
        ("extend_base_1", format!("[extend]\npath=\"../testdata/config/valid/extend_base_2.toml\"\n{simple}")),
        ("extend_base_2", format!("[extend]\npath=\"../testdata/config/extend_3.toml\"\n[[rules]]\nid = \"aws-secret-key-again\"\n{aws}")),
        ("extend_base_3", format!("[[rules]]\nid = \"aws-secret-key-again-again\"\ndescription = \"AWS Secret Key\"\n{aws}")),
        ("extend_rule_keywords_base", format!("[[rules]]\nid = \"aws-secret-key-again-again\"\ndescription = \"AWS Secret Key\"\n{aws}keywords = [\"AWS\"]\n[[rules.allowlists]]\nstopwords = [\"fake\"]\n")),
        ("extend_base_rule_including_keywords_with_attribute", "[extend]\npath=\"../testdata/config/valid/extend_rule_keywords_base.toml\"\n[[rules]]\nid = \"aws-secret-key-again-again\"\ndescription = \"A new description\"\n".into()),
        ("extend_disabled_base", format!("[[rules]]\nid = \"aws-secret-key\"\n{aws}[[rules]]\nid = \"custom-rule1\"\nregex = '''[Cc]ustom!'''\n")),
        ("extend_disabled", "[extend]\npath = \"../testdata/config/valid/extend_disabled_base.toml\"\ndisabledRules = ['custom-rule1']\n[[rules]]\nid = \"pypi-upload-token\"\nregex = '''pypi-AgEIcHlwaS5vcmc[A-Za-z0-9\\-_]{50,1000}'''\n".into()),
        ("extend_rule_allowlist_base", format!("[[rules]]\nid = \"aws-secret-key-again-again\"\n{aws}[[rules.allowlists]]\nstopwords = [\"fake\"]\n")),
        ("extend_rule_allowlist_and", "[extend]\npath=\"../testdata/config/valid/extend_rule_allowlist_base.toml\"\n[[rules]]\nid = \"aws-secret-key-again-again\"\n[[rules.allowlists]]\ncondition = \"AND\"\ncommits = ['''abcdefg1''']\nregexes = ['''foo.+bar''']\nregexTarget = \"line\"\npaths = ['''ignore\\.xaml''']\nstopwords = ['''example''']\n".into()),
        ("extend_rule_allowlist_or", "[extend]\npath=\"../testdata/config/valid/extend_rule_allowlist_base.toml\"\n[[rules]]\nid = \"aws-secret-key-again-again\"\n[[rules.allowlists]]\ncommits = ['''abcdefg1''']\nregexes = ['''foo.+bar''']\nregexTarget = \"line\"\npaths = ['''ignore\\.xaml''']\nstopwords = ['''example''']\n".into()),
        ("extend_rule_no_regexpath", "[extend]\npath=\"../testdata/config/valid/extend_base_3.toml\"\n[[rules]]\nid = \"aws-secret-key-again-again\"\n[[rules.allowlists]]\npaths = ['''something.py''']\n".into()),
        ("extend_rule_override_description", "[extend]\npath = \"../testdata/config/simple.toml\"\n[[rules]]\nid = \"aws-access-key\"\ndescription = \"Puppy Doggy\"\n".into()),
        ("extend_rule_override_entropy", "[extend]\npath = \"../testdata/config/simple.toml\"\n[[rules]]\nid = \"aws-access-key\"\nentropy = 999\n".into()),
        ("extend_rule_override_keywords", "[extend]\npath = \"../testdata/config/simple.toml\"\n[[rules]]\nid = \"aws-access-key\"\nkeywords = [\"puppy\"]\n".into()),
        ("extend_rule_override_path", "[extend]\npath = \"../testdata/config/simple.toml\"\n[[rules]]\nid = \"aws-access-key\"\npath = '''(?:puppy)'''\n".into()),
        ("extend_rule_override_regex", "[extend]\npath = \"../testdata/config/simple.toml\"\n[[rules]]\nid = \"aws-access-key\"\nregex = '''(?:a)'''\n".into()),
        ("extend_rule_override_secret_group", "[extend]\npath = \"../testdata/config/simple.toml\"\n[[rules]]\nid = \"aws-access-key\"\nregex = '''(a)(a)'''\nsecretGroup = 2\n".into()),
        ("extend_rule_override_tags", "[extend]\npath = \"../testdata/config/simple.toml\"\n[[rules]]\nid = \"aws-access-key\"\ntags = [\"puppy\"]\n".into()),
        ("rule_entropy_group", "[[rules]]\nid = \"discord-api-key\"\nregex = '''(?i)(discord[a-z0-9_ .\\-,]{0,25})(=|>|:=|\\|\\|:|<=|=>|:).{0,5}['\\\"]([a-h0-9]{64})['\\\"]'''\nsecretGroup = 3\nentropy = 3.5\n".into()),
        ("rule_path_only", "[[rules]]\ndescription = \"Python Files\"\nid = \"python-files-only\"\npath = '''.py'''\n".into()),
        ("rule_regex_escaped_character_group", "[[rules]]\nid = \"pypi-upload-token\"\nregex = '''pypi-AgEIcHlwaS5vcmc[A-Za-z0-9\\-_]{50,1000}'''\ntags = [\"key\", \"pypi\"]\n".into()),
    ];
    for (name, text) in &files {
        std::fs::write(valid.join(format!("{name}.toml")), text).unwrap();
    }
    let load = |name: &str| load_file_in(&valid.join(format!("{name}.toml")), &cwd);
    // Bases that only load inside their chain (gitleaks refuses them alone, as we do).
    let chain_only = ["extend_base_1", "extend_base_2"];
    for (name, _) in &files {
        match load(name) {
            Ok(_) => assert!(!chain_only.contains(name), "{name} loaded alone"),
            Err(e) => assert!(chain_only.contains(name), "{name}: {e}"),
        }
    }
    let rule = |name: &str, id: &str| load(name).unwrap().rules.into_iter().find(|r| r.id == id).unwrap();
    // Two levels of [extend]: extend → base_1 → base_2 (whose own extend is not followed).
    let ext = load("extend").unwrap();
    let mut got: Vec<&str> = ext.rules.iter().map(|r| r.id.as_str()).collect();
    got.sort();
    assert_eq!(got, vec!["aws-access-key", "aws-secret-key", "aws-secret-key-again"]);
    assert!(ext.notes.iter().any(|n| n.contains("not followed")));
    let ids: Vec<String> = load("extend_disabled").unwrap().rules.into_iter().map(|r| r.id).collect();
    assert_eq!(ids, vec!["aws-secret-key", "pypi-upload-token"]);
    assert_eq!(rule("extend_rule_override_description", "aws-access-key").description, "Puppy Doggy");
    assert_eq!(rule("extend_rule_override_entropy", "aws-access-key").entropy, Some(999.0));
    assert_eq!(rule("extend_rule_override_keywords", "aws-access-key").keywords, vec!["puppy"]);
    assert_eq!(rule("extend_rule_override_tags", "aws-access-key").tags, vec!["key", "AWS", "puppy"]);
    assert!(rule("extend_rule_override_path", "aws-access-key").path.is_some());
    assert_eq!(rule("extend_rule_override_secret_group", "aws-access-key").secret_group, 2);
    let kw = rule("extend_base_rule_including_keywords_with_attribute", "aws-secret-key-again-again");
    assert_eq!((kw.description.as_str(), kw.keywords.clone()), ("A new description", vec!["aws".to_string()]));
    assert_eq!(rule("extend_rule_allowlist_and", "aws-secret-key-again-again").allowlists.len(), 2);
    assert_eq!(rule("extend_rule_no_regexpath", "aws-secret-key-again-again").allowlists.len(), 1);
}

#[test]
fn issue14_gitleaks_extend_path_tries_working_directory_first() {
    let root = tempfile::tempdir().unwrap();
    let cwd = root.path().join("work");
    let cfg_dir = root.path().join("cfg");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(&cfg_dir).unwrap();
    std::fs::write(cwd.join("base.toml"), "[[rules]]\nid = \"from-cwd\"\nregex = 'CWD-[0-9]{4}'\n").unwrap();
    std::fs::write(cfg_dir.join("base.toml"), "[[rules]]\nid = \"from-config-dir\"\nregex = 'CFG-[0-9]{4}'\n").unwrap();
    let top = cfg_dir.join("top.toml");
    std::fs::write(&top, "[extend]\npath = \"base.toml\"\n").unwrap();
    let ids = |cwd: &Path| -> Vec<String> { load_file_in(&top, cwd).unwrap().rules.into_iter().map(|r| r.id).collect() };
    assert_eq!(ids(&cwd), vec!["from-cwd"], "the working directory wins, as in gitleaks");
    assert_eq!(ids(&root.path().join("elsewhere")), vec!["from-config-dir"], "then the config's folder");
    let e = load_file_in(&cfg_dir.join("nope.toml"), &cwd).unwrap_err();
    assert!(matches!(e, ConfigError::Read { .. }));
    std::fs::write(&top, "[extend]\npath = \"missing.toml\"\n").unwrap();
    let msg = load_file_in(&top, &cwd).unwrap_err().to_string();
    assert!(msg.contains("missing.toml") && msg.contains("working directory"), "{msg}");
}

/// gitleaks rules run only around keyword hits (bounded matches), with the same findings as
/// over the whole file; and gitleaks' dedupe: a "generic" rule's finding yields to another
/// rule's on the same line whose secret contains it.
#[test]
fn issue14_gitleaks_windows_match_whole_file_and_generic_yields() {
    use sandbox_core::scan::Window;
    let text = r#"
[[rules]]
id = "acme-token"
regex = '''\b(acme_[a-z0-9]{12})(?:\s|$)'''
keywords = ["acme_"]

[[rules]]
id = "my-generic-key"
regex = '''(?i)key\s{0,3}=\s{0,3}([a-z0-9_]{10,40})(?:\s|\z)'''
keywords = ["key"]

[[rules]]
id = "anchored"
regex = '''\A(start-[0-9]{4})'''
keywords = ["start-"]
"#;
    let cfg = load_str(text, Path::new("."), "<t>").unwrap();
    assert!(cfg.rules.iter().all(|r| matches!(r.window, Window::Around { .. })), "bounded rules run in windows");
    let windowed = Scanner::from_rules(cfg.rules.clone(), vec![]);
    let whole = Scanner::from_rules(
        cfg.rules
            .into_iter()
            .map(|mut r| {
                r.window = Window::WholeFile;
                r
            })
            .collect(),
        vec![],
    );
    let mut data = String::from("start-1234 begins the file\n");
    for i in 0..2000 {
        data.push_str(&format!("line {i} filler text without anything\n"));
        if i % 500 == 7 {
            data.push_str(&format!("key = acme_{i:0>12}\nstart-9999 is not at the start\n"));
        }
    }
    data.push_str("last key = tail_value_xyz");
    let view = |s: &Scanner| -> Vec<(usize, String)> { s.scan_bytes("f.txt", data.as_bytes()).into_iter().map(|f| (f.start_line, f.rule_id)).collect() };
    let got = view(&windowed);
    assert_eq!(got, view(&whole));
    let ids: Vec<&str> = got.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(ids.iter().filter(|r| **r == "acme-token").count(), 4);
    assert_eq!(ids.iter().filter(|r| **r == "anchored").count(), 1, "\\A only at the file's start");
    assert_eq!(ids.iter().filter(|r| **r == "my-generic-key").count(), 1, "yields to acme-token on its lines; \\z only at the end");
}

/// A gitleaks rule with an optional bounded head (`[\w.-]{0,50}?`) is searched from just
/// before each match of the rest (a much smaller automaton): the same findings.
#[test]
fn issue14_gitleaks_tail_search_finds_the_same_matches() {
    let text = r#"
[[rules]]
id = "vendor-key"
regex = '''(?i)[\w.-]{0,50}?(?:acme|auth)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|:)[\x60'"\s=]{0,5}([a-z0-9]{12,40})(?:[\x60'"\s;]|$)'''
keywords = ["acme", "auth"]
"#;
    let cfg = load_str(text, Path::new("."), "<t>").unwrap();
    assert!(cfg.rules[0].tail.is_some());
    let all = sandbox_core::scan::ScanLimits { per_file: 100_000, per_request: 100_000 };
    let with_tail = Scanner::from_rules(cfg.rules.clone(), vec![]).with_limits(all);
    let without = Scanner::from_rules(
        cfg.rules
            .into_iter()
            .map(|mut r| {
                r.tail = None;
                r
            })
            .collect(),
        vec![],
    )
    .with_limits(all);
    let mut data = String::new();
    for i in 0..300 {
        let head = "x_".repeat(i % 30); // heads up to 58 bytes: some longer than 50
        data.push_str(&format!("{head}acme_key = \"k{i:0>15}\"; auth={i:0>14}z acme acme:\n"));
        if i % 7 == 0 {
            data.push_str(&format!("my.auth.token: 'AUTH{i:0>20}' my_acme_secret='{i:0>12}'\n"));
        }
    }
    let view = |s: &Scanner| -> Vec<(usize, usize, String)> {
        s.scan_bytes("f.txt", data.as_bytes()).into_iter().map(|f| (f.start_line, f.start_column, f.redacted_match)).collect()
    };
    let got = view(&with_tail);
    assert!(got.len() > 600, "{}", got.len());
    assert_eq!(got, view(&without));
}
