//! Optional components in the VM, each behind a profile feature (all off by default), rendered
//! as files for the provisioning machinery ([`GuestFile`]s plus units to keep running):
//!
//! - **Cadence** (`features.cadence`): `~/.openclaw/cadence.json` for the agent user (0600), from
//!   the profile's free-form `[components.cadence]` table plus keys the sandbox owns
//!   ([`CADENCE_FIXED_KEYS`]). Cadence itself is not part of the `openclaw` npm package, so no
//!   service is started here: the file is where Cadence looks for its configuration.
//! - **buildlog** (`features.buildlog`) and **Qortex** (`features.qortex`): the directories they
//!   exchange through (`~/.buildlog`, `~/.qortex/seeds/{pending,processed,failed}`,
//!   `~/.qortex/signals`), made by an idempotent setup script run by a oneshot unit, and, when
//!   both are on, `~/.buildlog/interop.yaml` pointing buildlog at Qortex's seed pipeline. The
//!   tools themselves (and Qortex's container) are not installed.
//! - **Tailscale** (`features.tailscale`): a setup script and unit that install Tailscale from
//!   pkgs.tailscale.com, log in with an auth key from `[secrets]` when there is one, and (with
//!   `serve_gateway`) publish the gateway port on the tailnet. The firewall is never widened
//!   here: rendering refuses unless the profile itself allows Tailscale's addresses
//!   (`network.tailscale = true`) and its coordination servers (`*.tailscale.com`).
//!
//! Turning a component off removes its files at the next `sandbox up` (the provisioning
//! manifest drops what is no longer rendered, and disables its units); directories holding
//! data are left alone.

use crate::profile::{FieldIssue, MountRole, Profile};
use crate::provision::{GuestFile, ProvisionError};
use serde::{Deserialize, Serialize};

/// The agent user's home in the VM.
pub const AGENT_HOME: &str = "/home/openclaw";
const OWNER: &str = "openclaw:openclaw";
/// Where Cadence reads its configuration.
pub const CADENCE_JSON: &str = "/home/openclaw/.openclaw/cadence.json";
/// Keys of cadence.json the sandbox sets itself (the profile may not).
pub const CADENCE_FIXED_KEYS: &[&str] = &["vaultPath", "workspacePath"];
/// Makes the buildlog/Qortex/Cadence directories (root, run by [`COMPONENTS_UNIT`]).
pub const COMPONENTS_SETUP: &str = "/usr/local/libexec/openclaw/components/openclaw-components-setup";
pub const COMPONENTS_UNIT: &str = "openclaw-components.service";
pub const BUILDLOG_DIR: &str = "/home/openclaw/.buildlog";
pub const INTEROP_YAML: &str = "/home/openclaw/.buildlog/interop.yaml";
pub const QORTEX_DIR: &str = "/home/openclaw/.qortex";
/// Installs and logs in Tailscale (root, run by [`TAILSCALE_UNIT`]).
pub const TAILSCALE_SETUP: &str = "/usr/local/libexec/openclaw/components/openclaw-tailscale-setup";
pub const TAILSCALE_UNIT: &str = "openclaw-tailscale.service";
/// The secret `tailscale up` uses when the profile does not name another.
pub const DEFAULT_TAILSCALE_SECRET: &str = "TAILSCALE_AUTHKEY";
/// Names Tailscale must resolve and reach (coordination, a relay, the package repository).
pub const TAILSCALE_NAMES: &[&str] = &["controlplane.tailscale.com", "login.tailscale.com", "derp1.tailscale.com", "pkgs.tailscale.com"];
const SYSTEMD: &str = "/etc/systemd/system";
/// Where pushed secrets live in the VM (root-readable files).
const SECRETS_DIR: &str = "/run/openclaw/secrets";

/// `[components.tailscale]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TailscaleConfig {
    /// The `[secrets]` name holding a Tailscale auth key; "" to log in by hand
    /// (`sandbox ssh -- sudo tailscale up`).
    pub auth_key_secret: String,
    /// The VM's name on the tailnet; "" for the instance name.
    pub hostname: String,
    /// Publish the gateway port on the tailnet (`tailscale serve --tcp`); off: shields up,
    /// nothing on the tailnet can connect to the VM.
    pub serve_gateway: bool,
}

impl Default for TailscaleConfig {
    fn default() -> Self {
        TailscaleConfig { auth_key_secret: DEFAULT_TAILSCALE_SECRET.into(), hostname: String::new(), serve_gateway: true }
    }
}

/// `[components]` as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComponentsConfig {
    /// Free-form cadence.json keys (camelCase, as Cadence spells them), e.g. `delivery`,
    /// `pillars`, `schedule`; `enabled` defaults to true.
    pub cadence: toml::Table,
    pub tailscale: TailscaleConfig,
}

fn has_datetime(v: &toml::Value) -> bool {
    match v {
        toml::Value::Datetime(_) => true,
        toml::Value::Array(a) => a.iter().any(has_datetime),
        toml::Value::Table(t) => t.values().any(has_datetime),
        _ => false,
    }
}

fn dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

impl ComponentsConfig {
    /// Check the table; every problem names its key.
    pub fn validate(&self) -> Result<ComponentsConfig, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let mut bad = |field: &str, message: String| issues.push(FieldIssue { field: format!("components.{field}"), message });
        for (k, v) in &self.cadence {
            if CADENCE_FIXED_KEYS.contains(&k.as_str()) {
                bad(&format!("cadence.{k}"), "is set by the sandbox (the vault and workspace paths in the VM); remove it".into());
            } else if has_datetime(v) {
                bad(&format!("cadence.{k}"), "holds a TOML date/time, which JSON has no type for; write it as a quoted string".into());
            }
        }
        if let Some(v) = self.cadence.get("enabled") {
            if !v.is_bool() {
                bad("cadence.enabled", "expected true or false".into());
            }
        }
        let t = &self.tailscale;
        if !t.auth_key_secret.is_empty() {
            if let Err(m) = crate::profile::check_secret_name(&t.auth_key_secret) {
                bad("tailscale.auth_key_secret", m);
            }
        }
        if !t.hostname.is_empty() && !dns_label(&t.hostname) {
            bad("tailscale.hostname", format!("is `{}`; use lower-case letters, digits and `-` (at most 63, not starting or ending with `-`)", t.hostname));
        }
        if issues.is_empty() {
            Ok(self.clone())
        } else {
            Err(issues)
        }
    }
}

/// `[components]` with the place its issues are reported at: the first `[components]` or
/// `[components.…]` header (the start of the text when the table is written inline). Not a
/// `toml::Spanned` field: toml cannot span a table that only exists through its sub-tables.
pub fn spanned(text: &str, config: ComponentsConfig) -> toml::Spanned<ComponentsConfig> {
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("[components]") || t.starts_with("[components.") {
            let at = pos + (line.len() - t.len());
            return toml::Spanned::new(at..at, config);
        }
        pos += line.len();
    }
    toml::Spanned::new(0..0, config)
}

fn root_file(path: &str, mode: u32, contents: String, restarts: &[&str]) -> GuestFile {
    GuestFile { path: path.into(), mode, owner: "root:root".into(), contents: contents.into_bytes(), restarts: restarts.iter().map(|s| s.to_string()).collect() }
}

fn agent_file(path: &str, mode: u32, contents: String) -> GuestFile {
    GuestFile { path: path.into(), mode, owner: OWNER.into(), contents: contents.into_bytes(), restarts: Vec::new() }
}

fn render_err(detail: String) -> ProvisionError {
    ProvisionError::Render { detail }
}

/// cadence.json: the profile's keys, `enabled` (default true), then the sandbox's own keys.
pub fn cadence_json(profile: &Profile) -> Result<String, ProvisionError> {
    let vault = profile
        .mount(MountRole::Vault)
        .ok_or_else(|| render_err("`features.cadence` is on but `mounts.vault` is not set; Cadence watches the vault, so add it or turn the feature off".into()))?;
    let mut doc = serde_json::to_value(&profile.components.cadence).map_err(|e| render_err(format!("[components.cadence] cannot be written as JSON: {e}")))?;
    let obj = doc.as_object_mut().ok_or_else(|| render_err("[components.cadence] is not a table".into()))?;
    obj.entry("enabled").or_insert(serde_json::Value::Bool(true));
    obj.insert("vaultPath".into(), vault.guest.clone().into());
    obj.insert("workspacePath".into(), crate::provision::layout::WORKSPACE.into());
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| render_err(format!("cadence.json: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// buildlog's pointer to Qortex's seed pipeline (both on).
pub fn interop_yaml() -> String {
    format!(
        "# Generated by OpenClaw Sandbox (features.buildlog + features.qortex). `sandbox up` rewrites it.\n\
         sources:\n  - name: qortex\n    pending_dir: {QORTEX_DIR}/seeds/pending\n    processed_dir: {QORTEX_DIR}/seeds/processed\n    \
         failed_dir: {QORTEX_DIR}/seeds/failed\n    signal_log: {QORTEX_DIR}/signals/projections.jsonl\n"
    )
}

/// The directories the enabled components need, `(path, mode)`, parents first.
pub fn component_dirs(profile: &Profile) -> Vec<(String, u32)> {
    let f = &profile.features;
    let mut dirs = Vec::new();
    if f.cadence {
        dirs.push((format!("{AGENT_HOME}/.openclaw"), 0o700));
    }
    if f.buildlog {
        dirs.push((BUILDLOG_DIR.to_string(), 0o750));
    }
    if f.qortex {
        for d in ["", "/seeds", "/seeds/pending", "/seeds/processed", "/seeds/failed", "/signals"] {
            dirs.push((format!("{QORTEX_DIR}{d}"), 0o750));
        }
    }
    dirs
}

fn components_setup(profile: &Profile) -> String {
    let mut s = String::from(
        "#!/bin/bash\n# Generated by OpenClaw Sandbox: the directories of the optional components. Idempotent.\n\
         set -euo pipefail\n\n\
         # ensure_dir PATH MODE: owned by the agent user (also fixes a parent `install -D` made as root).\n\
         ensure_dir() {\n  [ -d \"$1\" ] || mkdir -p -- \"$1\"\n  chown openclaw:openclaw -- \"$1\"\n  chmod \"$2\" -- \"$1\"\n}\n\n",
    );
    for (d, mode) in component_dirs(profile) {
        s.push_str(&format!("ensure_dir {d} {mode:o}\n"));
    }
    if profile.features.qortex {
        let log = format!("{QORTEX_DIR}/signals/projections.jsonl");
        s.push_str(&format!("[ -e {log} ] || install -m 0640 -o openclaw -g openclaw /dev/null {log}\n"));
    }
    s
}

fn oneshot_unit(description: &str, exec: &str, after: &str) -> String {
    format!(
        "# Generated by OpenClaw Sandbox.\n[Unit]\nDescription={description}\nAfter={after}\n\n\
         [Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart={exec}\n\n[Install]\nWantedBy=multi-user.target\n"
    )
}

/// Why the profile's network policy does not let Tailscale work, if it does not. Rendering
/// refuses then: the firewall is the user's to open, never opened on the side.
pub fn tailscale_network_gap(profile: &Profile) -> Option<String> {
    let p = &profile.network_policy;
    let mut missing = Vec::new();
    if !p.tailscale {
        missing.push("`network.tailscale = true` (Tailscale's 100.64.0.0/10 and fd7a:115c:a1e0::/48 ranges)".to_string());
    }
    let unresolvable: Vec<&str> = TAILSCALE_NAMES.iter().copied().filter(|n| !p.domains.iter().any(|d| d.matches(n))).collect();
    if !unresolvable.is_empty() {
        missing.push(format!("`\"*.tailscale.com\"` in `network.allowed_domains` (needed: {})", unresolvable.join(", ")));
    }
    if !p.allowed_ports.contains(&443) {
        missing.push("port 443 in `network.allowed_ports`".to_string());
    }
    (!missing.is_empty()).then(|| {
        format!("`features.tailscale` is on, but the network policy does not allow Tailscale; the sandbox does not open the firewall by itself. Add {}, or turn the feature off", missing.join(" and "))
    })
}

fn tailscale_setup(profile: &Profile) -> String {
    let t = &profile.components.tailscale;
    let hostname = if t.hostname.is_empty() { profile.name.to_ascii_lowercase().replace(['_', '.'], "-") } else { t.hostname.clone() };
    let key = if t.auth_key_secret.is_empty() { String::new() } else { format!("{SECRETS_DIR}/{}", t.auth_key_secret) };
    let port = profile.gateway_port;
    let (shields, serve) = if t.serve_gateway {
        ("--shields-up=false", format!("tailscale serve --bg --tcp={port} tcp://127.0.0.1:{port}\necho \"tailscale: the gateway is on the tailnet at $(tailscale ip -4 | head -n1):{port}\""))
    } else {
        ("--shields-up", "tailscale serve reset >/dev/null 2>&1 || true".to_string())
    };
    format!(
        r#"#!/bin/bash
# Generated by OpenClaw Sandbox (features.tailscale). Idempotent: installs Tailscale from its own
# apt repository once, logs in when an auth key was pushed, publishes the gateway if asked.
# Needs the network policy to allow *.tailscale.com on 443 and the tailnet's ranges (checked on
# the host before this file is rendered).
set -euo pipefail
if ! command -v tailscale >/dev/null 2>&1; then
  . /etc/os-release
  install -d -m 0755 /usr/share/keyrings
  curl -fsSL "https://pkgs.tailscale.com/stable/${{ID}}/${{VERSION_CODENAME}}.noarmor.gpg" -o /usr/share/keyrings/tailscale-archive-keyring.gpg
  curl -fsSL "https://pkgs.tailscale.com/stable/${{ID}}/${{VERSION_CODENAME}}.tailscale-keyring.list" -o /etc/apt/sources.list.d/tailscale.list
  apt-get update -o Dir::Etc::sourcelist=sources.list.d/tailscale.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y tailscale
fi
systemctl enable --now tailscaled.service
if ! tailscale status >/dev/null 2>&1; then
  key="{key}"
  if [ -n "$key" ] && [ -s "$key" ]; then
    tailscale up --auth-key="file:$key" --hostname={hostname} --accept-dns=false --accept-routes=false {shields}
  else
    echo "tailscale: not logged in and no auth key was pushed; run: sandbox ssh -- sudo tailscale up --hostname={hostname} --accept-dns=false {shields}"
    exit 0
  fi
fi
tailscale set --hostname={hostname} --accept-dns=false --accept-routes=false {shields}
{serve}
"#
    )
}

/// Everything the enabled components place in the VM, and the units to keep running.
pub fn render(profile: &Profile) -> Result<(Vec<GuestFile>, Vec<String>), ProvisionError> {
    let f = &profile.features;
    let mut files = Vec::new();
    let mut units = Vec::new();
    if f.cadence {
        files.push(agent_file(CADENCE_JSON, 0o600, cadence_json(profile)?));
    }
    if f.buildlog && f.qortex {
        files.push(agent_file(INTEROP_YAML, 0o640, interop_yaml()));
    }
    if f.cadence || f.buildlog || f.qortex {
        files.push(root_file(COMPONENTS_SETUP, 0o700, components_setup(profile), &[COMPONENTS_UNIT]));
        files.push(root_file(
            &format!("{SYSTEMD}/{COMPONENTS_UNIT}"),
            0o644,
            oneshot_unit("OpenClaw Sandbox: directories of the optional components", COMPONENTS_SETUP, "local-fs.target"),
            &[COMPONENTS_UNIT],
        ));
        units.push(COMPONENTS_UNIT.to_string());
    }
    if f.tailscale {
        if let Some(gap) = tailscale_network_gap(profile) {
            return Err(render_err(gap));
        }
        files.push(root_file(TAILSCALE_SETUP, 0o700, tailscale_setup(profile), &[TAILSCALE_UNIT]));
        files.push(root_file(
            &format!("{SYSTEMD}/{TAILSCALE_UNIT}"),
            0o644,
            oneshot_unit("OpenClaw Sandbox: Tailscale (install, log in, publish the gateway)", TAILSCALE_SETUP, "network-online.target openclaw-firewall.service\nWants=network-online.target"),
            &[TAILSCALE_UNIT],
        ));
        units.push(TAILSCALE_UNIT.to_string());
    }
    Ok((files, units))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A profile with `extra` appended (features, components, network lines).
    fn profile(extra: &str) -> Result<Profile, crate::profile::ProfileError> {
        let dir = tempfile::tempdir().unwrap();
        for d in ["proj", "vault"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let text = format!("version = 1\n[mounts]\nproject = \"proj\"\nvault = \"vault\"\n{extra}");
        Profile::parse(&text, Path::new("p.toml"), dir.path())
    }

    fn on(features: &str, rest: &str) -> Profile {
        profile(&format!("[features]\n{features}\n{rest}")).unwrap()
    }

    fn paths(files: &[GuestFile]) -> Vec<&str> {
        files.iter().map(|f| f.path.as_str()).collect()
    }

    fn file<'a>(files: &'a [GuestFile], path: &str) -> &'a GuestFile {
        files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("{path} not rendered"))
    }

    const TS_NET: &str = "[network]\ntailscale = true\nallowed_domains = [\"*.tailscale.com\"]\n";

    #[test]
    fn everything_is_off_by_default() {
        let p = profile("").unwrap();
        assert_eq!(p.components, ComponentsConfig::default());
        assert_eq!(render(&p).unwrap(), (vec![], vec![]));
        // Tables written but features off: still nothing.
        let p = on("", "[components.cadence]\nenabled = true\n[components.tailscale]\nserve_gateway = false\n");
        assert_eq!(render(&p).unwrap(), (vec![], vec![]));
    }

    #[test]
    fn cadence_json_merges_the_profile_table_with_the_sandbox_keys() {
        let p = on(
            "cadence = true",
            "[components.cadence]\ndelivery = { channel = \"telegram\", telegramChatId = \"123\" }\npillars = [{ id = \"tech\", keywords = [\"ai\"] }]\n[components.cadence.digest]\nminToFlush = 3\n",
        );
        let (files, units) = render(&p).unwrap();
        assert_eq!(paths(&files), [CADENCE_JSON, COMPONENTS_SETUP, "/etc/systemd/system/openclaw-components.service"]);
        assert_eq!(units, [COMPONENTS_UNIT]);
        let f = file(&files, CADENCE_JSON);
        assert_eq!((f.mode, f.owner.as_str()), (0o600, "openclaw:openclaw"));
        let v: serde_json::Value = serde_json::from_slice(&f.contents).unwrap();
        assert_eq!(v["enabled"], true);
        assert_eq!(v["vaultPath"], "/mnt/obsidian");
        assert_eq!(v["workspacePath"], "/workspace");
        assert_eq!(v["delivery"]["telegramChatId"], "123");
        assert_eq!(v["pillars"][0]["keywords"][0], "ai");
        assert_eq!(v["digest"]["minToFlush"], 3);
        // The setup script makes ~/.openclaw the agent's (a file placed first may have made it as root).
        let setup = String::from_utf8(file(&files, COMPONENTS_SETUP).contents.clone()).unwrap();
        assert!(setup.contains("ensure_dir /home/openclaw/.openclaw 700\n"), "{setup}");
        assert!(!setup.contains(".qortex") && !setup.contains(".buildlog"));
        // The user may turn Cadence's own switch off.
        let p = on("cadence = true", "[components.cadence]\nenabled = false\n");
        let v: serde_json::Value = serde_json::from_slice(&file(&render(&p).unwrap().0, CADENCE_JSON).contents).unwrap();
        assert_eq!(v["enabled"], false);
    }

    #[test]
    fn cadence_needs_the_vault_and_leaves_the_fixed_keys_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proj")).unwrap();
        let p = Profile::parse("version = 1\n[mounts]\nproject = \"proj\"\n[features]\ncadence = true\n", Path::new("p.toml"), dir.path()).unwrap();
        let e = render(&p).unwrap_err().to_string();
        assert!(e.contains("mounts.vault"), "{e}");
        let e = profile("[components.cadence]\nvaultPath = \"/etc\"\nwhen = 2026-01-01\nenabled = \"yes\"\n").unwrap_err();
        let fields: Vec<String> = e.problems().iter().map(|p| p.field.clone()).collect();
        assert_eq!(fields, ["components.cadence.vaultPath", "components.cadence.when", "components.cadence.enabled"], "{e}");
        assert!(e.problems().iter().all(|p| p.line.is_some()), "issues carry their line");
    }

    #[test]
    fn buildlog_and_qortex_make_their_directories_and_interop_only_together() {
        let (files, units) = render(&on("buildlog = true", "")).unwrap();
        assert_eq!(paths(&files), [COMPONENTS_SETUP, "/etc/systemd/system/openclaw-components.service"]);
        assert_eq!(units, [COMPONENTS_UNIT]);
        let setup = String::from_utf8(files[0].contents.clone()).unwrap();
        assert!(setup.contains("ensure_dir /home/openclaw/.buildlog 750\n"), "{setup}");
        assert!(!setup.contains(".qortex"));
        assert_eq!((files[0].mode, files[0].owner.as_str()), (0o700, "root:root"));
        assert_eq!(files[0].restarts, [COMPONENTS_UNIT], "a changed script runs again");

        let (files, _) = render(&on("qortex = true", "")).unwrap();
        let setup = String::from_utf8(files[0].contents.clone()).unwrap();
        for d in ["seeds/pending", "seeds/processed", "seeds/failed", "signals"] {
            assert!(setup.contains(&format!("ensure_dir /home/openclaw/.qortex/{d} 750\n")), "{d}: {setup}");
        }
        assert!(setup.contains("[ -e /home/openclaw/.qortex/signals/projections.jsonl ] ||"), "never truncates the log");
        assert!(!paths(&files).contains(&INTEROP_YAML));

        let (files, units) = render(&on("buildlog = true\nqortex = true", "")).unwrap();
        assert_eq!(units, [COMPONENTS_UNIT], "one unit for both");
        let y = file(&files, INTEROP_YAML);
        assert_eq!((y.mode, y.owner.as_str()), (0o640, "openclaw:openclaw"));
        let text = String::from_utf8(y.contents.clone()).unwrap();
        assert!(text.contains("pending_dir: /home/openclaw/.qortex/seeds/pending\n"), "{text}");
        assert!(text.contains("signal_log: /home/openclaw/.qortex/signals/projections.jsonl\n"));
        let unit = String::from_utf8(file(&files, "/etc/systemd/system/openclaw-components.service").contents.clone()).unwrap();
        assert!(unit.contains("Type=oneshot\nRemainAfterExit=yes\nExecStart=/usr/local/libexec/openclaw/components/openclaw-components-setup\n"), "{unit}");
    }

    #[test]
    fn tailscale_never_widens_the_firewall_by_itself() {
        let e = render(&on("tailscale = true", "")).unwrap_err().to_string();
        assert!(e.contains("network.tailscale = true") && e.contains("*.tailscale.com"), "{e}");
        let e = render(&on("tailscale = true", "[network]\ntailscale = true\n")).unwrap_err().to_string();
        assert!(!e.contains("network.tailscale = true") && e.contains("controlplane.tailscale.com"), "{e}");
        let e = render(&on("tailscale = true", "[network]\nallowed_domains = [\"*.tailscale.com\"]\n")).unwrap_err().to_string();
        assert!(e.contains("network.tailscale = true") && !e.contains("allowed_domains"), "{e}");
        // The feature alone changes nothing in the policy the firewall renders.
        assert_eq!(on("tailscale = true", "").network_policy, profile("").unwrap().network_policy);
    }

    #[test]
    fn tailscale_renders_an_idempotent_install_login_and_serve() {
        let p = on("tailscale = true", TS_NET);
        let (files, units) = render(&p).unwrap();
        assert_eq!(paths(&files), [TAILSCALE_SETUP, "/etc/systemd/system/openclaw-tailscale.service"]);
        assert_eq!(units, [TAILSCALE_UNIT]);
        let s = String::from_utf8(files[0].contents.clone()).unwrap();
        assert!(s.contains("if ! command -v tailscale"), "installs once");
        assert!(s.contains("key=\"/run/openclaw/secrets/TAILSCALE_AUTHKEY\""), "{s}");
        assert!(s.contains("--auth-key=\"file:$key\" --hostname=openclaw-sandbox "), "{s}");
        assert!(s.contains("tailscale serve --bg --tcp=18789 tcp://127.0.0.1:18789\n"), "{s}");
        assert!(!s.contains("--shields-up "), "{s}");
        let unit = String::from_utf8(files[1].contents.clone()).unwrap();
        assert!(unit.contains("After=network-online.target openclaw-firewall.service\nWants=network-online.target\n"), "{unit}");

        let p = on("tailscale = true", &format!("{TS_NET}[components.tailscale]\nauth_key_secret = \"\"\nhostname = \"my-box\"\nserve_gateway = false\n"));
        let s = String::from_utf8(render(&p).unwrap().0[0].contents.clone()).unwrap();
        assert!(s.contains("key=\"\"\n"));
        assert!(s.contains("--hostname=my-box") && s.contains("--shields-up\n"), "{s}");
        assert!(s.contains("tailscale serve reset") && !s.contains("serve --bg"), "{s}");
    }

    #[test]
    fn tailscale_settings_are_validated() {
        let e = profile("[components.tailscale]\nauth_key_secret = \"lower case\"\nhostname = \"Bad_Name\"\n").unwrap_err();
        let fields: Vec<&str> = e.problems().iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["components.tailscale.auth_key_secret", "components.tailscale.hostname"]);
        assert!(profile("[components.tailscale]\nport = 1\n").is_err(), "unknown keys are refused");
        assert!(profile("[components]\nnope = 1\n").is_err());
    }

    #[test]
    fn all_on_renders_every_component() {
        let p = on("cadence = true\nbuildlog = true\nqortex = true\ntailscale = true", TS_NET);
        let (files, units) = render(&p).unwrap();
        assert_eq!(files.len(), 6);
        assert_eq!(units, [COMPONENTS_UNIT, TAILSCALE_UNIT]);
        // Every script is bash with strict mode, every path absolute.
        for f in &files {
            assert!(f.path.starts_with('/'));
            if f.mode == 0o700 {
                assert!(f.contents.starts_with(b"#!/bin/bash\n") && String::from_utf8_lossy(&f.contents).contains("set -euo pipefail"));
            }
        }
    }
}
