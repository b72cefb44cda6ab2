//! Redaction of secrets in what the scanner reports: a finding never carries a secret.

/// How many leading characters of a secret are shown: up to 4, and never more than a
/// quarter of it.
fn shown_prefix(secret: &[u8]) -> usize {
    let mut n = (secret.len() / 4).min(4);
    // Keep to ASCII so a multi-byte character is never split.
    while n > 0 && !secret[..n].is_ascii() {
        n -= 1;
    }
    n
}

/// `ghp_REDACTED` for `ghp_…`.
pub fn redact_secret(secret: &[u8]) -> String {
    let n = shown_prefix(secret);
    format!("{}REDACTED", String::from_utf8_lossy(&secret[..n]))
}

/// The match with its secret part (`secret_start..secret_end`, relative) redacted.
pub fn redact_match(matched: &[u8], secret_start: usize, secret_end: usize) -> String {
    let secret = &matched[secret_start..secret_end];
    let mut s = String::from_utf8_lossy(&matched[..secret_start]).into_owned();
    s.push_str(&redact_secret(secret));
    s.push_str(&String::from_utf8_lossy(&matched[secret_end..]));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_short_prefix_only() {
        assert_eq!(redact_secret(b"ghp_abcdefghijklmnopqrstuvwxyz0123456789"), "ghp_REDACTED");
        assert_eq!(redact_secret(b"abc"), "REDACTED");
        assert_eq!(redact_secret(b"hunter22"), "huREDACTED");
        assert_eq!(redact_match(b"password = \"Xk9mP2vLq7Zt\"", 12, 24), "password = \"Xk9REDACTED\"");
    }
}
