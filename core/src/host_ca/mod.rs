//! The CAs this host trusts beyond the public bundle (a corporate TLS-intercepting proxy's CA,
//! installed by IT), for `provisioning.ca_certs = ["system"]`: the VM gets them without the
//! user exporting PEM files. One small file per platform, the same function in each:
//! Linux reads the distribution's local CA folder, macOS the admin and user trust settings.

#[cfg(target_os = "linux")]
#[path = "host_ca_linux.rs"]
mod platform;
#[cfg(target_os = "macos")]
#[path = "host_ca_macos.rs"]
mod platform;

#[cfg(target_os = "linux")]
pub use platform::local_cas_in;

use std::path::PathBuf;

/// One certificate as PEM text (`-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----\n`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pem(String);

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

impl Pem {
    /// The PEM form of a DER-encoded certificate (base64, 64 columns).
    pub fn from_der(der: &[u8]) -> Pem {
        let b64 = crate::encoding::base64_encode(der);
        let mut text = String::with_capacity(b64.len() + b64.len() / 64 + BEGIN.len() + END.len() + 4);
        text.push_str(BEGIN);
        text.push('\n');
        for line in b64.as_bytes().chunks(64) {
            text.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            text.push('\n');
        }
        text.push_str(END);
        text.push('\n');
        Pem(text)
    }

    /// Every `CERTIFICATE` block in `text` (other blocks and text around them are left out).
    pub fn all_in(text: &str) -> Vec<Pem> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find(BEGIN) {
            let Some(len) = rest[start..].find(END) else { break };
            let block = &rest[start..start + len + END.len()];
            out.push(Pem(format!("{}\n", block.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n"))));
            rest = &rest[start + len + END.len()..];
        }
        out
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reading the host's CAs failed.
#[derive(Debug, thiserror::Error)]
pub enum HostCaError {
    #[error(
        "cannot read the host's CA certificate {path}: {source}. Make it readable, or replace \"system\" in provisioning.ca_certs with the PEM files to use"
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot read the CAs trusted in the macOS keychains ({detail}). Replace \"system\" in provisioning.ca_certs with the PEM files to use (export them with Keychain Access)")]
    Keychain { detail: String },

    #[error("reading the CAs this host trusts is not supported on this OS; replace \"system\" in provisioning.ca_certs with the PEM files to use")]
    Unsupported,
}

/// The CA certificates this host trusts beyond the public bundle, de-duplicated, in a stable
/// order; empty when there are none. Linux: the local CA folders (see [`local_cas_in`]);
/// macOS: certificates with admin or user trust settings that are trusted for TLS.
pub fn host_extra_cas() -> Result<Vec<Pem>, HostCaError> {
    let found = platform_cas()?;
    let mut out: Vec<Pem> = Vec::with_capacity(found.len());
    for pem in found {
        if !out.contains(&pem) {
            out.push(pem);
        }
    }
    Ok(out)
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
fn platform_cas() -> Result<Vec<Pem>, HostCaError> {
    platform::host_extra_cas()
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn platform_cas() -> Result<Vec<Pem>, HostCaError> {
    Err(HostCaError::Unsupported)
}

/// Where [`host_extra_cas`] looks, for messages ("… looked in …").
pub fn where_looked() -> &'static str {
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    return platform::WHERE;
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    return "nowhere (not supported on this OS)";
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn base64_matches_the_reference_encoder() {
        for len in 0..70u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37).wrapping_add(len)).collect();
            assert_eq!(crate::encoding::base64_encode(&bytes), base64::engine::general_purpose::STANDARD.encode(&bytes), "len {len}");
        }
    }

    #[test]
    fn der_becomes_pem_that_reads_back() {
        let der: Vec<u8> = (0..200u8).collect();
        let pem = Pem::from_der(&der);
        assert!(pem.as_str().starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.as_str().ends_with("-----END CERTIFICATE-----\n"));
        assert!(pem.as_str().lines().all(|l| l.len() <= 64));
        let body: String = pem.as_str().lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(body).unwrap(), der);
        assert_eq!(Pem::all_in(pem.as_str()), vec![pem]);
    }

    #[test]
    fn all_blocks_of_a_bundle_are_found_and_other_text_is_left_out() {
        let text = "subject=CN=Corp\n-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\n\
                    -----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n\
                    -----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----";
        let pems = Pem::all_in(text);
        assert_eq!(pems.len(), 2);
        assert_eq!(pems[0].as_str(), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assert!(pems[1].as_str().contains("CCCC"));
        assert!(Pem::all_in("-----BEGIN CERTIFICATE-----\nno end").is_empty());
    }
}
