//! The redactor ([`crate::redact`]) filled from the secret store: by typed name and value, from
//! the OS store for a profile's names, and into this process's [`door`](crate::redact::door).

use super::{SecretName, SecretValue};
pub use crate::redact::{looks_like_token, Redactor, MIN_REDACT_LEN};
#[cfg(test)]
use std::borrow::Cow;

/// Teach this process's door the stored values of `names` it has not loaded yet (unset names
/// and an unreadable store are skipped: token shapes are still redacted). Cheap after the
/// first call for the same names.
pub fn load_into_door(names: &[String]) {
    let door = crate::redact::door();
    let todo = door.take_unloaded(names);
    if todo.is_empty() {
        return;
    }
    let names: Vec<SecretName> = todo.iter().filter_map(|n| super::validate_name(n).ok()).collect();
    let Ok(store) = super::open_default_store() else { return };
    for name in names {
        if let Ok(Some(value)) = store.get(&name) {
            door.learn(name.as_str(), value.expose());
        }
    }
}

impl Redactor {
    /// A redactor for these secrets; also returns the names too short to redact by value.
    pub fn with_secrets<'a>(secrets: impl IntoIterator<Item = (&'a SecretName, &'a SecretValue)>) -> (Self, Vec<SecretName>) {
        let mut r = Self::new();
        let mut short = Vec::new();
        for (name, value) in secrets {
            if !r.learn_unbuilt(name.as_str(), value.expose()) {
                short.push(name.clone());
            }
        }
        r.rebuild();
        (r, short)
    }

    /// A redactor for the values `store` holds for `names` (unset names are skipped); also
    /// returns the names too short to redact. Load this before anything logs (e.g. at start
    /// of `up`) and hand it to [`super::redact_log::SharedRedactor::replace`].
    pub fn from_store(store: &dyn super::SecretStore, names: &[SecretName]) -> Result<(Self, Vec<SecretName>), super::SecretsError> {
        let mut pairs = Vec::new();
        for name in names {
            if let Some(value) = store.get(name)? {
                pairs.push((name.clone(), value));
            }
        }
        Ok(Self::with_secrets(pairs.iter().map(|(n, v)| (n, v))))
    }

    /// The best redactor this installation can have for `names` without failing: the values the
    /// OS store holds (when it can be read) plus token shapes. For error paths: call it when
    /// something is about to be shown, not on every start.
    pub fn for_names(names: &[String]) -> Self {
        let names: Vec<SecretName> = names.iter().filter_map(|n| super::validate_name(n).ok()).collect();
        if names.is_empty() {
            return Self::new();
        }
        match super::open_default_store().and_then(|store| Self::from_store(store.as_ref(), &names)) {
            Ok((r, _)) => r,
            Err(_) => Self::new(),
        }
    }

    /// Learn one more value. Returns `false` (and learns nothing) when it is shorter than
    /// [`MIN_REDACT_LEN`].
    pub fn add(&mut self, name: &SecretName, value: &SecretValue) -> bool {
        self.learn(name.as_str(), value.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::validate_name;

    fn n(s: &str) -> SecretName {
        validate_name(s).unwrap()
    }

    #[test]
    fn known_values_are_replaced_with_their_name() {
        let (r, short) = Redactor::with_secrets([(&n("A_KEY"), &SecretValue::from("canary-alpha-1234")), (&n("B_KEY"), &SecretValue::from("zz-top-secret"))]);
        assert!(short.is_empty());
        let out = r.redact("got canary-alpha-1234 and zz-top-secret, twice: canary-alpha-1234");
        assert_eq!(out, "got [REDACTED:A_KEY] and [REDACTED:B_KEY], twice: [REDACTED:A_KEY]");
    }

    #[test]
    fn a_value_containing_another_is_replaced_whole() {
        let (r, _) = Redactor::with_secrets([(&n("SHORT"), &SecretValue::from("abcd")), (&n("LONG"), &SecretValue::from("xxabcdyy"))]);
        assert_eq!(r.redact("xxabcdyy abcd"), "[REDACTED:LONG] [REDACTED:SHORT]");
    }

    #[test]
    fn short_values_are_reported_not_redacted() {
        let mut r = Redactor::new();
        assert!(!r.add(&n("PIN"), &SecretValue::from("123")));
        assert!(r.add(&n("PIN4"), &SecretValue::from("1234")));
        assert_eq!(r.redact("a 123 b 1234"), "a 123 b [REDACTED:PIN4]");
        let (_, short) = Redactor::with_secrets([(&n("X"), &SecretValue::from("ab"))]);
        assert_eq!(short, vec![n("X")]);
    }

    #[test]
    fn values_with_regex_metacharacters_are_literal() {
        let (r, _) = Redactor::with_secrets([(&n("K"), &SecretValue::from("a.b*c(d)[e]$"))]);
        assert_eq!(r.redact("x a.b*c(d)[e]$ y aXbbc"), "x [REDACTED:K] y aXbbc");
    }

    #[test]
    fn base64_form_and_lines_of_multiline_values_are_redacted() {
        let pem = "-----BEGIN KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----";
        let (r, _) = Redactor::with_secrets([(&n("K"), &SecretValue::from("canary-value-42")), (&n("PEM"), &SecretValue::from(pem))]);
        let b64 = crate::secrets::payload::base64_encode(b"canary-value-42");
        assert_eq!(r.redact(&format!("payload {b64}")), "payload [REDACTED:K]");
        let out = r.redact("line: MIIBVwIBADANBgkqhkiG9w0BAQEFAASC");
        assert_eq!(out, "line: [REDACTED:PEM]");
    }

    #[test]
    fn token_shapes_are_redacted_without_known_values() {
        let r = Redactor::new();
        let cases = [
            "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
            "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx",
            "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv",
            "xoxb-123456789012-abcdefghijkl",
            "AKIAIOSFODNN7EXAMPLE",
            "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ];
        for tok in cases {
            let out = r.redact(&format!("before {tok} after")).into_owned();
            assert_eq!(out, "before [REDACTED] after", "{tok}");
            assert!(looks_like_token(tok));
        }
        assert_eq!(r.redact("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345"), "Authorization: Bearer [REDACTED]");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        let r = Redactor::new();
        for text in ["task-1234 mask-abcdefghijklmnopqrstuvwxyz", "sk-short", "AKIA lower", "12:30 on 2026-11-27", "eyJ only"] {
            assert_eq!(r.redact(text), text);
            assert!(matches!(r.redact(text), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn from_store_loads_set_values_only() {
        let store = crate::secrets::MemoryStore::new();
        crate::secrets::SecretStore::set(&store, &n("A_KEY"), &SecretValue::from("value-from-store")).unwrap();
        crate::secrets::SecretStore::set(&store, &n("PIN"), &SecretValue::from("12")).unwrap();
        let (r, short) = Redactor::from_store(&store, &[n("A_KEY"), n("PIN"), n("UNSET")]).unwrap();
        assert_eq!(short, vec![n("PIN")]);
        assert_eq!(r.redact("x value-from-store 12"), "x [REDACTED:A_KEY] 12");
    }

    #[test]
    fn invalid_utf8_output_is_handled() {
        let (r, _) = Redactor::with_secrets([(&n("K"), &SecretValue::from("canary-9999"))]);
        let out = r.redact_bytes(b"\xff\xfe canary-9999 \xff");
        assert!(out.contains("[REDACTED:K]") && !out.contains("canary-9999"));
    }
}
