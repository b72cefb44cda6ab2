//! The validation vocabulary every profile section speaks. A leaf, so the modules that own a
//! section (`firewall`'s `[network]`, `sync`'s `[sync]`) need not import `profile`, which
//! imports them.

/// One problem with one profile field, before line numbers are attached.
/// Domain modules that own a profile section (`[network]`, `[sync]`) report these with
/// `field` relative to the profile root, e.g. `network.allowed_domains[2]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// Dotted path of the field, e.g. `network.allowed_domains[2]`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}
