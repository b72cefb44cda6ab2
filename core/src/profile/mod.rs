//! The user's profile: TOML on disk → validated `Profile`.

/// One problem with one profile field, before line numbers are attached.
/// Domain modules that own a profile section (`[network]`, `[sync]`) report these with
/// `field` relative to the profile root, e.g. `network.allowed_domains[2]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// Dotted path of the field, e.g. `network.allowed_domains[2]`.
    pub field: String,
    /// What is wrong and how to fix it, e.g. "`*.` must be followed by a domain; write `*.example.com`".
    pub message: String,
}
