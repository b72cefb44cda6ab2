//! `limactl list --json`: JSON Lines, one object per instance (pretty-printed objects are
//! accepted too). Every status Lima can report is tolerated, including the empty one.

use super::LimaError;
use serde::{Deserialize, Serialize};

/// Lima's instance status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    Running,
    Stopped,
    Broken,
    Installing,
    Uninitialized,
    /// `""` (lima.yaml failed to load or validate) or a status newer than we know.
    Unknown(String),
}

impl InstanceStatus {
    fn from_lima(s: &str) -> Self {
        match s {
            "Running" => Self::Running,
            "Stopped" => Self::Stopped,
            "Broken" => Self::Broken,
            "Installing" => Self::Installing,
            "Uninitialized" => Self::Uninitialized,
            other => Self::Unknown(other.to_string()),
        }
    }
    pub fn label(&self) -> String {
        match self {
            Self::Unknown(s) if s.is_empty() => "in an unknown state".into(),
            Self::Unknown(s) => s.clone(),
            other => format!("{other:?}"),
        }
    }
}

/// What we use of one instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    pub name: String,
    pub status: InstanceStatus,
    pub dir: Option<String>,
    pub vm_type: Option<String>,
    pub arch: Option<String>,
    pub cpus: Option<u32>,
    pub memory: Option<u64>,
    pub disk: Option<u64>,
    pub ssh_local_port: Option<u16>,
    pub host_agent_pid: Option<u32>,
    pub driver_pid: Option<u32>,
    /// `errors` elements as Lima encodes them (often `{}` structs, not strings).
    pub errors: Vec<serde_json::Value>,
    pub lima_version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawInstance {
    name: String,
    #[serde(default)]
    status: String,
    dir: Option<String>,
    vm_type: Option<String>,
    arch: Option<String>,
    cpus: Option<u32>,
    memory: Option<u64>,
    disk: Option<u64>,
    ssh_local_port: Option<u16>,
    #[serde(rename = "hostAgentPID")]
    host_agent_pid: Option<u32>,
    #[serde(rename = "driverPID")]
    driver_pid: Option<u32>,
    #[serde(default)]
    errors: Option<Vec<serde_json::Value>>,
    lima_version: Option<String>,
}

/// Parse the whole stdout of `limactl list --json`.
pub fn parse_list(stdout: &str) -> Result<Vec<Instance>, LimaError> {
    let mut out = Vec::new();
    for (i, item) in serde_json::Deserializer::from_str(stdout).into_iter::<serde_json::Value>().enumerate() {
        let value = item.map_err(|e| LimaError::BadList { detail: format!("object {}: {e}", i + 1) })?;
        let raw: RawInstance = serde_json::from_value(value).map_err(|e| LimaError::BadList { detail: format!("object {}: {e}", i + 1) })?;
        out.push(Instance {
            name: raw.name,
            status: InstanceStatus::from_lima(&raw.status),
            dir: raw.dir,
            vm_type: raw.vm_type,
            arch: raw.arch,
            cpus: raw.cpus,
            memory: raw.memory,
            disk: raw.disk,
            ssh_local_port: raw.ssh_local_port,
            host_agent_pid: raw.host_agent_pid,
            driver_pid: raw.driver_pid,
            errors: raw.errors.unwrap_or_default(),
            lima_version: raw.lima_version,
        });
    }
    Ok(out)
}

/// Lima's status as the front ends' [`VmState`](crate::events::VmState).
pub fn vm_state(instance: Option<&Instance>) -> crate::events::VmState {
    use crate::events::VmState;
    match instance.map(|i| &i.status) {
        None => VmState::Absent,
        Some(InstanceStatus::Running) => VmState::Running,
        Some(InstanceStatus::Stopped) => VmState::Stopped,
        Some(InstanceStatus::Broken) => VmState::Broken,
        Some(InstanceStatus::Installing) | Some(InstanceStatus::Uninitialized) => VmState::Starting,
        Some(InstanceStatus::Unknown(_)) => VmState::Unknown,
    }
}
