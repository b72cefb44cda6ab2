//! The app's commands under Tauri's mock runtime (`tauri::test`): no display, no VM.
//! Core's validation is real; the VM control, keychain and review queue are recording fakes.

mod ipc;

use async_trait::async_trait;
use openclaw_sandbox_app::commands;
use openclaw_sandbox_app::error::{CmdResult, CommandError, ErrorKind};
use openclaw_sandbox_app::services::{Control, CoreKeychain, NotInThisBuild, Services};
use openclaw_sandbox_app::state::AppState;
use sandbox_core::events::{Event, EventBus, VmState};
use sandbox_core::paths::Paths;
use sandbox_core::secrets::{MemoryStore, SecretName, SecretStore, SecretValue, SecretsError, StoreStatus};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tauri::test::{mock_builder, mock_context, noop_assets};
use tauri::{App, Manager, WebviewWindow};

#[derive(Default)]
struct FakeControl {
    calls: Mutex<Vec<String>>,
    fail_up: Mutex<Option<String>>,
}

#[async_trait]
impl Control for FakeControl {
    async fn up(&self) -> CmdResult<()> {
        self.calls.lock().unwrap().push("up".into());
        match self.fail_up.lock().unwrap().clone() {
            Some(m) => Err(CommandError::failed(m)),
            None => Ok(()),
        }
    }
    async fn down(&self, force: bool) -> CmdResult<()> {
        self.calls.lock().unwrap().push(format!("down force={force}"));
        Ok(())
    }
    async fn state(&self) -> CmdResult<(String, VmState)> {
        self.calls.lock().unwrap().push("state".into());
        Ok(("openclaw-sandbox".into(), VmState::Stopped))
    }
    async fn follow(&self) -> CmdResult<()> {
        self.calls.lock().unwrap().push("follow".into());
        Ok(())
    }
    async fn follow_alerts(&self, stop: tokio::sync::oneshot::Receiver<()>) -> CmdResult<()> {
        self.calls.lock().unwrap().push("alerts".into());
        let _ = stop.await;
        self.calls.lock().unwrap().push("alerts stopped".into());
        Ok(())
    }
}

/// Core's in-memory secret store, shared so the test can look inside.
#[derive(Default, Clone)]
struct SharedStore(Arc<MemoryStore>);

impl SecretStore for SharedStore {
    fn backend(&self) -> String {
        self.0.backend()
    }
    fn get(&self, name: &SecretName) -> Result<Option<SecretValue>, SecretsError> {
        self.0.get(name)
    }
    fn set(&self, name: &SecretName, value: &SecretValue) -> Result<(), SecretsError> {
        self.0.set(name, value)
    }
    fn delete(&self, name: &SecretName) -> Result<bool, SecretsError> {
        self.0.delete(name)
    }
    fn check(&self) -> Result<StoreStatus, SecretsError> {
        self.0.check()
    }
}

impl SharedStore {
    fn value(&self, name: &str) -> Option<String> {
        self.0.get(&name.parse().unwrap()).unwrap().map(|v| v.expose().to_string())
    }
}

struct Harness {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    control: Arc<FakeControl>,
    store: SharedStore,
    bus: EventBus,
    _app: App<tauri::test::MockRuntime>,
    window: WebviewWindow<tauri::test::MockRuntime>,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("project")).unwrap();
        let paths = Paths::under(&root);
        let control = Arc::new(FakeControl::default());
        let store = SharedStore::default();
        let keychain = Arc::new(CoreKeychain::with(paths.clone(), Box::new(store.clone())));
        let bus = EventBus::default();
        let services = Services {
            control: control.clone(),
            keychain,
            reviewer: Arc::new(NotInThisBuild("The sync review queue")),
            firewall: Arc::new(NotInThisBuild("The firewall")),
        };
        let state = AppState::new(paths.clone(), paths.profile_file(), bus.clone(), services);
        let app = mock_builder().manage(state).invoke_handler(commands::handler()).build(mock_context(noop_assets())).unwrap();
        let window = tauri::WebviewWindowBuilder::new(&app, "onboarding", Default::default()).build().unwrap();
        Harness { _dir: dir, root, control, store, bus, _app: app, window }
    }

    fn call(&self, cmd: &str, body: Value) -> Result<Value, Value> {
        ipc::call(&self.window, cmd, body)
    }

    fn profile(&self) -> std::path::PathBuf {
        self.root.join("config/profile.toml")
    }

    fn form(&self) -> Value {
        let mut f = self.call("wizard_load", json!({})).unwrap()["form"].clone();
        f["project"] = json!(self.root.join("project"));
        f
    }
}

fn core_messages(text: &str, path: &Path) -> Vec<(String, String)> {
    let e = sandbox_core::profile::Profile::parse(text, path, path.parent().unwrap()).unwrap_err();
    e.problems().iter().map(|p| (p.field.clone(), p.message.clone())).collect()
}

#[test]
fn an_empty_project_fails_the_folders_step_with_cores_message() {
    let h = Harness::new();
    let mut form = h.form();
    form["project"] = json!("");
    let err = h.call("wizard_check", json!({"step": "folders", "form": form})).unwrap_err();
    assert_eq!(err["kind"], "invalid");
    assert_eq!(err["problems"].as_array().unwrap().len(), 1);
    assert_eq!(err["problems"][0]["field"], "mounts.project");
    // The CLI shows the very same text for a profile without a project.
    let core = core_messages("version = 1\n[mounts]\n", &h.profile());
    assert_eq!(err["problems"][0]["message"], core[0].1);
}

#[test]
fn each_step_reports_only_its_own_fields() {
    let h = Harness::new();
    let mut form = h.form();
    form["memory"] = json!("1GiB");
    form["cpus"] = json!("99");
    form["project"] = json!(h.root.join("missing"));
    let err = h.call("wizard_check", json!({"step": "resources", "form": form})).unwrap_err();
    let fields: Vec<&str> = err["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["resources.cpus", "resources.memory"]);
    assert_eq!(err["problems"][1]["message"], "is 1GiB; the sandbox needs at least 2GiB");
    let err = h.call("wizard_check", json!({"step": "folders", "form": form})).unwrap_err();
    assert_eq!(err["problems"][0]["field"], "mounts.project");
    assert!(err["problems"][0]["message"].as_str().unwrap().contains("does not exist"));
    assert!(h.call("wizard_check", json!({"step": "mode", "form": form})).is_ok());
}

#[test]
fn progress_is_saved_and_resumed() {
    let h = Harness::new();
    let mut form = h.form();
    form["vault"] = json!("/somewhere");
    h.call("wizard_save", json!({"step": "network", "form": form})).unwrap();
    let snap = h.call("wizard_load", json!({})).unwrap();
    assert_eq!(snap["step"], "network");
    assert_eq!(snap["form"]["vault"], "/somewhere");
    assert_eq!(snap["profile_exists"], false);
}

#[test]
fn finishing_writes_a_profile_core_accepts_and_never_overwrites() {
    let h = Harness::new();
    let mut form = h.form();
    form["mode"] = json!("yolo");
    form["cpus"] = json!("2");
    h.call("wizard_save", json!({"step": "summary", "form": form})).unwrap();
    let path = h.call("wizard_finish", json!({"form": form})).unwrap();
    assert_eq!(path, json!(h.profile().display().to_string()));
    let p = sandbox_core::profile::Profile::load(&h.profile()).unwrap();
    assert_eq!(p.mode.as_str(), "yolo");
    assert_eq!(p.resources.cpus, 2);
    assert_eq!(p.project().host, h.root.join("project"));
    // Progress is gone; the model knows a profile exists and asked core for the VM's state.
    assert_eq!(h.call("wizard_load", json!({})).unwrap()["step"], "welcome");
    assert_eq!(h.call("app_view", json!({})).unwrap()["profile_present"], true);
    assert_eq!(h.call("app_view", json!({})).unwrap()["status_line"], "Stopped");
    assert!(h.control.calls.lock().unwrap().contains(&"state".to_string()));
    let err = h.call("wizard_finish", json!({"form": form})).unwrap_err();
    assert_eq!(err["kind"], "exists");
}

#[test]
fn an_invalid_form_writes_nothing() {
    let h = Harness::new();
    let mut form = h.form();
    form["secrets"] = json!(["not valid"]);
    let err = h.call("wizard_finish", json!({"form": form})).unwrap_err();
    assert_eq!(err["problems"][0]["field"], "secrets.names[0]");
    assert!(!h.profile().exists());
}

#[test]
fn start_and_stop_reach_core_and_failures_become_events() {
    let h = Harness::new();
    let mut rx = h.bus.subscribe();
    h.call("sandbox_start", json!({})).unwrap();
    h.call("sandbox_stop", json!({"force": true})).unwrap();
    assert_eq!(*h.control.calls.lock().unwrap(), vec!["up", "down force=true"]);
    *h.control.fail_up.lock().unwrap() = Some("limactl not found; install Lima".into());
    let err = h.call("sandbox_start", json!({})).unwrap_err();
    assert_eq!(err["kind"], "failed");
    assert_eq!(err["message"], "limactl not found; install Lima");
    assert_eq!(rx.try_recv().unwrap(), Event::Error { message: "limactl not found; install Lima".into() });
}

/// Redaction at the door (issue 15): core errors can carry what the VM printed; a value core
/// knows as a secret (learned when it was pushed or stored) and a token shape reach neither
/// the command's error (windows), nor the bus's `Error` event (tray, notifications).
#[test]
fn a_known_secret_and_a_token_never_reach_the_windows_or_notifications() {
    let h = Harness::new();
    let mut rx = h.bus.subscribe();
    let canary = format!("canary-app-{}", std::process::id());
    sandbox_core::redact::door().learn("APP_CANARY", &canary);
    let token = "xoxb-123456789012-abcdefghijkl";
    *h.control.fail_up.lock().unwrap() = Some(format!("`limactl start` failed: boot script printed {canary} and {token}"));
    let err = h.call("sandbox_start", json!({})).unwrap_err();
    let shown = err.to_string();
    assert!(!shown.contains(&canary) && !shown.contains(token), "{shown}");
    assert!(shown.contains("[REDACTED:APP_CANARY]") && shown.contains("[REDACTED]"), "{shown}");
    let Event::Error { message } = rx.try_recv().unwrap() else { panic!("an Error event") };
    assert!(!message.contains(&canary) && !message.contains(token) && message.contains("[REDACTED:APP_CANARY]"), "{message}");
}

#[test]
fn secrets_go_to_the_keychain_and_their_values_never_come_back() {
    let h = Harness::new();
    let err = h.call("secret_set", json!({"name": "lower-case", "value": "sk-canary-123"})).unwrap_err();
    assert_eq!(err["kind"], "invalid");
    assert!(!err.to_string().contains("sk-canary-123"));
    let ok = h.call("secret_set", json!({"name": "ANTHROPIC_API_KEY", "value": "sk-canary-123"})).unwrap();
    assert_eq!(ok, Value::Null);
    assert_eq!(h.store.value("ANTHROPIC_API_KEY").as_deref(), Some("sk-canary-123"));
    let audit = std::fs::read_to_string(h.root.join("logs/audit.jsonl")).unwrap();
    assert!(audit.contains("secrets.set") && !audit.contains("sk-canary"), "{audit}");
    let set = h.call("secrets_list", json!({"names": ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]})).unwrap();
    assert_eq!(set, json!(["ANTHROPIC_API_KEY"]));
    assert!(!set.to_string().contains("sk-canary"));
    assert_eq!(h.call("secret_remove", json!({"name": "ANTHROPIC_API_KEY"})).unwrap(), json!(true));
    assert_eq!(h.store.value("ANTHROPIC_API_KEY"), None);
    let err = h.call("secret_set", json!({"name": "OPENAI_API_KEY", "value": ""})).unwrap_err();
    assert_eq!(err["kind"], "failed");
}

#[test]
fn a_dotenv_import_goes_to_the_keychain_and_can_delete_the_file() {
    let h = Harness::new();
    let env = h.root.join(".env");
    std::fs::write(&env, "ANTHROPIC_API_KEY=sk-ant-canary-0123456789\nOPENAI_API_KEY=sk-openai-canary-0123456789\n").unwrap();
    let names = h.call("secrets_import", json!({"path": env, "delete": true})).unwrap();
    assert_eq!(names, json!(["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]));
    assert_eq!(h.store.value("OPENAI_API_KEY").as_deref(), Some("sk-openai-canary-0123456789"));
    assert!(!env.exists(), "the file is overwritten and removed");
    assert!(!names.to_string().contains("canary"));
    // A broken file imports nothing (core's all-or-nothing), and says why.
    std::fs::write(&env, "GOOD_KEY=value-0123456789\nthis is not a line\n").unwrap();
    let err = h.call("secrets_import", json!({"path": env, "delete": false})).unwrap_err();
    assert_eq!(err["kind"], "failed");
    assert_eq!(h.store.value("GOOD_KEY"), None);
    assert!(env.exists());
}

#[test]
fn settings_save_validates_and_keeps_keys_the_form_does_not_show() {
    let h = Harness::new();
    std::fs::create_dir_all(h.root.join("config")).unwrap();
    let text =
        format!("version = 1\nmode = \"secure\"\n[mounts]\nproject = {:?}\n[provisioning.vars]\nopenclaw_version = \"2026.1.0\"\n", h.root.join("project"));
    std::fs::write(h.profile(), text).unwrap();
    let mut form = h.call("settings_load", json!({})).unwrap();
    assert_eq!(form["project"], json!(h.root.join("project")));
    form["disk"] = json!("5GiB");
    let err = h.call("settings_save", json!({"form": form})).unwrap_err();
    assert_eq!(err["problems"][0]["field"], "resources.disk");
    form["disk"] = json!("60GiB");
    h.call("settings_save", json!({"form": form})).unwrap();
    let saved = std::fs::read_to_string(h.profile()).unwrap();
    assert!(saved.contains("openclaw_version = \"2026.1.0\""), "{saved}");
    assert_eq!(sandbox_core::profile::Profile::load(&h.profile()).unwrap().resources.disk.to_string(), "60GiB");
}

#[test]
fn settings_without_a_profile_say_so() {
    let h = Harness::new();
    let err = h.call("settings_load", json!({})).unwrap_err();
    assert_eq!(err["kind"], "no_profile");
}

#[test]
fn a_missing_core_part_says_so_instead_of_pretending() {
    let h = Harness::new();
    let err = h.call("sync_list", json!({})).unwrap_err();
    assert_eq!(err["kind"], "unavailable");
}

#[test]
fn firewall_alerts_are_followed_exactly_while_the_vm_runs() {
    let h = Harness::new();
    let state = h._app.state::<AppState>();
    assert!(state.alerts_on_state(VmState::Stopped).is_none());
    let follower = state.alerts_on_state(VmState::Running).expect("the first Running starts a follower");
    // A second Running while one follower is live starts nothing.
    assert!(state.alerts_on_state(VmState::Running).is_none());
    tauri::async_runtime::block_on(async {
        let run = state.run_alerts(follower);
        let stop = async {
            tokio::task::yield_now().await;
            assert!(state.alerts_on_state(VmState::Stopping).is_none());
        };
        tokio::join!(run, stop);
    });
    assert_eq!(*h.control.calls.lock().unwrap(), vec!["alerts", "alerts stopped"]);
    // Stopped and running again: a new follower.
    assert!(state.alerts_on_state(VmState::Running).is_some());
}

#[test]
fn core_events_fold_into_the_view() {
    let h = Harness::new();
    let state = h._app.state::<AppState>();
    state.update(|m| {
        m.profile_present = true;
        true
    });
    state.apply(&Event::StateChanged { instance: "i".into(), state: VmState::Running });
    state.apply(&Event::SyncRequested { id: "r1".into(), message: None, changes: 4, blocked: false, root: Default::default() });
    let v = h.call("app_view", json!({})).unwrap();
    assert_eq!(v["status_line"], "Running — 4 changes waiting");
    assert_eq!(v["icon"], "attention");
    let _ = ErrorKind::Failed;
}
