use super::*;
use crate::profile::Profile;
use crate::vm::ExecOutput;
use std::sync::Mutex;

fn profile(mode: &str, extra: &str) -> (tempfile::TempDir, Profile) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("p")).unwrap();
    // `extra`: top-level keys first, then tables.
    let (top, tables) = extra.split_at(extra.find('[').unwrap_or(extra.len()));
    let text = format!("{top}mode = \"{mode}\"\n[mounts]\nproject = \"p\"\n{tables}");
    let p = Profile::parse(&text, &dir.path().join("profile.toml"), dir.path()).unwrap();
    (dir, p)
}

fn text(r: &Rendered, path: &str) -> String {
    String::from_utf8(r.file(path).unwrap_or_else(|| panic!("{path} not rendered")).contents.clone()).unwrap()
}

#[test]
fn secure_mode_mounts_an_overlay_without_redirects_and_watches_it() {
    let (_d, p) = profile("secure", "");
    let r = render(&p).unwrap();
    let unit = text(&r, "/etc/systemd/system/workspace.mount");
    assert!(unit.contains("Where=/workspace\n"), "{unit}");
    assert!(unit.contains("Type=overlay\n"), "{unit}");
    assert!(unit.contains(
        "Options=lowerdir=/var/lib/openclaw/lower/project,upperdir=/var/lib/openclaw/overlay/upper,workdir=/var/lib/openclaw/overlay/work,redirect_dir=off,metacopy=off,"
    ), "{unit}");
    assert!(unit.contains("RequiresMountsFor=/var/lib/openclaw/overlay\n"), "{unit}");
    let audit = text(&r, "/etc/systemd/system/openclaw-audit.service");
    assert!(audit.contains(&format!("{} /workspace {} {}", layout::AUDIT_WATCH, layout::UPPER, layout::AUDIT_LOG)), "{audit}");
    // the watcher follows the overlay: stopped with it, started with it (remounts after a sync)
    assert!(audit.contains("BindsTo=workspace.mount\n") && audit.contains("WantedBy=workspace.mount\n"), "{audit}");
    assert_eq!(r.units, vec!["openclaw-lower-project.service", "workspace.mount", "openclaw-audit.service"]);
    // the overlay lies over the id-mapped project (bindfs, read-only), not the Lima mount itself
    let unit = String::from_utf8(r.file("/etc/systemd/system/workspace.mount").unwrap().contents.clone()).unwrap();
    assert!(unit.contains("lowerdir=/var/lib/openclaw/lower/project,"), "{unit}");
    assert!(unit.contains("Requires=openclaw-lower-project.service\nAfter=openclaw-lower-project.service"), "{unit}");
    let lower = String::from_utf8(r.file("/etc/systemd/system/openclaw-lower-project.service").unwrap().contents.clone()).unwrap();
    assert!(lower.contains("bindfs -o ro --force-user=openclaw --force-group=openclaw /mnt/openclaw /var/lib/openclaw/lower/project'"), "{lower}");
    assert!(lower.contains("install -d -m 0700 -o root -g root /var/lib/openclaw/lower"), "{lower}");
    // a changed unit file restarts its own unit only
    assert_eq!(r.file("/etc/systemd/system/workspace.mount").unwrap().restarts, vec!["workspace.mount"]);
    assert!(r.file(layout::SYNC_REQUEST).unwrap().restarts.is_empty());
}

#[test]
fn yolo_unsafe_binds_the_writable_project_and_has_no_overlay_or_watcher() {
    let (_d, p) = profile("yolo-unsafe", "");
    let r = render(&p).unwrap();
    let unit = text(&r, "/etc/systemd/system/workspace.mount");
    assert!(unit.contains("What=/var/lib/openclaw/lower/project\n") && unit.contains("Options=bind\n"), "{unit}");
    let lower = text(&r, "/etc/systemd/system/openclaw-lower-project.service");
    assert!(lower.contains("bindfs -o rw --force-user=openclaw --force-group=openclaw --create-for-user=$$(stat -c %%u /mnt/openclaw)"), "{lower}");
    assert!(!unit.contains("Type=overlay") && !unit.contains("upperdir"), "{unit}");
    assert!(r.file("/etc/systemd/system/openclaw-audit.service").is_none());
    assert_eq!(r.units, vec!["openclaw-lower-project.service", "workspace.mount"]);
    assert!(r.env.contains("OPENCLAW_MODE=yolo-unsafe\n"), "{}", r.env);
}

#[test]
fn yolo_renders_like_secure_in_the_vm() {
    let (_d, secure) = profile("secure", "");
    let (_e, yolo) = profile("yolo", "");
    let (a, b) = (render(&secure).unwrap(), render(&yolo).unwrap());
    assert_eq!(text(&a, "/etc/systemd/system/workspace.mount"), text(&b, "/etc/systemd/system/workspace.mount"));
    assert!(b.env.contains("OPENCLAW_MODE=yolo\n"));
}

#[test]
fn env_and_vars_come_from_the_profile() {
    let (_d, p) = profile("secure", "name = \"dev-box\"\n[network]\ngateway_port = 19000\n[provisioning.vars]\nopenclaw_version = \"2026.1.0\"\n");
    let r = render(&p).unwrap();
    for line in [
        "OPENCLAW_INSTANCE=dev-box\n",
        "OPENCLAW_GATEWAY_PORT=19000\n",
        "OPENCLAW_PROJECT=/mnt/openclaw\n",
        "OPENCLAW_AGENT_USER=openclaw\n",
        "OPENCLAW_SPOOL=/var/spool/openclaw/sync-requests\n",
    ] {
        assert!(r.env.contains(line), "{line} missing in {}", r.env);
    }
    assert_eq!(text(&r, layout::ENV_FILE), r.env);
    let vars: serde_json::Value = serde_json::from_str(&text(&r, layout::VARS_FILE)).unwrap();
    assert_eq!(vars["openclaw_version"], "2026.1.0");
}

#[test]
fn the_host_handle_is_root_only_and_the_request_command_is_for_everyone() {
    let (_d, p) = profile("secure", "");
    let r = render(&p).unwrap();
    assert_eq!(r.file(layout::CTL).unwrap().mode, 0o700);
    assert_eq!(r.file(layout::SYNC_REQUEST).unwrap().mode, 0o755);
    assert!(r.files.iter().all(|f| f.owner == "root:root"));
}

#[test]
fn unsafe_characters_in_the_project_mount_point_are_refused() {
    let (_d, mut p) = profile("secure", "");
    for bad in ["/mnt/a,b", "/mnt/a b", "relative", "/mnt/../etc", "/mnt/a:b", "/"] {
        p.mounts[0].guest = bad.into();
        let e = render(&p).unwrap_err().to_string();
        assert!(e.contains(bad) && e.contains("sandbox up"), "{bad}: {e}");
    }
}

/// Minimal ustar reader for the tests: (name, mode, contents) per entry, checking checksums.
fn read_tar(mut data: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
    let mut out = Vec::new();
    loop {
        let h = &data[..512];
        if h.iter().all(|&b| b == 0) {
            assert!(data[512..1024].iter().all(|&b| b == 0), "end needs two zero blocks");
            return out;
        }
        let field = |r: std::ops::Range<usize>| std::str::from_utf8(&h[r]).unwrap().trim_end_matches(['\0', ' ']).to_string();
        let mut copy = h.to_vec();
        copy[148..156].copy_from_slice(b"        ");
        let sum: u32 = copy.iter().map(|&b| u32::from(b)).sum();
        assert_eq!(u32::from_str_radix(&field(148..154), 8).unwrap(), sum, "checksum");
        assert_eq!(&h[257..263], b"ustar\0");
        let size = usize::from_str_radix(&field(124..135), 8).unwrap();
        let mode = u32::from_str_radix(&field(100..107), 8).unwrap();
        out.push((field(0..100), mode, data[512..512 + size].to_vec()));
        data = &data[512 + size.div_ceil(512) * 512..];
    }
}

#[test]
fn payload_is_a_preamble_then_a_tar_of_script_manifest_and_files() {
    let (_d, p) = profile("secure", "");
    let r = render(&p).unwrap();
    let stream = Payload::new(&r).to_stream().unwrap();
    let pre = bootstrap().as_bytes();
    assert_eq!(&stream[..pre.len()], pre);
    assert!(bootstrap().ends_with("main; exit $?\n"), "the preamble must end on the line that runs it");
    let entries = read_tar(&stream[pre.len()..]);
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(&names[..5], ["apply.sh", "lib.sh", "manifest", "units", "env"]);
    assert!(String::from_utf8_lossy(&entries[0].2).contains("OpenClaw Sandbox in-VM apply step"));
    assert_eq!(entries[0].1, 0o755);
    let manifest = String::from_utf8(entries[2].2.clone()).unwrap();
    assert!(manifest.contains("0644 root:root /etc/systemd/system/workspace.mount workspace.mount\n"), "{manifest}");
    assert!(manifest.contains("0700 root:root /usr/local/sbin/openclaw-sandbox-ctl\n"), "{manifest}");
    assert_eq!(String::from_utf8(entries[3].2.clone()).unwrap(), "openclaw-lower-project.service\nworkspace.mount\nopenclaw-audit.service\n");
    assert!(String::from_utf8_lossy(&entries[1].2).contains("apply_manifest()"));
    for f in &r.files {
        let e = entries.iter().find(|e| e.0 == format!("files{}", f.path)).unwrap();
        assert_eq!(e.2, f.contents, "{}", f.path);
    }
    // reproducible
    assert_eq!(stream, Payload::new(&r).to_stream().unwrap());
}

#[test]
fn overlong_names_are_an_error_not_a_corrupt_tar() {
    assert!(payload::ustar_header(&"a".repeat(101), 1, 0o644).is_err());
    assert!(payload::ustar_header(&"a".repeat(100), 1, 0o644).is_ok());
}

#[test]
fn changed_items_are_the_changed_lines() {
    let out = "unchanged /etc/openclaw/sandbox.env\nchanged user openclaw\nchanged started workspace.mount\nunchanged health\n";
    assert_eq!(changed_items(out), vec!["user openclaw", "started workspace.mount"]);
    assert!(changed_items("unchanged a\nunchanged b\n").is_empty());
}

use crate::vm::testing::RecordingVm as FakeVm;

#[tokio::test]
async fn apply_streams_one_payload_to_sudo_bash_and_reports_changes() {
    let (_d, p) = profile("secure", "");
    let vm = FakeVm {
        calls: Mutex::default(),
        reply: ExecOutput { status: 0, stdout: b"changed user openclaw\nunchanged /etc/openclaw/sandbox.env\n".to_vec(), stderr: vec![] },
    };
    let changed = apply(&vm, &p).await.unwrap();
    assert_eq!(changed, vec!["user openclaw"]);
    let calls = vm.calls.lock().unwrap();
    assert_eq!(calls.len(), 1, "one round trip");
    assert_eq!(calls[0].0, vec!["sudo", "bash", "-s"]);
    let stdin = calls[0].1.as_ref().unwrap();
    assert_eq!(stdin, &Payload::new(&render(&p).unwrap()).to_stream().unwrap());
}

#[tokio::test]
async fn a_failed_apply_says_what_failed() {
    let (_d, p) = profile("secure", "");
    let vm = FakeVm {
        calls: Mutex::default(),
        reply: ExecOutput { status: 1, stdout: vec![], stderr: b"noise\nhealth check failed: /workspace is not mounted\n\n".to_vec() },
    };
    let e = apply(&vm, &p).await.unwrap_err().to_string();
    assert!(e.contains("exit 1") && e.contains("/workspace is not mounted") && e.contains("sandbox up"), "{e}");
}

#[test]
fn drop_list_is_nul_separated_relative_paths_only() {
    let ok = overlay_ctl::drop_list(&["new.txt".into(), "./sub/b.txt".into(), "we ird\nname".into()]).unwrap();
    assert_eq!(ok, b"new.txt\0sub/b.txt\0we ird\nname\0");
    for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./", "a/./b", "nul\0x"] {
        let e = overlay_ctl::drop_list(&[bad.to_string()]).unwrap_err().to_string();
        assert!(e.contains("relative paths"), "{bad:?}: {e}");
    }
}

#[test]
fn requests_parse_and_garbage_is_an_error() {
    let out = "{\"id\":\"20261127T001622-c2690784\",\"time\":\"2026-11-27T00:16:22Z\",\"user\":\"openclaw\",\"message\":\"please\"}\n\n";
    let r = overlay_ctl::parse_requests(out).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].message, "please");
    assert!(overlay_ctl::parse_requests("").unwrap().is_empty());
    let e = overlay_ctl::parse_requests("not json\n").unwrap_err().to_string();
    assert!(e.contains("requests") && e.contains("sandbox up"), "{e}");
}

#[tokio::test]
async fn ctl_calls_run_the_root_only_tool_with_sudo() {
    let vm = FakeVm {
        calls: Mutex::default(),
        reply: ExecOutput {
            status: 0,
            stdout: b"{\"mode\":\"secure\",\"upper_entries\":4,\"watcher\":\"active\",\"pending_requests\":1}\n".to_vec(),
            stderr: vec![],
        },
    };
    let st = overlay_ctl::overlay_status(&vm).await.unwrap();
    assert_eq!((st.upper_entries, st.watcher.as_str(), st.pending_requests), (4, "active", 1));
    overlay_ctl::drop_entries(&vm, &["a".into(), "b/c".into()]).await.unwrap();
    overlay_ctl::drop_entries(&vm, &[]).await.unwrap();
    overlay_ctl::ack(&vm, &["id1".into()]).await.unwrap();
    let calls = vm.calls.lock().unwrap();
    assert_eq!(calls.len(), 3, "an empty drop makes no call");
    assert_eq!(calls[0].0, vec!["sudo", layout::CTL, "status"]);
    assert_eq!(calls[1].0, vec!["sudo", layout::CTL, "drop"]);
    assert_eq!(calls[1].1.as_deref(), Some(&b"a\0b/c\0"[..]));
    assert_eq!(calls[2].0, vec!["sudo", layout::CTL, "ack", "id1"]);
}

#[tokio::test]
async fn a_failed_ctl_call_names_the_verb() {
    let vm = FakeVm {
        calls: Mutex::default(),
        reply: ExecOutput { status: 1, stdout: vec![], stderr: b"openclaw-sandbox-ctl: mode yolo-unsafe has no overlay\n".to_vec() },
    };
    let e = overlay_ctl::export_upper(&vm).await.unwrap_err().to_string();
    assert!(e.contains("export-upper") && e.contains("has no overlay"), "{e}");
}

// ---- the Obsidian vault's overlay ----

fn vault_profile(mode: &str, feature: Option<bool>) -> (tempfile::TempDir, Profile) {
    let dir = tempfile::tempdir().unwrap();
    for d in ["p", "v"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let features = feature.map(|on| format!("[features]\nvault = {on}\n")).unwrap_or_default();
    let text = format!("mode = \"{mode}\"\n[mounts]\nproject = \"p\"\nvault = \"v\"\n{features}");
    let p = Profile::parse(&text, &dir.path().join("profile.toml"), dir.path()).unwrap();
    (dir, p)
}

const VAULT_UNIT_FILE: &str = "/etc/systemd/system/workspace\\x2dobsidian.mount";

#[test]
fn mount_unit_names_are_escaped_like_systemd_escape() {
    assert_eq!(layout::VAULT_UNIT, r"workspace\x2dobsidian.mount");
    assert_eq!(mount_unit_name(layout::VAULT_WORKSPACE), layout::VAULT_UNIT);
    assert_eq!(mount_unit_name(layout::WORKSPACE), layout::WORKSPACE_UNIT);
    assert_eq!(mount_unit_name("/mnt/a b/c.d/"), r"mnt-a\x20b-c.d.mount");
    assert_eq!(mount_unit_name("/.hidden/x_y"), r"\x2ehidden-x_y.mount");
    assert_eq!(mount_unit_name("/"), "-.mount");
}

#[test]
fn a_vault_gets_its_own_overlay_unit_watcher_and_env() {
    let (_d, p) = vault_profile("secure", None);
    let r = render(&p).unwrap();
    let unit = text(&r, VAULT_UNIT_FILE);
    assert!(unit.contains("[Mount]\nWhat=overlay\nWhere=/workspace-obsidian\nType=overlay\n"), "{unit}");
    assert!(unit.contains(
        "Options=lowerdir=/var/lib/openclaw/lower/vault,upperdir=/var/lib/openclaw/overlay-vault/upper,workdir=/var/lib/openclaw/overlay-vault/work,redirect_dir=off,metacopy=off,index=off,xino=off\n"
    ), "{unit}");
    assert!(
        unit.contains("Requires=openclaw-lower-vault.service\nAfter=openclaw-lower-vault.service\nRequiresMountsFor=/var/lib/openclaw/overlay-vault\n"),
        "{unit}"
    );
    assert!(text(&r, "/etc/systemd/system/openclaw-lower-vault.service").contains("until mountpoint -q /mnt/obsidian;"));
    assert!(unit.contains("ConditionPathIsDirectory=/var/lib/openclaw/overlay-vault/upper\n"), "{unit}");
    assert_eq!(r.file(VAULT_UNIT_FILE).unwrap().restarts, vec![layout::VAULT_UNIT]);
    // the project's overlay is unchanged
    assert!(text(&r, "/etc/systemd/system/workspace.mount").contains("lowerdir=/var/lib/openclaw/lower/project,upperdir=/var/lib/openclaw/overlay/upper,"));
    // its own watcher, bound to its own mount, appending to the same log with root "vault"
    let audit = text(&r, "/etc/systemd/system/openclaw-audit-vault.service");
    assert!(
        audit.contains(&format!("{} /workspace-obsidian /var/lib/openclaw/overlay-vault/upper {} vault\n", layout::AUDIT_WATCH, layout::AUDIT_LOG)),
        "{audit}"
    );
    assert!(audit.contains("BindsTo=workspace\\x2dobsidian.mount\n") && audit.contains("WantedBy=workspace\\x2dobsidian.mount\n"), "{audit}");
    let project_audit = text(&r, "/etc/systemd/system/openclaw-audit.service");
    assert!(project_audit.contains(" project\n") && project_audit.contains("BindsTo=workspace.mount\n"), "{project_audit}");
    assert_eq!(
        r.units,
        vec![
            "openclaw-lower-project.service",
            "workspace.mount",
            "openclaw-lower-vault.service",
            "workspace\\x2dobsidian.mount",
            "openclaw-audit.service",
            "openclaw-audit-vault.service"
        ]
    );
    // a new watcher script restarts both watchers
    assert_eq!(r.file(layout::AUDIT_WATCH).unwrap().restarts, vec!["openclaw-audit.service", "openclaw-audit-vault.service"]);
    // apply.sh and the ctl read these; the unit name is quoted so `source` keeps its backslash
    for line in [
        "OPENCLAW_VAULT=/mnt/obsidian\n",
        "OPENCLAW_VAULT_WORKSPACE=/workspace-obsidian\n",
        "OPENCLAW_VAULT_OVERLAY=/var/lib/openclaw/overlay-vault\n",
        "OPENCLAW_VAULT_UNIT='workspace\\x2dobsidian.mount'\n",
        "OPENCLAW_VAULT_AUDIT_UNIT=openclaw-audit-vault.service\n",
    ] {
        assert!(r.env.contains(line), "{line} missing in {}", r.env);
    }
}

#[test]
fn without_a_vault_nothing_of_it_is_rendered() {
    for (_d, p) in [profile("secure", ""), vault_profile("secure", Some(false))] {
        let r = render(&p).unwrap();
        assert!(r.file(VAULT_UNIT_FILE).is_none());
        assert!(r.file("/etc/systemd/system/openclaw-audit-vault.service").is_none());
        assert!(r.files.iter().all(|f| !f.path.contains("obsidian") && !f.path.contains("vault")), "{:?}", r.files.iter().map(|f| &f.path).collect::<Vec<_>>());
        assert_eq!(r.units, vec!["openclaw-lower-project.service", "workspace.mount", "openclaw-audit.service"]);
        // empty: apply.sh, the ctl and openclaw-sync-request see "no vault"
        assert!(r.env.contains("OPENCLAW_VAULT=\n"), "{}", r.env);
    }
}

#[test]
fn yolo_unsafe_binds_the_writable_vault_without_a_watcher() {
    let (_d, p) = vault_profile("yolo-unsafe", None);
    let r = render(&p).unwrap();
    let unit = text(&r, VAULT_UNIT_FILE);
    assert!(unit.contains("What=/var/lib/openclaw/lower/vault\nWhere=/workspace-obsidian\nType=none\nOptions=bind\n"), "{unit}");
    assert!(text(&r, "/etc/systemd/system/openclaw-lower-vault.service")
        .contains("bindfs -o rw --force-user=openclaw --force-group=openclaw --create-for-user=$$(stat -c %%u /mnt/obsidian)"));
    assert!(!unit.contains("Type=overlay") && !unit.contains("upperdir"), "{unit}");
    assert!(r.file("/etc/systemd/system/openclaw-audit-vault.service").is_none());
    assert_eq!(r.units, vec!["openclaw-lower-project.service", "workspace.mount", "openclaw-lower-vault.service", "workspace\\x2dobsidian.mount"]);
}

#[test]
fn the_vault_overlay_root_is_owned_by_the_agent_like_the_projects() {
    // apply.sh makes both upper dirs (the overlay roots) the agent's, the state dirs root's 0700
    let apply = include_str!("../../../provisioning/apply.sh");
    for line in [
        r#"ensure_dir "$OPENCLAW_VAULT_OVERLAY" 0700 root:root"#,
        r#"ensure_dir "$OPENCLAW_VAULT_OVERLAY/upper" 0755 "$OPENCLAW_AGENT_USER:$OPENCLAW_AGENT_USER""#,
        r#"ensure_dir "$OPENCLAW_VAULT_OVERLAY/work" 0700 root:root"#,
        r#"ensure_dir "$OPENCLAW_OVERLAY/upper" 0755 "$OPENCLAW_AGENT_USER:$OPENCLAW_AGENT_USER""#,
    ] {
        assert!(apply.contains(line), "{line}");
    }
    let (_d, p) = vault_profile("secure", None);
    let r = render(&p).unwrap();
    assert!(r.files.iter().all(|f| f.owner == "root:root"));
}

/// The payload's path through tar, lib.sh's `read -r` manifest and unit list, `place`, the
/// state file and the removal of stale files keeps the backslash of `workspace\x2dobsidian.mount`.
/// Runs the real tar and the real lib.sh (with `install` and `systemctl` stubbed, into a temp
/// dir instead of /).
#[test]
fn backslash_unit_names_survive_the_payload_and_the_apply_library() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    let (_d, p) = vault_profile("secure", None);
    let r = render(&p).unwrap();
    let stream = Payload::new(&r).to_stream().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("payload");
    std::fs::create_dir(&d).unwrap();
    let tar = tmp.path().join("payload.tar");
    std::fs::write(&tar, &stream[bootstrap().len()..]).unwrap();
    let st = Command::new("tar").args(["-x", "--no-same-owner", "-C"]).arg(&d).arg("-f").arg(&tar).status().unwrap();
    assert!(st.success());
    let placed = d.join("files/etc/systemd/system/workspace\\x2dobsidian.mount");
    assert_eq!(std::fs::read(&placed).unwrap(), r.file(VAULT_UNIT_FILE).unwrap().contents);
    let manifest = std::fs::read_to_string(d.join("manifest")).unwrap();
    assert!(manifest.contains("0644 root:root /etc/systemd/system/workspace\\x2dobsidian.mount workspace\\x2dobsidian.mount\n"), "{manifest}");

    // lib.sh on a manifest of the same shape, rooted in the temp dir
    let root = tmp.path().join("root");
    let target = format!("{}/workspace\\x2dobsidian.mount", root.display());
    let work = tmp.path().join("work");
    std::fs::create_dir_all(work.join(format!("files{}", root.display()))).unwrap();
    std::fs::copy(&placed, work.join(format!("files{target}"))).unwrap();
    std::fs::write(work.join("manifest"), format!("0644 root:root {target} workspace\\x2dobsidian.mount\n")).unwrap();
    std::fs::write(work.join("units"), "workspace\\x2dobsidian.mount\n").unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = tmp.path().join("systemctl.log");
    let stubs = [
        ("systemctl", format!("#!/bin/bash\nprintf '%s\\n' \"$*\" >> '{}'\ncase $1 in is-enabled|is-active) exit 1;; esac\n", log.display())),
        // install without -o/-g (the test may not run as root)
        (
            "install",
            "#!/bin/bash\na=()\nwhile [ $# -gt 0 ]; do case $1 in -o|-g) shift 2;; *) a+=(\"$1\"); shift;; esac; done\nexec /usr/bin/install \"${a[@]}\"\n"
                .to_string(),
        ),
    ];
    for (name, body) in stubs {
        let f = bin.join(name);
        std::fs::write(&f, body).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = |script: &str| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("set -euo pipefail; source '{}/lib.sh'; {script}", d.display()))
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let state = tmp.path().join("provisioned.list");
    let w = work.display();
    let out = run(&format!("apply_manifest '{w}' '{}'; apply_units '{w}'", state.display()));
    assert!(out.contains(&format!("changed {target}\n")), "{out}");
    assert_eq!(std::fs::read(&target).unwrap(), r.file(VAULT_UNIT_FILE).unwrap().contents);
    assert_eq!(std::fs::read_to_string(&state).unwrap(), format!("{target}\n"));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("enable workspace\\x2dobsidian.mount\n") && calls.contains("start workspace\\x2dobsidian.mount\n"), "{calls}");
    // the vault leaves the profile: the stale unit file is removed by its exact name
    std::fs::write(work.join("manifest"), "").unwrap();
    let out = run(&format!("apply_manifest '{w}' '{}'", state.display()));
    assert!(out.contains(&format!("changed removed {target}\n")), "{out}");
    assert!(!std::path::Path::new(&target).exists());
}

/// A unit the boot is still starting when provisioning runs (Lima is ready before systemd has
/// finished booting) is the boot's, not a change: lib.sh waits for the boot once and looks again.
/// Nor is a unit systemd is restarting by itself (`activating`: a failing gateway's Restart= wait).
#[test]
fn a_unit_the_boot_has_yet_to_start_is_not_a_change() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("lib.sh"), std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../provisioning/lib/apply-files.sh")).unwrap()).unwrap();
    std::fs::write(d.join("units"), "workspace.mount\nlate.service\nlooping.service\n").unwrap();
    let bin = d.join("bin");
    std::fs::create_dir(&bin).unwrap();
    // systemd mid-boot: workspace.mount becomes active once the boot is done; late.service never;
    // looping.service is in its Restart= wait (systemd restarts it by itself)
    let stub = format!(
        "#!/bin/bash\nprintf '%s\\n' \"$*\" >> '{d}/calls'\ncase $1 in\n  is-enabled) exit 0;;\n  is-system-running) touch '{d}/booted';;\n  is-active)\n    if [ \"$2\" = looping.service ]; then echo activating; exit 3; fi\n    if [ -e '{d}/booted' ] && [ \"$2\" = workspace.mount ]; then echo active; exit 0; fi\n    echo inactive; exit 3;;\nesac\n",
        d = d.display()
    );
    std::fs::write(bin.join("systemctl"), stub).unwrap();
    std::fs::set_permissions(bin.join("systemctl"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -euo pipefail; source '{0}/lib.sh'; declare -A restart=(); apply_units '{0}'", d.display()))
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "changed started late.service\n", "only the unit nobody started is a change");
    let calls = std::fs::read_to_string(d.join("calls")).unwrap();
    assert_eq!(calls.matches("is-system-running --wait").count(), 1, "the boot is waited for once: {calls}");
    assert!(!calls.contains("start workspace.mount") && calls.contains("start late.service") && !calls.contains("start looping.service"), "{calls}");
}

#[test]
fn ctl_argv_selects_the_root_after_the_verb() {
    assert_eq!(overlay_ctl::argv("export-upper", overlay_ctl::SyncRoot::Project, &[]), vec!["sudo", layout::CTL, "export-upper"]);
    assert_eq!(overlay_ctl::argv("drop", overlay_ctl::SyncRoot::Vault, &[]), vec!["sudo", layout::CTL, "drop", "--root", "vault"]);
    assert_eq!(overlay_ctl::argv("ack", overlay_ctl::SyncRoot::Vault, &["id1"]), vec!["sudo", layout::CTL, "ack", "--root", "vault", "id1"]);
}

#[tokio::test]
async fn vault_ctl_calls_pass_the_root() {
    let vm = FakeVm {
        calls: Mutex::default(),
        reply: ExecOutput {
            status: 0,
            stdout: b"{\"mode\":\"secure\",\"upper_entries\":2,\"watcher\":\"active\",\"pending_requests\":1}\n".to_vec(),
            stderr: vec![],
        },
    };
    let st = overlay_ctl::overlay_status_in(&vm, overlay_ctl::SyncRoot::Vault).await.unwrap();
    assert_eq!(st.upper_entries, 2);
    overlay_ctl::drop_entries_in(&vm, overlay_ctl::SyncRoot::Vault, &["notes/n.md".into()]).await.unwrap();
    overlay_ctl::reset_in(&vm, overlay_ctl::SyncRoot::Vault).await.unwrap();
    overlay_ctl::export_upper_in(&vm, overlay_ctl::SyncRoot::Vault).await.unwrap();
    let calls = vm.calls.lock().unwrap();
    let argvs: Vec<Vec<String>> = calls.iter().map(|c| c.0.clone()).collect();
    for (argv, verb) in argvs.iter().zip(["status", "drop", "reset", "export-upper"]) {
        assert_eq!(argv, &vec!["sudo".to_string(), layout::CTL.into(), verb.into(), "--root".into(), "vault".into()]);
    }
    assert_eq!(calls[1].1.as_deref(), Some(&b"notes/n.md\0"[..]));
}

#[test]
fn requests_carry_their_root_and_old_ones_are_the_projects() {
    let out = "{\"id\":\"a\",\"time\":\"t\",\"user\":\"openclaw\",\"message\":\"m\"}\n{\"id\":\"b\",\"time\":\"t\",\"user\":\"openclaw\",\"message\":\"m\",\"root\":\"vault\"}\n";
    let r = overlay_ctl::parse_requests(out).unwrap();
    assert_eq!((r[0].root, r[1].root), (overlay_ctl::SyncRoot::Project, overlay_ctl::SyncRoot::Vault));
    assert!(overlay_ctl::parse_requests("{\"id\":\"c\",\"time\":\"t\",\"user\":\"u\",\"message\":\"m\",\"root\":\"etc\"}\n").is_err());
}

// ---- a copied vault (issue 17) ----

#[test]
fn a_copied_vault_lies_under_the_same_overlay_from_a_root_only_folder() {
    use super::{render_for, VaultLower};
    let (_d, p) = vault_profile("secure", None);
    let mounted = render(&p).unwrap();
    let copied = render_for(&p, VaultLower::Copy).unwrap();
    // the overlay and its watcher are the same units, byte for byte
    for unit in ["/etc/systemd/system/workspace\\x2dobsidian.mount", "/etc/systemd/system/openclaw-audit-vault.service"] {
        assert_eq!(text(&copied, unit), text(&mounted, unit), "{unit}");
    }
    // the lower maps the copy, with nothing to wait for, and makes the copy root's alone
    let lower = text(&copied, "/etc/systemd/system/openclaw-lower-vault.service");
    assert!(!lower.contains("mountpoint -q") && !lower.contains("/mnt/obsidian"), "{lower}");
    assert!(lower.contains("ExecStartPre=/bin/sh -c 'install -d -m 0700 -o root -g root /var/lib/openclaw/vault-copy'"), "{lower}");
    assert!(
        lower.contains("bindfs -o ro,entry_timeout=0.1,attr_timeout=0.1 --force-user=openclaw --force-group=openclaw /var/lib/openclaw/vault-copy /var/lib/openclaw/lower/vault'"),
        "{lower}"
    );
    // the host's handle on the copy, root only; the env names the copy
    let tool = copied.file(layout::VAULT_COPY_TOOL).unwrap();
    assert_eq!((tool.mode, tool.owner.as_str()), (0o700, "root:root"));
    assert!(mounted.file(layout::VAULT_COPY_TOOL).is_none());
    assert!(copied.env.contains("OPENCLAW_VAULT=/var/lib/openclaw/vault-copy\n") && copied.env.contains("OPENCLAW_VAULT_COPY=1\n"), "{}", copied.env);
    assert!(mounted.env.contains("OPENCLAW_VAULT=/mnt/obsidian\n") && mounted.env.contains("OPENCLAW_VAULT_COPY=0\n"));
    // the project is untouched by the vault's way in
    assert_eq!(text(&copied, "/etc/systemd/system/workspace.mount"), text(&mounted, "/etc/systemd/system/workspace.mount"));
    // yolo-unsafe has no copy: the agent writes to the vault itself there
    let (_d, u) = vault_profile("yolo-unsafe", None);
    assert!(render_for(&u, VaultLower::Copy).unwrap().file(layout::VAULT_COPY_TOOL).is_none());
}
