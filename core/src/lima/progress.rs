//! `limactl start` progress: its stderr log lines → [`StartStep`]s → a monotonic fraction.
//!
//! Lines come in logrus text form (`time=… level=info msg="…"`) or JSON (`--log-format json`).
//! Lima ≤ 2.1 quotes values with "double quotes", ≥ 2.2 with `backquotes`: both are accepted.

use crate::events::Progress;

/// Which group of readiness requirements a line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequirementKind {
    Essential,
    Optional,
    Final,
}

/// One recognised milestone of `limactl start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartStep {
    Starting { driver: Option<String> },
    Downloading { what: String },
    Downloaded,
    Converting,
    Booting,
    SshPort(u16),
    Waiting { kind: RequirementKind, index: u32, total: u32, description: String },
    Satisfied { kind: RequirementKind, index: u32, total: u32 },
    GuestAgent,
    CloudInit(String),
    AlreadyRunning,
    Ready,
    Degraded { hint: String },
    Exiting { detail: String },
    TimedOut,
    Fatal { message: String },
}

/// A log line split into level and message.
#[derive(Debug, PartialEq, Eq)]
struct LogLine {
    level: Option<String>,
    msg: String,
}

fn split_logrus(line: &str) -> LogLine {
    let line = line.trim_end();
    if line.starts_with('{') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            return LogLine {
                level: v.get("level").and_then(|l| l.as_str()).map(str::to_string),
                msg: v.get("msg").and_then(|m| m.as_str()).unwrap_or_default().to_string(),
            };
        }
    }
    // TTY form: `INFO[0003] message   key=value`
    for (tag, lvl) in [("INFO[", "info"), ("WARN[", "warning"), ("ERRO[", "error"), ("FATA[", "fatal"), ("DEBU[", "debug")] {
        if let Some(rest) = line.strip_prefix(tag) {
            if let Some(end) = rest.find("] ") {
                return LogLine { level: Some(lvl.into()), msg: rest[end + 2..].trim().to_string() };
            }
        }
    }
    let level = field(line, "level=").map(|(v, _)| v);
    match field(line, "msg=") {
        Some((msg, _)) => LogLine { level, msg },
        None => LogLine { level: None, msg: line.to_string() },
    }
}

/// Value of `key` (e.g. `msg=`) in a logrus text line: quoted with escapes, or bare to a space.
fn field(line: &str, key: &str) -> Option<(String, usize)> {
    let start = find_key(line, key)? + key.len();
    let rest = &line[start..];
    if let Some(quoted) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, other)) => out.push(other),
                    None => break,
                },
                '"' => return Some((out, start + 1 + i + 1)),
                c => out.push(c),
            }
        }
        Some((out, line.len()))
    } else {
        let end = rest.find(' ').unwrap_or(rest.len());
        Some((rest[..end].to_string(), start + end))
    }
}

/// Position of `key` at the start of the line or after a space (not inside another value).
fn find_key(line: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = line[from..].find(key) {
        let at = from + pos;
        if at == 0 || line.as_bytes()[at - 1] == b' ' {
            return Some(at);
        }
        from = at + key.len();
    }
    None
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix('`').and_then(|x| x.strip_suffix('`')).unwrap_or(s);
    let s = s.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(s);
    s.to_string()
}

fn requirement(msg: &str) -> Option<StartStep> {
    // "[hostagent] Waiting for the essential requirement 1 of 3: `ssh`"
    // "[hostagent] The essential requirement 1 of 3 is satisfied"
    let (waiting, rest) = if let Some(i) = msg.find("Waiting for the ") {
        (true, &msg[i + "Waiting for the ".len()..])
    } else if let Some(i) = msg.find("The ") {
        (false, &msg[i + "The ".len()..])
    } else {
        return None;
    };
    let mut words = rest.splitn(2, ' ');
    let kind = match words.next()? {
        "essential" => RequirementKind::Essential,
        "optional" => RequirementKind::Optional,
        "final" => RequirementKind::Final,
        _ => return None,
    };
    let rest = words.next()?.strip_prefix("requirement ")?;
    let (index, rest) = rest.split_once(" of ")?;
    let index: u32 = index.trim().parse().ok()?;
    let total_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let total: u32 = rest[..total_end].parse().ok()?;
    let after = &rest[total_end..];
    if waiting {
        let description = after.strip_prefix(':').map(unquote).unwrap_or_default();
        Some(StartStep::Waiting { kind, index, total, description })
    } else if after.contains("is satisfied") {
        Some(StartStep::Satisfied { kind, index, total })
    } else {
        None
    }
}

/// The `msg` of a log line (the whole line when it is not a log line).
pub(crate) fn message_of(line: &str) -> String {
    split_logrus(line).msg
}

/// Recognise one stderr line of `limactl start`; `None` for lines that are not milestones.
pub fn parse_line(line: &str) -> Option<StartStep> {
    let LogLine { level, msg } = split_logrus(line);
    let msg = msg.trim();
    if msg.is_empty() {
        return None;
    }
    if let Some(step) = requirement(msg) {
        return Some(step);
    }
    if msg.starts_with("READY.") {
        return Some(StartStep::Ready);
    }
    if msg.starts_with("DEGRADED.") {
        let hint = msg.find("hint:").map(|i| msg[i + 5..].trim().trim_end_matches(')').to_string()).unwrap_or_default();
        return Some(StartStep::Degraded { hint: unquote(&hint) });
    }
    if msg.contains("did not receive an event with the") && msg.contains("running") {
        return Some(StartStep::TimedOut);
    }
    if msg.starts_with("exiting, status=") {
        return Some(StartStep::Exiting { detail: msg.to_string() });
    }
    if let Some(rest) = msg.strip_prefix("SSH Local Port: ") {
        return rest.trim().parse().ok().map(StartStep::SshPort);
    }
    if msg.starts_with("Starting the instance") {
        let driver = msg.find("VM driver ").map(|i| unquote(&msg[i + "VM driver ".len()..]));
        return Some(StartStep::Starting { driver });
    }
    if let Some(rest) = msg.strip_prefix("Downloading the ") {
        return Some(StartStep::Downloading { what: rest.to_string() });
    }
    if let Some(rest) = msg.strip_prefix("Attempting to download the ") {
        return Some(StartStep::Downloading { what: rest.to_string() });
    }
    if msg.starts_with("Downloaded the ") || msg.starts_with("Using cache") {
        return Some(StartStep::Downloaded);
    }
    if msg.starts_with("Converting ") {
        return Some(StartStep::Converting);
    }
    if msg.contains("[hostagent] Starting QEMU") || msg.contains("[hostagent] Starting VZ") || msg.contains("vm state change: running") {
        return Some(StartStep::Booting);
    }
    if msg.contains("Waiting for the guest agent to be running") {
        return Some(StartStep::GuestAgent);
    }
    if let Some(rest) = msg.strip_prefix("[cloud-init] ") {
        return Some(StartStep::CloudInit(rest.to_string()));
    }
    if msg.starts_with("The instance ") && msg.contains("is already running") {
        return Some(StartStep::AlreadyRunning);
    }
    if matches!(level.as_deref(), Some("fatal") | Some("error")) {
        return Some(StartStep::Fatal { message: msg.to_string() });
    }
    None
}

/// Turns steps into [`Progress`] events with a fraction that never goes backwards.
#[derive(Debug, Default)]
pub struct ProgressTracker {
    fraction: f32,
}

impl ProgressTracker {
    fn band(kind: RequirementKind) -> (f32, f32) {
        match kind {
            RequirementKind::Essential => (0.25, 0.60),
            RequirementKind::Optional => (0.60, 0.85),
            RequirementKind::Final => (0.85, 0.98),
        }
    }

    /// The progress event for `step`, or `None` for steps that are not progress (errors).
    pub fn update(&mut self, step: &StartStep) -> Option<Progress> {
        let (id, message, target): (&str, String, Option<f32>) = match step {
            StartStep::Starting { driver } => (
                "starting",
                match driver {
                    Some(d) => format!("Starting the VM ({d})"),
                    None => "Starting the VM".into(),
                },
                Some(0.02),
            ),
            StartStep::Downloading { what } => ("download", format!("Downloading the {what}"), Some(0.05)),
            StartStep::Downloaded => ("download", "Image ready".into(), Some(0.15)),
            StartStep::Converting => ("convert", "Converting the disk image".into(), Some(0.18)),
            StartStep::Booting => ("boot", "Booting".into(), Some(0.22)),
            StartStep::SshPort(p) => ("boot", format!("SSH on port {p}"), Some(0.25)),
            StartStep::Waiting { kind, index, total, description } => {
                let (lo, hi) = Self::band(*kind);
                let f = lo + (hi - lo) * (index.saturating_sub(1) as f32 / (*total).max(1) as f32);
                ("requirement", format!("Waiting for {description} ({index}/{total})"), Some(f))
            }
            StartStep::Satisfied { kind, index, total } => {
                let (lo, hi) = Self::band(*kind);
                let f = lo + (hi - lo) * (*index as f32 / (*total).max(1) as f32);
                ("requirement", format!("Requirement {index}/{total} met"), Some(f))
            }
            StartStep::GuestAgent => ("requirement", "Waiting for the guest agent".into(), None),
            StartStep::CloudInit(l) => ("cloud-init", l.clone(), None),
            StartStep::AlreadyRunning => ("ready", "Already running".into(), Some(1.0)),
            StartStep::Ready => ("ready", "Ready".into(), Some(1.0)),
            StartStep::Degraded { .. } | StartStep::Exiting { .. } | StartStep::TimedOut | StartStep::Fatal { .. } => return None,
        };
        if let Some(t) = target {
            self.fraction = self.fraction.max(t.clamp(0.0, 1.0));
        }
        Some(Progress { operation: "up".into(), step: id.into(), message, fraction: Some(self.fraction) })
    }
}
