//! macOS: the certificates with admin (system-wide, set by IT or an MDM profile) or user trust
//! settings — what Keychain Access shows as "Always Trust" beyond Apple's roots — that are
//! trusted for TLS. The System domain (Apple's public roots) is left out: the VM has its own.

use super::{HostCaError, Pem};
use security_framework::trust_settings::{Domain, TrustSettings, TrustSettingsForCertificate};

pub(super) const WHERE: &str = "the admin and user trust settings of your keychains (Keychain Access: certificates set to \"Always Trust\")";

pub(super) fn host_extra_cas() -> Result<Vec<Pem>, HostCaError> {
    let mut out = Vec::new();
    for domain in [Domain::Admin, Domain::User] {
        let settings = TrustSettings::new(domain);
        let certs = settings.iter().map_err(|e| HostCaError::Keychain { detail: format!("{domain:?} trust settings: {e}") })?;
        for cert in certs {
            // No TLS-specific setting means "trusted" (an empty settings array is "always
            // trust"); a certificate whose settings cannot be read is left out.
            let trusted = match settings.tls_trust_settings_for_certificate(&cert) {
                Ok(Some(TrustSettingsForCertificate::TrustRoot | TrustSettingsForCertificate::TrustAsRoot)) | Ok(None) => true,
                Ok(Some(_)) | Err(_) => false,
            };
            if trusted {
                out.push(Pem::from_der(&cert.to_der()));
            }
        }
    }
    Ok(out)
}
