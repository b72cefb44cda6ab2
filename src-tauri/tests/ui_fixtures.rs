//! The UI tests (tests/ui, headless Chromium with mocked IPC) replay core's real validation
//! results from `tests/ui/fixtures/wizard-cases.json`. This test computes them with core and
//! fails when the file is stale; `UPDATE_UI_FIXTURES=1 cargo test -p openclaw-sandbox-app
//! --test ui_fixtures` rewrites it.

use openclaw_sandbox_app::form::{self, ProfileForm, Step};
use serde_json::{json, Value};
use std::path::Path;

/// (case name, step, field in the form, value typed)
const CASES: &[(&str, Step, &str, &str)] = &[
    ("project-missing", Step::Folders, "project", ""),
    ("project-not-found", Step::Folders, "project", "/nonexistent/openclaw-ui-fixture"),
    ("project-is-root", Step::Folders, "project", "/"),
    ("name-invalid", Step::Folders, "name", "my sandbox!"),
    ("secret-name-invalid", Step::Secrets, "secrets", "anthropic key"),
    ("cpus-out-of-range", Step::Resources, "cpus", "128"),
    ("cpus-not-a-number", Step::Resources, "cpus", "lots"),
    ("memory-too-small", Step::Resources, "memory", "1GiB"),
    ("disk-unreadable", Step::Resources, "disk", "big"),
    ("domain-invalid", Step::Network, "allowed_domains", "not a domain!"),
];

fn base() -> ProfileForm {
    let mut f = ProfileForm::defaults();
    f.project = "/tmp".into();
    f
}

fn cases() -> Value {
    let profile = Path::new("/nonexistent-config/openclaw-sandbox/profile.toml");
    let mut out = Vec::new();
    for (name, step, field, value) in CASES {
        let mut f = base();
        match *field {
            "project" => f.project = value.to_string(),
            "name" => f.name = value.to_string(),
            "secrets" => f.secrets = vec![value.to_string()],
            "cpus" => f.cpus = value.to_string(),
            "memory" => f.memory = value.to_string(),
            "disk" => f.disk = value.to_string(),
            "allowed_domains" => f.allowed_domains = vec![value.to_string()],
            other => panic!("no such form field {other}"),
        }
        let err = form::for_step(*step, form::validate(&f.to_new_toml(), profile)).expect_err(name);
        out.push(json!({"name": name, "step": step, "input": field, "value": value, "error": err}));
    }
    Value::Array(out)
}

#[test]
fn ui_fixture_file_holds_cores_current_messages() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui/fixtures/wizard-cases.json");
    let want = serde_json::to_string_pretty(&cases()).unwrap() + "\n";
    if std::env::var_os("UPDATE_UI_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(have, want, "tests/ui/fixtures/wizard-cases.json is stale: rerun with UPDATE_UI_FIXTURES=1");
}

#[test]
fn the_base_form_is_valid() {
    let f = base();
    assert!(form::validate(&f.to_new_toml(), Path::new("/nonexistent-config/p.toml")).is_ok());
}
