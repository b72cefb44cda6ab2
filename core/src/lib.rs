//! `sandbox-core`: all of OpenClaw Sandbox's domain logic. No UI, no Tauri, no clap.
//!
//! Front ends (the `sandbox` CLI, the MCP server, the menu-bar app) turn their input into the
//! validated types here, call the facade, and render [`events::Event`]s.

pub mod agent;
pub mod agent_runtime;
pub mod audit;
pub mod cli_link;
pub mod doctor;
pub mod encoding;
pub mod events;
pub mod field_issue;
pub mod firewall;
pub mod fs_watch;
pub mod host;
pub mod host_ca;
pub mod http_error;
pub mod lima;
pub mod mcp_clients;
pub mod paths;
pub mod profile;
pub mod provision;
pub mod redact;
pub mod release_check;
pub mod sandbox;
pub mod scan;
pub mod secrets;
pub mod sync;
pub mod vault;
pub mod vm;
