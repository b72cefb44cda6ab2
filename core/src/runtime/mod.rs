//! The agent runtime in the VM: the OpenClaw gateway (Node.js + `openclaw` from the npm
//! registry, a hardened systemd unit running as the agent user), the rootless tool sandbox,
//! `openclaw.json` merged from the profile, and the optional components.
//!
//! [`config`] owns the profile's `[agent]` table.

pub mod config;

pub use config::AgentConfig;
