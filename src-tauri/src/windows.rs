//! The app's windows. Each is created on first use and shows the UI view named by its label.

use crate::ipc_names::{WINDOW_ONBOARDING, WINDOW_REVIEW, WINDOW_SETTINGS};
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// Known window labels.
pub const ALL: &[&str] = &[WINDOW_ONBOARDING, WINDOW_SETTINGS, WINDOW_REVIEW];

/// Show (creating if needed) and focus the window `label`.
pub fn show<R: Runtime>(app: &AppHandle<R>, label: &str) -> tauri::Result<()> {
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
        .build()?;
    Ok(())
}

/// A window was destroyed (closing one destroys it: nothing stays hidden, and WebKitGTK ends
/// its web process). Hand the heap it freed back to the system: glibc keeps freed memory in its
/// arenas otherwise.
pub fn destroyed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::os::raw::c_int;
        }
        // SAFETY: glibc's malloc_trim takes no pointers and is thread-safe.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Windows asked for on the command line (`--show LABEL`, repeatable) or in
/// `OPENCLAW_SANDBOX_SHOW=LABEL[,LABEL]` — how tests make windows visible, hence interactable.
pub fn requested(args: &[String], env: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = if a == "--show" { it.next().cloned() } else { a.strip_prefix("--show=").map(str::to_string) };
        if let Some(v) = v {
            out.push(v);
        }
    }
    out.extend(env.unwrap_or_default().split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    out.retain(|l| ALL.contains(&l.as_str()));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_requests_come_from_flags_and_env_and_unknown_labels_are_dropped() {
        let args: Vec<String> = ["app", "--show", "settings", "--show=review", "--show", "bogus"].iter().map(|s| s.to_string()).collect();
        assert_eq!(requested(&args, Some("onboarding, x")), vec!["settings", "review", "onboarding"]);
        assert!(requested(&[], None).is_empty());
    }
}
