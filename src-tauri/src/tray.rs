//! The menu-bar (tray) icon and menu: rendered from [`TrayView`], clicks dispatched to core.

use crate::ipc_names::{WINDOW_ONBOARDING, WINDOW_REVIEW, WINDOW_SETTINGS};
use crate::model::{ids, MenuEntry, TrayIcon, TrayView};
use crate::platform::{Desktop, Native};
use crate::state::AppState;
use crate::windows;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

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

fn icon(icon: TrayIcon) -> tauri::Result<Image<'static>> {
    Image::from_bytes(icon_png(icon))
}

fn menu<R: Runtime>(app: &AppHandle<R>, view: &TrayView) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    for entry in &view.menu {
        let item: Box<dyn IsMenuItem<R>> = match entry {
            MenuEntry::Item { id, label, enabled } => Box::new(MenuItem::with_id(app, *id, label, *enabled, None::<&str>)?),
            MenuEntry::Check { id, label, checked } => Box::new(CheckMenuItem::with_id(app, *id, label, true, *checked, None::<&str>)?),
            MenuEntry::Separator => Box::new(PredefinedMenuItem::separator(app)?),
        };
        menu.append(item.as_ref())?;
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
pub fn create<R: Runtime>(app: &AppHandle<R>, view: &TrayView) -> tauri::Result<()> {
    let dir = icon_dir(&app.state::<AppState>().paths);
    create_private_dir(&dir).map_err(|e| std::io::Error::new(e.kind(), format!("cannot create the tray icon's folder {}: {e}", dir.display())))?;
    TrayIconBuilder::with_id(TRAY_ID)
        .temp_dir_path(&dir)
        .icon(icon(view.icon)?)
        .icon_as_template(true)
        .tooltip(&view.status_line)
        .menu(&menu(app, view)?)
        .show_menu_on_left_click(true)
        .on_menu_event(on_click)
        .build(app)?;
    Ok(())
}

fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Re-render after the model changed.
pub fn render<R: Runtime>(app: &AppHandle<R>, view: &TrayView) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    let result = (|| {
        tray.set_menu(Some(menu(app, view)?))?;
        tray.set_icon(Some(icon(view.icon)?))?;
        tray.set_icon_as_template(true)?;
        tray.set_tooltip(Some(&view.status_line))
    })();
    if let Err(e) = result {
        tracing::warn!("cannot update the tray: {e}");
    }
}

fn show(app: &AppHandle<impl Runtime>, label: &str) {
    if let Err(e) = windows::show(app, label) {
        tracing::warn!("cannot open the {label} window: {e}");
    }
}

fn on_click<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let app = app.clone();
    let id = event.id().as_ref().to_string();
    match id.as_str() {
        ids::START => {
            tauri::async_runtime::spawn(async move {
                let _ = app.state::<AppState>().start().await;
            });
        }
        ids::STOP | ids::FORCE_STOP => {
            let force = id == ids::FORCE_STOP;
            tauri::async_runtime::spawn(async move {
                let _ = app.state::<AppState>().stop(force).await;
            });
        }
        ids::REVIEW => show(&app, WINDOW_REVIEW),
        ids::BLOCKED => {
            if let Err(e) = windows::show_at(&app, WINDOW_SETTINGS, Some("network")) {
                tracing::warn!("cannot open the settings window: {e}");
            }
            app.state::<AppState>().update(|m| std::mem::replace(&mut m.blocked, 0) != 0);
        }
        ids::SETUP => show(&app, WINDOW_ONBOARDING),
        ids::SETTINGS => show(&app, WINDOW_SETTINGS),
        ids::SHELL => {
            if let Err(e) = Native::open_terminal(&crate::platform::sandbox_cli(), &["ssh"]) {
                app.state::<AppState>()
                    .bus
                    .publish(sandbox_core::events::Event::Error { message: format!("cannot open a terminal: {e}. Run `sandbox ssh` in one yourself") });
            }
        }
        ids::CONNECT_MCP => {
            tauri::async_runtime::spawn(crate::tools::connect_mcp(app));
        }
        ids::INSTALL_CLI => {
            tauri::async_runtime::spawn(crate::tools::install_cli(app));
        }
        ids::AUTOSTART => crate::autostart::toggle(&app),
        ids::QUIT => app.exit(0),
        _ => {}
    }
}
