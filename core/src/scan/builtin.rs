//! The built-in rules. Each is a provider's token shape (or a key=value shape for the catch-all
//! rules) behind cheap keywords, with validators that reject placeholders and look-alikes.

use super::entropy::shannon;
use super::filters::{
    char_classes, has_placeholder_word, is_code_reference, is_generic_placeholder, is_hex_digest, is_non_secret_key_name, is_path_or_url, is_placeholder,
    is_uuid,
};
use super::rule::{Candidate, Rule, Window};
use regex::bytes::{Regex, RegexBuilder};

fn re(pattern: &str) -> Regex {
    // Built-in patterns are constants covered by unit tests; ASCII mode (`(?-u)`) keeps the
    // fast DFA engines usable on arbitrary bytes.
    RegexBuilder::new(&format!("(?-u){pattern}"))
        .size_limit(32 << 20)
        .build()
        .unwrap_or_else(|e| panic!("built-in scanner regex {pattern:?} does not compile: {e}"))
}

/// Between a key and its value: closing quote (JSON-escaped too, `\"`, as in a notebook's
/// source lines), optional type annotation (`: &str`,
/// `: String`), then `=`, `:=`, `=>`, `:`, `>` (XML); or a quoted key, `,` and a quoted
/// value (`setdefault("KEY", "value")`); a fallback expression before the literal is skipped
/// (`process.env.KEY || "value"`, `os.getenv("KEY") or "value"` is not: calls are code).
const SEP: &str = r#"(?:\\?["'`]\s*,\s*[a-z]{0,2}\\?["'`]|\\?["'`]?\]?(?:\s*:\s*&?(?:'static\s+)?[A-Za-z_][\w:<>\[\]]*\??)?\s*(?::=|=>|=|:|>)\s*(?:[\w.\[\]'"]+\s*(?:\|\||\?\?|\bor\b)\s*)?(?:[a-z]{0,2}\\?["'`])?)"#;

fn rule(id: &str, description: &str, pattern: &str, keywords: &[&str]) -> Rule {
    let mut r = Rule::new(id, description, re(pattern), keywords);
    r.validator = Some(not_placeholder);
    r.tags = vec!["builtin".into()];
    r
}

fn with_entropy(mut r: Rule, min: f32) -> Rule {
    r.entropy = Some(min);
    r
}

fn not_placeholder(c: &Candidate) -> bool {
    !is_placeholder(c.secret)
}

/// The famous public example token from jwt.io's debugger.
const JWT_IO_SAMPLE_SIGNATURE: &[u8] = b"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

fn jwt_ok(c: &Candidate) -> bool {
    !is_placeholder(c.secret) && memchr::memmem::find(c.secret, JWT_IO_SAMPLE_SIGNATURE).is_none()
}

fn private_key_ok(c: &Candidate) -> bool {
    // The body, without whitespace, escaped newlines and armour headers, must look like real
    // base64 of some length.
    let mut body = Vec::with_capacity(c.secret.len());
    for line in c.secret.split(|&b| b == b'\n') {
        if line.contains(&b':') && !line.contains(&b'\\') {
            continue; // "Proc-Type: …", "Version: …" armour headers
        }
        body.extend_from_slice(line);
    }
    let body: Vec<u8> = String::from_utf8_lossy(&body).replace("\\n", "").replace("\\r", "").bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let b64 = body.iter().filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')).count();
    body.len() >= 64 && b64 * 100 >= body.len() * 95 && !has_placeholder_word(&body) && shannon(&body) > 4.5
}

fn url_credentials_ok(c: &Candidate) -> bool {
    let pw = c.secret;
    if pw.len() < 6 || is_generic_placeholder(pw) || is_code_reference(pw, false) || is_placeholder(c.matched) {
        return false;
    }
    // user:password where both are the same is a local default (postgres:postgres).
    let m = c.matched;
    if let Some(scheme_end) = memchr::memmem::find(m, b"://") {
        let user_start = scheme_end + 3;
        let user_end = c.secret_in_match.saturating_sub(1);
        if user_end > user_start && &m[user_start..user_end] == pw {
            return false;
        }
    }
    char_classes(pw) >= 2 || pw.len() >= 16
}

/// Source files where an unquoted value is a variable, not a literal.
fn is_code_file(path: &str) -> bool {
    const EXT: &[&str] = &[
        ".py", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java", ".kt", ".kts", ".scala", ".rb", ".php", ".cs", ".c", ".h", ".cc", ".cpp",
        ".hpp", ".swift", ".m", ".dart", ".lua", ".ex", ".exs", ".clj", ".groovy", ".vue", ".svelte",
    ];
    EXT.iter().any(|e| path.ends_with(e))
}

/// How many `Word`s (an upper-case letter and 3+ lower-case ones) a camelCase name has.
fn camel_words(s: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii_uppercase() {
            let run = s[i + 1..].iter().take_while(|b| b.is_ascii_lowercase()).count();
            if run >= 3 {
                n += 1;
            }
            i += 1 + run;
        } else {
            i += 1;
        }
    }
    n
}

fn is_identifier(s: &[u8]) -> bool {
    !s.is_empty() && (s[0].is_ascii_alphabetic() || s[0] == b'_') && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// The catch-all `key = value` rule: the key must name a secret and the value must look
/// like one written by hand or a machine, not code, a placeholder, a path, a hash or a UUID.
fn generic_assignment_ok(c: &Candidate) -> bool {
    let v = c.secret;
    if v.len() > 200 {
        return false;
    }
    let key_len = c.matched.iter().position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))).unwrap_or(c.matched.len());
    let key = &c.matched[..key_len];
    if is_non_secret_key_name(key) {
        return false;
    }
    let quoted = c.secret_in_match > 0 && matches!(c.matched[c.secret_in_match - 1], b'"' | b'\'' | b'`');
    if is_generic_placeholder(v) || is_code_reference(v, quoted) || is_path_or_url(v) || is_uuid(v) {
        return false;
    }
    // Numbers are flags, sizes and error codes; dotted numbers are versions, OIDs, addresses.
    if v.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        || (v.len() > 2 && (v.starts_with(b"0x") || v.starts_with(b"0X")) && v[2..].iter().all(|b| b.is_ascii_hexdigit()))
    {
        return false;
    }
    // In source code a literal secret is quoted; an unquoted value is a variable, a constant
    // or an expression, unless it is long and random (a value pasted into a comment).
    if !quoted && is_code_file(c.path) {
        let digits = v.iter().filter(|b| b.is_ascii_digit()).count();
        if is_identifier(v) && (v.contains(&b'_') || digits < 3 || camel_words(v) >= 2) {
            return false;
        }
        let random_enough = v.len() >= 16
            && shannon(v) >= 3.5
            && v.iter().any(|b| b.is_ascii_digit())
            && v.iter().any(|b| b.is_ascii_alphabetic())
            && !v.contains(&b'.')
            && !v.contains(&b':');
        if !random_enough {
            return false;
        }
    }
    if is_hex_digest(v) && v.len() > 64 {
        return false;
    }
    let has_digit = v.iter().any(|b| b.is_ascii_digit());
    let classes = char_classes(v);
    if !(has_digit && classes >= 2 || classes >= 3) {
        return false;
    }
    // Lower-case words with a counter (`progress-1`, `tuple.0.0`) are ids, and
    // percent-encoded text (`caf%C3%A9`) is URL test data.
    let digit_count = v.iter().filter(|b| b.is_ascii_digit()).count();
    if !v.iter().any(|b| b.is_ascii_uppercase()) && digit_count <= 2 && v.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        return false;
    }
    if v.windows(3).filter(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit()).count() >= 2 {
        return false;
    }
    // Lowercase words joined by separators (`my-service-name-2`) read as names, not secrets.
    let letters = v.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let upper = v.iter().filter(|b| b.is_ascii_uppercase()).count();
    let seps = v.iter().filter(|b| matches!(b, b'-' | b'_' | b'.')).count();
    if upper == 0 && seps >= 2 && letters * 10 >= v.len() * 7 {
        return false;
    }
    true
}

fn bearer_ok(c: &Candidate) -> bool {
    !is_generic_placeholder(c.secret) && !is_code_reference(c.secret, false) && shannon(c.secret) > 3.5
}

fn npm_auth_ok(c: &Candidate) -> bool {
    !is_placeholder(c.secret) && !is_code_reference(c.secret, false)
}

/// Every built-in rule.
pub fn rules() -> Vec<Rule> {
    let mut rules = vec![
        with_entropy(rule("aws-access-key-id", "AWS access key id", r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b", &["akia", "asia", "abia", "acca"]), 3.0),
        with_entropy(
            rule(
                "aws-secret-access-key",
                "AWS secret access key",
                &format!(r#"(?i)(?:aws[\w.\-]*|secret_?access_?key){SEP}([A-Za-z0-9/+]{{40}})(?:[^A-Za-z0-9/+=]|$)"#),
                &["aws", "secretaccesskey", "secret_access_key"],
            ),
            4.0,
        ),
        with_entropy(rule("gcp-api-key", "Google Cloud / Firebase API key", r"\b(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)", &["aiza"]), 3.5),
        with_entropy(
            rule("gcp-service-account-key", "Google Cloud service-account key id", r#""private_key_id"\s*:\s*"([a-f0-9]{40})""#, &["private_key_id"]),
            3.0,
        ),
        with_entropy(
            rule(
                "azure-storage-account-key",
                "Azure storage account key",
                r#"(?i)(?:AccountKey\s*=\s*([A-Za-z0-9+/]{86}==)|azure[\w.\-]{0,30}(?:key|secret)[\w.\-]{0,10}["']?\s*(?::=|=>|=|:)\s*["']?([A-Za-z0-9+/]{86}==))"#,
                &["accountkey", "azure"],
            ),
            4.0,
        ),
        with_entropy(
            rule(
                "azure-ad-client-secret",
                "Azure AD (Entra ID) client secret",
                r"(?:^|[^A-Za-z0-9_~.\-])([A-Za-z0-9_~.\-]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34})(?:[^A-Za-z0-9_~.\-]|$)",
                &["q~"],
            ),
            3.5,
        ),
        with_entropy(
            rule(
                "github-token",
                "GitHub token (personal, OAuth, user-to-server, server-to-server, refresh)",
                r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36})\b",
                &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
            ),
            3.5,
        ),
        with_entropy(
            rule("github-fine-grained-pat", "GitHub fine-grained personal access token", r"\b(github_pat_[A-Za-z0-9_]{80,90})\b", &["github_pat_"]),
            3.5,
        ),
        with_entropy(
            rule(
                "gitlab-token",
                "GitLab token (personal, deploy, runner, trigger, …)",
                r"\b((?:glpat|gldt|glrt|glptt|glsoat|glft|glcbt)-[0-9A-Za-z_\-]{20}[0-9A-Za-z_\-.]{0,60})",
                &["glpat-", "gldt-", "glrt-", "glptt-", "glsoat-", "glft-", "glcbt-"],
            ),
            3.5,
        ),
        with_entropy(
            rule(
                "slack-token",
                "Slack token",
                r"\b(xox[abposre]-[0-9A-Za-z\-]{20,200}|xapp-[0-9]-[A-Z0-9]{8,}-[0-9]{8,}-[a-z0-9]{32,})",
                &["xoxb-", "xoxp-", "xoxa-", "xoxo-", "xoxs-", "xoxr-", "xoxe-", "xapp-"],
            ),
            3.0,
        ),
        with_entropy(
            rule(
                "slack-webhook-url",
                "Slack incoming webhook URL",
                r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_\-]{30,})",
                &["hooks.slack.com"],
            ),
            3.5,
        ),
        with_entropy(rule("telegram-bot-token", "Telegram bot token", r"\b([0-9]{8,10}:AA[0-9A-Za-z_\-]{33})(?:[^0-9A-Za-z_\-]|$)", &[":aa"]), 3.5),
        {
            let mut r = with_entropy(
                rule(
                    "discord-bot-token",
                    "Discord bot token",
                    r"\b([MNO][A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,40})(?:[^0-9A-Za-z_\-]|$)",
                    &["discord"],
                ),
                4.0,
            );
            r.window = Window::Lines { before: 4, after: 4 };
            r
        },
        with_entropy(
            rule(
                "discord-webhook-url",
                "Discord webhook URL",
                r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_\-]{60,70})",
                &["discord"],
            ),
            3.5,
        ),
        with_entropy(
            rule(
                "stripe-secret-key",
                "Stripe secret or restricted key",
                r"\b((?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,247})\b",
                &["sk_live_", "rk_live_", "sk_test_", "rk_test_"],
            ),
            3.5,
        ),
        with_entropy(rule("stripe-webhook-secret", "Stripe webhook signing secret", r"\b(whsec_[A-Za-z0-9+/]{32,64})\b", &["whsec_"]), 3.5),
        {
            let mut r = with_entropy(rule("twilio-api-key", "Twilio API key", r"\b(SK[0-9a-fA-F]{32})\b", &["twilio"]), 3.0);
            r.window = Window::Lines { before: 5, after: 5 };
            r
        },
        with_entropy(
            rule("twilio-auth-token", "Twilio auth token", &format!(r#"(?i)twilio[\w.\-]*(?:auth|token|secret)[\w.\-]*{SEP}([0-9a-f]{{32}})\b"#), &["twilio"]),
            3.0,
        ),
        with_entropy(rule("sendgrid-api-key", "SendGrid API key", r"\b(SG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43})(?:[^0-9A-Za-z_\-]|$)", &["sg."]), 4.0),
        with_entropy(
            rule(
                "openai-api-key",
                "OpenAI API key",
                r"\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}T3BlbkFJ[A-Za-z0-9_\-]{16,}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,250})",
                &["t3blbkfj", "sk-proj-", "sk-svcacct-", "sk-admin-"],
            ),
            4.0,
        ),
        with_entropy(rule("anthropic-api-key", "Anthropic API key", r"\b(sk-ant-(?:api|admin|sid|oat|ort)[0-9]{2}-[A-Za-z0-9_\-]{80,120})", &["sk-ant-"]), 4.0),
        with_entropy(rule("huggingface-token", "Hugging Face access token", r"\b(hf_[A-Za-z0-9]{34,40})\b", &["hf_"]), 3.5),
        with_entropy(rule("npm-access-token", "npm access token", r"\b(npm_[A-Za-z0-9]{36})\b", &["npm_"]), 3.5),
        {
            let mut r = rule(
                "npm-auth-token",
                "npm registry auth token in .npmrc",
                r#"(?im)(?::_auth(?:Token)?|^\s*_auth(?:Token)?|npmAuthToken)\s*[=:]\s*["']?([^\s"'$]{20,})"#,
                &["_auth", "npmauthtoken"],
            );
            r.validator = Some(npm_auth_ok);
            with_entropy(r, 3.5)
        },
        with_entropy(
            rule(
                "pypi-token",
                "PyPI upload token",
                r"\b(pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]{50,})",
                &["pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"],
            ),
            4.0,
        ),
        {
            let mut r = rule(
                "private-key",
                "Private key (PEM, OpenSSH, PGP)",
                r"(?s)-----BEGIN[ A-Z0-9_\-]{0,40}PRIVATE KEY(?: BLOCK)?-----(.{64,}?)-----END[ A-Z0-9_\-]{0,40}PRIVATE KEY(?: BLOCK)?-----",
                &["-----begin"],
            );
            r.window = Window::Forward { bytes: 64 * 1024 };
            r.validator = Some(private_key_ok);
            r
        },
        {
            let mut r = rule("jwt", "JSON Web Token", r"\b(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})", &["eyj"]);
            r.validator = Some(jwt_ok);
            with_entropy(r, 4.0)
        },
        {
            // Every value of a Secret's `data` (base64) or `stringData` is a secret, whatever
            // it looks like; the validator checks the entry sits there.
            let mut r = rule(
                "kubernetes-secret-data",
                "Value in a Kubernetes Secret manifest (data / stringData)",
                r#"(?m)^[ \t]+[\w.\-]+[ \t]*:[ \t]*["']?([^\s"'|>{}#&*!%@`][^\s"']*)["']?[ \t]*\r?$"#,
                &["secret"],
            );
            r.path = Some(re(r"(?i)\.(?:ya?ml)$"));
            r.window = Window::WholeFile;
            r.validator = Some(super::k8s_secret::in_secret_data);
            r
        },
        {
            let mut r = rule(
                "url-credentials",
                "Credentials in a URL (scheme://user:password@host)",
                r#"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://([^\s:/?#@'"`<>{}]{1,64}):([^\s/'"`<>]{1,128})@[A-Za-z0-9._\-\[\]]{2,}"#,
                &["://"],
            );
            r.secret_group = 2;
            r.validator = Some(url_credentials_ok);
            r
        },
        {
            let mut r = rule("authorization-bearer", "Bearer token in an Authorization header", r"(?i)\bbearer\s+([A-Za-z0-9_\-.=:/+~]{24,})", &["bearer"]);
            r.validator = Some(bearer_ok);
            r.generic = true;
            r
        },
        {
            let mut r = rule(
                "generic-secret-assignment",
                "Secret assigned to a password/secret/token/API-key variable",
                &format!(
                    r#"(?i)([\w.\-]*?(?:password|passwd|passphrase|pwd|secret|token|api[_\-]?key|access[_\-]?key|auth[_\-]?key|credentials?|private[_\-]?key)[\w.\-]*){SEP}([^\s"'`;,\\<()\[\]{{}}]{{8,}})(?:["'`;,\s\\<)\]}}]|$)"#
                ),
                &[
                    "password",
                    "passwd",
                    "passphrase",
                    "pwd",
                    "secret",
                    "token",
                    "api_key",
                    "apikey",
                    "api-key",
                    "access_key",
                    "accesskey",
                    "auth_key",
                    "authkey",
                    "credential",
                    "private_key",
                    "privatekey",
                ],
            );
            r.secret_group = 2;
            r.validator = Some(generic_assignment_ok);
            r.generic = true;
            with_entropy(r, 2.7)
        },
    ];
    for r in &mut rules {
        if r.id == "private-key" || r.id == "jwt" || r.id == "url-credentials" {
            r.tags.push("format".into());
        }
    }
    rules
}
