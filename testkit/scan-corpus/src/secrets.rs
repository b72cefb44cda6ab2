//! Fake but realistically shaped secrets, one generator per kind. Every value is random; none
//! is a real credential.

use super::rng::{Rng, ALNUM, B64, B64URL, BASE32, DIGITS, HEX, LOWER, UPPER};

/// The kinds of secret the corpus plants. `rule()` is the built-in rule expected to fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    AwsAccessKeyId,
    AwsSecretKey,
    GcpApiKey,
    GcpServiceAccount,
    AzureStorageKey,
    AzureAdClientSecret,
    GithubToken,
    GithubFineGrained,
    GitlabToken,
    SlackToken,
    SlackWebhook,
    TelegramBot,
    DiscordBot,
    DiscordWebhook,
    StripeKey,
    StripeWebhook,
    TwilioApiKey,
    TwilioAuthToken,
    SendgridKey,
    OpenAiKey,
    AnthropicKey,
    HuggingFace,
    NpmToken,
    PypiToken,
    RsaPrivateKey,
    OpenSshPrivateKey,
    PgpPrivateKey,
    Jwt,
    UrlCredentials,
    GenericPassword,
    GenericApiKey,
}

impl SecretKind {
    pub const ALL: &'static [SecretKind] = &[
        SecretKind::AwsAccessKeyId,
        SecretKind::AwsSecretKey,
        SecretKind::GcpApiKey,
        SecretKind::GcpServiceAccount,
        SecretKind::AzureStorageKey,
        SecretKind::AzureAdClientSecret,
        SecretKind::GithubToken,
        SecretKind::GithubFineGrained,
        SecretKind::GitlabToken,
        SecretKind::SlackToken,
        SecretKind::SlackWebhook,
        SecretKind::TelegramBot,
        SecretKind::DiscordBot,
        SecretKind::DiscordWebhook,
        SecretKind::StripeKey,
        SecretKind::StripeWebhook,
        SecretKind::TwilioApiKey,
        SecretKind::TwilioAuthToken,
        SecretKind::SendgridKey,
        SecretKind::OpenAiKey,
        SecretKind::AnthropicKey,
        SecretKind::HuggingFace,
        SecretKind::NpmToken,
        SecretKind::PypiToken,
        SecretKind::RsaPrivateKey,
        SecretKind::OpenSshPrivateKey,
        SecretKind::PgpPrivateKey,
        SecretKind::Jwt,
        SecretKind::UrlCredentials,
        SecretKind::GenericPassword,
        SecretKind::GenericApiKey,
    ];

    /// Short stable name (corpus labels, bench breakdown).
    pub fn name(self) -> &'static str {
        match self {
            SecretKind::AwsAccessKeyId => "aws-access-key-id",
            SecretKind::AwsSecretKey => "aws-secret-key",
            SecretKind::GcpApiKey => "gcp-api-key",
            SecretKind::GcpServiceAccount => "gcp-service-account",
            SecretKind::AzureStorageKey => "azure-storage-key",
            SecretKind::AzureAdClientSecret => "azure-ad-client-secret",
            SecretKind::GithubToken => "github-token",
            SecretKind::GithubFineGrained => "github-fine-grained-pat",
            SecretKind::GitlabToken => "gitlab-token",
            SecretKind::SlackToken => "slack-token",
            SecretKind::SlackWebhook => "slack-webhook",
            SecretKind::TelegramBot => "telegram-bot-token",
            SecretKind::DiscordBot => "discord-bot-token",
            SecretKind::DiscordWebhook => "discord-webhook",
            SecretKind::StripeKey => "stripe-key",
            SecretKind::StripeWebhook => "stripe-webhook-secret",
            SecretKind::TwilioApiKey => "twilio-api-key",
            SecretKind::TwilioAuthToken => "twilio-auth-token",
            SecretKind::SendgridKey => "sendgrid-api-key",
            SecretKind::OpenAiKey => "openai-api-key",
            SecretKind::AnthropicKey => "anthropic-api-key",
            SecretKind::HuggingFace => "huggingface-token",
            SecretKind::NpmToken => "npm-token",
            SecretKind::PypiToken => "pypi-token",
            SecretKind::RsaPrivateKey => "rsa-private-key",
            SecretKind::OpenSshPrivateKey => "openssh-private-key",
            SecretKind::PgpPrivateKey => "pgp-private-key",
            SecretKind::Jwt => "jwt",
            SecretKind::UrlCredentials => "url-credentials",
            SecretKind::GenericPassword => "generic-password",
            SecretKind::GenericApiKey => "generic-api-key",
        }
    }

    /// Variable names a developer would use for it.
    pub fn var_names(self) -> &'static [&'static str] {
        match self {
            SecretKind::AwsAccessKeyId => &["AWS_ACCESS_KEY_ID", "aws_access_key_id", "accessKeyId"],
            SecretKind::AwsSecretKey => &["AWS_SECRET_ACCESS_KEY", "aws_secret_access_key", "aws_secret_key"],
            SecretKind::GcpApiKey => &["GOOGLE_API_KEY", "firebaseApiKey", "MAPS_API_KEY", "apiKey"],
            SecretKind::AzureAdClientSecret => &["AZURE_CLIENT_SECRET", "clientSecret", "client_secret"],
            SecretKind::GithubToken | SecretKind::GithubFineGrained => &["GITHUB_TOKEN", "GH_TOKEN", "github_token", "token"],
            SecretKind::GitlabToken => &["GITLAB_TOKEN", "CI_JOB_TOKEN_OVERRIDE", "gitlab_private_token"],
            SecretKind::SlackToken => &["SLACK_BOT_TOKEN", "SLACK_TOKEN", "slack_token"],
            SecretKind::SlackWebhook => &["SLACK_WEBHOOK_URL", "webhook_url", "slackHook"],
            SecretKind::TelegramBot => &["TELEGRAM_BOT_TOKEN", "BOT_TOKEN", "telegram_token"],
            SecretKind::DiscordBot => &["DISCORD_TOKEN", "DISCORD_BOT_TOKEN", "discord_token"],
            SecretKind::DiscordWebhook => &["DISCORD_WEBHOOK", "discord_webhook_url"],
            SecretKind::StripeKey => &["STRIPE_SECRET_KEY", "STRIPE_API_KEY", "stripe.api_key"],
            SecretKind::StripeWebhook => &["STRIPE_WEBHOOK_SECRET", "endpoint_secret"],
            SecretKind::TwilioApiKey => &["TWILIO_API_KEY", "twilio_api_key_sid"],
            SecretKind::TwilioAuthToken => &["TWILIO_AUTH_TOKEN", "twilio_auth_token"],
            SecretKind::SendgridKey => &["SENDGRID_API_KEY", "sendgrid_key", "SG_KEY"],
            SecretKind::OpenAiKey => &["OPENAI_API_KEY", "openai.api_key", "OPENAI_KEY"],
            SecretKind::AnthropicKey => &["ANTHROPIC_API_KEY", "anthropic_key", "CLAUDE_KEY"],
            SecretKind::HuggingFace => &["HF_TOKEN", "HUGGINGFACE_HUB_TOKEN", "hf_token"],
            SecretKind::NpmToken => &["NPM_TOKEN", "NODE_AUTH_TOKEN"],
            SecretKind::PypiToken => &["PYPI_TOKEN", "TWINE_PASSWORD", "pypi_api_token"],
            SecretKind::Jwt => &["ACCESS_TOKEN", "id_token", "authToken", "SERVICE_JWT"],
            SecretKind::UrlCredentials => &["DATABASE_URL", "REDIS_URL", "AMQP_URL", "mongo_uri"],
            SecretKind::GenericPassword => &["DB_PASSWORD", "password", "POSTGRES_PASSWORD", "adminPassword", "smtp_password", "MYSQL_ROOT_PASSWORD"],
            SecretKind::GenericApiKey => &["API_KEY", "api_key", "apiKey", "SERVICE_TOKEN", "client_secret", "SECRET_KEY"],
            _ => &["SECRET"],
        }
    }
}

fn mixed(rng: &mut Rng, len: usize) -> String {
    rng.string(ALNUM, len)
}

/// A random value of the given kind, as it would be written after `NAME=`.
pub fn value(kind: SecretKind, rng: &mut Rng) -> String {
    match kind {
        SecretKind::AwsAccessKeyId => format!("{}{}", rng.pick(&["AKIA", "ASIA"]), rng.string(BASE32, 16)),
        SecretKind::AwsSecretKey => rng.string(B64, 40),
        SecretKind::GcpApiKey => format!("AIza{}", rng.string(B64URL, 35)),
        SecretKind::GcpServiceAccount => rng.string(HEX, 40),
        SecretKind::AzureStorageKey => format!("{}==", rng.string(B64, 86)),
        SecretKind::AzureAdClientSecret => format!(
            "{}{}Q~{}",
            rng.string(ALNUM, 3),
            rng.string(DIGITS, 1),
            rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-", 34)
        ),
        SecretKind::GithubToken => format!("{}_{}", rng.pick(&["ghp", "gho", "ghu", "ghs", "ghr"]), mixed(rng, 36)),
        SecretKind::GithubFineGrained => format!("github_pat_11{}_{}", rng.string(ALNUM, 20), mixed(rng, 59)),
        SecretKind::GitlabToken => format!("{}-{}", rng.pick(&["glpat", "glpat", "gldt", "glrt"]), rng.string(B64URL, 20)),
        SecretKind::SlackToken => match rng.below(3) {
            0 => format!("xoxb-{}-{}-{}", rng.string(DIGITS, 12), rng.string(DIGITS, 13), mixed(rng, 24)),
            1 => format!("xoxp-{}-{}-{}-{}", rng.string(DIGITS, 12), rng.string(DIGITS, 12), rng.string(DIGITS, 13), rng.string(HEX, 32)),
            _ => format!("xapp-1-A{}-{}-{}", rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10), rng.string(DIGITS, 13), rng.string(HEX, 64)),
        },
        SecretKind::SlackWebhook => format!(
            "https://hooks.slack.com/services/T{}/B{}/{}",
            rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8),
            rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10),
            mixed(rng, 24)
        ),
        SecretKind::TelegramBot => format!("{}:AA{}", rng.range(100_000_000, 7_999_999_999), rng.string(B64URL, 33)),
        SecretKind::DiscordBot => format!("{}{}.{}.{}", rng.pick(&["M", "N", "O"]), rng.string(ALNUM, 25), rng.string(B64URL, 6), rng.string(B64URL, 38)),
        SecretKind::DiscordWebhook => format!("https://discord.com/api/webhooks/{}/{}", rng.string(DIGITS, 18), rng.string(B64URL, 68)),
        SecretKind::StripeKey => format!("{}_{}_{}", rng.pick(&["sk", "sk", "rk"]), rng.pick(&["live", "live", "test"]), rng.string_between(ALNUM, 24, 99)),
        SecretKind::StripeWebhook => format!("whsec_{}", mixed(rng, 32)),
        SecretKind::TwilioApiKey => format!("SK{}", rng.string(HEX, 32)),
        SecretKind::TwilioAuthToken => rng.string(HEX, 32),
        SecretKind::SendgridKey => format!("SG.{}.{}", rng.string(B64URL, 22), rng.string(B64URL, 43)),
        SecretKind::OpenAiKey => match rng.below(3) {
            0 => format!("sk-{}T3BlbkFJ{}", mixed(rng, 20), mixed(rng, 20)),
            1 => format!("sk-proj-{}T3BlbkFJ{}", rng.string(B64URL, 74), rng.string(B64URL, 74)),
            _ => format!("sk-svcacct-{}T3BlbkFJ{}", rng.string(B64URL, 74), rng.string(B64URL, 74)),
        },
        SecretKind::AnthropicKey => format!("sk-ant-api03-{}AA", rng.string(B64URL, 93)),
        SecretKind::HuggingFace => format!("hf_{}", rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34)),
        SecretKind::NpmToken => format!("npm_{}", mixed(rng, 36)),
        SecretKind::PypiToken => format!("pypi-AgEIcHlwaS5vcmc{}", rng.string_between(B64URL, 60, 160)),
        SecretKind::Jwt => jwt(rng),
        SecretKind::UrlCredentials => {
            let scheme = *rng.pick(&["postgres", "postgresql", "mysql", "mongodb+srv", "redis", "amqps", "https"]);
            let user = *rng.pick(&["app", "svc_billing", "deploy", "admin_rw", "etl"]);
            let host = *rng.pick(&["db.internal.acme.io", "10.0.3.17", "cluster0.x7k2p.mongodb.net", "cache-prod-2", "mq.prod.svc"]);
            format!("{scheme}://{user}:{}@{host}/main", password(rng))
        }
        SecretKind::GenericPassword => password(rng),
        SecretKind::GenericApiKey => match rng.below(3) {
            0 => rng.string_between(ALNUM, 24, 48),
            1 => rng.string(HEX, 32),
            _ => rng.string(B64URL, 40),
        },
        SecretKind::RsaPrivateKey | SecretKind::OpenSshPrivateKey | SecretKind::PgpPrivateKey => private_key(kind, rng),
    }
}

/// A hand-made-looking password: words, digits and symbols mixed, or random.
pub fn password(rng: &mut Rng) -> String {
    const WORDS: &[&str] = &["Falcon", "river", "Mango", "orbit", "Quartz", "tundra", "Cobalt", "lemon", "Vortex", "maple"];
    match rng.below(3) {
        0 => format!("{}{}{}{}", rng.pick(WORDS), rng.pick(&["!", "#", "_", "@", "%", "."]), rng.range(10, 9999), rng.pick(WORDS)),
        1 => {
            let mut s = rng.string_between(ALNUM, 10, 20);
            let at = rng.below(s.len());
            s.insert(at, *rng.pick(&['!', '#', '%', '&', '*', '^', '~']));
            s.push_str(&rng.string(DIGITS, 2));
            s
        }
        _ => format!("{}{}{}", rng.string(UPPER, 2), rng.string(LOWER, 6), rng.string(DIGITS, 4)),
    }
}

fn b64_lines(rng: &mut Rng, total: usize, width: usize) -> String {
    let body = rng.string(B64, total);
    body.as_bytes().chunks(width).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\n")
}

/// A PEM / OpenSSH / PGP private key block (random body).
pub fn private_key(kind: SecretKind, rng: &mut Rng) -> String {
    match kind {
        SecretKind::OpenSshPrivateKey => format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n{}\n-----END OPENSSH PRIVATE KEY-----",
            b64_lines(rng, 70 * 5, 70)
        ),
        SecretKind::PgpPrivateKey => format!(
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF{}\n={}\n-----END PGP PRIVATE KEY BLOCK-----",
            b64_lines(rng, 64 * 12, 64),
            rng.string(B64, 4)
        ),
        _ => {
            let label = *rng.pick(&["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY"]);
            let len = if label == "EC PRIVATE KEY" { 64 * 3 } else { 64 * 25 };
            format!("-----BEGIN {label}-----\nMII{}\n-----END {label}-----", b64_lines(rng, len, 64))
        }
    }
}

fn b64url_json(rng: &mut Rng, json: &str) -> String {
    // base64url without padding, written by hand to stay dependency-free.
    let _ = rng;
    let bytes = json.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(B64URL[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A signed JWT with a plausible header and claims.
pub fn jwt(rng: &mut Rng) -> String {
    let alg = *rng.pick(&["HS256", "RS256", "ES256"]);
    let header = format!("{{\"alg\":\"{alg}\",\"typ\":\"JWT\"}}");
    let claims = format!(
        "{{\"sub\":\"{}\",\"iss\":\"https://auth.{}.io\",\"iat\":{},\"exp\":{},\"scope\":\"read write\"}}",
        rng.string(DIGITS, 10),
        rng.pick(&["acme", "globex", "initech"]),
        1_700_000_000 + rng.below(50_000_000),
        1_760_000_000 + rng.below(50_000_000)
    );
    let sig_len = if alg == "HS256" { 43 } else { 86 };
    let h = b64url_json(rng, &header);
    let c = b64url_json(rng, &claims);
    format!("{h}.{c}.{}", rng.string(B64URL, sig_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_header_is_base64url_json() {
        let mut rng = Rng::new(3);
        let t = jwt(&mut rng);
        assert!(t.starts_with("eyJ"));
        assert_eq!(t.split('.').count(), 3);
    }

    #[test]
    fn every_kind_generates() {
        let mut rng = Rng::new(9);
        for &k in SecretKind::ALL {
            assert!(value(k, &mut rng).len() >= 8, "{}", k.name());
        }
    }
}
