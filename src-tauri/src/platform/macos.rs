//! macOS: a menu-bar-only app (no Dock icon; `LSUIElement` in Info.plist does the same for
//! the bundle) and Terminal.app for the shell.

use super::Desktop;
use std::path::Path;
use std::process::Command;

pub struct Native;

impl Desktop for Native {
    fn configure<R: tauri::Runtime>(app: &mut tauri::App<R>) {
        app.set_activation_policy(tauri::ActivationPolicy::Accessory);
    }

    fn open_terminal(program: &Path, args: &[&str]) -> std::io::Result<()> {
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        let mut line = quote(&program.to_string_lossy());
        for a in args {
            line.push(' ');
            line.push_str(&quote(a));
        }
        let script = format!("tell application \"Terminal\"\nactivate\ndo script {}\nend tell", serde_json::to_string(&line).unwrap_or_default());
        Command::new("osascript").arg("-e").arg(script).spawn().map(|_| ())
    }
}
