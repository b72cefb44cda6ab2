//! Lima: rendering lima.yaml from a profile, driving `limactl`, and parsing what it prints.

mod driver;
mod error;
mod group;
mod list;
mod pid_exit;
mod progress;
mod reconfig;
mod render;
mod vm;
mod watch;

pub(crate) use driver::require_running;
pub use driver::{ChildStdoutStream, Limactl, Version, MINIMUM_VERSION, PROGRESS_VERSION};
pub use error::LimaError;
pub use list::{parse_list, vm_state, Instance, InstanceStatus};
pub use progress::{parse_line, ProgressTracker, RequirementKind, StartStep};
pub use reconfig::{compare as compare_config, ConfigChange, Reconfig};
pub use render::{render, render_with, to_yaml, HostOs, LimaConfig};
pub use vm::LimaVm;
pub use watch::{hinted_state, parse_watch_line, FollowTiming, WatchEvent};

#[cfg(test)]
mod tests;
