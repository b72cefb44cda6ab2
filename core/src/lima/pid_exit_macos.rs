//! macOS: a kqueue with an EVFILT_PROC/NOTE_EXIT filter fires when the process exits.

use rustix::event::kqueue::{kevent_timespec, kqueue, Event, EventFilter, EventFlags, ProcessEvents};
use rustix::process::Pid;
use tokio::io::unix::AsyncFd;

/// A kqueue that fires once when `pid` exits; `None` when there is no such process.
fn watch_exit(pid: Pid) -> std::io::Result<Option<rustix::fd::OwnedFd>> {
    let kq = kqueue()?;
    let change = [Event::new(EventFilter::Proc { pid, flags: ProcessEvents::EXIT }, EventFlags::ADD | EventFlags::ONESHOT, std::ptr::null_mut())];
    let mut none: [Event; 0] = [];
    // SAFETY: the event refers to a process, not to a file descriptor, and carries no pointer.
    match unsafe { kevent_timespec(&kq, &change, &mut none[..], None) } {
        Ok(_) => Ok(Some(kq)),
        Err(rustix::io::Errno::SRCH) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub async fn exited(pid: i32) -> std::io::Result<()> {
    let Some(pid) = Pid::from_raw(pid) else { return Ok(()) };
    let Some(kq) = watch_exit(pid)? else { return Ok(()) };
    // SAFETY: the AsyncFd owns the descriptor; it stays open and the same until dropped.
    let kq = unsafe { AsyncFd::register_with_interest(kq, tokio::io::Interest::READABLE) }?;
    let _ready = kq.readable().await?;
    Ok(())
}
