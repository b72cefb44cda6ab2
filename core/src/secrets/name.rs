//! Secret names: `[A-Z_][A-Z0-9_]*`, at most [`MAX_NAME_LEN`] characters, and the well-known
//! names the product knows a consumer for. Users may add their own names.

use super::SecretsError;
use serde::{Serialize, Serializer};
use std::fmt;

/// Longest accepted name.
pub const MAX_NAME_LEN: usize = 128;

/// A validated secret name. Safe to show, log and put in argv or the profile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretName(String);

impl SecretName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for SecretName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl std::str::FromStr for SecretName {
    type Err = SecretsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        validate_name(s)
    }
}

/// Check `raw` and turn it into a [`SecretName`].
pub fn validate_name(raw: &str) -> Result<SecretName, SecretsError> {
    let reason = if raw.is_empty() {
        Some("it is empty")
    } else if raw.len() > MAX_NAME_LEN {
        Some("it is longer than 128 characters")
    } else if raw.as_bytes()[0].is_ascii_digit() {
        Some("it starts with a digit")
    } else if raw.bytes().any(|b| b.is_ascii_lowercase()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Some("it has lower-case letters (write it in capitals)")
    } else if !raw.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
        Some("it has characters other than A-Z, 0-9 and `_`")
    } else {
        None
    };
    match reason {
        None => Ok(SecretName(raw.to_string())),
        Some(reason) => Err(SecretsError::InvalidName { shown: shown_name(raw), reason }),
    }
}

/// What an error may echo of a rejected name: people paste values where names belong, so
/// anything long or token-shaped is not repeated.
fn shown_name(raw: &str) -> String {
    if raw.chars().count() > 64 || super::redact::looks_like_token(raw) || raw.chars().any(char::is_control) {
        "(not shown: it looks like a secret value)".to_string()
    } else {
        raw.to_string()
    }
}

/// A name the product knows, with what uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WellKnown {
    pub name: &'static str,
    pub used_by: &'static str,
}

/// Names offered by `secrets list`, the onboarding wizard and `sandbox init`.
pub const WELL_KNOWN: &[WellKnown] = &[
    WellKnown { name: "ANTHROPIC_API_KEY", used_by: "gateway: Anthropic models" },
    WellKnown { name: "OPENAI_API_KEY", used_by: "gateway: OpenAI models" },
    WellKnown { name: "GEMINI_API_KEY", used_by: "gateway: Google Gemini models" },
    WellKnown { name: "OPENROUTER_API_KEY", used_by: "gateway: OpenRouter models" },
    WellKnown { name: "OPENCLAW_GATEWAY_TOKEN", used_by: "gateway: client authentication" },
    WellKnown { name: "GH_TOKEN", used_by: "gh / git in the VM" },
    WellKnown { name: "TELEGRAM_BOT_TOKEN", used_by: "gateway: Telegram channel" },
    WellKnown { name: "SLACK_BOT_TOKEN", used_by: "gateway: Slack channel" },
    WellKnown { name: "DISCORD_BOT_TOKEN", used_by: "gateway: Discord channel" },
    WellKnown { name: "BRAVE_API_KEY", used_by: "gateway: web search (Brave)" },
];

/// What uses `name`, for display: the well-known consumer, or the generic in-VM location.
pub fn used_by(name: &SecretName) -> &'static str {
    WELL_KNOWN.iter().find(|w| w.name == name.as_str()).map(|w| w.used_by).unwrap_or("custom: /run/openclaw/secrets/<NAME> and secrets.env in the VM")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_usual_names() {
        for n in ["ANTHROPIC_API_KEY", "_X", "A", "GH_TOKEN2", "A_1_B"] {
            assert_eq!(validate_name(n).unwrap().as_str(), n);
        }
    }

    #[test]
    fn rejects_bad_names_with_reason() {
        let cases = [
            ("", "empty"),
            ("1ABC", "digit"),
            ("gh_token", "lower-case"),
            ("GH-TOKEN", "other than"),
            ("GH TOKEN", "other than"),
            ("ÄPI", "other than"),
            ("A\nB", "other than"),
        ];
        for (n, want) in cases {
            match validate_name(n) {
                Err(SecretsError::InvalidName { reason, .. }) => assert!(reason.contains(want), "{n:?}: {reason}"),
                other => panic!("{n:?} gave {other:?}"),
            }
        }
        assert!(validate_name(&"A".repeat(129)).is_err());
        assert!(validate_name(&"A".repeat(128)).is_ok());
    }

    #[test]
    fn a_value_pasted_as_name_is_not_echoed() {
        let value = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789";
        let msg = validate_name(value).unwrap_err().to_string();
        assert!(!msg.contains(value), "{msg}");
        assert!(msg.contains("not shown"), "{msg}");
        let msg = validate_name("my-key").unwrap_err().to_string();
        assert!(msg.contains("`my-key`"), "{msg}");
    }

    #[test]
    fn well_known_names_are_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for w in WELL_KNOWN {
            validate_name(w.name).unwrap();
            assert!(seen.insert(w.name));
        }
        assert_eq!(used_by(&validate_name("GH_TOKEN").unwrap()), "gh / git in the VM");
        assert!(used_by(&validate_name("MY_OWN").unwrap()).starts_with("custom"));
    }
}
