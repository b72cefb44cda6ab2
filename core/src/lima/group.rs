//! limactl in a process group of its own, so that stopping it stops what it started.
//!
//! `limactl shell` runs the system `ssh` as a child and forwards no signals to it
//! (lima:cmd/limactl/shell.go runs `sshCmd.Run()`; lima:cmd/limactl/main.go installs no signal
//! handler), so killing only limactl on a timeout or a dropped stream leaves ssh, and the
//! remote command behind it, running. Every limactl the driver starts leads its own process
//! group; a timeout or a drop sends SIGTERM to the whole group, then SIGKILL after [`GRACE`].

use std::time::Duration;
use tokio::process::{Child, Command};

/// How long the group gets to exit after SIGTERM before SIGKILL.
pub(crate) const GRACE: Duration = Duration::from_secs(2);

/// A spawned limactl leading its own process group. Dropping it while the process may still
/// run (a timeout, a dropped stream) kills the group.
pub(crate) struct GroupChild {
    child: Child,
    pgid: Option<i32>,
    armed: bool,
}

#[cfg(unix)]
fn signal_group(pgid: i32, sig: rustix::process::Signal) -> bool {
    match rustix::process::Pid::from_raw(pgid) {
        Some(pid) => rustix::process::kill_process_group(pid, sig).is_ok(),
        None => false,
    }
}

#[cfg(unix)]
fn group_exists(pgid: i32) -> bool {
    rustix::process::Pid::from_raw(pgid).is_some_and(|pid| rustix::process::test_kill_process_group(pid).is_ok())
}

impl GroupChild {
    /// Spawn `cmd` as the leader of a new process group.
    pub(crate) fn spawn(cmd: &mut Command) -> std::io::Result<Self> {
        #[cfg(unix)]
        cmd.process_group(0);
        cmd.kill_on_drop(true);
        let child = cmd.spawn()?;
        let pgid = child.id().and_then(|p| i32::try_from(p).ok());
        Ok(GroupChild { child, pgid, armed: true })
    }

    pub(crate) fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Wait for limactl to exit by itself; the group is then left alone.
    pub(crate) async fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        let status = self.child.wait().await?;
        self.armed = false;
        Ok(status)
    }

    /// Stop the whole group: SIGTERM, up to [`GRACE`] for every member to exit, then SIGKILL.
    pub(crate) async fn kill_group(&mut self) {
        #[cfg(unix)]
        if let Some(pgid) = self.pgid {
            use rustix::process::Signal;
            signal_group(pgid, Signal::TERM);
            let deadline = tokio::time::Instant::now() + GRACE;
            // Reap the leader first: a zombie still counts as a member of its group.
            let _ = tokio::time::timeout_at(deadline, self.child.wait()).await;
            while group_exists(pgid) && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            signal_group(pgid, Signal::KILL);
        }
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
        self.armed = false;
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        #[cfg(unix)]
        if let Some(pgid) = self.pgid {
            use rustix::process::Signal;
            signal_group(pgid, Signal::TERM);
            // No waiting in a destructor: a thread sends the SIGKILL after the grace period,
            // to whatever is left of the group (a process group id is not reused while the
            // group has members). tokio's kill_on_drop reaps the leader.
            std::thread::spawn(move || {
                std::thread::sleep(GRACE);
                if group_exists(pgid) {
                    signal_group(pgid, Signal::KILL);
                }
            });
        }
    }
}
