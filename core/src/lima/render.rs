//! Profile → `lima.yaml`, through serde types (no string templates).
//! Field names and defaults follow Lima's `limatype.LimaYAML` (see shared/lima/LIMA-FACTS.md).

use super::LimaError;
use crate::host_ca::{HostCaError, Pem};
use crate::profile::{CaCert, Mode, Profile};
use serde::Serialize;

pub use crate::host::HostOs;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimaConfig {
    pub minimum_lima_version: String,
    pub vm_type: String,
    pub images: Vec<Image>,
    pub cpus: u32,
    pub memory: String,
    pub disk: String,
    pub mounts: Vec<LimaMount>,
    pub mount_type: String,
    pub ssh: Ssh,
    pub containerd: Containerd,
    pub port_forwards: Vec<PortForward>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_certs: Option<CaCerts>,
    pub provision: Vec<Provision>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Image {
    pub location: String,
    pub arch: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimaMount {
    pub location: String,
    pub mount_point: String,
    pub writable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ssh {
    pub local_port: u16,
    #[serde(rename = "loadDotSSHPubKeys")]
    pub load_dot_ssh_pub_keys: bool,
    pub forward_agent: bool,
    pub forward_x11: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Containerd {
    pub system: bool,
    pub user: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortForward {
    #[serde(rename = "guestIP", skip_serializing_if = "Option::is_none")]
    pub guest_ip: Option<String>,
    #[serde(rename = "guestIPMustBeZero", skip_serializing_if = "Option::is_none")]
    pub guest_ip_must_be_zero: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_port_range: Option<[u16; 2]>,
    #[serde(rename = "hostIP", skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
    pub proto: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignore: bool,
}

/// Lima's `caCerts`: PEM files it reads on the host, and PEM texts given inline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaCerts {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provision {
    pub mode: String,
    pub script: String,
}

/// Debian 12 (bookworm), the guest OS the test bed boots, so install scripts and package names
/// are the tested ones. Lima tries the images of the VM's arch in order
/// (lima:pkg/instance/start.go, `Prepare`).
///
/// - macOS (vz + virtiofs): Lima's own genericcloud images (lima:templates/_images/debian-12.yaml),
///   the dated release pinned by digest first, then the rolling `latest` once the dated one is
///   removed.
/// - Linux (qemu + 9p): the cloud kernel has no 9p (that template says `mountTypesUnsupported:
///   [9p]`), so the host folders would silently not mount. These hosts get Debian's `generic`
///   images instead: the same bookworm userland with the full kernel (the test bed's kernel,
///   `linux-image-amd64`, which has 9p). Lima's template pins no generic amd64/arm64 image, so
///   they are the rolling release without a digest, as Lima's own fallback entries are.
///
/// Lima's `variant` field is left out: Lima ≥ 2 only compares variants between entries and Lima
/// 1.0 has no such field.
fn images(host: HostOs) -> Vec<Image> {
    const DATED: &str = "https://cloud.debian.org/images/cloud/bookworm/20260712-2537";
    const LATEST: &str = "https://cloud.debian.org/images/cloud/bookworm/latest";
    match host {
        HostOs::MacOs => vec![
            Image {
                location: format!("{DATED}/debian-12-genericcloud-amd64-20260712-2537.qcow2"),
                arch: "x86_64".into(),
                digest: Some(
                    "sha512:6c2607f1846ee86040830c87d0b723f0967da3e884ea4673d9db4aa8eee13a4b7c663524bfa42082c16fc6919f3aa1bf425c004d07ff06c53a319ad0c42647bb"
                        .into(),
                ),
            },
            Image {
                location: format!("{DATED}/debian-12-genericcloud-arm64-20260712-2537.qcow2"),
                arch: "aarch64".into(),
                digest: Some(
                    "sha512:52eb678130e85a9bf9f3cf4f7181e060fa60a5db45373717474c5ff9305645c5e6cab8b05ca042bcfa7921d2ca29cf9fd2e815f75abe2d168557ad7207af127b"
                        .into(),
                ),
            },
            Image { location: format!("{LATEST}/debian-12-genericcloud-amd64.qcow2"), arch: "x86_64".into(), digest: None },
            Image { location: format!("{LATEST}/debian-12-genericcloud-arm64.qcow2"), arch: "aarch64".into(), digest: None },
        ],
        HostOs::Linux => vec![
            Image { location: format!("{LATEST}/debian-12-generic-amd64.qcow2"), arch: "x86_64".into(), digest: None },
            Image { location: format!("{LATEST}/debian-12-generic-arm64.qcow2"), arch: "aarch64".into(), digest: None },
        ],
    }
}

/// Boot-time hand-over to our provisioning: records what this VM is; `sandbox up` pushes and
/// runs the real, idempotent apply step over `limactl shell` after boot.
fn boot_provision(profile: &Profile) -> Provision {
    let script = format!(
        "#!/bin/sh\n\
         # OpenClaw Sandbox: the real provisioning is pushed by `sandbox up` after boot.\n\
         set -eu\n\
         install -d -m 0755 /etc/openclaw /var/lib/openclaw\n\
         printf 'OPENCLAW_INSTANCE=%s\\nOPENCLAW_MODE=%s\\n' '{}' '{}' > /etc/openclaw/instance.env\n",
        profile.name,
        profile.mode.as_str()
    );
    Provision { mode: "system".into(), script }
}

/// The gateway's forward, then one rule that ignores every other listener on any address.
///
/// Lima matches rules first-wins (lima:pkg/portfwd/forward.go and pkg/hostagent/port.go,
/// `forwardingAddresses`, the same in v1.0.0) and appends its own catch-all forward of
/// 127.0.0.1/any/1-65535 (port.go `portForwardRules`), which also takes listeners on 0.0.0.0
/// and `::`. An ignore rule with the default guestIP 127.0.0.1 is *skipped* for a listener on
/// 0.0.0.0/`::` (the `guestIP.IsUnspecified() && !rule.GuestIP.IsUnspecified()` branch), so
/// the ignore rule must say guestIP 0.0.0.0. With guestIPMustBeZero false such a rule matches
/// every guest address (the `rule.GuestIP.IsUnspecified() && !GuestIPMustBeZero` case):
/// 127.0.0.1, ::1, ::, 0.0.0.0 and the VM's own addresses, so IPv6 needs no rule of its own.
/// guestIPMustBeZero is written explicitly: v2 defaults it to true when guestIP is 0.0.0.0
/// (lima:pkg/limayaml/defaults.go `FillPortForwardDefaults`), which would make the rule an exact
/// 0.0.0.0 match and leave loopback listeners to the fallback; v1.0 has a plain bool, default
/// false (lima@v1.0.0:pkg/limayaml/limayaml.go).
/// The gateway's rule comes first so it still wins for its port, on 127.0.0.1, ::1 (matched
/// by the IPv6-loopback case) and 0.0.0.0/:: (unspecified listeners match any rule).
pub(crate) fn port_forwards(gateway_port: u16) -> Vec<PortForward> {
    vec![
        PortForward {
            guest_ip: None,
            guest_ip_must_be_zero: None,
            guest_port: Some(gateway_port),
            guest_port_range: None,
            host_ip: Some("127.0.0.1".into()),
            host_port: Some(gateway_port),
            proto: "tcp".into(),
            ignore: false,
        },
        // Nothing else the agent opens in the VM is forwarded to the host.
        PortForward {
            guest_ip: Some("0.0.0.0".into()),
            guest_ip_must_be_zero: Some(false),
            guest_port: None,
            guest_port_range: Some([1, 65535]),
            host_ip: None,
            host_port: None,
            proto: "any".into(),
            ignore: true,
        },
    ]
}

/// Render the Lima config for `profile` on `host`. A `"system"` entry in
/// `provisioning.ca_certs` is read from this host (see [`crate::host_ca::host_extra_cas`]).
pub fn render(profile: &Profile, host: HostOs) -> Result<LimaConfig, LimaError> {
    render_with(profile, host, crate::host_ca::host_extra_cas)
}

/// [`render`] with the host's extra CAs from `host_cas` (called only when the profile says
/// `"system"`), so tests need not depend on this machine's trust store.
pub fn render_with(profile: &Profile, host: HostOs, host_cas: impl FnOnce() -> Result<Vec<Pem>, HostCaError>) -> Result<LimaConfig, LimaError> {
    let (vm_type, mount_type) = match host {
        HostOs::MacOs => ("vz", "virtiofs"),
        HostOs::Linux => ("qemu", "9p"),
    };
    let mounts = profile
        .mounts
        .iter()
        .map(|m| LimaMount { location: m.host.to_string_lossy().into_owned(), mount_point: m.guest.clone(), writable: m.writable })
        .collect();
    let port_forwards = port_forwards(profile.gateway_port);
    let ca_certs = ca_certs(&profile.ca_certs, host_cas)?;
    let mode_note = match profile.mode {
        Mode::Secure => "secure: host folders are read-only; changes reach the host through `sandbox sync`",
        Mode::Yolo => "yolo: host folders are read-only; the sync gate runs by itself",
        Mode::YoloUnsafe => "yolo-unsafe: host folders are WRITABLE from this VM",
    };
    Ok(LimaConfig {
        minimum_lima_version: "1.0.0".into(),
        vm_type: vm_type.into(),
        images: images(host),
        cpus: profile.resources.cpus,
        memory: profile.resources.memory.to_string(),
        disk: profile.resources.disk.to_string(),
        mounts,
        mount_type: mount_type.into(),
        ssh: Ssh { local_port: 0, load_dot_ssh_pub_keys: false, forward_agent: false, forward_x11: false },
        containerd: Containerd { system: false, user: false },
        port_forwards,
        ca_certs,
        provision: vec![boot_provision(profile)],
        message: format!("Managed by OpenClaw Sandbox ({mode_note}). Use `sandbox ssh` and `sandbox status`."),
    })
}

/// The profile's CA list as Lima's `caCerts`: files by path, `"system"` as the PEM texts of the
/// host's extra CAs (an error when there are none: the user asked for them).
fn ca_certs(entries: &[CaCert], host_cas: impl FnOnce() -> Result<Vec<Pem>, HostCaError>) -> Result<Option<CaCerts>, LimaError> {
    if entries.is_empty() {
        return Ok(None);
    }
    let mut files = Vec::new();
    let mut certs = Vec::new();
    let mut host_cas = Some(host_cas);
    for entry in entries {
        match entry {
            CaCert::File(p) => files.push(p.to_string_lossy().into_owned()),
            CaCert::System => {
                let Some(read) = host_cas.take() else { continue };
                let found = read()?;
                if found.is_empty() {
                    return Err(LimaError::NoHostCas { looked: crate::host_ca::where_looked() });
                }
                certs.extend(found.iter().map(|p| p.as_str().to_string()));
            }
        }
    }
    Ok(Some(CaCerts { files, certs }))
}

/// The config as YAML, with a header saying where it came from.
pub fn to_yaml(config: &LimaConfig, source: Option<&std::path::Path>) -> String {
    let body = serde_yaml::to_string(config).expect("LimaConfig always serializes");
    let from = source.map(|p| format!(" from {}", p.display())).unwrap_or_default();
    format!("# Generated by OpenClaw Sandbox{from}. Do not edit: change the profile instead.\n{body}")
}
