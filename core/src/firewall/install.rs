//! Installing the firewall in the VM (`sandbox up`): the helper, its units and install.sh go
//! over stdin as one tar; install.sh (idempotent, root) places them; then [`super::reload`]
//! stages and commits the rendered ruleset and resolver config.

use super::config::NetworkPolicy;
use super::reload::{reload, ReloadError};
use crate::vm::{Vm, VmError};

const FILES: [(&str, &str, u32); 4] = [
    ("install.sh", include_str!("../../../provisioning/firewall/install.sh"), 0o755),
    ("openclaw-firewall-apply", include_str!("../../../provisioning/firewall/openclaw-firewall-apply"), 0o755),
    ("openclaw-firewall.service", include_str!("../../../provisioning/firewall/openclaw-firewall.service"), 0o644),
    ("openclaw-dns.service", include_str!("../../../provisioning/firewall/openclaw-dns.service"), 0o644),
];

/// Unpacks the payload into a private temp folder and runs install.sh from it.
const RUNNER: &str = "set -eu; d=$(mktemp -d); trap 'rm -rf \"$d\"' EXIT; tar -xf - -C \"$d\"; sh \"$d/install.sh\"";

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Vm(#[from] VmError),
    #[error("installing the firewall in the VM failed (exit {code}): {message}. The VM's network stays as it was; fix the cause and run `sandbox up` again")]
    Failed { code: i32, message: String },
    #[error(transparent)]
    Reload(#[from] ReloadError),
}

/// The payload: a tar of the provisioning/firewall files.
pub fn payload() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, text, mode) in FILES {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(mode);
        h.set_mtime(0);
        h.set_cksum();
        b.append_data(&mut h, name, text.as_bytes()).expect("in-memory tar");
    }
    b.into_inner().expect("in-memory tar")
}

/// Install the helper and units (idempotent), then load `policy`.
pub async fn install_and_load(vm: &dyn Vm, policy: &NetworkPolicy) -> Result<(), InstallError> {
    let argv: Vec<String> = ["sudo", "bash", "-c", RUNNER].iter().map(|s| s.to_string()).collect();
    let out = vm.exec(&argv, Some(payload())).await?;
    if !out.success() {
        let message = out.stderr_str().lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no error output").trim().to_string();
        return Err(InstallError::Failed { code: out.status, message });
    }
    reload(vm, policy).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_holds_every_file_with_its_mode() {
        let data = payload();
        let mut a = tar::Archive::new(&data[..]);
        let mut names = Vec::new();
        for e in a.entries().unwrap() {
            let e = e.unwrap();
            names.push((e.path().unwrap().to_string_lossy().into_owned(), e.header().mode().unwrap()));
        }
        assert_eq!(names.len(), 4);
        assert!(names.contains(&("install.sh".into(), 0o755)));
        assert!(names.contains(&("openclaw-firewall.service".into(), 0o644)));
    }
}
