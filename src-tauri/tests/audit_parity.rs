#![cfg(target_os = "linux")] // both front ends store secrets in the kernel keyutils store here
//! One use-case layer (issue 15): the same use cases driven through the `sandbox` CLI process
//! and through the app's commands write the same audit lines — secrets stored, removed and
//! imported (kernel keyutils store, a real OS store), an address allowed in the firewall, a
//! sync request approved and undone, another rejected. Times, folders and the test's own
//! names are the only differences allowed.

mod ipc;

use openclaw_sandbox_app::commands;
use openclaw_sandbox_app::services::{CoreControl, CoreFirewall, CoreKeychain, CoreReviewer, Services};
use openclaw_sandbox_app::state::AppState;
use sandbox_core::events::EventBus;
use sandbox_core::paths::Paths;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use tauri::test::{mock_builder, mock_context, noop_assets};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The CLI binary of this workspace, built from this tree (a no-op when it is fresh).
fn sandbox_bin() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo().join("target"));
    let st = Command::new(env!("CARGO")).args(["build", "-q", "--locked", "-p", "sandbox-cli", "--bin", "sandbox"]).current_dir(repo()).status().unwrap();
    assert!(st.success(), "cannot build the sandbox CLI");
    dir.join("debug/sandbox")
}

struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    paths: Paths,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        for d in ["home", "project", "lima"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("project/a.txt"), "alpha\n").unwrap();
        let paths = Paths::under(&root.join("home"));
        std::fs::create_dir_all(paths.profile_file().parent().unwrap()).unwrap();
        std::fs::write(paths.profile_file(), format!("version = 1\nname = \"parity\"\n[mounts]\nproject = {:?}\n", root.join("project"))).unwrap();
        World { _dir: dir, root, paths }
    }

    /// Two review requests from the agent, made by core's own queue (as `sandbox sync` would).
    fn requests(&self) {
        let profile = sandbox_core::profile::Profile::load(&self.paths.profile_file()).unwrap();
        let queue = sandbox_core::sync::queue::Queue::open(&self.paths.data_dir.join("sync")).unwrap();
        for (name, content) in [("b.txt", "bee\n"), ("c.txt", "sea\n")] {
            let upper = self.root.join("upper");
            let _ = std::fs::remove_dir_all(&upper);
            std::fs::create_dir_all(&upper).unwrap();
            std::fs::write(upper.join(name), content).unwrap();
            let tar = self.root.join("upper.tar");
            assert!(Command::new("tar").arg("-C").arg(&upper).arg("-cf").arg(&tar).arg(".").status().unwrap().success());
            queue
                .create(std::fs::File::open(&tar).unwrap(), &self.root.join("project"), &profile.sync_policy, &sandbox_core::scan::Scanner::builtin(), None)
                .unwrap();
        }
    }

    fn env_file(&self) -> PathBuf {
        let p = self.root.join("keys.env");
        std::fs::write(&p, "PARITY_ONE=value-one-1234\nPARITY_TWO=value-two-1234\n").unwrap();
        p
    }

    /// Audit lines without their time, with this world's folders as `<root>`.
    fn audit(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.paths.log_dir.join("audit.jsonl")).unwrap();
        let root = self.root.display().to_string();
        text.lines()
            .map(|l| {
                let mut v: Value = serde_json::from_str(&l.replace(&root, "<root>")).unwrap();
                v.as_object_mut().unwrap().remove("time");
                v
            })
            .collect()
    }
}

fn cli(bin: &Path, w: &World, args: &[&str], stdin: Option<&str>) {
    use std::io::Write;
    let mut child = Command::new(bin)
        .args(args)
        .env("SANDBOX_HOME", w.root.join("home"))
        .env("SANDBOX_SECRET_STORE", "keyutils")
        .env("SANDBOX_LIMACTL", repo().join("tests/support/fake-limactl"))
        .env("FAKE_LIMA_DIR", w.root.join("lima"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "sandbox {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

fn call(w: &tauri::WebviewWindow<tauri::test::MockRuntime>, cmd: &str, body: Value) -> Value {
    ipc::call(w, cmd, body).unwrap_or_else(|e| panic!("{cmd}: {e:?}"))
}

#[test]
fn the_cli_and_the_app_write_the_same_audit_lines() {
    // A fresh kernel session keyring for this process and the CLI processes it starts.
    let id = unsafe { libc::syscall(libc::SYS_keyctl, 1 as libc::c_long, std::ptr::null::<libc::c_char>()) };
    assert!(id > 0, "cannot create a session keyring: {}", std::io::Error::last_os_error());
    // Process-wide, but only this test in this binary uses them.
    std::env::set_var("SANDBOX_SECRET_STORE", "keyutils");
    std::env::set_var("SANDBOX_LIMACTL", repo().join("tests/support/fake-limactl"));

    // Through the CLI, as a user types it.
    let bin = sandbox_bin();
    let c = World::new();
    c.requests();
    cli(&bin, &c, &["secrets", "set", "PARITY_KEY", "--stdin"], Some("parity-value-1234\n"));
    cli(&bin, &c, &["secrets", "rm", "PARITY_KEY"], None);
    cli(&bin, &c, &["secrets", "import", c.env_file().to_str().unwrap(), "--delete-source"], None);
    cli(&bin, &c, &["firewall", "allow", "10.1.2.3"], None);
    cli(&bin, &c, &["sync", "approve", "1"], None);
    cli(&bin, &c, &["sync", "undo"], None);
    cli(&bin, &c, &["sync", "reject", "2"], None);

    // Through the app's commands, as its windows call them.
    let a = World::new();
    a.requests();
    std::env::set_var("FAKE_LIMA_DIR", a.root.join("lima"));
    let bus = EventBus::default();
    let profile = a.paths.profile_file();
    let services = Services {
        control: Arc::new(CoreControl { paths: a.paths.clone(), profile_path: profile.clone(), bus: bus.clone() }),
        keychain: Arc::new(CoreKeychain::new(a.paths.clone())),
        reviewer: Arc::new(CoreReviewer { paths: a.paths.clone(), profile_path: profile.clone(), bus: bus.clone() }),
        firewall: Arc::new(CoreFirewall { paths: a.paths.clone(), profile_path: profile.clone(), bus: bus.clone() }),
    };
    let app = mock_builder()
        .manage(AppState::new(a.paths.clone(), profile, bus, services))
        .invoke_handler(commands::handler())
        .build(mock_context(noop_assets()))
        .unwrap();
    let w = tauri::WebviewWindowBuilder::new(&app, "settings", Default::default()).build().unwrap();
    call(&w, "secret_set", json!({"name": "PARITY_KEY", "value": "parity-value-1234"}));
    call(&w, "secret_remove", json!({"name": "PARITY_KEY"}));
    call(&w, "secrets_import", json!({"path": a.env_file(), "delete": true}));
    call(&w, "firewall_allow", json!({"target": "10.1.2.3"}));
    call(&w, "sync_approve", json!({"id": "1"}));
    call(&w, "sync_undo", json!({}));
    call(&w, "sync_reject", json!({"id": "2"}));

    let (from_cli, from_app) = (c.audit(), a.audit());
    let actions: Vec<&str> = from_cli.iter().map(|v| v["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["secrets.set", "secrets.rm", "secrets.import", "firewall.allow", "sync.apply", "sync.undo", "sync.reject"], "{from_cli:#?}");
    assert_eq!(from_cli, from_app, "the same use cases, the same audit lines");
}
