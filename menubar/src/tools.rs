//! The tray's "Connect an MCP Client…" and "Install Command-Line Tool…": core plans and
//! writes (`sandbox_core::mcp_clients`, `sandbox_core::cli_link`); this asks in a native dialog
//! and tells what happened.
//!
//! The dialogs' words are pure functions of core's plans (unit-tested below); the glue at the
//! bottom only shows them and calls core.

use sandbox_core::cli_link::{self, LinkError, LinkPlan};
use sandbox_core::mcp_clients::{self, Applied, ClientPlan, Outcome};
use std::path::{Path, PathBuf};

/// Lines of each client's diff shown in the dialog (the CLI shows all of it).
pub const DIFF_LINES: usize = 24;

/// A native dialog: a question when `confirm` names the button that goes ahead, else a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub title: String,
    pub message: String,
    pub confirm: Option<String>,
    pub error: bool,
}

fn diff_excerpt(diff: &str) -> String {
    let lines: Vec<&str> = diff.lines().collect();
    if lines.len() <= DIFF_LINES {
        return diff.trim_end().to_string();
    }
    format!("{}\n… ({} more lines; `sandbox mcp connect --dry-run` shows all)", lines[..DIFF_LINES].join("\n"), lines.len() - DIFF_LINES)
}

/// What "Connect an MCP Client…" asks, for these plans (`command` is the `sandbox` they name).
pub fn connect_dialog(plans: &[ClientPlan], command: &Path) -> Dialog {
    let title = "Connect an MCP Client".to_string();
    let mut parts = Vec::new();
    if plans.iter().all(|p| matches!(p.outcome, Outcome::NotInstalled)) {
        let message = "No MCP client was found (Claude Desktop, Cursor or VS Code). Install one, open it once, and try again.".to_string();
        return Dialog { title, message, confirm: None, error: false };
    }
    let changes = plans.iter().filter(|p| p.is_change()).count();
    if changes > 0 {
        parts.push(format!("Add the OpenClaw Sandbox MCP server ({} mcp) to:", command.display()));
    }
    for p in plans.iter().filter(|p| !matches!(p.outcome, Outcome::NotInstalled)) {
        let diff = p.diff();
        parts.push(if diff.is_empty() { p.summary() } else { format!("{}\n{}", p.summary(), diff_excerpt(&diff)) });
    }
    if changes == 0 {
        parts.push("Nothing to change.".into());
        return Dialog { title, message: parts.join("\n\n"), confirm: None, error: false };
    }
    parts.push("A backup of each changed file is kept beside it. Restart the clients afterwards.".into());
    Dialog { title, message: parts.join("\n\n"), confirm: Some("Connect".into()), error: false }
}

/// What is said after connecting: the notice (for the bus) and the errors, if any.
pub fn connect_result(results: &[(String, Result<Applied, String>)]) -> (Option<String>, Option<String>) {
    let done: Vec<String> = results
        .iter()
        .filter_map(|(name, r)| {
            r.as_ref().ok().map(|a| match &a.backup {
                Some(b) => format!("{name} (backup: {})", b.display()),
                None => format!("{name} (created {})", a.path.display()),
            })
        })
        .collect();
    let failed: Vec<String> = results.iter().filter_map(|(name, r)| r.as_ref().err().map(|e| format!("{name}: {e}"))).collect();
    let notice = (!done.is_empty()).then(|| format!("Connected the OpenClaw Sandbox MCP server to {}. Restart them to load it.", done.join(", ")));
    let error = (!failed.is_empty()).then(|| format!("Could not connect {}", failed.join("; ")));
    (notice, error)
}

/// What "Install Command-Line Tool…" asks, for this plan.
pub fn install_dialog(plan: &Result<LinkPlan, LinkError>) -> Dialog {
    let title = "Install Command-Line Tool".to_string();
    match plan {
        Ok(p @ LinkPlan::Create { .. }) => Dialog {
            title,
            message: format!("Make the `sandbox` command available in your terminals?\n\n{}", p.describe()),
            confirm: Some("Install".into()),
            error: false,
        },
        Ok(p @ LinkPlan::AlreadyLinked { .. }) => Dialog { title, message: p.describe(), confirm: None, error: false },
        Err(e) => Dialog { title, message: e.to_string(), confirm: None, error: true },
    }
}

/// The `sandbox` an MCP client should run: the one bundled beside the app, else one on PATH
/// or installed by "Install Command-Line Tool…".
pub fn sandbox_command(home: Option<&Path>) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok();
    cli_link::find_sandbox(exe.as_deref(), std::env::var_os("PATH").as_deref(), home)
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

// ---- glue: show the dialogs, call core --------------------------------------------------

use crate::app::App;
use sandbox_core::events::Event;

/// Show `d`; `true` when the user chose its confirm button. The dialog is made on the main
/// thread (the toolkit's) and awaited here, as the dialog plugin did.
async fn show(app: &App, d: Dialog) -> bool {
    use rfd::{MessageButtons, MessageDialogResult, MessageLevel};
    let (tx, rx) = tokio::sync::oneshot::channel();
    let confirm = d.confirm.clone();
    let runtime = tokio::runtime::Handle::current();
    app.on_main(move || {
        let mut b = rfd::AsyncMessageDialog::new().set_title(&d.title).set_description(&d.message).set_level(if d.error {
            MessageLevel::Error
        } else {
            MessageLevel::Info
        });
        b = match &d.confirm {
            Some(label) => b.set_buttons(MessageButtons::OkCancelCustom(label.clone(), "Cancel".into())),
            None => b.set_buttons(MessageButtons::Ok),
        };
        let shown = b.show();
        runtime.spawn(async move {
            let _ = tx.send(shown.await);
        });
    });
    match rx.await {
        // On Linux a custom OK button reports `Ok`, elsewhere its label.
        Ok(MessageDialogResult::Ok) => true,
        Ok(MessageDialogResult::Custom(label)) => confirm.is_some_and(|c| c == label),
        _ => false,
    }
}

fn notice(title: &str, message: String) -> Dialog {
    Dialog { title: title.into(), message, confirm: None, error: false }
}

/// The tray's "Connect an MCP Client…".
pub async fn connect_mcp(app: App) {
    let bus = app.state.bus.clone();
    let home = home();
    let Some(command) = sandbox_command(home.as_deref()) else {
        let message = "No `sandbox` command was found beside the app or on your PATH, so there is nothing to connect. Reinstall the app (it bundles `sandbox`), or install the CLI and run `sandbox mcp connect` in a terminal.";
        show(&app, Dialog { title: "Connect an MCP Client".into(), message: message.into(), confirm: None, error: true }).await;
        return;
    };
    let Some(home) = home else {
        show(
            &app,
            Dialog { title: "Connect an MCP Client".into(), message: "Cannot tell your home folder (HOME is not set).".into(), confirm: None, error: true },
        )
        .await;
        return;
    };
    let cmd = command.clone();
    let plans = match tokio::task::spawn_blocking(move || mcp_clients::plan(&home, sandbox_core::host::HostOs::current(), &cmd)).await {
        Ok(p) => p,
        Err(e) => {
            bus.publish(Event::Error { message: format!("cannot look at the MCP clients' configs: {e}") });
            return;
        }
    };
    let dialog = connect_dialog(&plans, &command);
    let asks = dialog.confirm.is_some();
    if !show(&app, dialog).await || !asks {
        return;
    }
    let results = tokio::task::spawn_blocking(move || {
        plans.iter().filter(|p| p.is_change()).map(|p| (p.client.name().to_string(), mcp_clients::apply(p).map_err(|e| e.to_string()))).collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let (done, failed) = connect_result(&results);
    if let Some(message) = failed {
        bus.publish(Event::Error { message });
    }
    if let Some(message) = done {
        bus.publish(Event::Notice { message: message.clone() });
        show(&app, notice("Connect an MCP Client", message)).await;
    }
}

/// The tray's "Install Command-Line Tool…".
pub async fn install_cli(app: App) {
    let bus = app.state.bus.clone();
    let bundled = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("sandbox"))).unwrap_or_else(|| PathBuf::from("sandbox"));
    let home = home().unwrap_or_else(|| PathBuf::from("/"));
    let path_var = std::env::var_os("PATH");
    let plan = cli_link::plan_link(&bundled, &home, Path::new(cli_link::SYSTEM_BIN), path_var.as_deref());
    let dialog = install_dialog(&plan);
    let asks = dialog.confirm.is_some();
    if !show(&app, dialog).await || !asks {
        return;
    }
    let Ok(plan) = plan else { return };
    match cli_link::apply_link(&plan) {
        Ok(()) => {
            let message = format!("Installed: {}", plan.describe());
            bus.publish(Event::Notice { message: message.clone() });
            show(&app, notice("Install Command-Line Tool", message)).await;
        }
        Err(e) => bus.publish(Event::Error { message: format!("cannot install the command-line tool: {e}") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sandbox_core::host::HostOs;
    use sandbox_core::mcp_clients::Client;

    const CMD: &str = "/Applications/OpenClaw Sandbox.app/Contents/MacOS/sandbox";

    #[test]
    fn connect_asks_with_the_diff_and_names_what_is_skipped() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join(".cursor")).unwrap();
        let plans = mcp_clients::plan(t.path(), HostOs::MacOs, Path::new(CMD));
        let d = connect_dialog(&plans, Path::new(CMD));
        assert_eq!(d.confirm.as_deref(), Some("Connect"));
        assert!(d.message.contains("Cursor: will create"), "{}", d.message);
        assert!(d.message.contains("+    \"openclaw-sandbox\": {"), "{}", d.message);
        assert!(d.message.contains("backup"), "{}", d.message);
        assert!(!d.message.contains("Claude Desktop"), "not installed clients are not listed: {}", d.message);
    }

    #[test]
    fn connect_with_nothing_to_do_only_informs() {
        let t = tempfile::tempdir().unwrap();
        let none = connect_dialog(&mcp_clients::plan(t.path(), HostOs::MacOs, Path::new(CMD)), Path::new(CMD));
        assert_eq!(none.confirm, None);
        assert!(none.message.contains("No MCP client was found"));
        std::fs::create_dir_all(t.path().join(".cursor")).unwrap();
        std::fs::write(
            t.path().join(".cursor/mcp.json"),
            format!("{{\"mcpServers\": {{\"openclaw-sandbox\": {{\"command\": \"{CMD}\", \"args\": [\"mcp\"]}}}}}}"),
        )
        .unwrap();
        let same = connect_dialog(&mcp_clients::plan(t.path(), HostOs::MacOs, Path::new(CMD)), Path::new(CMD));
        assert_eq!(same.confirm, None);
        assert!(same.message.contains("unchanged") && same.message.contains("Nothing to change."), "{}", same.message);
    }

    #[test]
    fn long_diffs_are_cut_with_a_pointer_to_the_cli() {
        let long: String = (0..100).map(|i| format!("+line {i}\n")).collect();
        let e = diff_excerpt(&long);
        assert_eq!(e.lines().count(), DIFF_LINES + 1);
        assert!(e.ends_with("(76 more lines; `sandbox mcp connect --dry-run` shows all)"), "{e}");
    }

    #[test]
    fn connect_result_names_backups_and_errors() {
        let ok = Applied { client: Client::Cursor, path: "/h/.cursor/mcp.json".into(), backup: Some("/h/.cursor/mcp.json.openclaw-sandbox.bak-1".into()) };
        let (n, e) = connect_result(&[("Cursor".into(), Ok(ok)), ("VS Code".into(), Err("disk full".into()))]);
        assert_eq!(
            n.unwrap(),
            "Connected the OpenClaw Sandbox MCP server to Cursor (backup: /h/.cursor/mcp.json.openclaw-sandbox.bak-1). Restart them to load it."
        );
        assert_eq!(e.unwrap(), "Could not connect VS Code: disk full");
        assert_eq!(connect_result(&[]), (None, None));
    }

    #[test]
    fn install_asks_only_when_there_is_something_to_do() {
        let t = tempfile::tempdir().unwrap();
        let exe = t.path().join("sandbox");
        std::fs::write(&exe, "").unwrap();
        let plan = cli_link::plan_link(&exe, t.path(), &t.path().join("no-such-dir"), None);
        let d = install_dialog(&plan);
        assert_eq!(d.confirm.as_deref(), Some("Install"));
        assert!(d.message.contains(".local/bin/sandbox") && d.message.contains("not on your PATH"), "{}", d.message);
        cli_link::apply_link(plan.as_ref().unwrap()).unwrap();
        let again = install_dialog(&cli_link::plan_link(&exe, t.path(), &t.path().join("no-such-dir"), None));
        assert_eq!(again.confirm, None);
        assert!(again.message.contains("nothing to change"));
        let missing = install_dialog(&cli_link::plan_link(&t.path().join("nope"), t.path(), t.path(), None));
        assert!(missing.error && missing.confirm.is_none());
    }
}
