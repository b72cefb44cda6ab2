//! Errors from driving `limactl`; each says what happened and what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LimaError {
    #[error("limactl was not found ({detail}). Install Lima (macOS: `brew install lima`; Linux: see https://lima-vm.io/docs/installation/) or set SANDBOX_LIMACTL to its path")]
    NotFound { detail: String },

    #[error("could not run {program}: {source}. Check that it is an executable limactl, or set SANDBOX_LIMACTL")]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("Lima {found} is too old: OpenClaw Sandbox needs Lima {need} or newer. Upgrade it (macOS: `brew upgrade lima`)")]
    TooOld { found: String, need: String },

    #[error("could not read Lima's version from `limactl --version` (it printed {output:?}). Reinstall Lima or set SANDBOX_LIMACTL to a working limactl")]
    BadVersion { output: String },

    #[error("`limactl {verb}` failed (exit {code}): {message}{hint}")]
    Failed { verb: String, code: i32, message: String, hint: String },

    #[error("cannot follow the VM's state: watching Lima's folder failed ({detail}). Check that it exists and is yours (`sandbox doctor`), or raise the open-file/inotify limits")]
    Watch { detail: String },

    #[error("`limactl {verb}` did not finish within {secs} s; check `sandbox status`, then retry (a stuck VM can be recovered with `sandbox down --force`)")]
    Timeout { verb: String, secs: u64 },

    #[error("the VM `{instance}` is Broken ({detail}). Recover with `sandbox down --force`, then `sandbox up`")]
    Broken { instance: String, detail: String },

    #[error("the VM `{instance}` started but is DEGRADED: file sharing and port forwarding may not work ({hint}). Try `sandbox down && sandbox up`")]
    Degraded { instance: String, hint: String },

    #[error("the VM `{instance}` is {status}; {what}")]
    WrongState { instance: String, status: String, what: String },

    #[error("the VM `{instance}` does not exist; create it with `sandbox up`")]
    NoInstance { instance: String },

    #[error("could not understand `limactl list --json` output: {detail}. Is this limactl compatible with Lima ≥ 1.0?")]
    BadList { detail: String },

    #[error("cannot read the VM `{instance}`'s lima.yaml ({detail}); its profile changes cannot be applied. Recreate the VM (`sandbox destroy`, then `sandbox up`) if it misbehaves")]
    BadInstanceConfig { instance: String, detail: String },

    #[error("the profile asks for a {wanted} disk, but the VM `{instance}` already has {current}: Lima cannot shrink a disk. Set `resources.disk` to {current} or more, or recreate the VM (`sandbox destroy`, then `sandbox up`; agent changes not yet synced are lost)")]
    DiskShrink { instance: String, current: String, wanted: String },

    #[error(transparent)]
    HostCas(#[from] crate::host_ca::HostCaError),

    #[error(
        "provisioning.ca_certs has \"system\", but no extra CAs are trusted on this host (looked in {looked}); remove \"system\", or list the PEM file of the CA your network needs"
    )]
    NoHostCas { looked: &'static str },

    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Lima's failures reach the `Vm` trait's callers as the driver's error, text unchanged.
impl From<LimaError> for crate::vm::VmError {
    fn from(e: LimaError) -> Self {
        crate::vm::VmError::Driver(Box::new(e))
    }
}
