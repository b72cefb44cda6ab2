//! Telegram DM pairing, surfaced on the host.
//!
//! With `channels.telegram.dmPolicy = "pairing"`, a stranger who DMs the bot gets a pairing code
//! and OpenClaw stores a pending request (one hour, at most three per account). The host lists
//! them with `openclaw pairing list telegram --json` run as the agent user in the VM, tells the
//! user once per request ([`Event::PairingRequested`]), and approves a code only when the user
//! asks (`sandbox pairing approve CODE`, or the app's "Approve pairing" action). Approving is a
//! user action: it is audited and deliberately absent from the agent's MCP surface
//! ([`crate::agent::AgentApi`]).
//!
//! The request fields come from OpenClaw 2026.9.6's pairing store (`src/pairing/pairing-store.ts`):
//! `{id, code, createdAt, lastSeenAt, meta: {username?, firstName?, lastName?, accountId}}`, with
//! `meta.senderId` preferred over `id` where a channel sets it (as OpenClaw's own table does).
//! The parser takes what it recognizes and ignores the rest.

use crate::audit::{AuditError, AuditLog};
use crate::events::Event;
use crate::provision::layout::AGENT_USER;
use crate::vm::{Vm, VmError};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;

/// The only channel the sandbox surfaces pairing for.
pub const CHANNEL: &str = "telegram";
/// The OpenClaw CLI in the VM.
pub const OPENCLAW_BIN: &str = "/usr/local/bin/openclaw";
/// OpenClaw's pairing-code alphabet (no 0/O, 1/I).
pub const CODE_ALPHABET: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Accepted code lengths (OpenClaw 2026.9.6 issues 8 characters).
pub const CODE_LEN: std::ops::RangeInclusive<usize> = 4..=16;
/// How often the follower asks the VM. Each ask starts OpenClaw's CLI (Node) in the VM; requests
/// live an hour, so a minute's delay costs nothing and keeps the VM idle.
pub const POLL_EVERY: Duration = Duration::from_secs(60);
/// Longest sender name or id kept (they come from strangers on Telegram).
const MAX_TEXT: usize = 64;

/// Errors of pairing operations.
#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    #[error("Telegram is off in this profile; set `features.telegram = true` (and run `sandbox up`) to use pairing")]
    TelegramOff,
    #[error("the OpenClaw gateway is off in this profile (`features.gateway = false`), so nothing handles Telegram; turn it on and run `sandbox up`")]
    GatewayOff,
    #[error("`{code}` is not a pairing code: codes are {min} to {max} characters of {alphabet} (the bot's reply shows it)", min = CODE_LEN.start(), max = CODE_LEN.end(), alphabet = CODE_ALPHABET)]
    BadCode { code: String },
    #[error("`openclaw pairing list` printed something that is not its JSON list ({detail}); check the OpenClaw version in the VM (`sandbox ssh -- openclaw --version`)")]
    Parse { detail: String },
    #[error("no pending Telegram pairing request has the code {code}; `sandbox pairing list` shows the pending ones (codes expire after an hour)")]
    NoSuchCode { code: String },
    #[error("`openclaw pairing {what}` failed in the VM (exit {code}): {message}")]
    Remote { what: &'static str, code: i32, message: String },
    #[error(transparent)]
    Vm(#[from] VmError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// A pairing code checked against OpenClaw's alphabet: safe to put into argv.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PairingCode(String);

impl PairingCode {
    /// Trim and upper-case (OpenClaw matches codes case-insensitively), then check strictly.
    pub fn parse(text: &str) -> Result<Self, PairingError> {
        let code = text.trim().to_ascii_uppercase();
        if CODE_LEN.contains(&code.len()) && code.chars().all(|c| CODE_ALPHABET.contains(c)) {
            Ok(PairingCode(code))
        } else {
            // The refused text is shown back: keep it printable and short.
            Err(PairingError::BadCode { code: clean(text).unwrap_or_default() })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PairingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One pending pairing request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingRequest {
    pub channel: String,
    /// The code the sender was given (what `approve` takes).
    pub code: String,
    /// The sender's id (Telegram: the numeric user id).
    pub sender: String,
    /// `@username`, else first and last name, when the sender has them.
    pub name: Option<String>,
    /// When the request was made (OpenClaw's ISO time), when known.
    pub created_at: Option<String>,
    /// The bot account it came to (`default` for a single bot), when known.
    pub account: Option<String>,
}

/// Printable, single-line, at most [`MAX_TEXT`] characters; `None` when nothing is left.
/// Sender names are chosen by strangers: no terminal escapes, no fake extra lines.
fn clean(s: &str) -> Option<String> {
    let t: String = s.chars().filter(|c| !c.is_control()).take(MAX_TEXT).collect();
    let t = t.trim().to_string();
    (!t.is_empty()).then_some(t)
}

/// A JSON string or number as text.
fn text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => clean(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The JSON document in `stdout`: all of it, or (if something logged a line before it) from
/// the first line that starts with `{`.
fn json_document(stdout: &str) -> Result<serde_json::Value, PairingError> {
    match serde_json::from_str(stdout.trim()) {
        Ok(v) => Ok(v),
        Err(first) => {
            let line_starts = std::iter::once(0).chain(stdout.match_indices('\n').map(|(i, _)| i + 1));
            for pos in line_starts {
                let rest = stdout[pos..].trim_start_matches([' ', '\t']);
                if rest.starts_with('{') {
                    if let Ok(v) = serde_json::from_str(rest.trim()) {
                        return Ok(v);
                    }
                }
            }
            let detail = if stdout.trim().is_empty() { "no output".to_string() } else { format!("not JSON: {first}") };
            Err(PairingError::Parse { detail })
        }
    }
}

/// Parse `openclaw pairing list <channel> --json`. Requests without a usable code are skipped
/// (nothing could approve them); a document without a `requests` array is an error.
pub fn parse_list(stdout: &str) -> Result<Vec<PairingRequest>, PairingError> {
    let doc = json_document(stdout)?;
    let obj = doc.as_object().ok_or_else(|| PairingError::Parse { detail: "not a JSON object".into() })?;
    let channel = obj.get("channel").and_then(|c| c.as_str()).and_then(clean).unwrap_or_else(|| CHANNEL.to_string());
    let requests = obj.get("requests").and_then(|r| r.as_array()).ok_or_else(|| PairingError::Parse { detail: "no `requests` array".into() })?;
    let mut out = Vec::new();
    for r in requests {
        let Some(code) = r.get("code").and_then(|c| c.as_str()).and_then(clean) else { continue };
        let meta = r.get("meta");
        let m = |k: &str| text(meta.and_then(|m| m.get(k)));
        let sender = m("senderId").or_else(|| text(r.get("id"))).unwrap_or_else(|| "unknown".into());
        let name = match (m("username"), m("firstName"), m("lastName")) {
            (Some(u), _, _) => clean(&format!("@{}", u.trim_start_matches('@'))),
            (None, Some(f), Some(l)) => clean(&format!("{f} {l}")),
            (None, f, l) => f.or(l),
        };
        out.push(PairingRequest { channel: channel.clone(), code, sender, name, created_at: text(r.get("createdAt")), account: m("accountId") });
    }
    Ok(out)
}

fn as_agent(args: &[&str]) -> Vec<String> {
    ["sudo", "-n", "-u", AGENT_USER, "-H", "--", OPENCLAW_BIN].iter().chain(args).map(|s| s.to_string()).collect()
}

/// `openclaw pairing list telegram --json`, as the agent user.
pub fn list_argv() -> Vec<String> {
    as_agent(&["pairing", "list", CHANNEL, "--json"])
}

/// `openclaw pairing approve telegram CODE [--notify]`, as the agent user.
pub fn approve_argv(code: &PairingCode, notify: bool) -> Vec<String> {
    let mut argv = as_agent(&["pairing", "approve", CHANNEL, code.as_str()]);
    if notify {
        argv.push("--notify".into());
    }
    argv
}

fn last_line(s: &str) -> String {
    s.lines().rev().find(|l| !l.trim().is_empty()).and_then(clean).unwrap_or_else(|| "no error output".into())
}

/// The pending Telegram pairing requests in `vm`.
pub async fn list(vm: &dyn Vm) -> Result<Vec<PairingRequest>, PairingError> {
    let out = vm.exec(&list_argv(), None).await?;
    if !out.success() {
        return Err(PairingError::Remote { what: "list", code: out.status, message: last_line(&out.stderr_str()) });
    }
    parse_list(&out.stdout_str())
}

/// Approve `code` in `vm` (the sender may then DM the bot) and audit it. `notify`: OpenClaw
/// tells the sender on Telegram.
pub async fn approve(vm: &dyn Vm, code: &PairingCode, notify: bool, audit: &AuditLog, instance: &str) -> Result<(), PairingError> {
    let out = vm.exec(&approve_argv(code, notify), None).await?;
    if !out.success() {
        let message = last_line(&out.stderr_str());
        audit.append("pairing.approve.failed", serde_json::json!({"instance": instance, "channel": CHANNEL, "code": code.as_str(), "exit": out.status}))?;
        if message.contains("No pending pairing request") {
            return Err(PairingError::NoSuchCode { code: code.to_string() });
        }
        return Err(PairingError::Remote { what: "approve", code: out.status, message });
    }
    audit.append("pairing.approve", serde_json::json!({"instance": instance, "channel": CHANNEL, "code": code.as_str(), "notify": notify}))?;
    Ok(())
}

/// What the follower has already announced: each request is announced once while it is pending.
#[derive(Debug, Default)]
pub struct Seen {
    keys: HashSet<(String, String, String)>,
}

impl Seen {
    fn key(r: &PairingRequest) -> (String, String, String) {
        (r.channel.clone(), r.code.clone(), r.sender.clone())
    }

    /// The requests in `current` not announced before; forgets requests no longer pending.
    pub fn fresh(&mut self, current: &[PairingRequest]) -> Vec<PairingRequest> {
        let now: HashSet<_> = current.iter().map(Self::key).collect();
        self.keys.retain(|k| now.contains(k));
        current.iter().filter(|r| self.keys.insert(Self::key(r))).cloned().collect()
    }
}

/// The event announcing `r`.
pub fn event(r: &PairingRequest) -> Event {
    Event::PairingRequested { channel: r.channel.clone(), code: r.code.clone(), sender: r.sender.clone(), name: r.name.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::testing::RecordingVm;

    const TWO: &str = r#"{
  "channel": "telegram",
  "requests": [
    {"id": "123456789", "code": "ABCD2345", "createdAt": "2026-09-10T10:00:00.000Z", "lastSeenAt": "2026-09-10T10:01:00.000Z",
     "meta": {"username": "alice_b", "firstName": "Alice", "accountId": "default"}},
    {"id": 987654321, "code": "WXYZ6789", "createdAt": "2026-09-10T10:05:00.000Z",
     "meta": {"firstName": "Bob", "lastName": "Stone", "accountId": "default", "extra": true}, "future": [1, 2]}
  ]
}"#;

    #[test]
    fn the_empty_list_parses() {
        assert_eq!(parse_list(r#"{"channel": "telegram", "requests": []}"#).unwrap(), vec![]);
    }

    #[test]
    fn requests_parse_with_extra_and_missing_fields() {
        let r = parse_list(TWO).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0],
            PairingRequest {
                channel: "telegram".into(),
                code: "ABCD2345".into(),
                sender: "123456789".into(),
                name: Some("@alice_b".into()),
                created_at: Some("2026-09-10T10:00:00.000Z".into()),
                account: Some("default".into()),
            }
        );
        assert_eq!(r[1].sender, "987654321", "a numeric id is kept as text");
        assert_eq!(r[1].name.as_deref(), Some("Bob Stone"));
        // Bare minimum: a code. meta.senderId wins over id; no name at all is fine.
        let r = parse_list(r#"{"requests": [{"code": "QQQQ2222", "id": "1", "meta": {"senderId": "42"}}, {"code": "RRRR3333"}]}"#).unwrap();
        assert_eq!((r[0].channel.as_str(), r[0].sender.as_str(), r[0].name.as_deref()), ("telegram", "42", None));
        assert_eq!((r[1].sender.as_str(), r[1].created_at.as_deref()), ("unknown", None));
    }

    #[test]
    fn requests_without_a_code_are_skipped_and_garbage_is_an_error() {
        let r = parse_list(r#"{"requests": [{"id": "1"}, "nope", {"code": 5}, {"code": "ABCD2345"}]}"#).unwrap();
        assert_eq!(r.len(), 1);
        for bad in ["", "   ", "not json", "[]", "{\"channel\": \"telegram\"}", "{\"requests\": {}}", "{\"requests\": [", "\u{0}\u{1}"] {
            assert!(matches!(parse_list(bad), Err(PairingError::Parse { .. })), "{bad:?}");
        }
    }

    #[test]
    fn a_log_line_before_the_json_is_tolerated() {
        let out = format!("[plugins] telegram loaded\n{TWO}\n");
        assert_eq!(parse_list(&out).unwrap().len(), 2);
    }

    #[test]
    fn stranger_chosen_names_cannot_inject_terminal_escapes_or_lines() {
        let name = "\u{1b}]0;pwned\u{7}Eve\nApproved!".to_string() + &"x".repeat(200);
        let doc = serde_json::json!({"channel": "telegram", "requests": [{"id": "7", "code": "ABCD2345", "meta": {"firstName": name}}]});
        let r = parse_list(&doc.to_string()).unwrap();
        let n = r[0].name.as_deref().unwrap();
        assert!(!n.chars().any(|c| c.is_control()), "{n:?}");
        assert!(n.starts_with("]0;pwnedEveApproved!"), "{n:?}");
        assert_eq!(n.chars().count(), MAX_TEXT);
    }

    #[test]
    fn codes_are_checked_strictly_before_they_reach_argv() {
        assert_eq!(PairingCode::parse(" abcd2345 ").unwrap().as_str(), "ABCD2345");
        assert_eq!(PairingCode::parse("ABCD2345\n").unwrap().as_str(), "ABCD2345", "surrounding whitespace is trimmed");
        for bad in ["", "ABC", "ABCD234O", "ABCD2341", "ABCD 2345", "ABCD-2345", "--notify", "ABCD2345;rm", "ABCDEFGHJKLMNPQRS", "ÄBCD2345", "AB\nCD2345"] {
            assert!(matches!(PairingCode::parse(bad), Err(PairingError::BadCode { .. })), "{bad:?}");
        }
        let e = PairingCode::parse("x\u{1b}[2J").unwrap_err().to_string();
        assert!(!e.contains('\u{1b}'), "{e:?}");
    }

    #[tokio::test]
    async fn list_runs_the_cli_as_the_agent_user() {
        let vm = RecordingVm::replying(TWO, 0, "");
        let r = list(&vm).await.unwrap();
        assert_eq!(r.len(), 2);
        let calls = vm.calls.lock().unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].0, ["sudo", "-n", "-u", "openclaw", "-H", "--", "/usr/local/bin/openclaw", "pairing", "list", "telegram", "--json"]);
        assert_eq!(calls[0].1, None);
    }

    #[tokio::test]
    async fn a_failing_list_says_what_the_cli_said() {
        let vm = RecordingVm::replying("", 1, "Error: Channel \"telegram\" does not support pairing.\n");
        match list(&vm).await {
            Err(PairingError::Remote { what: "list", code: 1, message }) => assert!(message.contains("does not support pairing"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn approve_runs_the_exact_argv_and_is_audited() {
        let dir = tempfile::tempdir().unwrap();
        let audit = AuditLog::in_dir(dir.path());
        let vm = RecordingVm::replying("Approved telegram sender 123456789.\n", 0, "");
        let code = PairingCode::parse("abcd2345").unwrap();
        approve(&vm, &code, true, &audit, "openclaw-sandbox").await.unwrap();
        assert_eq!(
            vm.calls.lock().unwrap()[0].0,
            ["sudo", "-n", "-u", "openclaw", "-H", "--", "/usr/local/bin/openclaw", "pairing", "approve", "telegram", "ABCD2345", "--notify"]
        );
        let line: serde_json::Value = serde_json::from_str(std::fs::read_to_string(audit.path()).unwrap().lines().next().unwrap()).unwrap();
        assert_eq!(line["action"], "pairing.approve");
        assert_eq!(line["detail"]["code"], "ABCD2345");
        assert_eq!(line["detail"]["channel"], "telegram");
        assert_eq!(approve_argv(&code, false).last().unwrap(), "ABCD2345");
    }

    #[tokio::test]
    async fn an_unknown_code_is_its_own_error_and_audited_as_failed() {
        let dir = tempfile::tempdir().unwrap();
        let audit = AuditLog::in_dir(dir.path());
        let vm = RecordingVm::replying("", 1, "Error: No pending pairing request found for code \"ABCD2345\". Run openclaw pairing list ...\n");
        let e = approve(&vm, &PairingCode::parse("ABCD2345").unwrap(), false, &audit, "i").await.unwrap_err();
        assert!(matches!(e, PairingError::NoSuchCode { .. }), "{e:?}");
        let text = std::fs::read_to_string(audit.path()).unwrap();
        assert!(text.contains("\"pairing.approve.failed\""), "{text}");
    }

    #[test]
    fn each_request_is_announced_once_while_pending() {
        let all = parse_list(TWO).unwrap();
        let mut seen = Seen::default();
        assert_eq!(seen.fresh(&all[..1]).len(), 1);
        assert_eq!(seen.fresh(&all[..1]), vec![], "the same request again: nothing new");
        let fresh = seen.fresh(&all);
        assert_eq!(fresh.len(), 1);
        assert_eq!(fresh[0].code, "WXYZ6789");
        assert_eq!(seen.fresh(&all), vec![]);
        // Approved/expired requests are forgotten; the set does not grow without bound.
        assert_eq!(seen.fresh(&[]), vec![]);
        assert!(seen.keys.is_empty());
        assert_eq!(
            event(&all[1]),
            Event::PairingRequested { channel: "telegram".into(), code: "WXYZ6789".into(), sender: "987654321".into(), name: Some("Bob Stone".into()) }
        );
    }
}
