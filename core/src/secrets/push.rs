//! Injection: read the named secrets from the store and write them into the VM as 0600 files
//! on tmpfs, through the fixed script in [`payload::PUSH_SCRIPT`]. The values travel only in
//! the stdin payload; argv holds the script, the agent user and the base directory.
//!
//! Store calls are short blocking calls (a D-Bus round trip per name); call this from a
//! context where that is acceptable (the CLI, or a `spawn_blocking`-friendly runtime).

use super::payload::{self, DEFAULT_BASE_DIR, PUSH_SCRIPT};
use super::{Redactor, SecretName, SecretStore, SecretValue, SecretsError};
use crate::vm::Vm;

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Names written to `/run/openclaw/secrets/` (sorted).
    pub written: Vec<SecretName>,
    /// Names in the index with no value in the store: not written (and removed if present).
    pub unset: Vec<SecretName>,
    /// Files removed because their name is no longer set.
    pub removed: Vec<String>,
    /// Names left out of `secrets.env` (values with control characters, e.g. multi-line).
    pub env_skipped: Vec<SecretName>,
    /// Names whose value is too short to be redacted from logs.
    pub too_short_to_redact: Vec<SecretName>,
    /// A tmpfs had to be mounted because the base directory was not on one.
    pub mounted_tmpfs: bool,
}

/// The argv the push runs in the VM (as the VM's admin user, via passwordless sudo).
pub fn push_argv(agent_user: &str, base_dir: &str) -> Vec<String> {
    ["sudo", "-n", "/bin/bash", "-c", PUSH_SCRIPT, "openclaw-secrets-push", agent_user, base_dir].iter().map(|s| s.to_string()).collect()
}

/// Push `names` from `store` into the VM for `agent_user` under `/run/openclaw`.
pub async fn push_secrets(vm: &dyn Vm, store: &dyn SecretStore, names: &[SecretName], agent_user: &str) -> Result<PushReport, SecretsError> {
    push_secrets_to(vm, store, names, agent_user, DEFAULT_BASE_DIR).await
}

/// What `sandbox up` and `sandbox secrets push` call: validate the profile's names, read the
/// values from the OS store of this installation on a blocking thread, push them.
pub async fn push_from_os_store(vm: &dyn Vm, names: &[String], agent_user: &str) -> Result<PushReport, SecretsError> {
    validate_agent_user(agent_user)?;
    let names = names.iter().map(|n| super::validate_name(n)).collect::<Result<Vec<_>, _>>()?;
    let collected = tokio::task::spawn_blocking(move || {
        let store = super::open_default_store()?;
        collect(store.as_ref(), &names)
    })
    .await
    .map_err(|e| SecretsError::TaskFailed { detail: e.to_string() })??;
    send(vm, collected, agent_user, DEFAULT_BASE_DIR).await
}

/// [`push_secrets`] with another base directory (tests run the script on a scratch dir).
pub async fn push_secrets_to(vm: &dyn Vm, store: &dyn SecretStore, names: &[SecretName], agent_user: &str, base_dir: &str) -> Result<PushReport, SecretsError> {
    validate_agent_user(agent_user)?;
    let collected = collect(store, names)?;
    send(vm, collected, agent_user, base_dir).await
}

/// The values to push, read from the store (blocking).
pub struct Collected {
    secrets: Vec<(SecretName, SecretValue)>,
    unset: Vec<SecretName>,
}

/// Read `names` from `store`: set ones with their values, unset ones by name.
pub fn collect(store: &dyn SecretStore, names: &[SecretName]) -> Result<Collected, SecretsError> {
    let mut names: Vec<SecretName> = names.to_vec();
    names.sort();
    names.dedup();
    let mut secrets = Vec::new();
    let mut unset = Vec::new();
    for name in names {
        match store.get(&name)? {
            Some(value) => secrets.push((name, value)),
            None => unset.push(name),
        }
    }
    Ok(Collected { secrets, unset })
}

/// Send collected values to the VM through the push script.
pub async fn send(vm: &dyn Vm, collected: Collected, agent_user: &str, base_dir: &str) -> Result<PushReport, SecretsError> {
    validate_agent_user(agent_user)?;
    let Collected { secrets, unset } = collected;
    // Every value that reaches the VM is known to this process's door first: whatever the VM
    // prints later (errors, events, logs) is redacted before anyone sees it.
    for (name, value) in &secrets {
        crate::redact::door().learn(name.as_str(), value.expose());
    }
    let (redactor, too_short_to_redact) = Redactor::with_secrets(secrets.iter().map(|(n, v)| (n, v)));
    let (stdin, env_skipped) = payload::build(&secrets);
    let out = vm.exec(&push_argv(agent_user, base_dir), Some(stdin.to_vec())).await?;
    if !out.success() {
        return Err(SecretsError::PushFailed { status: out.status, stderr: redactor.redact_bytes(&out.stderr).trim().to_string() });
    }
    let script = payload::parse_report(&out.stdout_str());
    let expected: Vec<String> = secrets.iter().map(|(n, _)| n.to_string()).collect();
    if script.written != expected || !script.env_written {
        return Err(SecretsError::PushFailed {
            status: out.status,
            stderr: format!(
                "the VM reported writing [{}] but [{}] were sent{}",
                script.written.join(", "),
                expected.join(", "),
                if script.env_written { "" } else { ", and no secrets.env" }
            ),
        });
    }
    Ok(PushReport {
        written: secrets.into_iter().map(|(n, _)| n).collect(),
        unset,
        removed: script.removed,
        env_skipped,
        too_short_to_redact,
        mounted_tmpfs: script.mounted_tmpfs,
    })
}

fn validate_agent_user(user: &str) -> Result<(), SecretsError> {
    let ok = !user.is_empty()
        && user.len() <= 32
        && user.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && user.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(SecretsError::InvalidAgentUser { user: user.chars().take(40).collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{validate_name, MemoryStore};

    /// One recorded exec: argv and stdin.
    use crate::vm::testing::RecordingVm;

    fn n(s: &str) -> SecretName {
        validate_name(s).unwrap()
    }

    const CANARY: &str = "canary-push-7d41c9e2aa";

    fn store() -> MemoryStore {
        let s = MemoryStore::new();
        s.set(&n("ANTHROPIC_API_KEY"), &CANARY.into()).unwrap();
        s.set(&n("GH_TOKEN"), &"gh-second-value".into()).unwrap();
        s
    }

    #[tokio::test]
    async fn values_travel_only_in_stdin() {
        let vm = RecordingVm::replying("tmpfs ok\nwrote GH_TOKEN\nwrote ANTHROPIC_API_KEY\nremoved OLD_KEY\nenv written\n", 0, "");
        let names = [n("GH_TOKEN"), n("ANTHROPIC_API_KEY"), n("NOT_SET")];
        let report = push_secrets(&vm, &store(), &names, "openclaw").await.unwrap();
        assert_eq!(report.written, vec![n("ANTHROPIC_API_KEY"), n("GH_TOKEN")]);
        assert_eq!(report.unset, vec![n("NOT_SET")]);
        assert_eq!(report.removed, vec!["OLD_KEY"]);
        assert!(!report.mounted_tmpfs);

        let calls = vm.calls.lock().unwrap();
        assert_eq!(calls.len(), 1);
        let (argv, stdin) = &calls[0];
        assert_eq!(argv, &push_argv("openclaw", "/run/openclaw"));
        for arg in argv {
            assert!(!arg.contains(CANARY) && !arg.contains("gh-second-value"), "value in argv");
            assert!(!arg.contains(&payload::base64_encode(CANARY.as_bytes())), "encoded value in argv");
        }
        let (expected, _) = payload::build(&[(n("ANTHROPIC_API_KEY"), CANARY.into()), (n("GH_TOKEN"), "gh-second-value".into())]);
        assert_eq!(stdin.as_deref(), Some(&expected[..]));
    }

    #[tokio::test]
    async fn failure_output_is_redacted() {
        let vm = RecordingVm::replying("", 1, &format!("bash: line 3: {CANARY}: command not found\n"));
        let err = push_secrets(&vm, &store(), &[n("ANTHROPIC_API_KEY")], "openclaw").await.unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains(CANARY), "{msg}");
        assert!(msg.contains("[REDACTED:ANTHROPIC_API_KEY]"), "{msg}");
        assert!(msg.contains("sandbox secrets push"), "{msg}");
    }

    #[tokio::test]
    async fn a_report_that_does_not_match_is_an_error() {
        let vm = RecordingVm::replying("tmpfs ok\nwrote GH_TOKEN\nenv written\n", 0, "");
        let err = push_secrets(&vm, &store(), &[n("GH_TOKEN"), n("ANTHROPIC_API_KEY")], "openclaw").await.unwrap_err();
        assert!(err.to_string().contains("reported writing [GH_TOKEN]"), "{err}");
    }

    #[tokio::test]
    async fn bad_agent_user_and_locked_store_fail_before_the_vm() {
        let vm = RecordingVm::replying("", 0, "");
        for user in ["", "root;rm -rf /", "Openclaw", "a b", &"x".repeat(33)] {
            assert!(matches!(push_secrets(&vm, &store(), &[], user).await, Err(SecretsError::InvalidAgentUser { .. })), "{user}");
        }
        let locked = store();
        locked.set_locked(true);
        assert!(matches!(push_secrets(&vm, &locked, &[n("GH_TOKEN")], "openclaw").await, Err(SecretsError::StoreLocked { .. })));
        assert!(vm.calls.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn pushing_nothing_still_clears_the_vm() {
        let vm = RecordingVm::replying("tmpfs ok\nremoved GH_TOKEN\nenv written\n", 0, "");
        let report = push_secrets(&vm, &MemoryStore::new(), &[n("GH_TOKEN")], "openclaw").await.unwrap();
        assert_eq!(report.unset, vec![n("GH_TOKEN")]);
        assert_eq!(report.removed, vec!["GH_TOKEN"]);
        let calls = vm.calls.lock().unwrap();
        assert_eq!(calls[0].1.as_deref(), Some(&b"openclaw-secrets v1\nenv \nend\n"[..]));
    }
}
