//! The one call front ends make for "Allow" / "Deny": edit the profile, audit, reload the VM.

use super::config::NetworkPolicy;
use super::edit::{self, EditError, Target};
use super::reload::{reload, ReloadError};
use crate::audit::{AuditError, AuditLog};
use crate::vm::Vm;
use std::path::Path;

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Allow,
    Deny,
}

impl Change {
    pub fn audit_action(self) -> &'static str {
        match self {
            Change::Allow => "firewall.allow",
            Change::Deny => "firewall.deny",
        }
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// False when the profile already said so (allow of a listed entry): nothing written.
    pub changed: bool,
    /// True when the new rules are live in the running VM.
    pub reloaded: bool,
    pub policy: NetworkPolicy,
}

/// Why the change did not go through.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("the profile was saved, but the running VM was not updated: {0}")]
    Reload(#[from] ReloadError),
}

/// Edit the profile at `profile`, write an audit record in `log_dir`, and (with a running `vm`)
/// reload the VM's firewall and resolver.
pub async fn change(profile: &Path, log_dir: &Path, change: Change, target: &Target, vm: Option<&dyn Vm>) -> Result<Outcome, FirewallError> {
    let edited = edit::edit_file(profile, |text| match change {
        Change::Allow => edit::allow(text, target),
        Change::Deny => edit::deny(text, target),
    })?;
    if !edited.changed {
        return Ok(Outcome { changed: false, reloaded: false, policy: edited.policy });
    }
    let result = match vm {
        Some(vm) => reload(vm, &edited.policy).await.map(|_| true),
        None => Ok(false),
    };
    AuditLog::in_dir(log_dir).append(
        change.audit_action(),
        serde_json::json!({
            "entry": target.to_string(),
            "field": format!("network.{}", target.field()),
            "profile": profile.display().to_string(),
            "reloaded": matches!(result, Ok(true)),
        }),
    )?;
    let reloaded = result?;
    Ok(Outcome { changed: true, reloaded, policy: edited.policy })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::{ExecOutput, VmError};
    use std::sync::Mutex;

    struct Fake {
        argv: Mutex<Vec<Vec<String>>>,
        status: i32,
    }

    #[async_trait::async_trait]
    impl Vm for Fake {
        fn name(&self) -> &str {
            "fake"
        }
        async fn exec(&self, argv: &[String], _stdin: Option<Vec<u8>>) -> Result<ExecOutput, VmError> {
            self.argv.lock().unwrap().push(argv.to_vec());
            Ok(ExecOutput { status: self.status, ..Default::default() })
        }
        async fn copy_in(&self, _: &Path, _: &str) -> Result<(), VmError> {
            Ok(())
        }
        async fn copy_out(&self, _: &str, _: &Path) -> Result<(), VmError> {
            Ok(())
        }
    }

    fn audit_lines(dir: &Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(dir.join("audit.jsonl")).unwrap_or_default().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    #[tokio::test]
    async fn allow_edits_audits_and_reloads_then_deny_reverts() {
        let dir = tempfile::tempdir().unwrap();
        let (profile, logs) = (dir.path().join("profile.toml"), dir.path().join("logs"));
        let vm = Fake { argv: Mutex::new(vec![]), status: 0 };
        let target = Target::parse("*.example.test").unwrap();
        let o = change(&profile, &logs, Change::Allow, &target, Some(&vm)).await.unwrap();
        assert!(o.changed && o.reloaded);
        assert_eq!(vm.argv.lock().unwrap().len(), 3);
        assert!(std::fs::read_to_string(&profile).unwrap().contains("*.example.test"));
        let again = change(&profile, &logs, Change::Allow, &target, Some(&vm)).await.unwrap();
        assert!(!again.changed && !again.reloaded);
        assert_eq!(vm.argv.lock().unwrap().len(), 3, "no reload for a no-op");
        change(&profile, &logs, Change::Deny, &target, None).await.unwrap();
        assert!(!std::fs::read_to_string(&profile).unwrap().contains("example.test"));
        let a = audit_lines(&logs);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0]["action"], "firewall.allow");
        assert_eq!(a[0]["detail"]["entry"], "*.example.test");
        assert_eq!(a[0]["detail"]["reloaded"], true);
        assert_eq!(a[1]["action"], "firewall.deny");
        assert_eq!(a[1]["detail"]["reloaded"], false);
    }

    #[tokio::test]
    async fn a_failed_reload_keeps_the_profile_change_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let (profile, logs) = (dir.path().join("profile.toml"), dir.path().join("logs"));
        let vm = Fake { argv: Mutex::new(vec![]), status: 1 };
        let err = change(&profile, &logs, Change::Allow, &Target::parse("10.1.2.3").unwrap(), Some(&vm)).await.unwrap_err();
        assert!(err.to_string().contains("profile was saved"), "{err}");
        assert!(std::fs::read_to_string(&profile).unwrap().contains("10.1.2.3"));
        assert_eq!(audit_lines(&logs)[0]["detail"]["reloaded"], false);
    }
}
