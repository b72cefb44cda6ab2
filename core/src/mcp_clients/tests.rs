use super::*;
use serde_json::json;

const CMD: &str = "/Applications/OpenClaw Sandbox.app/Contents/MacOS/sandbox";

fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn put(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn plan_of(client: Client, home: &Path) -> ClientPlan {
    plan_client(client, home, HostOs::MacOs, Path::new(CMD))
}

fn after(p: &ClientPlan) -> &str {
    match &p.outcome {
        Outcome::Change { after, .. } => after,
        o => panic!("expected a change, got {o:?}"),
    }
}

#[test]
fn config_paths_per_os() {
    let h = Path::new("/h");
    assert_eq!(Client::ClaudeDesktop.config_path(h, HostOs::MacOs), Path::new("/h/Library/Application Support/Claude/claude_desktop_config.json"));
    assert_eq!(Client::ClaudeDesktop.config_path(h, HostOs::Linux), Path::new("/h/.config/Claude/claude_desktop_config.json"));
    assert_eq!(Client::Cursor.config_path(h, HostOs::Linux), Path::new("/h/.cursor/mcp.json"));
    assert_eq!(Client::VsCode.config_path(h, HostOs::MacOs), Path::new("/h/Library/Application Support/Code/User/mcp.json"));
    assert_eq!(Client::VsCode.config_path(h, HostOs::Linux), Path::new("/h/.config/Code/User/mcp.json"));
}

#[test]
fn clients_that_are_not_installed_are_skipped() {
    let h = home();
    let plans = plan(h.path(), HostOs::MacOs, Path::new(CMD));
    assert_eq!(plans.len(), 3);
    assert!(plans.iter().all(|p| matches!(p.outcome, Outcome::NotInstalled)), "{plans:?}");
    assert!(plans[0].summary().contains("not installed"));
}

#[test]
fn claude_keeps_other_keys_their_order_and_formatting() {
    let h = home();
    let path = Client::ClaudeDesktop.config_path(h.path(), HostOs::MacOs);
    let old =
        "{\n    \"zeta\": 1,\n    \"mcpServers\": {\n        \"other\": {\"command\": \"npx\", \"args\": [\"-y\", \"x\"]}\n    },\n    \"alpha\": [1, 2]\n}\n";
    put(&path, old);
    let p = plan_of(Client::ClaudeDesktop, h.path());
    assert!(p.file_exists);
    let new = after(&p);
    let want = "{\n    \"zeta\": 1,\n    \"mcpServers\": {\n        \"other\": {\"command\": \"npx\", \"args\": [\"-y\", \"x\"]},\n        \"openclaw-sandbox\": {\n            \"command\": \"/Applications/OpenClaw Sandbox.app/Contents/MacOS/sandbox\",\n            \"args\": [\"mcp\"]\n        }\n    },\n    \"alpha\": [1, 2]\n}\n";
    assert_eq!(new, want);
    let diff = p.diff();
    assert!(diff.contains("+        \"openclaw-sandbox\": {"), "{diff}");
    assert!(diff.contains("-        \"other\": {\"command\": \"npx\", \"args\": [\"-y\", \"x\"]}\n"), "{diff}");
    assert!(p.summary().contains("will add"), "{}", p.summary());

    let done = apply(&p).unwrap();
    let backup = done.backup.clone().unwrap();
    assert!(backup.file_name().unwrap().to_string_lossy().starts_with("claude_desktop_config.json.openclaw-sandbox.bak-"), "{backup:?}");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), old);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
    // idempotent
    let again = plan_of(Client::ClaudeDesktop, h.path());
    assert!(matches!(again.outcome, Outcome::Unchanged), "{again:?}");
    assert!(again.summary().contains("unchanged"));
    assert!(again.diff().is_empty());
    assert!(apply(&again).is_err());
}

#[test]
fn a_missing_file_in_an_existing_folder_is_created() {
    let h = home();
    let dir = h.path().join(".cursor");
    std::fs::create_dir_all(&dir).unwrap();
    let p = plan_of(Client::Cursor, h.path());
    assert!(!p.file_exists);
    assert!(p.summary().contains("will create"));
    assert!(p.diff().starts_with("--- /dev/null\n"), "{}", p.diff());
    let done = apply(&p).unwrap();
    assert_eq!(done.backup, None);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("mcp.json")).unwrap()).unwrap();
    assert_eq!(v, json!({"mcpServers": {"openclaw-sandbox": {"command": CMD, "args": ["mcp"]}}}));
    assert!(matches!(plan_of(Client::Cursor, h.path()).outcome, Outcome::Unchanged));
}

#[test]
fn vscode_uses_servers_and_type_stdio_and_keeps_inputs() {
    let h = home();
    let path = Client::VsCode.config_path(h.path(), HostOs::MacOs);
    put(&path, "{\n\t\"inputs\": [],\n\t\"servers\": {}\n}");
    let p = plan_of(Client::VsCode, h.path());
    let new = after(&p);
    assert_eq!(new, "{\n\t\"inputs\": [],\n\t\"servers\": {\n\t\t\"openclaw-sandbox\": {\n\t\t\t\"type\": \"stdio\",\n\t\t\t\"command\": \"/Applications/OpenClaw Sandbox.app/Contents/MacOS/sandbox\",\n\t\t\t\"args\": [\"mcp\"]\n\t\t}\n\t}\n}");
    apply(&p).unwrap();
    assert!(matches!(plan_of(Client::VsCode, h.path()).outcome, Outcome::Unchanged));
}

#[test]
fn vscode_comments_are_refused_not_dropped() {
    let h = home();
    let path = Client::VsCode.config_path(h.path(), HostOs::MacOs);
    let old = "{\n  // my servers\n  \"servers\": {},\n}\n";
    put(&path, old);
    let p = plan_of(Client::VsCode, h.path());
    let Outcome::Refused(e) = &p.outcome else { panic!("{p:?}") };
    let msg = e.to_string();
    assert!(msg.contains("not plain JSON") && msg.contains("comments"), "{msg}");
    assert!(msg.contains("\"openclaw-sandbox\": {") && msg.contains("\"type\": \"stdio\""), "the entry to add by hand: {msg}");
    assert!(apply(&p).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), old);
}

#[test]
fn invalid_json_and_wrong_shapes_are_refused() {
    let h = home();
    let path = Client::Cursor.config_path(h.path(), HostOs::MacOs);
    for (text, want) in [
        ("{\"mcpServers\": {", "not plain JSON"),
        ("[1, 2]", "not hold a JSON object"),
        ("{\"mcpServers\": []}", "is not an object"),
        ("{\"mcpServers\": {}, \"mcpServers\": {}}", "twice"),
    ] {
        put(&path, text);
        let p = plan_of(Client::Cursor, h.path());
        let Outcome::Refused(e) = &p.outcome else { panic!("{text}: {p:?}") };
        assert!(e.to_string().contains(want), "{text}: {e}");
        assert!(p.summary().starts_with("Cursor: not changed — "), "{}", p.summary());
    }
}

#[test]
fn an_entry_with_another_command_is_replaced_and_shown_keeping_its_env() {
    let h = home();
    let path = Client::ClaudeDesktop.config_path(h.path(), HostOs::Linux);
    put(&path, "{\"mcpServers\": {\"openclaw-sandbox\": {\"command\": \"/old/sandbox\", \"env\": {\"A\": \"1\"}, \"args\": [\"mcp\"]}}}");
    let p = plan_client(Client::ClaudeDesktop, h.path(), HostOs::Linux, Path::new(CMD));
    let Outcome::Change { replacing: Some(old), .. } = &p.outcome else { panic!("{p:?}") };
    assert_eq!(old["command"], "/old/sandbox");
    assert!(p.summary().contains("will replace") && p.summary().contains("/old/sandbox"), "{}", p.summary());
    assert!(p.diff().contains("-{\"mcpServers\": {\"openclaw-sandbox\": {\"command\": \"/old/sandbox\""), "{}", p.diff());
    assert_eq!(
        after(&p),
        format!(
            "{{\"mcpServers\": {{\"openclaw-sandbox\": {{\"command\": {}, \"env\": {{\"A\": \"1\"}}, \"args\": [\"mcp\"]}}}}}}",
            serde_json::to_string(CMD).unwrap()
        )
    );
}

#[test]
fn a_compact_file_gets_a_compact_edit_and_an_empty_file_a_fresh_one() {
    let h = home();
    let path = Client::Cursor.config_path(h.path(), HostOs::MacOs);
    put(&path, "{\"a\":1}");
    let p = plan_of(Client::Cursor, h.path());
    let v: Value = serde_json::from_str(after(&p)).unwrap();
    assert_eq!(v, json!({"a": 1, "mcpServers": {"openclaw-sandbox": {"command": CMD, "args": ["mcp"]}}}));
    assert!(after(&p).starts_with("{\"a\":1, \"mcpServers\": {"), "{}", after(&p));
    put(&path, "");
    let p = plan_of(Client::Cursor, h.path());
    assert!(after(&p).starts_with("{\n  \"mcpServers\": {\n    \"openclaw-sandbox\": {\n      \"command\""), "{}", after(&p));
}

#[test]
fn a_change_made_after_the_plan_is_not_overwritten() {
    let h = home();
    let path = Client::Cursor.config_path(h.path(), HostOs::MacOs);
    put(&path, "{}");
    let p = plan_of(Client::Cursor, h.path());
    put(&path, "{\"mine\": true}");
    assert!(matches!(apply(&p), Err(McpClientError::ChangedSinceShown { .. })));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"mine\": true}");
}

#[test]
fn permissions_and_symlinks_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let h = home();
    let real = h.path().join("dotfiles/cursor-mcp.json");
    put(&real, "{}\n");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let path = Client::Cursor.config_path(h.path(), HostOs::MacOs);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &path).unwrap();
    let done = apply(&plan_of(Client::Cursor, h.path())).unwrap();
    assert_eq!(done.path, std::fs::canonicalize(&real).unwrap());
    assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(matches!(plan_of(Client::Cursor, h.path()).outcome, Outcome::Unchanged));
}

#[test]
fn a_relative_command_is_refused() {
    let h = home();
    std::fs::create_dir_all(h.path().join(".cursor")).unwrap();
    let p = plan_client(Client::Cursor, h.path(), HostOs::MacOs, Path::new("sandbox"));
    assert!(matches!(p.outcome, Outcome::Refused(McpClientError::RelativeCommand { .. })));
}

#[test]
fn crlf_files_stay_crlf() {
    let h = home();
    let path = Client::Cursor.config_path(h.path(), HostOs::MacOs);
    put(&path, "{\r\n  \"a\": 1\r\n}\r\n");
    let p = plan_of(Client::Cursor, h.path());
    let new = after(&p);
    assert!(new.starts_with("{\r\n  \"a\": 1,\r\n  \"mcpServers\": {\r\n    \"openclaw-sandbox\": {\r\n"), "{new:?}");
    assert!(!new.replace("\r\n", "").contains('\n'), "{new:?}");
}

#[test]
fn an_entry_that_is_not_an_object_is_replaced_whole() {
    let h = home();
    let path = Client::Cursor.config_path(h.path(), HostOs::MacOs);
    put(&path, "{\n  \"mcpServers\": {\n    \"openclaw-sandbox\": null\n  }\n}\n");
    let p = plan_of(Client::Cursor, h.path());
    assert!(matches!(&p.outcome, Outcome::Change { replacing: Some(Value::Null), .. }), "{p:?}");
    assert!(p.summary().contains("will replace"), "{}", p.summary());
    let v: Value = serde_json::from_str(after(&p)).unwrap();
    assert_eq!(v, json!({"mcpServers": {"openclaw-sandbox": {"command": CMD, "args": ["mcp"]}}}));
}
