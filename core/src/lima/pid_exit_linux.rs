//! Linux: a pidfd becomes readable when its process exits (pidfd_open(2), Linux ≥ 5.3).

use rustix::process::{pidfd_open, Pid, PidfdFlags};
use tokio::io::unix::AsyncFd;

pub async fn exited(pid: i32) -> std::io::Result<()> {
    let Some(pid) = Pid::from_raw(pid) else { return Ok(()) };
    let fd = match pidfd_open(pid, PidfdFlags::NONBLOCK) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::SRCH) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    // SAFETY: the AsyncFd owns the descriptor; it stays open and the same until dropped.
    let fd = unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }?;
    let _ready = fd.readable().await?;
    Ok(())
}
