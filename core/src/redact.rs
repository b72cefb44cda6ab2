//! The door every text passes before it leaves core: [`Redactor`] replaces every known secret
//! value with `[REDACTED:NAME]` and anything shaped like a well-known token (sk-…, ghp_…, xox…,
//! AKIA…, Telegram bot tokens, JWTs, Bearer credentials) with `[REDACTED]`; [`door`] is this
//! process's one shared redactor. The event bus passes every event through it
//! ([`crate::events::EventBus::publish`]), front ends pass core's errors through it, and every
//! value pushed to the VM is learned by it before the push — so nothing the VM prints can
//! carry a secret to a terminal, window, notification or MCP client.
//!
//! Values shorter than [`MIN_REDACT_LEN`] are not matched: redacting every "ab" in every log
//! line would make logs useless while protecting nothing (such a value is guessable anyway).
//!
//! A leaf: imports nothing from the rest of core but `encoding` (the secret store fills it
//! from `secrets`).

use regex::Regex;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, RwLock};

/// Values shorter than this many bytes are not redacted by value (see the module docs).
pub const MIN_REDACT_LEN: usize = 4;

static TOKEN_SHAPES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<bearer>(?i:bearer)\s+)[A-Za-z0-9._~+/\-]{16,}=*",
        r"|\bsk-[A-Za-z0-9_\-]{20,}",
        r"|\bgh[pousr]_[A-Za-z0-9]{30,}",
        r"|\bgithub_pat_[A-Za-z0-9_]{30,}",
        r"|\bglpat-[A-Za-z0-9_\-]{20,}",
        r"|\bxox[abposre]-[A-Za-z0-9\-]{10,}",
        r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
        r"|\bAIza[0-9A-Za-z_\-]{35}",
        r"|\b[0-9]{8,10}:AA[A-Za-z0-9_\-]{33}",
        r"|\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",
    ))
    .expect("token shape regex is valid")
});

/// Does `text` contain something shaped like a well-known token?
pub fn looks_like_token(text: &str) -> bool {
    TOKEN_SHAPES.is_match(text)
}

/// Replaces known secret values and token shapes in text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// needle → name. Needles are the values, their base64 form (the push payload encodes
    /// values so) and, for multi-line values, each long line.
    needles: HashMap<String, String>,
    matcher: Option<Regex>,
}

impl Redactor {
    /// A redactor that knows no values yet (token shapes only).
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget every value (after a secret was removed, for example).
    pub fn clear(&mut self) {
        self.needles.clear();
        self.matcher = None;
    }

    /// How many needles (values and their encodings) are known.
    pub fn known(&self) -> usize {
        self.needles.len()
    }

    pub(crate) fn rebuild(&mut self) {
        if self.needles.is_empty() {
            self.matcher = None;
            return;
        }
        // Longest first: the regex alternation is leftmost-first, so a value that contains
        // another one is replaced whole.
        let mut needles: Vec<&String> = self.needles.keys().collect();
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let pattern = needles.iter().map(|n| regex::escape(n)).collect::<Vec<_>>().join("|");
        self.matcher = regex::RegexBuilder::new(&pattern).size_limit(64 << 20).build().ok();
    }

    /// `text` with every known value and token shape replaced.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let by_value = match &self.matcher {
            Some(m) => m.replace_all(text, |c: &regex::Captures| format!("[REDACTED:{}]", self.needles[&c[0]])),
            None => Cow::Borrowed(text),
        };
        if !TOKEN_SHAPES.is_match(&by_value) {
            return by_value;
        }
        let shaped = TOKEN_SHAPES.replace_all(&by_value, |c: &regex::Captures| match c.name("bearer") {
            Some(prefix) => format!("{}[REDACTED]", prefix.as_str()),
            None => "[REDACTED]".to_string(),
        });
        Cow::Owned(shaped.into_owned())
    }

    /// Subprocess output (bytes, maybe not UTF-8) as redacted text.
    pub fn redact_bytes(&self, bytes: &[u8]) -> String {
        self.redact(&String::from_utf8_lossy(bytes)).into_owned()
    }

    /// Learn `value` as the secret `name`. Returns `false` (and learns nothing) when it is
    /// shorter than [`MIN_REDACT_LEN`].
    pub fn learn(&mut self, name: &str, value: &str) -> bool {
        let learned = self.learn_unbuilt(name, value);
        self.rebuild();
        learned
    }

    /// [`Self::learn`] without rebuilding the matcher (callers learning many rebuild once).
    pub(crate) fn learn_unbuilt(&mut self, name: &str, value: &str) -> bool {
        if value.len() < MIN_REDACT_LEN {
            return false;
        }
        self.needles.insert(value.to_string(), name.to_string());
        self.needles.insert(base64_encode(value.as_bytes()), name.to_string());
        if value.contains('\n') {
            for line in value.lines().map(str::trim).filter(|l| l.len() >= 8) {
                self.needles.insert(line.to_string(), name.to_string());
            }
        }
        true
    }
}

pub use crate::encoding::base64_encode;

/// A [`Redactor`] shared by everything that shows text (the bus, error paths, the log writer)
/// and the code that learns secret values.
#[derive(Debug, Clone, Default)]
pub struct SharedRedactor {
    inner: Arc<RwLock<Redactor>>,
    /// Secret names whose stored values were loaded (see `secrets::redact::load_into_door`).
    loaded: Arc<Mutex<BTreeSet<String>>>,
}

impl SharedRedactor {
    pub fn new(redactor: Redactor) -> Self {
        SharedRedactor { inner: Arc::new(RwLock::new(redactor)), loaded: Default::default() }
    }

    /// Learn a value; `false` when it is too short to redact.
    pub fn learn(&self, name: &str, value: &str) -> bool {
        self.inner.write().unwrap_or_else(|e| e.into_inner()).learn(name, value)
    }

    /// Replace everything known.
    pub fn replace(&self, redactor: Redactor) {
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = redactor;
    }

    pub fn redact(&self, text: &str) -> String {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).redact(text).into_owned()
    }

    /// Subprocess stderr/stdout, redacted (for error messages and logs).
    pub fn redact_bytes(&self, bytes: &[u8]) -> String {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).redact_bytes(bytes)
    }

    /// Redact every string inside `v` in place; `true` when something was replaced.
    pub fn redact_json(&self, v: &mut serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => {
                let r = self.redact(s);
                let changed = r != *s;
                if changed {
                    *s = r;
                }
                changed
            }
            serde_json::Value::Array(a) => a.iter_mut().fold(false, |c, x| self.redact_json(x) | c),
            serde_json::Value::Object(o) => o.values_mut().fold(false, |c, x| self.redact_json(x) | c),
            _ => false,
        }
    }

    /// Whether the stored values of all of `names` were loaded already.
    pub fn has_loaded(&self, names: &[String]) -> bool {
        let loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        names.iter().all(|n| loaded.contains(n))
    }

    /// Of `names`, those whose stored values were not loaded yet; marks them loaded.
    pub fn take_unloaded(&self, names: &[String]) -> Vec<String> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        names.iter().filter(|n| loaded.insert((*n).clone())).cloned().collect()
    }
}

/// This process's redactor: what the event bus, the front ends' error paths and the log writer
/// use, and what pushing secrets teaches.
pub fn door() -> &'static SharedRedactor {
    static DOOR: OnceLock<SharedRedactor> = OnceLock::new();
    DOOR.get_or_init(SharedRedactor::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_door_learns_once_and_redacts_everywhere() {
        let d = door();
        assert!(d.learn("DOOR_TEST_KEY", "canary-door-7f3a91"));
        assert_eq!(d.redact("x canary-door-7f3a91 y"), "x [REDACTED:DOOR_TEST_KEY] y");
        assert!(!d.learn("PIN", "12"), "too short to redact");
        assert_eq!(d.take_unloaded(&["A".into(), "B".into()]), vec!["A".to_string(), "B".to_string()]);
        assert_eq!(d.take_unloaded(&["B".into(), "C".into()]), vec!["C".to_string()]);
    }
}
