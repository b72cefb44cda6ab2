//! Push a rendered policy into a running VM and apply it without a reboot.
//!
//! Three `Vm::exec` calls to the in-VM helper installed by `provisioning/firewall/install.sh`:
//! stage the ruleset (stdin), stage the resolver config (stdin), commit. The helper checks both
//! files (`nft -c`, `dnsmasq --test`) before swapping them in, loads the ruleset atomically,
//! restarts the resolver, and rolls back to the previous files if loading fails.

use super::config::NetworkPolicy;
use super::{dnsmasq, nftables};
use crate::vm::{Vm, VmError};

/// The in-VM helper (root-owned; the agent user cannot run it with privileges).
pub const APPLY_HELPER: &str = "/usr/local/sbin/openclaw-firewall-apply";

/// Why a reload failed.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Vm(#[from] VmError),
    #[error("the VM rejected the firewall change at `{step}` (exit {status}): {stderr}. The previous rules stay in force; fix the profile's [network] table, or re-provision with `sandbox up` if the helper is missing")]
    Rejected { step: &'static str, status: i32, stderr: String },
}

/// The argv of one helper step.
fn helper(args: &[&str]) -> Vec<String> {
    std::iter::once("sudo").chain(std::iter::once(APPLY_HELPER)).chain(args.iter().copied()).map(String::from).collect()
}

/// One helper call: its name for errors, argv, stdin.
type Step = (&'static str, Vec<String>, Option<Vec<u8>>);

/// Render `policy` and apply it in `vm`.
pub async fn reload(vm: &dyn Vm, policy: &NetworkPolicy) -> Result<(), ReloadError> {
    let steps: [Step; 3] = [
        ("stage nftables", helper(&["stage", "nftables"]), Some(nftables::render(policy).into_bytes())),
        ("stage dns", helper(&["stage", "dns"]), Some(dnsmasq::render(policy).into_bytes())),
        ("commit", helper(&["commit"]), None),
    ];
    for (step, argv, stdin) in steps {
        let out = vm.exec(&argv, stdin).await?;
        if !out.success() {
            return Err(ReloadError::Rejected { step, status: out.status, stderr: out.stderr_str().trim().to_string() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::config::NetworkConfig;
    use crate::vm::ExecOutput;
    use std::path::Path;
    use std::sync::Mutex;

    type Call = (Vec<String>, Option<Vec<u8>>);

    #[derive(Default)]
    struct RecordingVm {
        calls: Mutex<Vec<Call>>,
        fail_on: Option<&'static str>,
    }

    #[async_trait::async_trait]
    impl Vm for RecordingVm {
        fn name(&self) -> &str {
            "test"
        }
        async fn exec(&self, argv: &[String], stdin: Option<Vec<u8>>) -> Result<ExecOutput, VmError> {
            self.calls.lock().unwrap().push((argv.to_vec(), stdin));
            if self.fail_on.is_some_and(|f| argv.iter().any(|a| a == f)) {
                return Ok(ExecOutput { status: 1, stdout: vec![], stderr: b"nft: syntax error\n".to_vec() });
            }
            Ok(ExecOutput::default())
        }
        async fn copy_in(&self, _: &Path, _: &str) -> Result<(), VmError> {
            unreachable!("reload streams over stdin")
        }
        async fn copy_out(&self, _: &str, _: &Path) -> Result<(), VmError> {
            unreachable!()
        }
    }

    #[tokio::test]
    async fn stages_both_files_over_stdin_then_commits() {
        let vm = RecordingVm::default();
        let policy = NetworkConfig::default().validate().unwrap();
        reload(&vm, &policy).await.unwrap();
        let calls = vm.calls.lock().unwrap();
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[0].0, vec!["sudo", APPLY_HELPER, "stage", "nftables"]);
        assert_eq!(String::from_utf8(calls[0].1.clone().unwrap()).unwrap(), nftables::render(&policy));
        assert_eq!(calls[1].0, vec!["sudo", APPLY_HELPER, "stage", "dns"]);
        assert_eq!(String::from_utf8(calls[1].1.clone().unwrap()).unwrap(), dnsmasq::render(&policy));
        assert_eq!(calls[2], (vec!["sudo".to_string(), APPLY_HELPER.into(), "commit".into()], None));
    }

    #[tokio::test]
    async fn a_rejected_step_stops_and_says_so() {
        let vm = RecordingVm { fail_on: Some("commit"), ..Default::default() };
        let policy = NetworkConfig::default().validate().unwrap();
        let err = reload(&vm, &policy).await.unwrap_err().to_string();
        assert!(err.contains("`commit`") && err.contains("nft: syntax error") && err.contains("previous rules stay"), "{err}");
    }
}
