//! `sandbox doctor`: is everything the sandbox needs in place? Each check says what it found
//! and, when something is wrong, what to do.

use crate::events::ReleaseStatus;
use crate::host_ca::{HostCaError, Pem};
use crate::lima::{LimaError, Limactl, MINIMUM_VERSION};
use crate::paths::Paths;
use crate::profile::{CaCert, Profile, ProfileError};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Ok,
    Warn,
    Fail,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub health: Health,
    pub detail: String,
    pub fix: Option<String>,
}

impl Check {
    fn new(name: &str, health: Health, detail: impl Into<String>, fix: Option<String>) -> Self {
        Check { name: name.into(), health, detail: detail.into(), fix }
    }
}

/// Free bytes on the file system holding `path` (or its nearest existing ancestor).
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let mut p = path;
    while !p.exists() {
        p = p.parent().unwrap_or(Path::new("/"));
    }
    let st = rustix::fs::statvfs(p)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Disk thresholds: a VM disk grows up to the profile's size; below these, starting is risky.
const WARN_FREE: u64 = 20 << 30;
const FAIL_FREE: u64 = 5 << 30;

/// Check limactl (found, version).
pub async fn check_limactl() -> Check {
    let limactl = match Limactl::locate() {
        Ok(l) => l,
        Err(e) => return Check::new("limactl", Health::Fail, e.to_string(), Some(install_hint())),
    };
    match limactl.checked_version().await {
        Ok(v) => Check::new("limactl", Health::Ok, format!("{} (Lima {v})", limactl.program().display()), None),
        Err(e @ LimaError::TooOld { .. }) => Check::new("limactl", Health::Fail, e.to_string(), Some(install_hint())),
        Err(e) => Check::new("limactl", Health::Fail, e.to_string(), Some(install_hint())),
    }
}

fn install_hint() -> String {
    if cfg!(target_os = "macos") {
        format!("brew install lima (Lima {MINIMUM_VERSION} or newer)")
    } else {
        format!("install Lima {MINIMUM_VERSION} or newer (https://lima-vm.io/docs/installation/), or set SANDBOX_LIMACTL")
    }
}

/// Check the profile file.
pub fn check_profile(path: &Path) -> (Check, Option<Profile>) {
    match Profile::load(path) {
        Ok(p) => (Check::new("profile", Health::Ok, format!("{} (instance `{}`, mode {})", path.display(), p.name, p.mode.as_str()), None), Some(p)),
        Err(e @ ProfileError::NotFound { .. }) => (Check::new("profile", Health::Fail, e.to_string(), Some("sandbox init".into())), None),
        Err(e) => (Check::new("profile", Health::Fail, e.to_string(), Some(format!("edit {}", path.display()))), None),
    }
}

/// Check free disk space where the VM and state live.
pub fn check_disk(paths: &Paths) -> Check {
    let _ = paths;
    let target = crate::paths::lima_home();
    match free_bytes(&target) {
        Err(e) => Check::new("disk", Health::Warn, format!("cannot read free space at {}: {e}", target.display()), None),
        Ok(free) => {
            let gib = free as f64 / (1u64 << 30) as f64;
            let detail = format!("{gib:.1} GiB free at {}", target.display());
            if free < FAIL_FREE {
                Check::new("disk", Health::Fail, detail, Some("free at least 5 GiB (the VM image alone needs ~3 GiB)".into()))
            } else if free < WARN_FREE {
                Check::new("disk", Health::Warn, detail, Some("20 GiB or more free is recommended".into()))
            } else {
                Check::new("disk", Health::Ok, detail, None)
            }
        }
    }
}

/// Check the OS secret store (reachable, unlocked, writable).
pub async fn check_keychain() -> Check {
    let result = tokio::task::spawn_blocking(|| crate::secrets::open_default_store().and_then(|s| s.check())).await;
    match result {
        Ok(Ok(status)) => {
            let persistence = if status.persistent { "values persist" } else { "values are lost at logout or reboot" };
            let health = if status.persistent { Health::Ok } else { Health::Warn };
            let fix = status
                .note
                .clone()
                .or_else(|| (!status.persistent).then(|| "run a Secret Service (e.g. GNOME Keyring) to keep secrets across reboots".to_string()));
            Check::new("keychain", health, format!("{} ({persistence})", status.backend), fix)
        }
        Ok(Err(e)) => Check::new("keychain", Health::Fail, e.to_string(), Some("unlock or start your keychain, then `sandbox secrets check`".into())),
        Err(e) => Check::new("keychain", Health::Fail, format!("the keychain check did not finish: {e}"), None),
    }
}

/// Check the sandbox's private Lima home: short enough for Lima's sockets, and whether the
/// profile's VM was left in the user's own Lima home by an older version.
pub fn check_lima_home(limactl: &Limactl, profile: Option<&Profile>) -> Check {
    let home = limactl.lima_home();
    // Lima's longest socket: <home>/<name>/ssh.sock.<16 hex> (plus the ControlMaster suffix)
    let name_len = profile.map(|p| p.name.len()).unwrap_or(16);
    let longest = home.as_os_str().len() + 1 + name_len + "/ssh.sock.0123456789abcdef".len();
    if cfg!(target_os = "macos") && longest >= crate::paths::UNIX_PATH_MAX {
        return Check::new(
            "lima home",
            Health::Fail,
            format!("{} is too long: Lima's socket paths in it would exceed {} bytes", home.display(), crate::paths::UNIX_PATH_MAX),
            Some("set SANDBOX_LIMA_HOME to a shorter folder (e.g. ~/.ocs-lima)".into()),
        );
    }
    if let Some(p) = profile {
        let private = home.join(&p.name);
        if !private.exists() {
            if let Some(dir) = limactl.instance_in_user_lima_home(&p.name) {
                return Check::new(
                    "lima home",
                    Health::Warn,
                    format!("{} (private)", home.display()),
                    Some(crate::sandbox::user_lima_home_note(&p.name, &dir, home)),
                );
            }
        }
    }
    Check::new("lima home", Health::Ok, format!("{} (private: your own Lima defaults and overrides are not applied)", home.display()), None)
}

/// A hint, only when this host trusts CAs beyond the public bundle (typically a corporate
/// TLS-intercepting proxy's) and the profile does not hand them to the VM with `"system"` in
/// `provisioning.ca_certs`. Nothing when the profile uses them, when there are none, or when
/// they cannot be read (then nothing is known; rendering says why if the profile asks).
pub fn check_host_cas(profile: Option<&Profile>, host_cas: impl FnOnce() -> Result<Vec<Pem>, HostCaError>) -> Option<Check> {
    let profile = profile?;
    if profile.ca_certs.contains(&CaCert::System) {
        return None;
    }
    let found = match host_cas() {
        Ok(found) => found,
        Err(e) => {
            tracing::debug!("host CAs not read for the doctor: {e}");
            return None;
        }
    };
    if found.is_empty() {
        return None;
    }
    let file = profile.source.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default();
    Some(Check::new(
        "host CAs",
        Health::Warn,
        format!(
            "this host trusts {} CA certificate(s) beyond the public bundle ({}), the VM does not: HTTPS from the VM fails if your network's proxy re-signs it",
            found.len(),
            crate::host_ca::where_looked()
        ),
        Some(format!("add \"system\" to provisioning.ca_certs{file} (then `sandbox up`)")),
    ))
}

/// The opt-in OpenClaw release check (`check_openclaw_updates` under `[agent]`): off, it only
/// says how to opt in and asks nothing; on, the registry's `latest` (cached a day in the data
/// folder) against the profile's pin. Never installs. Nothing without a profile.
pub async fn check_release(paths: &Paths, profile: Option<&Profile>) -> Option<Check> {
    let profile = profile?;
    let file = profile.source.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default();
    let name = "openclaw release";
    Some(match crate::release_check::check(profile, &paths.data_dir).await {
        ReleaseStatus::Off if !profile.features.gateway => Check::new(name, Health::Ok, "not checked: features.gateway is off (no OpenClaw in the VM)", None),
        ReleaseStatus::Off => Check::new(
            name,
            Health::Ok,
            format!("not checked (off); to be told of newer OpenClaw releases, set check_openclaw_updates = true under [agent]{file}"),
            None,
        ),
        ReleaseStatus::UpToDate { current, latest } => {
            Check::new(name, Health::Ok, format!("the profile pins OpenClaw {current}; the registry's latest is {latest}"), None)
        }
        ReleaseStatus::Newer { current, latest } => Check::new(
            name,
            Health::Warn,
            format!("OpenClaw {latest} is available (the profile pins {current}); nothing is installed until you change the pin"),
            Some(crate::release_check::upgrade_hint(&latest, profile.source.as_deref())),
        ),
        ReleaseStatus::Unknown { current, why } => {
            Check::new(name, Health::Warn, format!("cannot tell whether a newer OpenClaw than {current} is out: {why}"), None)
        }
    })
}

/// Run every check.
pub async fn run(paths: &Paths, profile_path: &Path) -> Vec<Check> {
    let mut checks = vec![check_limactl().await];
    let (profile_check, profile) = check_profile(profile_path);
    checks.push(profile_check);
    checks.push(check_lima_home(&Limactl::at("limactl"), profile.as_ref()));
    checks.push(check_disk(paths));
    checks.push(check_keychain().await);
    checks.extend(check_host_cas(profile.as_ref(), crate::host_ca::host_extra_cas));
    checks.extend(check_release(paths, profile.as_ref()).await);
    let vault = profile.as_ref().and_then(crate::vault::plan);
    checks.extend(vault.map(|v| Check::new("vault", if v.risky() { Health::Warn } else { Health::Ok }, v.describe(), v.fix())));
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_bytes_walks_up_to_an_existing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let n = free_bytes(&dir.path().join("a/b/c")).unwrap();
        assert!(n > 0);
    }

    fn profile_with(dir: &Path, ca_certs: &str) -> Profile {
        std::fs::create_dir_all(dir.join("p")).unwrap();
        std::fs::write(dir.join("corp.pem"), "x").unwrap();
        let path = dir.join("profile.toml");
        std::fs::write(&path, format!("[mounts]\nproject = \"p\"\n[provisioning]\nca_certs = {ca_certs}\n")).unwrap();
        Profile::load(&path).unwrap()
    }

    fn one_ca() -> Result<Vec<Pem>, HostCaError> {
        Ok(Pem::all_in("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
    }

    #[test]
    fn host_cas_hint_only_when_they_exist_and_the_profile_does_not_use_them() {
        let dir = tempfile::tempdir().unwrap();
        let without = profile_with(dir.path(), "[\"corp.pem\"]");
        let c = check_host_cas(Some(&without), one_ca).expect("a hint");
        assert_eq!(c.health, Health::Warn);
        assert!(c.detail.contains("1 CA certificate(s)"), "{}", c.detail);
        let fix = c.fix.unwrap();
        assert!(fix.contains("add \"system\" to provisioning.ca_certs") && fix.contains("profile.toml"), "{fix}");
        // none on the host, or unreadable: nothing to say
        assert_eq!(check_host_cas(Some(&without), || Ok(Vec::new())), None);
        assert_eq!(check_host_cas(Some(&without), || Err(HostCaError::Unsupported)), None);
        // the profile uses them: nothing to say, and the host is not even asked
        let with = profile_with(dir.path(), "[\"system\"]");
        assert_eq!(check_host_cas(Some(&with), || panic!("asked")), None);
        // no profile: the profile check already fails
        assert_eq!(check_host_cas(None, one_ca), None);
    }

    #[test]
    fn missing_profile_fails_with_init_hint() {
        let (c, p) = check_profile(Path::new("/nonexistent/p.toml"));
        assert_eq!(c.health, Health::Fail);
        assert_eq!(c.fix.as_deref(), Some("sandbox init"));
        assert!(p.is_none());
    }
}
