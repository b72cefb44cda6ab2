//! The alert follower: log lines in (any `AsyncBufRead`), throttled `FirewallBlocked` events out.
//!
//! The VM side is a stream of lines — `journalctl --follow --output=json …` run through the
//! VM's streaming exec — so this module does not know about Lima; `follow_reconnecting` re-opens
//! the stream (e.g. after the VM restarts) with bounded back-off, resuming after the last
//! journal cursor it saw so no denial logged in between is lost.

use super::logparse::parse_line;
use super::throttle::{ThrottleConfig, Throttler};
use crate::events::{Event, EventBus};
use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Journal matches for the denial logs: kernel messages OR the resolver's (`+` is journalctl's OR;
/// `-k -t dnsmasq` would AND them and match nothing).
const JOURNAL_MATCHES: [&str; 3] = ["_TRANSPORT=kernel", "+", "SYSLOG_IDENTIFIER=dnsmasq"];

/// The command that streams the VM's denial logs as journal JSON: after `cursor` when given
/// (resuming), else from now on.
pub fn journal_follow_argv(after_cursor: Option<&str>) -> Vec<String> {
    let start = match after_cursor {
        Some(c) => format!("--after-cursor={c}"),
        None => "--lines=0".to_string(),
    };
    // sudo: the system journal (kernel and resolver lines) is not readable by Lima's user.
    ["sudo", "-n", "journalctl", "--follow", "--output=json", "--no-pager"]
        .iter()
        .map(|s| s.to_string())
        .chain(std::iter::once(start))
        .chain(JOURNAL_MATCHES.iter().map(|s| s.to_string()))
        .collect()
}

/// The `__CURSOR` of a journal JSON line (cursors hold no quotes or escapes).
fn journal_cursor(line: &str) -> Option<&str> {
    let at = line.find("\"__CURSOR\":\"")? + "\"__CURSOR\":\"".len();
    let rest = &line[at..];
    let end = rest.find('"')?;
    Some(&rest[..end]).filter(|c| !c.is_empty() && !c.contains('\\'))
}

/// The command that prints the VM's denial logs since `since` (journalctl syntax: `-1h`,
/// `2026-11-27 10:00`, `today`) as journal JSON, then exits.
pub fn journal_recent_argv(since: &str) -> Vec<String> {
    ["sudo", "-n", "journalctl", "--output=json", "--no-pager"]
        .iter()
        .map(|s| s.to_string())
        .chain(std::iter::once(format!("--since={since}")))
        .chain(JOURNAL_MATCHES.iter().map(|s| s.to_string()))
        .collect()
}

/// Denials the VM logged since `since`, de-duplicated into alerts with counts (the
/// non-following `sandbox firewall log`).
pub async fn recent(vm: &dyn crate::vm::Vm, since: &str) -> Result<Vec<crate::events::BlockedConnection>, crate::vm::VmError> {
    let out = vm.exec(&journal_recent_argv(since), None).await?;
    let mut t = Throttler::new(ThrottleConfig { max_keys: usize::MAX, ..Default::default() });
    let now = std::time::Instant::now();
    for line in out.stdout.split(|b| *b == b'\n') {
        if let Some(d) = parse_line(&String::from_utf8_lossy(line)) {
            t.observe(d, now);
        }
    }
    Ok(t.drain())
}

/// What one follow session saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FollowStats {
    pub lines: u64,
    pub denials: u64,
    pub alerts: u64,
    /// The last journal cursor seen (to resume after).
    pub cursor: Option<String>,
}

/// Read lines until end of input, publishing throttled alerts on `bus`. Pending counts are
/// flushed at the end, so no denial is lost when the stream closes.
pub async fn follow<R: AsyncBufRead + Unpin>(reader: R, bus: &EventBus, config: ThrottleConfig) -> std::io::Result<FollowStats> {
    let mut throttler = Throttler::new(config);
    let mut stats = FollowStats::default();
    let mut lines = reader.lines();
    let publish = |alerts: Vec<crate::events::BlockedConnection>, stats: &mut FollowStats| {
        for a in alerts {
            stats.alerts += 1;
            bus.publish(Event::FirewallBlocked(a));
        }
    };
    loop {
        let next_due = throttler.next_due();
        let sleep = async {
            match next_due {
                Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => {
                    stats.lines += 1;
                    if let Some(c) = journal_cursor(&line) {
                        stats.cursor = Some(c.to_string());
                    }
                    if let Some(d) = parse_line(&line) {
                        stats.denials += 1;
                        if let Some(a) = throttler.observe(d, std::time::Instant::now()) {
                            publish(vec![a], &mut stats);
                        }
                    }
                }
                Ok(None) => break,
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => { stats.lines += 1; } // not UTF-8: skip the line
                Err(e) => {
                    publish(throttler.drain(), &mut stats);
                    return Err(e);
                }
            },
            _ = sleep => publish(throttler.due(std::time::Instant::now()), &mut stats),
        }
    }
    publish(throttler.drain(), &mut stats);
    Ok(stats)
}

/// Follow streams from `open` until `stop` resolves: when a stream ends or fails to open
/// (VM restarting), wait (1 s doubling up to `max_backoff`) and open a new one, passing the
/// last journal cursor seen (`journal_follow_argv(cursor)`). A session that yields nothing
/// after resuming drops the cursor (a volatile journal forgets it across reboots).
pub async fn follow_reconnecting<R, F, Fut, S>(mut open: F, bus: &EventBus, config: ThrottleConfig, max_backoff: Duration, stop: S) -> FollowStats
where
    R: AsyncBufRead + Unpin,
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = std::io::Result<R>>,
    S: Future<Output = ()>,
{
    tokio::pin!(stop);
    let mut total = FollowStats::default();
    let mut backoff = Duration::from_secs(1);
    let mut cursor: Option<String> = None;
    loop {
        let resume = cursor.clone();
        // Some(stats): the stream opened (and ended); None: it could not be opened.
        let session = async {
            match open(resume).await {
                Ok(r) => Some(follow(r, bus, config).await.unwrap_or_default()),
                Err(_) => None,
            }
        };
        tokio::select! {
            _ = &mut stop => return total,
            s = session => {
                match s {
                    Some(s) if s.lines > 0 => {
                        backoff = Duration::from_secs(1);
                        total.lines += s.lines;
                        total.denials += s.denials;
                        total.alerts += s.alerts;
                        if s.cursor.is_some() {
                            cursor = s.cursor.clone();
                            total.cursor = s.cursor;
                        }
                    }
                    Some(_) => {
                        // opened but empty: journalctl rejected the cursor (or nothing to say)
                        cursor = None;
                        backoff = (backoff * 2).min(max_backoff.max(Duration::from_millis(1)));
                    }
                    None => backoff = (backoff * 2).min(max_backoff.max(Duration::from_millis(1))),
                }
            }
        }
        tokio::select! {
            _ = &mut stop => return total,
            _ = tokio::time::sleep(backoff.min(max_backoff)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Direction;
    use std::sync::Mutex;

    fn collect(rx: &mut tokio::sync::broadcast::Receiver<Event>) -> Vec<crate::events::BlockedConnection> {
        let mut v = Vec::new();
        while let Ok(Event::FirewallBlocked(b)) = rx.try_recv() {
            v.push(b);
        }
        v
    }

    #[tokio::test]
    async fn a_journal_stream_becomes_throttled_events() {
        let mut text = String::new();
        for _ in 0..50 {
            text.push_str(&serde_json::json!({"MESSAGE": "OPENCLAW-DROP-OUT IN= OUT=eth0 SRC=10.0.0.1 DST=203.0.113.7 PROTO=TCP SPT=1 DPT=443"}).to_string());
            text.push('\n');
        }
        text.push_str("{\"MESSAGE\":\"unrelated\"}\nnot json\n");
        text.push_str(&serde_json::json!({"SYSLOG_IDENTIFIER": "dnsmasq", "MESSAGE": "7 127.0.0.1/4000 config evil.example.test is NXDOMAIN"}).to_string());
        text.push('\n');
        let bus = EventBus::default();
        let mut rx = bus.subscribe();
        let stats = follow(tokio::io::BufReader::new(text.as_bytes()), &bus, ThrottleConfig::default()).await.unwrap();
        assert_eq!(stats, FollowStats { lines: 53, denials: 51, alerts: 2, cursor: None });
        let alerts = collect(&mut rx);
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].count, 50);
        assert_eq!(alerts[1].direction, Direction::Dns);
        assert_eq!(alerts[1].domain.as_deref(), Some("evil.example.test"));
    }

    struct JournalVm(Vec<String>);

    #[async_trait::async_trait]
    impl crate::vm::Vm for JournalVm {
        fn name(&self) -> &str {
            "j"
        }
        async fn exec(&self, argv: &[String], _: Option<Vec<u8>>) -> Result<crate::vm::ExecOutput, crate::vm::VmError> {
            assert_eq!(argv, journal_recent_argv("-1h").as_slice());
            Ok(crate::vm::ExecOutput { status: 0, stdout: self.0.join("\n").into_bytes(), stderr: vec![] })
        }
        async fn copy_in(&self, _: &std::path::Path, _: &str) -> Result<(), crate::vm::VmError> {
            Ok(())
        }
        async fn copy_out(&self, _: &str, _: &std::path::Path) -> Result<(), crate::vm::VmError> {
            Ok(())
        }
    }

    #[test]
    fn journal_commands_or_the_two_sources() {
        let f = journal_follow_argv(None);
        assert_eq!(&f[f.len() - 3..], ["_TRANSPORT=kernel", "+", "SYSLOG_IDENTIFIER=dnsmasq"]);
        assert!(f.contains(&"--follow".to_string()) && f.contains(&"--output=json".to_string()) && f.contains(&"--lines=0".to_string()));
        let r = journal_follow_argv(Some("s=abc;i=5"));
        assert!(r.contains(&"--after-cursor=s=abc;i=5".to_string()) && !r.contains(&"--lines=0".to_string()));
        assert_eq!(journal_cursor(r#"{"__CURSOR":"s=abc;i=5","MESSAGE":"x"}"#), Some("s=abc;i=5"));
        assert_eq!(journal_cursor(r#"{"MESSAGE":"x"}"#), None);
        assert!(journal_recent_argv("-1h").contains(&"--since=-1h".to_string()));
    }

    #[tokio::test]
    async fn recent_denials_are_aggregated() {
        let line = serde_json::json!({"MESSAGE": "OPENCLAW-DROP-OUT IN= OUT=eth0 SRC=10.0.0.1 DST=203.0.113.7 PROTO=TCP SPT=1 DPT=443"}).to_string();
        let vm = JournalVm(vec![line.clone(), line, "{\"MESSAGE\":\"hello\"}".into()]);
        let alerts = recent(&vm, "-1h").await.unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].count, 2);
    }

    #[tokio::test]
    async fn reconnects_after_a_stream_ends_until_stopped() {
        let bus = EventBus::default();
        let mut rx = bus.subscribe();
        let opened = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let o = opened.clone();
        let resumed = std::sync::Arc::new(Mutex::new(Vec::new()));
        let r = resumed.clone();
        let open = move |cursor: Option<String>| {
            let n = o.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            r.lock().unwrap().push(cursor);
            async move {
                if n == 1 {
                    return Err(std::io::Error::other("vm restarting"));
                }
                if n == 2 {
                    return Ok(tokio::io::BufReader::new(std::io::Cursor::new(Vec::new())));
                    // cursor rejected
                }
                let msg = format!("OPENCLAW-DROP-IN IN=eth0 OUT= SRC=10.0.0.{n} DST=10.0.0.1 PROTO=TCP SPT=1 DPT=25");
                let line = format!("{}\n", serde_json::json!({"__CURSOR": format!("s=x;i={n}"), "MESSAGE": msg}));
                Ok(tokio::io::BufReader::new(std::io::Cursor::new(line.into_bytes())))
            }
        };
        let (tx, rx_stop) = tokio::sync::oneshot::channel::<()>();
        let o2 = opened.clone();
        let stopper = async move {
            // stop once the fourth stream has been opened (bounded wait)
            for _ in 0..500 {
                if o2.load(std::sync::atomic::Ordering::SeqCst) >= 4 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let _ = tx.send(());
        };
        let (total, _) = tokio::join!(
            follow_reconnecting(open, &bus, ThrottleConfig::default(), Duration::from_millis(20), async {
                let _ = rx_stop.await;
            }),
            stopper
        );
        assert!(opened.load(std::sync::atomic::Ordering::SeqCst) >= 4);
        let resumed = resumed.lock().unwrap();
        assert_eq!(resumed[0], None, "first session starts from now");
        assert_eq!(resumed[1].as_deref(), Some("s=x;i=0"), "resumes after the last cursor");
        assert_eq!(resumed[2].as_deref(), Some("s=x;i=0"), "an open failure keeps the cursor");
        assert_eq!(resumed[3], None, "an empty resumed session drops the cursor");
        assert!(total.alerts >= 2, "{total:?}");
        assert!(collect(&mut rx).iter().all(|a| a.direction == Direction::Inbound && a.dport == Some(25)));
    }
}
