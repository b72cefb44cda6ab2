//! Waiting for a process that is not our child to exit, as an event (no polling): the host
//! agent and the VM driver that `limactl start` left running. One small file per platform,
//! the same function in each.

#[cfg(target_os = "linux")]
#[path = "pid_exit_linux.rs"]
mod platform;
#[cfg(target_os = "macos")]
#[path = "pid_exit_macos.rs"]
mod platform;

/// Resolves when process `pid` has exited (at once if there is no such process). An error
/// means this process cannot be awaited here (then nothing is known about it).
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub async fn exited(pid: i32) -> std::io::Result<()> {
    platform::exited(pid).await
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub async fn exited(_pid: i32) -> std::io::Result<()> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "waiting for another process is not supported on this OS"))
}

#[cfg(all(test, any(target_os = "linux", target_os = "macos")))]
mod tests {
    use std::time::Duration;

    #[tokio::test]
    async fn resolves_when_an_unrelated_process_exits() {
        // A grandchild (not our child: its parent is a shell that has already exited).
        let out = std::process::Command::new("sh").args(["-c", "sleep 2 </dev/null >/dev/null 2>&1 & echo $!"]).output().unwrap();
        let pid: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let t = std::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(10), super::exited(pid)).await.expect("the exit was noticed").unwrap();
        assert!(t.elapsed() >= Duration::from_millis(1000), "resolved before the process ended ({:?})", t.elapsed());
        // a pid with no process resolves at once
        tokio::time::timeout(Duration::from_secs(1), super::exited(pid)).await.expect("no process: at once").unwrap();
    }
}
