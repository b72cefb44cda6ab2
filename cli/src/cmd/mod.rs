//! One module per verb (or verb group). Each turns its arguments into core types, calls core,
//! and renders the result; decisions live in core.

pub mod doctor;
pub mod firewall;
pub mod init;
pub mod lifecycle;
pub mod mcp_connect;
pub mod pairing;
pub mod scan;
pub mod secrets;
pub mod sync;
