//! Which host this is: it decides Lima's VM driver and mount type, and the DNS upstream the
//! VM's network has. A leaf (imports nothing from core).

/// The host OS decides the VM driver and mount type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostOs {
    MacOs,
    Linux,
}

impl HostOs {
    pub fn current() -> Self {
        if cfg!(target_os = "macos") {
            HostOs::MacOs
        } else {
            HostOs::Linux
        }
    }
}
