//! The stdin payload that carries secret values into the VM, and the fixed in-VM script that
//! reads it (`provisioning/secrets/push.sh`). Values are base64-encoded so any byte is safe on
//! a line; nothing but the payload ever holds them.

use super::{SecretName, SecretValue};
use zeroize::Zeroizing;

/// The in-VM script (run as `bash -c SCRIPT openclaw-secrets-push AGENT BASE`).
pub const PUSH_SCRIPT: &str = include_str!("../../../provisioning/secrets/push.sh");

/// First line of every payload.
pub const HEADER: &str = "openclaw-secrets v1";

/// Where secrets go in the VM by default.
pub const DEFAULT_BASE_DIR: &str = "/run/openclaw";

pub use crate::redact::base64_encode;

/// `secrets.env` for systemd `EnvironmentFile=` (also valid POSIX `sh`): `NAME="value"` with
/// `\ " $ `` escaped. Values with control characters (e.g. multi-line keys) cannot be written
/// safely there; they are left out and returned, and stay available as files.
pub fn env_file(secrets: &[(SecretName, SecretValue)]) -> (Zeroizing<String>, Vec<SecretName>) {
    let mut out = Zeroizing::new(String::new());
    let mut skipped = Vec::new();
    for (name, value) in secrets {
        let v = value.expose();
        if v.chars().any(char::is_control) {
            skipped.push(name.clone());
            continue;
        }
        out.push_str(name.as_str());
        out.push_str("=\"");
        for c in v.chars() {
            if matches!(c, '\\' | '"' | '$' | '`') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push_str("\"\n");
    }
    (out, skipped)
}

/// The full payload for these secrets (sorted by name) and the names left out of
/// `secrets.env`.
pub fn build(secrets: &[(SecretName, SecretValue)]) -> (Zeroizing<Vec<u8>>, Vec<SecretName>) {
    let mut sorted: Vec<&(SecretName, SecretValue)> = secrets.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let sorted: Vec<(SecretName, SecretValue)> = sorted.into_iter().cloned().collect();
    let (env, skipped) = env_file(&sorted);
    let mut text = Zeroizing::new(String::new());
    text.push_str(HEADER);
    text.push('\n');
    for (name, value) in &sorted {
        text.push_str("secret ");
        text.push_str(name.as_str());
        text.push(' ');
        text.push_str(&Zeroizing::new(base64_encode(value.expose().as_bytes())));
        text.push('\n');
    }
    text.push_str("env ");
    text.push_str(&Zeroizing::new(base64_encode(env.as_bytes())));
    text.push_str("\nend\n");
    (Zeroizing::new(text.as_bytes().to_vec()), skipped)
}

/// What the script reported doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptReport {
    pub mounted_tmpfs: bool,
    pub written: Vec<String>,
    pub removed: Vec<String>,
    pub env_written: bool,
}

/// Parse the script's stdout (unknown lines are ignored).
pub fn parse_report(stdout: &str) -> ScriptReport {
    let mut r = ScriptReport::default();
    for line in stdout.lines() {
        match line.split_once(' ') {
            Some(("tmpfs", "mounted")) => r.mounted_tmpfs = true,
            Some(("wrote", name)) => r.written.push(name.to_string()),
            Some(("removed", name)) => r.removed.push(name.to_string()),
            Some(("env", "written")) => r.env_written = true,
            _ => {}
        }
    }
    r.written.sort();
    r.removed.sort();
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::validate_name;
    use base64::Engine;

    fn s(name: &str, value: &str) -> (SecretName, SecretValue) {
        (validate_name(name).unwrap(), SecretValue::from(value))
    }

    #[test]
    fn base64_matches_the_reference_implementation() {
        let e = base64::engine::general_purpose::STANDARD;
        for input in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar", b"\x00\xff\xfe\n\"'$"] {
            assert_eq!(base64_encode(input), e.encode(input), "{input:?}");
        }
    }

    #[test]
    fn env_file_escapes_and_skips_multiline() {
        let (env, skipped) = env_file(&[s("A", "plain"), s("B", r#"q"uo\te $HOME `x`"#), s("C", "two\nlines")]);
        assert_eq!(env.as_str(), "A=\"plain\"\nB=\"q\\\"uo\\\\te \\$HOME \\`x\\`\"\n");
        assert_eq!(skipped, vec![validate_name("C").unwrap()]);
    }

    #[test]
    fn payload_is_sorted_and_complete() {
        let (p, skipped) = build(&[s("Z_KEY", "zzzz"), s("A_KEY", "a b=c")]);
        let e = base64::engine::general_purpose::STANDARD;
        let want = format!(
            "openclaw-secrets v1\nsecret A_KEY {}\nsecret Z_KEY {}\nenv {}\nend\n",
            e.encode("a b=c"),
            e.encode("zzzz"),
            e.encode("A_KEY=\"a b=c\"\nZ_KEY=\"zzzz\"\n")
        );
        assert_eq!(String::from_utf8(p.to_vec()).unwrap(), want);
        assert!(skipped.is_empty());
        let (empty, _) = build(&[]);
        assert_eq!(&empty[..], b"openclaw-secrets v1\nenv \nend\n");
    }

    #[test]
    fn report_is_parsed() {
        let r = parse_report("tmpfs mounted\nwrote B\nwrote A\nremoved OLD\nenv written\nnoise\n");
        assert!(r.mounted_tmpfs && r.env_written);
        assert_eq!(r.written, vec!["A", "B"]);
        assert_eq!(r.removed, vec!["OLD"]);
    }

    #[test]
    fn script_never_traces_and_reads_values_only_from_stdin() {
        let code: Vec<&str> = PUSH_SCRIPT.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
        assert!(code.contains(&"set +x"));
        assert!(!code.iter().any(|l| l.contains("set -x") || l.contains("xtrace") || l.contains("history")));
        assert!(PUSH_SCRIPT.contains("stat -f -c %T"));
        assert!(PUSH_SCRIPT.contains("mv -f -T"));
    }
}
