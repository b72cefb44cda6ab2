//! `sandbox scan` end to end: exit codes, human and gitleaks-JSON output, configs, and that no
//! secret reaches stdout or stderr.

use std::path::Path;
use std::process::Command;

fn sandbox(args: &[&str], home: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .output()
        .expect("run sandbox");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A GitHub-shaped token built at run time so this file holds none.
fn fake_token() -> String {
    let body: String = (0..36).map(|i| b"aZ3kQ9xT1mPv7Lr2Wn8Yb4Hc6Jd0Fg5S"[(i * 7 + 3) % 32] as char).collect();
    format!("ghp_{body}")
}

#[test]
fn clean_tree_exits_zero() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.py"), "print('hello')\npassword = os.environ['PW']\n").unwrap();
    let (code, stdout, stderr) = sandbox(&["scan", dir.path().to_str().unwrap()], home.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("0 findings"), "{stderr}");
}

#[test]
fn findings_exit_three_with_redacted_human_output() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let t = fake_token();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/conf.py"), format!("# settings\nGITHUB_TOKEN = \"{t}\"\n")).unwrap();
    let (code, stdout, stderr) = sandbox(&["scan", dir.path().to_str().unwrap()], home.path());
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(stdout.contains("src/conf.py:2:"), "{stdout}");
    assert!(stdout.contains("github-token"), "{stdout}");
    assert!(!stdout.contains(&t) && !stderr.contains(&t), "secret leaked:\n{stdout}{stderr}");
}

#[test]
fn json_report_is_gitleaks_shaped() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let t = fake_token();
    let file = dir.path().join("leak.env");
    std::fs::write(&file, format!("TOKEN={t}\n")).unwrap();
    let (code, stdout, _) = sandbox(&["scan", "--json", file.to_str().unwrap()], home.path());
    assert_eq!(code, 3);
    assert!(!stdout.contains(&t));
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    let f = &v.as_array().unwrap()[0];
    assert_eq!(f["RuleID"], "github-token");
    assert_eq!(f["StartLine"], 1);
    assert_eq!(f["StartColumn"], 7);
    assert_eq!(f["Secret"], "ghp_REDACTED");
    assert!(f["File"].as_str().unwrap().ends_with("leak.env"));
    for k in ["Description", "EndLine", "EndColumn", "Match", "Entropy", "Fingerprint", "Commit", "Tags"] {
        assert!(f.get(k).is_some(), "missing {k}");
    }

    let clean = dir.path().join("clean.txt");
    std::fs::write(&clean, "nothing\n").unwrap();
    let (code, stdout, _) = sandbox(&["scan", "--json", clean.to_str().unwrap()], home.path());
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), "[]");
}

#[test]
fn config_file_rules_and_errors() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("gl.toml");
    std::fs::write(&cfg, "[[rules]]\nid = \"acme\"\nregex = '''ACME-[0-9]{6}'''\nkeywords = [\"acme-\"]\n").unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.txt"), "id ACME-123456\n").unwrap();
    let (code, stdout, _) = sandbox(&["scan", "--config", cfg.to_str().unwrap(), src.to_str().unwrap()], home.path());
    assert_eq!(code, 3);
    assert!(stdout.contains("acme"), "{stdout}");

    std::fs::write(&cfg, "[[rules]]\nid = \"broken-rule\"\nregex = '''(?<=x)y'''\n").unwrap();
    let (code, _, stderr) = sandbox(&["scan", "--config", cfg.to_str().unwrap(), src.to_str().unwrap()], home.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("broken-rule"), "{stderr}");
}

#[test]
fn unreadable_path_exits_one() {
    let home = tempfile::tempdir().unwrap();
    let (code, _, stderr) = sandbox(&["scan", "/nonexistent/path/for/scan"], home.path());
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot scan"), "{stderr}");
}
