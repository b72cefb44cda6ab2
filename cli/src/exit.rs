//! The CLI's exit codes, shared by every verb (documented in the README).

/// Success.
pub const OK: u8 = 0;
/// Something failed; the message says what and what to do.
pub const ERROR: u8 = 1;
/// The command line was wrong (clap uses 2 as well).
pub const USAGE: u8 = 2;
/// A policy blocked the operation (sync gate findings, secret scanner hits).
pub const BLOCKED: u8 = 3;
/// A conflict: the host changed since the review, the profile already exists, …
pub const CONFLICT: u8 = 4;
