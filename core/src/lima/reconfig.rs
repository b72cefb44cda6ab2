//! Profile changes that reach an existing VM (D5).
//!
//! A stopped instance restarts with its own `$LIMA_HOME/NAME/lima.yaml`, not the template it
//! was created from, so `sandbox up` compares that file with the freshly rendered config and,
//! when mounts, CPUs, memory, disk or port forwards differ, applies them with
//! `limactl edit --tty=false NAME --set EXPR` on the stopped VM (lima:cmd/limactl/edit.go
//! refuses a running instance, evaluates `--set` as yq on the instance's lima.yaml and starts
//! nothing without `--start`). The expression is only ever `.key = <JSON value>` terms joined
//! by ` | `, which the test bed's shim evaluates too. A disk can only grow: Lima rejects
//! shrinking (lima:pkg/limayaml/validate.go `ValidateAgainstLatestConfig`,
//! lima:pkg/instance/start.go "disk shrinking is not supported").

use super::render::LimaConfig;
use super::LimaError;
use crate::profile::ByteSize;
use serde::Serialize;
use serde_json::Value;

/// One difference between the VM's config and the profile's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigChange {
    /// The lima.yaml key (`cpus`, `memory`, `disk`, `mounts`, `portForwards`).
    pub key: String,
    pub from: String,
    pub to: String,
}

impl std::fmt::Display for ConfigChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} → {}", self.key, self.from, self.to)
    }
}

/// What `sandbox up` changes on an existing VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconfig {
    pub changes: Vec<ConfigChange>,
    /// The `--set` expression for `limactl edit`.
    pub expression: String,
}

/// The keys compared, in the order they are reported and set.
const KEYS: [&str; 5] = ["cpus", "memory", "disk", "mounts", "portForwards"];

/// Compare the instance's lima.yaml (`current`, its text) with `wanted`. `None`: nothing to do.
pub fn compare(instance: &str, current: &str, wanted: &LimaConfig) -> Result<Option<Reconfig>, LimaError> {
    let current: serde_yaml::Value =
        serde_yaml::from_str(current).map_err(|e| LimaError::BadInstanceConfig { instance: instance.into(), detail: e.to_string() })?;
    let current: Value = serde_json::to_value(current).map_err(|e| LimaError::BadInstanceConfig { instance: instance.into(), detail: e.to_string() })?;
    let wanted = serde_json::to_value(wanted).expect("LimaConfig always serializes");
    let mut changes = Vec::new();
    let mut terms = Vec::new();
    for key in KEYS {
        let (have, want) = (current.get(key).unwrap_or(&Value::Null), &wanted[key]);
        let same = match key {
            "memory" | "disk" => bytes(have).is_some() && bytes(have) == bytes(want),
            "mounts" => normal_mounts(have) == normal_mounts(want),
            _ => have == want,
        };
        if same {
            continue;
        }
        if key == "disk" {
            if let (Some(h), Some(w)) = (bytes(have), bytes(want)) {
                if w < h {
                    return Err(LimaError::DiskShrink { instance: instance.into(), current: show(have), wanted: show(want) });
                }
            }
        }
        let (from, to) = match key {
            "mounts" => describe_mounts(have, want),
            "portForwards" => (describe_forwards(have), describe_forwards(want)),
            _ => (show(have), show(want)),
        };
        changes.push(ConfigChange { key: key.into(), from, to });
        terms.push(format!(".{key} = {}", serde_json::to_string(want).expect("JSON")));
    }
    Ok((!changes.is_empty()).then(|| Reconfig { changes, expression: terms.join(" | ") }))
}

fn bytes(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => ByteSize::parse(s).ok().map(|b| b.0),
        _ => None,
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "Lima's default".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// (location, mountPoint, writable) with Lima's defaults filled in (mountPoint = location,
/// writable = false: lima:pkg/limayaml/defaults.go).
fn normal_mounts(v: &Value) -> Vec<(String, String, bool)> {
    v.as_array()
        .map(|list| {
            list.iter()
                .map(|m| {
                    let location = m["location"].as_str().unwrap_or_default().to_string();
                    let point = m["mountPoint"].as_str().map(String::from).unwrap_or_else(|| location.clone());
                    (location, point, m["writable"].as_bool().unwrap_or(false))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn describe_mounts(have: &Value, want: &Value) -> (String, String) {
    let one = |(l, p, w): &(String, String, bool)| format!("{l} → {p} ({})", if *w { "writable" } else { "read-only" });
    let list = |v: &[(String, String, bool)]| if v.is_empty() { "none".to_string() } else { v.iter().map(one).collect::<Vec<_>>().join(", ") };
    (list(&normal_mounts(have)), list(&normal_mounts(want)))
}

fn describe_forwards(v: &Value) -> String {
    let Some(list) = v.as_array() else { return "Lima's default (every port)".into() };
    if list.is_empty() {
        return "none (Lima forwards every port)".into();
    }
    list.iter()
        .map(|r| {
            let ports = match (r["guestPort"].as_u64(), r["guestPortRange"].as_array()) {
                (Some(p), _) => p.to_string(),
                (None, Some(range)) => format!("{}-{}", range.first().and_then(Value::as_u64).unwrap_or(0), range.get(1).and_then(Value::as_u64).unwrap_or(0)),
                _ => "1-65535".into(),
            };
            let guest = format!("{}:{ports}", r["guestIP"].as_str().unwrap_or("127.0.0.1"));
            let proto = r["proto"].as_str().unwrap_or("any");
            if r["ignore"].as_bool().unwrap_or(false) {
                let zero = if r["guestIPMustBeZero"].as_bool() == Some(false) { ", any address" } else { "" };
                format!("ignore {guest}/{proto}{zero}")
            } else {
                let host = format!("{}:{}", r["hostIP"].as_str().unwrap_or("127.0.0.1"), r["hostPort"].as_u64().map(|p| p.to_string()).unwrap_or(ports));
                format!("{guest}/{proto} → {host}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lima::render::{render, to_yaml, HostOs};
    use crate::profile::Profile;
    use std::path::Path;

    fn profile(dir: &Path, extra: &str) -> Profile {
        for d in ["p", "v", "a", "x"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        let text = format!("[mounts]\nproject = \"p\"\nagent_data = \"a\"\n{extra}\n[resources]\ncpus = 2\nmemory = \"4GiB\"\ndisk = \"50GiB\"\n");
        Profile::parse(&text, &dir.join("profile.toml"), dir).unwrap()
    }

    fn wanted(dir: &Path, resources: &str) -> LimaConfig {
        let text = format!("[mounts]\nproject = \"p\"\nagent_data = \"a\"\n[resources]\n{resources}\n");
        render(&Profile::parse(&text, &dir.join("profile.toml"), dir).unwrap(), HostOs::Linux).unwrap()
    }

    #[test]
    fn an_unchanged_profile_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = render(&profile(dir.path(), ""), HostOs::Linux).unwrap();
        assert_eq!(compare("box", &to_yaml(&cfg, None), &cfg).unwrap(), None);
        // Lima's own spelling of the same sizes is the same size
        let text = to_yaml(&cfg, None).replace("memory: 4GiB", "memory: 4096MiB");
        assert_eq!(compare("box", &text, &cfg).unwrap(), None);
    }

    #[test]
    fn cpus_memory_and_disk_changes_are_named_and_set_as_json() {
        let dir = tempfile::tempdir().unwrap();
        let old = to_yaml(&render(&profile(dir.path(), ""), HostOs::Linux).unwrap(), None);
        let new = wanted(dir.path(), "cpus = 4\nmemory = \"8GiB\"\ndisk = \"80GiB\"");
        let r = compare("box", &old, &new).unwrap().unwrap();
        let shown: Vec<String> = r.changes.iter().map(|c| c.to_string()).collect();
        assert_eq!(shown, ["cpus: 2 → 4", "memory: 4GiB → 8GiB", "disk: 50GiB → 80GiB"]);
        assert_eq!(r.expression, ".cpus = 4 | .memory = \"8GiB\" | .disk = \"80GiB\"");
    }

    #[test]
    fn a_smaller_disk_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let old = to_yaml(&render(&profile(dir.path(), ""), HostOs::Linux).unwrap(), None);
        let new = wanted(dir.path(), "cpus = 2\nmemory = \"4GiB\"\ndisk = \"40GiB\"");
        let e = compare("box", &old, &new).unwrap_err().to_string();
        assert!(e.contains("40GiB") && e.contains("50GiB") && e.contains("cannot shrink"), "{e}");
    }

    #[test]
    fn mount_changes_are_described_and_replaced_as_a_whole_list() {
        let dir = tempfile::tempdir().unwrap();
        let old = to_yaml(&render(&profile(dir.path(), ""), HostOs::Linux).unwrap(), None);
        let new = render(&profile(dir.path(), "vault = \"v\""), HostOs::Linux).unwrap();
        let r = compare("box", &old, &new).unwrap().unwrap();
        assert_eq!(r.changes.len(), 1, "{:?}", r.changes);
        assert_eq!(r.changes[0].key, "mounts");
        assert!(r.changes[0].to.contains("/mnt/obsidian (read-only)"), "{}", r.changes[0].to);
        assert!(!r.changes[0].from.contains("obsidian"));
        let expected = serde_json::to_string(&serde_json::to_value(&new).unwrap()["mounts"]).unwrap();
        assert_eq!(r.expression, format!(".mounts = {expected}"));
        assert!(r.expression.starts_with(".mounts = [{\"location\":"), "{}", r.expression);
        assert!(!r.expression.contains('\n'));
    }

    #[test]
    fn old_port_forward_rules_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = render(&profile(dir.path(), ""), HostOs::Linux).unwrap();
        // what an older version wrote: the ignore rule without guestIP (S1)
        let old = to_yaml(&cfg, None).replace("- guestIP: 0.0.0.0\n  guestIPMustBeZero: false\n  guestPortRange:", "- guestPortRange:");
        assert_ne!(old, to_yaml(&cfg, None));
        let r = compare("box", &old, &cfg).unwrap().unwrap();
        assert_eq!(r.changes.len(), 1);
        assert_eq!(r.changes[0].from, "127.0.0.1:18789/tcp → 127.0.0.1:18789, ignore 127.0.0.1:1-65535/any");
        assert_eq!(r.changes[0].to, "127.0.0.1:18789/tcp → 127.0.0.1:18789, ignore 0.0.0.0:1-65535/any, any address");
        assert!(r.expression.starts_with(".portForwards = [{\"guestPort\":18789,"), "{}", r.expression);
        assert!(
            r.expression.contains("{\"guestIP\":\"0.0.0.0\",\"guestIPMustBeZero\":false,\"guestPortRange\":[1,65535],\"ignore\":true,\"proto\":\"any\"}"),
            "{}",
            r.expression
        );
    }

    #[test]
    fn an_unreadable_instance_config_is_an_error_that_names_the_vm() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = render(&profile(dir.path(), ""), HostOs::Linux).unwrap();
        let e = compare("box", "cpus: [", &cfg).unwrap_err().to_string();
        assert!(e.contains("`box`"), "{e}");
    }
}
