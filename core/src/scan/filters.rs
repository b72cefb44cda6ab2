//! Heuristics the built-in rules use to reject things that look like secrets but are not:
//! placeholders, examples, code references, hashes, UUIDs, lockfiles and minified code.

/// Substrings (lower-case) that mark a value as a placeholder or an example.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "xxxx",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpass",
    "dummy",
    "sample",
    "redacted",
    "insert",
    "replace",
    "todo",
    "fixme",
    "****",
    "....",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "fake",
    "mock",
    "notreal",
    "not_real",
    "not-real",
    "00000000",
    "12345678",
    "abcdefgh",
];

/// Extra words that only the catch-all rules treat as placeholders (too common to be fine
/// inside provider tokens, but a tell in a hand-written password).
const GENERIC_PLACEHOLDER_WORDS: &[&str] = &[
    "test",
    "password",
    "passwd",
    "secret",
    "token",
    "pass123",
    "qwerty",
    "letmein",
    "admin",
    "default",
    "none",
    "null",
    "undefined",
    "string",
    "empty",
    "foobar",
    "hunter2",
    "value",
    "...",
    "your",
];

/// Longest run of one repeated byte.
fn longest_run(s: &[u8]) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev = None;
    for &b in s {
        if Some(b) == prev {
            run += 1;
        } else {
            run = 1;
            prev = Some(b);
        }
        best = best.max(run);
    }
    best
}

fn contains_any(hay_lower: &[u8], words: &[&str]) -> bool {
    words.iter().any(|w| memchr::memmem::find(hay_lower, w.as_bytes()).is_some())
}

/// Placeholder/example check shared by every built-in rule.
pub fn is_placeholder(secret: &[u8]) -> bool {
    has_placeholder_word(secret) || longest_run(secret) >= 6
}

/// Placeholder words only (no repeated-character check: key material has `AAAAAA` runs).
pub fn has_placeholder_word(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    contains_any(&lower, PLACEHOLDER_WORDS)
}

/// Stricter check for catch-all rules (passwords and tokens assigned to variables).
pub fn is_generic_placeholder(secret: &[u8]) -> bool {
    if is_placeholder(secret) || longest_run(secret) >= 5 {
        return true;
    }
    let lower = secret.to_ascii_lowercase();
    contains_any(&lower, GENERIC_PLACEHOLDER_WORDS)
}

/// `8-4-4-4-12` hex.
pub fn is_uuid(s: &[u8]) -> bool {
    if s.len() != 36 {
        return false;
    }
    s.iter().enumerate().all(|(i, &b)| match i {
        8 | 13 | 18 | 23 => b == b'-',
        _ => b.is_ascii_hexdigit(),
    })
}

/// A hex digest of a common hash size (md5, sha1, sha256, sha512).
pub fn is_hex_digest(s: &[u8]) -> bool {
    matches!(s.len(), 32 | 40 | 64 | 128) && s.iter().all(|b| b.is_ascii_hexdigit())
}

/// Looks like code rather than a literal: a call, a variable reference, an attribute path,
/// an environment lookup or a template.
/// `quoted`: the value sat inside quotes, so a leading sigil is part of a literal.
pub fn is_code_reference(s: &[u8], quoted: bool) -> bool {
    if s.is_empty() {
        return true;
    }
    if s[0] == b'$' || (!quoted && matches!(s[0], b'%' | b'@' | b'&' | b'*' | b'!' | b'#')) {
        return true;
    }
    // Paths in Rust/C++/PHP (`Token::Str`, `windows_sys::core::PCWSTR`), or the second colon
    // of one after a `key:` split.
    if s[0] == b':' || memchr::memmem::find(s, b"::").is_some() || memchr::memmem::find(s, b"->").is_some() {
        return true;
    }
    if s.contains(&b'(') || s.contains(&b')') || s.contains(&b'[') {
        return true;
    }
    // a.b.c attribute/module paths made of identifiers
    let parts: Vec<&[u8]> = s.split(|&b| b == b'.').collect();
    if parts.len() >= 2
        && parts.iter().all(|p| !p.is_empty() && (p[0].is_ascii_alphabetic() || p[0] == b'_') && p.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_'))
    {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    contains_any(&lower, &["os.environ", "process.env", "getenv", "env(", "env:", "secrets.", "vault:", "/run/secrets"])
}

/// A path or URL rather than a secret.
pub fn is_path_or_url(s: &[u8]) -> bool {
    if s.starts_with(b"/") || s.starts_with(b"./") || s.starts_with(b"../") || s.starts_with(b"~/") || memchr::memmem::find(s, b"://").is_some() {
        return true;
    }
    // dir/file.ext
    let ext_len = s.iter().rev().take_while(|b| b.is_ascii_lowercase()).count();
    s.contains(&b'/') && (1..=5).contains(&ext_len) && s.len() > ext_len && s[s.len() - ext_len - 1] == b'.'
}

/// Key names that hold non-secret data about a secret (its URL, type, length, …).
/// `key` is the name as written (case kept, so `tokenUrl` splits like `token_url`).
pub fn is_non_secret_key_name(key: &[u8]) -> bool {
    const SUFFIXES: &[&str] = &[
        "url", "uri", "endpoint", "path", "file", "name", "type", "len", "length", "size", "count", "field", "label", "format", "prompt", "hint", "header",
        "param", "policy", "mode", "id", "expiry", "expires", "ttl", "timeout", "regex", "pattern", "prefix", "hash", "digest", "sha", "sha1", "sha256",
        "checksum", "version", "env", "var",
    ];
    const INFIXES: &[&str] = &[
        "hash",
        "checksum",
        "digest",
        "integrity",
        "fingerprint",
        "public",
        "pubkey",
        "sha1",
        "sha256",
        "sha512",
        "commit",
        "revision",
        "etag",
        "nonce",
        "csrf",
        "tokenizer",
        "max_token",
        "maxtoken",
        "num_token",
        "token_count",
        "tokens_per",
        "salt",
    ];
    let mut end = key.len();
    while end > 0 && !key[end - 1].is_ascii_alphanumeric() {
        end -= 1;
    }
    let key = &key[..end];
    let lower = key.to_ascii_lowercase();
    if contains_any(&lower, INFIXES) {
        return true;
    }
    SUFFIXES.iter().any(|s| {
        let n = s.len();
        lower.ends_with(s.as_bytes())
            && (lower.len() == n
                || matches!(key[key.len() - n - 1], b'_' | b'-' | b'.')
                || (key[key.len() - n].is_ascii_uppercase() && key[key.len() - n - 1].is_ascii_lowercase()))
    })
}

/// Character classes present: lower, upper, digit, other.
pub fn char_classes(s: &[u8]) -> usize {
    let mut seen = [false; 4];
    for &b in s {
        let i = if b.is_ascii_lowercase() {
            0
        } else if b.is_ascii_uppercase() {
            1
        } else if b.is_ascii_digit() {
            2
        } else {
            3
        };
        seen[i] = true;
    }
    seen.iter().filter(|&&x| x).count()
}

/// File names whose content is machine-generated dependency pins full of hashes.
pub fn is_lockfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "package-lock.json"
            | "npm-shrinkwrap.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "Cargo.lock"
            | "go.sum"
            | "poetry.lock"
            | "Pipfile.lock"
            | "composer.lock"
            | "Gemfile.lock"
            | "uv.lock"
            | "bun.lock"
            | "flake.lock"
            | "packages.lock.json"
            | "gradle.lockfile"
            | "mix.lock"
            | "pubspec.lock"
            | "Podfile.lock"
            | "deno.lock"
    )
}

/// Minified or bundled code, judged by name or by an average line length far beyond source.
pub fn is_minified(path: &str, data: &[u8]) -> bool {
    if path.ends_with(".min.js") || path.ends_with(".min.css") || path.ends_with(".bundle.js") || path.ends_with(".map") {
        return true;
    }
    let sample = &data[..data.len().min(64 * 1024)];
    if sample.len() < 2048 {
        return false;
    }
    let lines = memchr::memchr_iter(b'\n', sample).count() + 1;
    sample.len() / lines > 400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [&b"AKIAIOSFODNN7EXAMPLE"[..], b"<your-api-key>", b"${API_TOKEN}", b"xxxxxxxxxxxx", b"changeme-please", b"{{ secret }}", b"aaaaaaaaaaaaaaaa"] {
            assert!(is_placeholder(p), "{}", String::from_utf8_lossy(p));
        }
        assert!(!is_placeholder(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8a3kLmNo"));
        assert!(is_generic_placeholder(b"test1234"));
        assert!(is_generic_placeholder(b"mypassword1"));
        assert!(!is_generic_placeholder(b"Xk9#mP2$vLq7"));
    }

    #[test]
    fn shapes() {
        assert!(is_uuid(b"550e8400-e29b-41d4-a716-446655440000"));
        assert!(!is_uuid(b"550e8400e29b41d4a716446655440000"));
        assert!(is_hex_digest(b"da39a3ee5e6b4b0d3255bfef95601890afd80709"));
        assert!(!is_hex_digest(b"da39a3ee5e6b4b0d3255bfef95601890afd8070g"));
        assert!(is_code_reference(b"os.environ.get", false));
        assert!(is_code_reference(b"config.db.password", true));
        assert!(is_code_reference(b"$DB_PASSWORD", true));
        assert!(!is_code_reference(b"!43H0T856PfzdRW36", true));
        assert!(is_code_reference(b"&password", false));
        assert!(is_code_reference(b"getToken()", false));
        assert!(is_code_reference(b"windows_sys::core::PCWSTR", false));
        assert!(is_code_reference(b":Struct", false));
        assert!(!is_code_reference(b"Xk9#mP2.vLq7", false));
        assert!(is_path_or_url(b"/etc/ssl/private.pem"));
        assert!(is_path_or_url(b"man3/d2i_PrivateKey.pod"));
        assert!(!is_path_or_url(b"Zk9/x+Qm2Lp7Vw"));
        assert!(is_non_secret_key_name(b"token_url"));
        assert!(is_non_secret_key_name(b"password_hash"));
        assert!(is_non_secret_key_name(b"max_tokens"));
        assert!(is_non_secret_key_name(b"tokenUrl"));
        assert!(!is_non_secret_key_name(b"clientSecret"));
        assert!(!is_non_secret_key_name(b"db_password"));
        assert!(!is_non_secret_key_name(b"api_key"));
        assert_eq!(char_classes(b"aB3!"), 4);
        assert!(is_lockfile("web/package-lock.json"));
        assert!(!is_lockfile("web/package.json"));
    }

    #[test]
    fn minified_detection() {
        let long = vec![b'a'; 10_000];
        assert!(is_minified("x.js", &long));
        assert!(is_minified("app.min.js", b"x"));
        let normal = "let x = 1;\n".repeat(1000);
        assert!(!is_minified("x.js", normal.as_bytes()));
    }
}
