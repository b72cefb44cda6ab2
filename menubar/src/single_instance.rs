//! One menu-bar process per user (per `SANDBOX_HOME`). The first takes an exclusive `flock` on
//! `menubar.lock` in the app's data folder and listens on `menubar.sock` beside it; a later
//! launch finds the lock taken, sends its arguments there (one JSON line) and exits 0, and the
//! running one opens what was asked for. The same code on macOS and Linux (so the tested path
//! is the shipped one); the folder is the user's own (0700), so no other user can ask.
//! The lock ends with the process, however it ends: a crash leaves no stale "running" state.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

const LOCK: &str = "menubar.lock";
const SOCKET: &str = "menubar.sock";
/// The longest socket path every supported OS takes (`sun_path` is 104 bytes on macOS, 108 on
/// Linux, with a terminating NUL).
const MAX_SOCKET_PATH: usize = 103;
/// A request longer than this is not a launch's arguments.
const MAX_REQUEST: u64 = 64 * 1024;

pub enum Instance {
    /// This is the only menu-bar process: serve later launches with [`Handover::serve`].
    First(Handover),
    /// Another one runs and took this launch's request.
    Second,
}

pub struct Handover {
    listener: UnixListener,
    _lock: File,
}

/// Become the menu-bar process, or hand `args` to the one that is.
pub fn acquire(dir: &Path, args: &[String]) -> Result<Instance, String> {
    crate::platform::create_private_dir(dir).map_err(|e| format!("cannot create the app's data folder {}: {e}", dir.display()))?;
    let lock_path = dir.join(LOCK);
    let lock = OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
    let socket = dir.join(SOCKET);
    // SAFETY: flock on a file descriptor this function owns.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(format!(
                "the app's data folder {} is too deep for its single-instance socket ({} bytes; a socket path has at most {MAX_SOCKET_PATH}); set SANDBOX_HOME to a shorter folder",
                dir.display(),
                socket.as_os_str().len()
            ));
        }
        // Whatever is left at the path is an earlier process's (the lock says none runs).
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket).map_err(|e| format!("cannot listen on {}: {e}", socket.display()))?;
        return Ok(Instance::First(Handover { listener, _lock: lock }));
    }
    hand_over(&socket, args, &lock_path)?;
    Ok(Instance::Second)
}

/// Send `args` to the running process; it may still be starting, so try for a few seconds.
fn hand_over(socket: &PathBuf, args: &[String], lock_path: &Path) -> Result<(), String> {
    let line = serde_json::to_string(args).map_err(|e| e.to_string())? + "\n";
    let mut last = String::new();
    for _ in 0..50 {
        match UnixStream::connect(socket) {
            Ok(mut s) => {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                s.write_all(line.as_bytes()).map_err(|e| format!("cannot reach the running OpenClaw Sandbox: {e}"))?;
                let mut ack = String::new();
                let _ = BufReader::new(s).read_line(&mut ack);
                return Ok(());
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "another OpenClaw Sandbox is running (it holds {}) but does not answer on {} ({last}); quit it from its menu, or end its process, and start the app again",
        lock_path.display(),
        socket.display()
    ))
}

impl Handover {
    /// Call `on_args` with each later launch's arguments, on a thread of its own.
    pub fn serve(self, on_args: impl Fn(Vec<String>) + Send + 'static) {
        std::thread::Builder::new()
            .name("single-instance".into())
            .spawn(move || {
                let _lock = self._lock;
                for conn in self.listener.incoming() {
                    let Ok(mut conn) = conn else { continue };
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut line = String::new();
                    let read = BufReader::new((&conn).take(MAX_REQUEST)).read_line(&mut line);
                    match read.ok().and_then(|_| serde_json::from_str::<Vec<String>>(&line).ok()) {
                        Some(args) => {
                            let _ = conn.write_all(b"ok\n");
                            on_args(args);
                        }
                        None => tracing::warn!("ignored a malformed request on the single-instance socket"),
                    }
                }
            })
            .expect("spawning a thread");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_second_launch_hands_its_arguments_to_the_first_and_the_lock_ends_with_it() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("data");
        let Instance::First(first) = acquire(&dir, &["app".into()]).unwrap() else { panic!("the first launch is first") };
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        let (tx, rx) = mpsc::channel();
        first.serve(move |args| tx.send(args).unwrap());
        let second = acquire(&dir, &["app".into(), "--show".into(), "review".into()]).unwrap();
        assert!(matches!(second, Instance::Second));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), vec!["app", "--show", "review"]);
    }

    #[test]
    fn a_stale_socket_from_a_crashed_process_does_not_block_a_new_first() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path()).unwrap();
        std::fs::write(t.path().join(SOCKET), "").unwrap();
        assert!(matches!(acquire(t.path(), &[]).unwrap(), Instance::First(_)));
    }

    #[test]
    fn a_data_folder_too_deep_for_a_socket_is_a_sentence() {
        let t = tempfile::tempdir().unwrap();
        let deep = t.path().join("d".repeat(120));
        let Err(e) = acquire(&deep, &[]) else { panic!("a too-deep folder was accepted") };
        assert!(e.contains("too deep") && e.contains("SANDBOX_HOME"), "{e}");
    }

    use std::os::unix::fs::PermissionsExt;
}
