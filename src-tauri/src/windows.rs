//! The window of a window process (`--window LABEL`): made here, with the web UI at
//! `index.html#LABEL`. The menu-bar side that starts these processes is `menubar/src/windows.rs`.

use crate::ipc_names::{WINDOW_ONBOARDING, WINDOW_REVIEW};
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// Show (creating if needed) and focus the window `label`.
pub fn create_or_focus<R: Runtime>(app: &AppHandle<R>, label: &str) -> tauri::Result<()> {
    if let Some(w) = app.get_webview_window(label) {
        w.show()?;
        w.unminimize()?;
        return w.set_focus();
    }
    let (title, width, height) = match label {
        WINDOW_ONBOARDING => ("Set Up OpenClaw Sandbox", 640.0, 600.0),
        WINDOW_REVIEW => ("Review Changes", 900.0, 640.0),
        _ => ("OpenClaw Sandbox Settings", 640.0, 640.0),
    };
    WebviewWindowBuilder::new(app, label, WebviewUrl::App(format!("index.html#{label}").into()))
        .title(title)
        .inner_size(width, height)
        .min_inner_size(480.0, 420.0)
        .focused(true)
        .build()?;
    Ok(())
}

/// `--window LABEL`: this process is a window process.
pub fn window_requested(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--window" {
            return it.next().cloned();
        }
        if let Some(v) = a.strip_prefix("--window=") {
            return Some(v.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_process_is_named_by_its_flag() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(window_requested(&args(&["app", "--window", "review"])), Some("review".into()));
        assert_eq!(window_requested(&args(&["app", "--window=settings"])), Some("settings".into()));
        assert_eq!(window_requested(&args(&["app", "--show", "settings"])), None);
    }
}
