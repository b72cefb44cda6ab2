//! De-duplication and throttling of denials into alerts.
//!
//! Denials with the same key (direction, proto, destination, port, domain) are counted: the
//! first one opens a window; when it closes, one alert carries the count. After an alert the
//! key cools down; denials during the cool-down are counted into the next alert, emitted
//! when the cool-down ends (none → the key is forgotten). So a burst of 1,000 drops to one
//! host is one alert with `count: 1000`, and a retry loop is one alert per cool-down.
//! Time is passed in, so this is pure and testable.

use super::logparse::ParsedDenial;
use crate::events::BlockedConnection;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Throttling knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// How long the first denial of a key waits for more before alerting.
    pub window: Duration,
    /// After an alert, how long further denials of that key are only counted.
    pub cooldown: Duration,
    /// Keys tracked at most; beyond it the oldest pending alert is emitted early.
    pub max_keys: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig { window: Duration::from_secs(3), cooldown: Duration::from_secs(60), max_keys: 4096 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    /// `Direction` is not `Hash`; its chain name (`source`) is finer and is.
    source: &'static str,
    proto: Option<String>,
    dst: Option<String>,
    dport: Option<u16>,
    domain: Option<String>,
}

#[derive(Debug)]
struct Entry {
    due: Instant,
    /// Order of first sight: breaks ties between equal `due`s so output order is stable.
    seq: u64,
    count: u64,
    sample: ParsedDenial,
}

/// Counts denials per key and releases alerts when their windows end.
#[derive(Debug)]
pub struct Throttler {
    config: ThrottleConfig,
    entries: HashMap<Key, Entry>,
    next_seq: u64,
}

impl Throttler {
    pub fn new(config: ThrottleConfig) -> Self {
        Throttler { config, entries: HashMap::new(), next_seq: 0 }
    }

    /// Record one denial seen at `now`. Returns an alert only if the key table was full and
    /// the oldest pending alert had to be released early.
    pub fn observe(&mut self, denial: ParsedDenial, now: Instant) -> Option<BlockedConnection> {
        let key = Key { source: denial.source, proto: denial.proto.clone(), dst: denial.dst.clone(), dport: denial.dport, domain: denial.domain.clone() };
        if let Some(e) = self.entries.get_mut(&key) {
            e.count = e.count.saturating_add(1);
            return None;
        }
        let mut early = None;
        if self.entries.len() >= self.config.max_keys.max(1) {
            early = self.evict_oldest();
        }
        self.next_seq += 1;
        self.entries.insert(key, Entry { due: now + self.config.window, seq: self.next_seq, count: 1, sample: denial });
        early
    }

    fn evict_oldest(&mut self) -> Option<BlockedConnection> {
        let oldest = self.entries.iter().min_by_key(|(_, e)| (e.due, e.seq)).map(|(k, _)| k.clone())?;
        let e = self.entries.remove(&oldest)?;
        (e.count > 0).then(|| e.sample.to_blocked(e.count))
    }

    /// Alerts whose window or cool-down ended by `now`, oldest first.
    pub fn due(&mut self, now: Instant) -> Vec<BlockedConnection> {
        let mut out: Vec<((Instant, u64), BlockedConnection)> = Vec::new();
        let cooldown = self.config.cooldown;
        self.entries.retain(|_, e| {
            if e.due > now {
                return true;
            }
            if e.count == 0 {
                return false; // quiet through the cool-down: forget
            }
            out.push(((e.due, e.seq), e.sample.to_blocked(e.count)));
            e.count = 0;
            e.due = now + cooldown;
            true
        });
        out.sort_by_key(|(order, _)| *order);
        out.into_iter().map(|(_, b)| b).collect()
    }

    /// When `due` next has something to release.
    pub fn next_due(&self) -> Option<Instant> {
        self.entries.values().map(|e| e.due).min()
    }

    /// Release every pending count now (at shutdown / end of input).
    pub fn drain(&mut self) -> Vec<BlockedConnection> {
        let mut all: Vec<Entry> = self.entries.drain().map(|(_, e)| e).filter(|e| e.count > 0).collect();
        all.sort_by_key(|e| (e.due, e.seq));
        all.into_iter().map(|e| e.sample.to_blocked(e.count)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::logparse::parse_line;

    fn out(dst: &str, port: u16) -> ParsedDenial {
        parse_line(&format!("OPENCLAW-DROP-OUT IN= OUT=eth0 SRC=10.0.0.1 DST={dst} PROTO=TCP SPT=40000 DPT={port}")).unwrap()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_burst_is_one_alert_with_its_count() {
        let mut t = Throttler::new(ThrottleConfig::default());
        let t0 = Instant::now();
        for i in 0..1000 {
            assert_eq!(t.observe(out("203.0.113.7", 443), t0 + Duration::from_millis(i)), None);
        }
        assert!(t.due(t0 + secs(1)).is_empty(), "window still open");
        let alerts = t.due(t0 + secs(3));
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].count, 1000);
        assert_eq!(alerts[0].dst.as_deref(), Some("203.0.113.7"));
        assert!(t.due(t0 + secs(4)).is_empty());
    }

    #[test]
    fn distinct_destinations_are_distinct_alerts() {
        let mut t = Throttler::new(ThrottleConfig::default());
        let t0 = Instant::now();
        t.observe(out("203.0.113.7", 443), t0);
        t.observe(out("203.0.113.8", 443), t0);
        t.observe(out("203.0.113.7", 80), t0);
        t.observe(parse_line("1 127.0.0.1/5 config a.example.test is NXDOMAIN").unwrap(), t0);
        t.observe(parse_line("1 127.0.0.1/5 config b.example.test is NXDOMAIN").unwrap(), t0);
        t.observe(parse_line("2 127.0.0.1/6 config b.example.test is NXDOMAIN").unwrap(), t0);
        let alerts = t.due(t0 + secs(3));
        assert_eq!(alerts.len(), 5);
        let order: Vec<_> = alerts.iter().map(|a| (a.dst.clone(), a.dport, a.domain.clone())).collect();
        assert_eq!(order[0], (Some("203.0.113.7".into()), Some(443), None), "first seen first");
        assert_eq!(order[4].2.as_deref(), Some("b.example.test"));
        let b = alerts.iter().find(|a| a.domain.as_deref() == Some("b.example.test")).unwrap();
        assert_eq!(b.count, 2);
    }

    #[test]
    fn repeats_during_cooldown_become_one_later_alert_then_the_key_is_forgotten() {
        let cfg = ThrottleConfig::default();
        let mut t = Throttler::new(cfg);
        let t0 = Instant::now();
        t.observe(out("203.0.113.7", 443), t0);
        assert_eq!(t.due(t0 + secs(3)).len(), 1);
        for i in 0..5 {
            t.observe(out("203.0.113.7", 443), t0 + secs(10 + i));
        }
        assert!(t.due(t0 + secs(30)).is_empty(), "cooling down");
        let later = t.due(t0 + secs(63));
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].count, 5);
        assert!(t.due(t0 + secs(124)).is_empty());
        assert_eq!(t.next_due(), None, "quiet key forgotten");
    }

    #[test]
    fn a_full_table_releases_the_oldest_early_and_drain_flushes_all() {
        let mut t = Throttler::new(ThrottleConfig { max_keys: 2, ..Default::default() });
        let t0 = Instant::now();
        assert!(t.observe(out("203.0.113.1", 443), t0).is_none());
        assert!(t.observe(out("203.0.113.2", 443), t0 + secs(1)).is_none());
        let early = t.observe(out("203.0.113.3", 443), t0 + secs(2)).unwrap();
        assert_eq!(early.dst.as_deref(), Some("203.0.113.1"));
        let rest = t.drain();
        assert_eq!(rest.iter().map(|a| a.dst.clone().unwrap()).collect::<Vec<_>>(), vec!["203.0.113.2", "203.0.113.3"]);
    }
}
