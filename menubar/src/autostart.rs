//! "Start at Login" through auto-launch (macOS: a LaunchAgent; Linux: an XDG autostart entry),
//! registering the app's main binary (`openclaw-sandbox-app`, which hands over to this one) so a
//! login starts the app exactly as the Dock or the menu does.

use crate::app::App;
use auto_launch::AutoLaunch;

/// The name of the login item (what System Settings → Login Items lists).
const NAME: &str = "OpenClaw Sandbox";

fn launcher() -> Result<AutoLaunch, String> {
    let exe = crate::platform::beside_this_binary(crate::windows::WINDOW_BINARY)
        .or_else(|| std::env::current_exe().ok())
        .ok_or("cannot tell where the app's program is")?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let mut b = auto_launch::AutoLaunchBuilder::new();
    b.set_app_name(NAME).set_app_path(&exe.to_string_lossy());
    #[cfg(target_os = "macos")]
    b.set_macos_launch_mode(auto_launch::MacOSLaunchMode::LaunchAgent);
    b.build().map_err(|e| e.to_string())
}

pub fn is_enabled() -> bool {
    launcher().and_then(|l| l.is_enabled().map_err(|e| e.to_string())).unwrap_or(false)
}

/// Flip the setting; the menu shows what the OS reports afterwards.
pub fn toggle(app: &App) {
    let result = launcher().and_then(|l| if is_enabled() { l.disable() } else { l.enable() }.map_err(|e| e.to_string()));
    if let Err(e) = result {
        app.error(format!("cannot change Start at Login: {e}"));
    }
    let now = is_enabled();
    app.state.update(|m| {
        m.autostart = now;
        true
    });
}
