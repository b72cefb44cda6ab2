//! The commands the web UI calls. Each turns its payload into core's types, calls core (or a
//! service trait over it) and returns data or one [`CommandError`]. No decisions here.

use crate::error::{CmdResult, CommandError, FieldProblem};
use crate::form::{self, ProfileForm, Step};
use crate::model::AppView;
use crate::network::PresetInfo;
use crate::state::AppState;
use crate::wizard_store;
use sandbox_core::doctor::{self, Check};
use sandbox_core::profile::check_secret_name;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

#[tauri::command]
pub fn app_view(state: State<'_, AppState>) -> AppView {
    state.model().view()
}

/// Is limactl there and recent enough (with the install command when not)?
#[tauri::command]
pub async fn lima_check() -> Check {
    doctor::check_limactl().await
}

/// What the wizard shows on opening: saved progress, or core's defaults.
#[derive(Debug, Serialize)]
pub struct WizardSnapshot {
    pub step: Step,
    pub form: ProfileForm,
    pub profile_exists: bool,
    pub profile_path: String,
}

#[tauri::command]
pub fn wizard_load(state: State<'_, AppState>) -> WizardSnapshot {
    let p = wizard_store::load(&state.paths.data_dir);
    WizardSnapshot { step: p.step, form: p.form, profile_exists: state.profile_path.exists(), profile_path: state.profile_path.display().to_string() }
}

#[tauri::command]
pub fn wizard_save(state: State<'_, AppState>, step: Step, form: ProfileForm) -> CmdResult<()> {
    let _busy = state.busy();
    wizard_store::save(&state.paths.data_dir, &wizard_store::Progress { step, form }).map_err(CommandError::failed)
}

/// Check the fields one step owns, with core's profile validation.
#[tauri::command]
pub fn wizard_check(state: State<'_, AppState>, step: Step, form: ProfileForm) -> CmdResult<()> {
    form::for_step(step, form::validate(&form.to_new_toml(), &state.profile_path))
}

/// Which kind of vault a folder is and what will happen to it (core decides; see form::vault_hint).
#[tauri::command]
pub fn vault_hint(state: State<'_, AppState>, path: String) -> Option<String> {
    form::vault_hint(&path, &state.profile_path)
}

/// Validate everything and write the profile (never over an existing one).
#[tauri::command]
pub async fn wizard_finish(state: State<'_, AppState>, form: ProfileForm) -> CmdResult<String> {
    let _busy = state.busy();
    let text = form.to_new_toml();
    form::validate(&text, &state.profile_path)?;
    form::write_profile(&state.profile_path, &text, false)?;
    wizard_store::clear(&state.paths.data_dir);
    state.profile_written().await;
    Ok(state.profile_path.display().to_string())
}

#[tauri::command]
pub fn network_presets() -> Vec<PresetInfo> {
    crate::network::presets()
}

/// The native folder picker; `None` when the user cancels.
#[tauri::command]
pub async fn pick_folder<R: Runtime>(app: AppHandle<R>) -> Option<String> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().pick_folder(move |p| {
        let _ = tx.send(p.and_then(|p| p.into_path().ok()).map(|p| p.display().to_string()));
    });
    rx.await.ok().flatten()
}

fn checked_name(name: &str) -> CmdResult<()> {
    check_secret_name(name).map_err(|message| CommandError::invalid(vec![FieldProblem { field: "secrets".into(), message }]))
}

/// Run a blocking keychain call off the async threads.
async fn keychain<T: Send + 'static>(state: &AppState, f: impl FnOnce(&dyn crate::services::Keychain) -> CmdResult<T> + Send + 'static) -> CmdResult<T> {
    let k = state.keychain.clone();
    tauri::async_runtime::spawn_blocking(move || f(k.as_ref())).await.map_err(CommandError::failed)?
}

/// Store a secret's value in the OS keychain (through core). The value is never echoed.
#[tauri::command]
pub async fn secret_set(state: State<'_, AppState>, name: String, value: String) -> CmdResult<()> {
    let _busy = state.busy();
    checked_name(&name)?;
    keychain(&state, move |k| k.set(&name, value)).await
}

#[tauri::command]
pub async fn secret_remove(state: State<'_, AppState>, name: String) -> CmdResult<bool> {
    let _busy = state.busy();
    checked_name(&name)?;
    keychain(&state, move |k| k.remove(&name)).await
}

/// Which of these names have a stored value (names only, never values).
#[tauri::command]
pub async fn secrets_list(state: State<'_, AppState>, names: Vec<String>) -> CmdResult<Vec<String>> {
    keychain(&state, move |k| k.which_set(&names)).await
}

/// Import a `.env` file into the keychain (all or nothing); optionally delete it afterwards.
/// Returns the names stored, for the form's list.
#[tauri::command]
pub async fn secrets_import(state: State<'_, AppState>, path: String, delete: bool) -> CmdResult<Vec<String>> {
    let _busy = state.busy();
    keychain(&state, move |k| k.import_env(std::path::Path::new(&path), delete)).await
}

/// The native file picker (for a `.env` file); `None` when the user cancels.
#[tauri::command]
pub async fn pick_file<R: Runtime>(app: AppHandle<R>) -> Option<String> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().pick_file(move |p| {
        let _ = tx.send(p.and_then(|p| p.into_path().ok()).map(|p| p.display().to_string()));
    });
    rx.await.ok().flatten()
}

fn read_profile(state: &AppState) -> CmdResult<(String, toml_edit::DocumentMut)> {
    let text = std::fs::read_to_string(&state.profile_path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => sandbox_core::profile::ProfileError::NotFound { path: state.profile_path.clone() }.into(),
        _ => CommandError::failed(format!("cannot read {}: {e}", state.profile_path.display())),
    })?;
    let doc = text.parse().map_err(|e| CommandError::failed(format!("the profile {} is not valid TOML: {e}", state.profile_path.display())))?;
    Ok((text, doc))
}

#[tauri::command]
pub fn settings_load(state: State<'_, AppState>) -> CmdResult<ProfileForm> {
    let (_, doc) = read_profile(&state)?;
    Ok(ProfileForm::from_doc(&doc))
}

/// Save the settings into the profile, keeping every key the form does not show.
#[tauri::command]
pub fn settings_save(state: State<'_, AppState>, form: ProfileForm) -> CmdResult<()> {
    let _busy = state.busy();
    let (_, mut doc) = read_profile(&state)?;
    form.apply_to(&mut doc);
    let text = doc.to_string();
    form::validate(&text, &state.profile_path)?;
    form::write_profile(&state.profile_path, &text, true)
}

#[tauri::command]
pub async fn sandbox_start(state: State<'_, AppState>) -> CmdResult<()> {
    state.start().await
}

#[tauri::command]
pub async fn sandbox_stop(state: State<'_, AppState>, force: bool) -> CmdResult<()> {
    state.stop(force).await
}

/// "Allow" on a blocked connection (Settings → Network): core edits the allowlist.
#[tauri::command]
pub async fn firewall_allow(state: State<'_, AppState>, target: String) -> CmdResult<()> {
    let _busy = state.busy();
    state.firewall.allow(&target).await
}

#[tauri::command]
pub async fn sync_list(state: State<'_, AppState>) -> CmdResult<Vec<crate::services::ReviewRequest>> {
    state.reviewer.list().await
}

/// Approve (all, or `paths`) and apply; core refuses anything blocked.
#[tauri::command]
pub async fn sync_approve(state: State<'_, AppState>, id: String, paths: Option<Vec<String>>) -> CmdResult<serde_json::Value> {
    let _busy = state.busy();
    state.reviewer.approve(&id, paths).await
}

#[tauri::command]
pub async fn sync_reject(state: State<'_, AppState>, id: String) -> CmdResult<()> {
    let _busy = state.busy();
    state.reviewer.reject(&id).await
}

#[tauri::command]
pub async fn sync_undo(state: State<'_, AppState>) -> CmdResult<serde_json::Value> {
    let _busy = state.busy();
    state.reviewer.undo().await
}

/// Register every command (the app and the mock-runtime tests use this one list).
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_view,
        lima_check,
        wizard_load,
        wizard_save,
        wizard_check,
        wizard_finish,
        vault_hint,
        network_presets,
        pick_folder,
        secret_set,
        secret_remove,
        secrets_list,
        secrets_import,
        pick_file,
        settings_load,
        settings_save,
        sandbox_start,
        sandbox_stop,
        firewall_allow,
        sync_list,
        sync_approve,
        sync_reject,
        sync_undo,
    ]
}
