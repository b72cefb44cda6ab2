//! macOS: Terminal.app for the shell. (Menu-bar only, no Dock icon: `LSUIElement` in the
//! bundle's Info.plist, and each process's activation policy where it starts its event loop.)

use super::Desktop;
use std::path::Path;
use std::process::Command;

pub struct Native;

impl Desktop for Native {
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
