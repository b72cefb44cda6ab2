//! The menu-bar (tray) icon and menu: rendered from [`TrayView`], clicks dispatched to core.
//! Lives on the main thread (tray-icon: GTK's on Linux — the menu is exported as a
//! StatusNotifierItem with dbusmenu through libappindicator —, AppKit's on macOS).

use crate::app::App;
use crate::ipc_names::{WINDOW_ONBOARDING, WINDOW_REVIEW, WINDOW_SETTINGS};
use crate::model::{ids, MenuEntry, TrayIcon, TrayView};
use crate::platform::{Desktop, Native};
use crate::windows;
use tray_icon::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIconBuilder};

pub const TRAY_ID: &str = "openclaw-sandbox";

fn icon_png(icon: TrayIcon) -> &'static [u8] {
    match icon {
        TrayIcon::Stopped => include_bytes!("../../icons/tray/stopped@2x.png"),
        TrayIcon::Busy => include_bytes!("../../icons/tray/busy@2x.png"),
        TrayIcon::Running => include_bytes!("../../icons/tray/running@2x.png"),
        TrayIcon::Attention => include_bytes!("../../icons/tray/attention@2x.png"),
        TrayIcon::Error => include_bytes!("../../icons/tray/error@2x.png"),
    }
}

/// The icon as RGBA pixels (the PNGs are built in, so a failure is a build defect, reported).
fn icon(icon: TrayIcon) -> Result<Icon, String> {
    let (rgba, width, height) = decode_png(icon_png(icon)).map_err(|e| format!("the built-in tray icon {icon:?} is unreadable: {e}"))?;
    Icon::from_rgba(rgba, width, height).map_err(|e| format!("the built-in tray icon {icon:?}: {e}"))
}

/// Decode a PNG to 8-bit RGBA.
fn decode_png(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32), String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8() | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(info.buffer_size());
    match info.color_type {
        png::ColorType::Rgba => Ok((buf, info.width, info.height)),
        png::ColorType::GrayscaleAlpha => Ok((buf.chunks(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(), info.width, info.height)),
        other => Err(format!("colour type {other:?}")),
    }
}

fn menu(view: &TrayView) -> Result<Menu, String> {
    let menu = Menu::new();
    for entry in &view.menu {
        let added = match entry {
            MenuEntry::Item { id, label, enabled } => menu.append(&MenuItem::with_id(*id, label, *enabled, None)),
            MenuEntry::Check { id, label, checked } => menu.append(&CheckMenuItem::with_id(*id, label, true, *checked, None)),
            MenuEntry::Separator => menu.append(&PredefinedMenuItem::separator()),
        };
        added.map_err(|e| format!("cannot build the tray menu: {e}"))?;
    }
    Ok(menu)
}

/// Where the tray writes its icon files (Linux: the indicator reads the icon from a file). The
/// user's runtime folder when the session has one (private, on tmpfs); else the app's data folder,
/// never the shared `/tmp/tray-icon` the toolkit falls back to: another user may own it (then the
/// tray fails with "Permission denied") or plant files in it.
fn icon_dir(paths: &sandbox_core::paths::Paths) -> std::path::PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(d) if !d.is_empty() => std::path::PathBuf::from(d).join(sandbox_core::paths::APP_DIR).join("tray-icon"),
        _ => paths.data_dir.join("tray-icon"),
    }
}

/// Put the tray icon in the menu bar.
pub fn create(paths: &sandbox_core::paths::Paths, view: &TrayView) -> Result<tray_icon::TrayIcon, String> {
    let dir = icon_dir(paths);
    crate::platform::create_private_dir(&dir).map_err(|e| format!("cannot create the tray icon's folder {}: {e}", dir.display()))?;
    TrayIconBuilder::new()
        .with_id(TRAY_ID)
        .with_temp_dir_path(&dir)
        .with_icon(icon(view.icon)?)
        .with_icon_as_template(true)
        .with_tooltip(&view.status_line)
        .with_menu(Box::new(menu(view)?))
        .with_menu_on_left_click(true)
        .build()
        .map_err(|e| format!("cannot put the icon in the menu bar: {e}"))
}

/// Re-render after the model changed.
pub fn render(tray: &tray_icon::TrayIcon, view: &TrayView) {
    let result = (|| {
        tray.set_menu(Some(Box::new(menu(view)?)));
        tray.set_icon_with_as_template(Some(icon(view.icon)?), true).map_err(|e| e.to_string())?;
        tray.set_tooltip(Some(&view.status_line)).map_err(|e| e.to_string())
    })();
    if let Err(e) = result {
        tracing::warn!("cannot update the tray: {e}");
    }
}

fn show(app: &App, label: &str) {
    if let Err(e) = windows::show(app, label) {
        tracing::warn!("cannot open the {label} window: {e}");
    }
}

/// A click on the menu item `id` (on the main thread).
pub fn on_click(app: &App, id: &str) {
    match id {
        ids::START => {
            let task = app.clone();
            app.spawn(async move {
                let _ = task.state.start().await;
            });
        }
        ids::STOP | ids::FORCE_STOP => {
            let force = id == ids::FORCE_STOP;
            let task = app.clone();
            app.spawn(async move {
                let _ = task.state.stop(force).await;
            });
        }
        ids::REVIEW => show(app, WINDOW_REVIEW),
        ids::BLOCKED => {
            if let Err(e) = windows::show_at(app, WINDOW_SETTINGS, Some("network")) {
                tracing::warn!("cannot open the settings window: {e}");
            }
            app.state.update(|m| std::mem::replace(&mut m.blocked, 0) != 0);
        }
        ids::SETUP => show(app, WINDOW_ONBOARDING),
        ids::SETTINGS => show(app, WINDOW_SETTINGS),
        ids::SHELL => {
            if let Err(e) = Native::open_terminal(&crate::platform::sandbox_cli(), &["ssh"]) {
                app.error(format!("cannot open a terminal: {e}. Run `sandbox ssh` in one yourself"));
            }
        }
        ids::CONNECT_MCP => app.spawn(crate::tools::connect_mcp(app.clone())),
        ids::INSTALL_CLI => app.spawn(crate::tools::install_cli(app.clone())),
        ids::AUTOSTART => crate::autostart::toggle(app),
        ids::QUIT => app.send(crate::app::UserEvent::Quit),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tray_icon_decodes_to_rgba_of_its_size() {
        for i in [TrayIcon::Stopped, TrayIcon::Busy, TrayIcon::Running, TrayIcon::Attention, TrayIcon::Error] {
            let (rgba, w, h) = decode_png(icon_png(i)).unwrap();
            assert!(w > 0 && h > 0, "{i:?}");
            assert_eq!(rgba.len(), (w * h * 4) as usize, "{i:?}");
        }
    }
}
