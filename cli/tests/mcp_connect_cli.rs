//! `sandbox mcp connect`, run as the real binary with HOME in a temp dir.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn sandbox(home: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .args(args)
        .env("HOME", home)
        .env("SANDBOX_HOME", home.join("sandbox-home"))
        .env_remove("XDG_CONFIG_HOME")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() }
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sandbox"))
}

fn paths(home: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (claude, code) = if cfg!(target_os = "macos") {
        (home.join("Library/Application Support/Claude"), home.join("Library/Application Support/Code/User"))
    } else {
        (home.join(".config/Claude"), home.join(".config/Code/User"))
    };
    (claude.join("claude_desktop_config.json"), home.join(".cursor/mcp.json"), code.join("mcp.json"))
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn backups(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.contains(".openclaw-sandbox.bak-")).collect()
}

#[test]
fn connect_writes_the_installed_clients_and_a_second_run_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path();
    let (claude, cursor, vscode) = paths(home);
    std::fs::create_dir_all(claude.parent().unwrap()).unwrap();
    std::fs::write(&claude, "{\n  \"globalShortcut\": \"Alt+Space\"\n}\n").unwrap();
    std::fs::create_dir_all(cursor.parent().unwrap()).unwrap(); // folder only: the file is created
                                                                // VS Code is not installed

    let r = sandbox(home, &["mcp", "connect", "--yes"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("+    \"openclaw-sandbox\": {"), "the diff is shown: {}", r.stdout);
    assert!(r.stdout.contains("VS Code: not installed"), "{}", r.stdout);
    assert!(r.stdout.contains("backup: "), "{}", r.stdout);
    let cmd = bin().to_string_lossy().into_owned();
    assert_eq!(json(&claude), serde_json::json!({"globalShortcut": "Alt+Space", "mcpServers": {"openclaw-sandbox": {"command": cmd, "args": ["mcp"]}}}));
    assert_eq!(json(&cursor), serde_json::json!({"mcpServers": {"openclaw-sandbox": {"command": cmd, "args": ["mcp"]}}}));
    assert!(!vscode.exists() && !vscode.parent().unwrap().exists());
    let b = backups(claude.parent().unwrap());
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(std::fs::read_to_string(claude.parent().unwrap().join(&b[0])).unwrap(), "{\n  \"globalShortcut\": \"Alt+Space\"\n}\n");

    let before = (std::fs::read(&claude).unwrap(), std::fs::read(&cursor).unwrap());
    let again = sandbox(home, &["mcp", "connect", "--yes"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("Claude Desktop: already connected") && again.stdout.contains("unchanged"), "{}", again.stdout);
    assert!(again.stdout.contains("Nothing to change."), "{}", again.stdout);
    assert_eq!(before, (std::fs::read(&claude).unwrap(), std::fs::read(&cursor).unwrap()));
    assert_eq!(backups(claude.parent().unwrap()).len(), 1);
}

#[test]
fn dry_run_writes_nothing_and_without_yes_off_a_terminal_nothing_is_written() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path();
    let (_, cursor, vscode) = paths(home);
    std::fs::create_dir_all(cursor.parent().unwrap()).unwrap();
    std::fs::create_dir_all(vscode.parent().unwrap()).unwrap();
    std::fs::write(&vscode, "{\"servers\": {}}").unwrap();

    let r = sandbox(home, &["mcp", "connect", "--dry-run"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("\"type\": \"stdio\""), "{}", r.stdout);
    assert!(r.stdout.contains("Dry run: nothing written."), "{}", r.stdout);
    assert!(!cursor.exists());
    assert_eq!(std::fs::read_to_string(&vscode).unwrap(), "{\"servers\": {}}");

    let r = sandbox(home, &["mcp", "connect"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert!(!cursor.exists());
    assert!(backups(vscode.parent().unwrap()).is_empty());
}

#[test]
fn vscode_with_comments_is_refused_the_others_are_still_written() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path();
    let (_, cursor, vscode) = paths(home);
    std::fs::create_dir_all(cursor.parent().unwrap()).unwrap();
    std::fs::create_dir_all(vscode.parent().unwrap()).unwrap();
    let jsonc = "{\n  // mine\n  \"servers\": {}\n}\n";
    std::fs::write(&vscode, jsonc).unwrap();

    let r = sandbox(home, &["mcp", "connect", "--yes", "--client", "vscode", "--client", "cursor"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("VS Code: not changed") && r.stderr.contains("comments"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&vscode).unwrap(), jsonc);
    assert!(cursor.exists());

    // only the named client is looked at
    let r = sandbox(home, &["mcp", "connect", "--yes", "--client", "claude"]);
    assert_eq!(r.code, 1, "asked for a client that is not installed: {}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("Claude Desktop: not installed"), "{}", r.stderr);
    assert!(!r.stdout.contains("Cursor"), "{}", r.stdout);
}

#[test]
fn bare_mcp_still_serves_on_stdio() {
    // `sandbox mcp` answers an MCP initialize on stdin (what every client sends first)
    let t = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .arg("mcp")
        .env("HOME", t.path())
        .env("SANDBOX_HOME", t.path().join("sandbox-home"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let init =
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{init}").unwrap();
        // closing stdin ends the session after the reply
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"id\":1") && text.contains("serverInfo"), "{text}");
}
