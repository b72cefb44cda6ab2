//! Secrets (issue #4): OS keychain store, injection into the VM as 0600 tmpfs files,
//! redaction. OWNED BY THE SECRETS WORK; placeholder until it lands.
