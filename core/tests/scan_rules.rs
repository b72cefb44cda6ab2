//! Every built-in rule: a realistic positive fires it, look-alikes do not.
//! Secrets are generated at run time (random, fake) so this file holds none.

use sandbox_core::scan::{InlineAllow, Scanner};
use scan_corpus::secrets::{self, SecretKind};
use scan_corpus::Rng;

fn rules_hit(path: &str, text: &str) -> Vec<String> {
    let mut ids: Vec<String> = Scanner::builtin().scan_bytes(path, text.as_bytes()).into_iter().map(|f| f.rule_id).collect();
    ids.sort();
    ids.dedup();
    ids
}

fn assert_hits(path: &str, text: &str, rule: &str) {
    let ids = rules_hit(path, text);
    assert!(ids.iter().any(|r| r == rule), "expected {rule} on {text:?}, got {ids:?}");
}

fn assert_clean(path: &str, text: &str) {
    let ids = rules_hit(path, text);
    assert!(ids.is_empty(), "expected no finding on {text:?}, got {ids:?}");
}

fn v(kind: SecretKind, seed: u64) -> String {
    secrets::value(kind, &mut Rng::new(seed))
}

#[test]
fn aws() {
    for seed in 0..5 {
        assert_hits(".env", &format!("AWS_ACCESS_KEY_ID={}", v(SecretKind::AwsAccessKeyId, seed)), "aws-access-key-id");
        assert_hits("c.py", &format!("aws_secret_access_key = \"{}\"", v(SecretKind::AwsSecretKey, seed)), "aws-secret-access-key");
        assert_hits("c.py", &format!("os.environ.setdefault(\"AWS_SECRET_ACCESS_KEY\", \"{}\")", v(SecretKind::AwsSecretKey, seed)), "aws-secret-access-key");
    }
    assert_clean(".env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE");
    assert_clean(".env", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    assert_clean("a.md", "Travel to ASIA and AKIA are words, AKIAshort too");
}

#[test]
fn gcp() {
    assert_hits("a.js", &format!("const apiKey = \"{}\";", v(SecretKind::GcpApiKey, 1)), "gcp-api-key");
    assert_hits("sa.json", &format!("\"private_key_id\": \"{}\",", v(SecretKind::GcpServiceAccount, 1)), "gcp-service-account-key");
    assert_clean("a.js", "const apiKey = \"AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\";");
}

#[test]
fn azure() {
    let key = v(SecretKind::AzureStorageKey, 2);
    assert_hits(
        "a.cs",
        &format!("var c = \"DefaultEndpointsProtocol=https;AccountName=x;AccountKey={key};EndpointSuffix=core.windows.net\";"),
        "azure-storage-account-key",
    );
    assert_hits(".env", &format!("AZURE_CLIENT_SECRET={}", v(SecretKind::AzureAdClientSecret, 2)), "azure-ad-client-secret");
    assert_clean("a.cs", "AccountKey=<your-account-key>");
}

#[test]
fn github_and_gitlab() {
    for seed in 0..5 {
        assert_hits(".env", &format!("GITHUB_TOKEN={}", v(SecretKind::GithubToken, seed)), "github-token");
        assert_hits("a.sh", &format!("export GH_TOKEN='{}'", v(SecretKind::GithubFineGrained, seed)), "github-fine-grained-pat");
        assert_hits("a.yml", &format!("  token: {}", v(SecretKind::GitlabToken, seed)), "gitlab-token");
    }
    assert_clean(".env", "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_clean(".env", "GITLAB_TOKEN=glpat-XXXXXXXXXXXXXXXXXXXX");
    assert_clean("a.py", "prefix = 'ghp_'  # tokens start with ghp_");
}

#[test]
fn chat() {
    for seed in 0..5 {
        assert_hits(".env", &format!("SLACK_BOT_TOKEN={}", v(SecretKind::SlackToken, seed)), "slack-token");
        assert_hits("a.py", &format!("HOOK = \"{}\"", v(SecretKind::SlackWebhook, seed)), "slack-webhook-url");
        assert_hits("a.py", &format!("BOT = \"{}\"", v(SecretKind::TelegramBot, seed)), "telegram-bot-token");
        assert_hits(".env", &format!("DISCORD_TOKEN={}", v(SecretKind::DiscordBot, seed)), "discord-bot-token");
        assert_hits("a.js", &format!("const hook = '{}';", v(SecretKind::DiscordWebhook, seed)), "discord-webhook-url");
    }
    assert_clean(".env", "SLACK_BOT_TOKEN=xoxb-your-bot-token-goes-here");
    assert_clean("a.md", "see https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX");
    // A Discord-shaped string with no mention of Discord anywhere near it.
    let lone = v(SecretKind::DiscordBot, 3);
    assert!(!rules_hit("a.txt", &format!("value {lone}")).contains(&"discord-bot-token".to_string()));
}

#[test]
fn payments_and_messaging() {
    for seed in 0..5 {
        assert_hits(".env", &format!("STRIPE_SECRET_KEY={}", v(SecretKind::StripeKey, seed)), "stripe-secret-key");
        assert_hits(".env", &format!("STRIPE_WEBHOOK_SECRET={}", v(SecretKind::StripeWebhook, seed)), "stripe-webhook-secret");
        assert_hits(".env", &format!("TWILIO_API_KEY={}", v(SecretKind::TwilioApiKey, seed)), "twilio-api-key");
        assert_hits(".env", &format!("TWILIO_AUTH_TOKEN={}", v(SecretKind::TwilioAuthToken, seed)), "twilio-auth-token");
        assert_hits("a.js", &format!("sgMail.setApiKey('{}');", v(SecretKind::SendgridKey, seed)), "sendgrid-api-key");
    }
    assert_clean(".env", "STRIPE_SECRET_KEY=sk_live_XXXXXXXXXXXXXXXXXXXXXXXX");
    assert_clean("a.py", "msg.send(); sg.api_key = os.environ['SENDGRID_API_KEY']");
}

#[test]
fn llm_and_registries() {
    for seed in 0..5 {
        assert_hits(".env", &format!("OPENAI_API_KEY={}", v(SecretKind::OpenAiKey, seed)), "openai-api-key");
        assert_hits(".env", &format!("ANTHROPIC_API_KEY={}", v(SecretKind::AnthropicKey, seed)), "anthropic-api-key");
        assert_hits(".env", &format!("HF_TOKEN={}", v(SecretKind::HuggingFace, seed)), "huggingface-token");
        assert_hits(".npmrc", &format!("//registry.npmjs.org/:_authToken={}", v(SecretKind::NpmToken, seed)), "npm-access-token");
        assert_hits(".pypirc", &format!("password = {}", v(SecretKind::PypiToken, seed)), "pypi-token");
    }
    assert_clean(".env", "OPENAI_API_KEY=sk-...");
    assert_clean(".env", "ANTHROPIC_API_KEY=sk-ant-api03-...your key...");
    assert_clean(".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}");
    assert_clean("a.py", "tokenizer = AutoTokenizer.from_pretrained('hf_internal_testing')");
}

#[test]
fn private_keys() {
    for (seed, kind) in [SecretKind::RsaPrivateKey, SecretKind::OpenSshPrivateKey, SecretKind::PgpPrivateKey].into_iter().enumerate() {
        let key = v(kind, seed as u64);
        assert_hits("id_key", &key, "private-key");
        assert_hits("c.json", &format!("{{\"key\": \"{}\"}}", key.replace('\n', "\\n")), "private-key");
    }
    assert_clean("README.md", "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----");
    assert_clean("pub.pem", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----");
}

#[test]
fn jwt_and_bearer() {
    for seed in 0..5 {
        let t = secrets::jwt(&mut Rng::new(seed));
        assert_hits("a.http", &format!("Authorization: Bearer {t}"), "jwt");
    }
    assert_clean("a.md", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
    assert_hits("a.sh", "curl -H 'Authorization: Bearer 7Hq2mZp9XrT4vLk8Nw3Ys6Bd1Fg5Jc0A' https://api", "authorization-bearer");
    assert_clean("a.sh", "curl -H \"Authorization: Bearer $TOKEN\" https://api");
}

#[test]
fn url_credentials() {
    assert_hits(".env", "DATABASE_URL=postgres://app:Xk9mP2vLq7Zt@db.internal:5432/app", "url-credentials");
    assert_hits(".env", "REDIS_URL=redis://admin:Mango@1368Mango@cache:6379", "url-credentials");
    for neg in [
        "postgres://postgres:postgres@db:5432/postgres",
        "https://${USER}:${TOKEN}@github.com/a/b.git",
        "mysql://user:password@localhost/test",
        "https://user@example.com/path",
        "redis://localhost:6379/0",
        "mongodb://root:<password>@cluster0.mongodb.net/test",
    ] {
        assert_clean(".env", &format!("DATABASE_URL={neg}"));
    }
}

#[test]
fn generic_assignments() {
    for text in [
        "DB_PASSWORD=Xk9#mP2vLq7Z",
        "  \"password\": \"!43H0T856PfzdRW36\",",
        "password: river@6406orbit",
        "api_key = \"c322839a09d26127dbc1d89e73dbd0f1\"",
        "const SERVICE_TOKEN: &str = \"T0wMfNHjfzy6zbiyV8F19MZTkCl5yGH-gAlNJk6m\";",
        "os.environ.setdefault(\"client_secret\", \"Q7m2Zp9XrT4vLk8N\")",
        "  <password>Tr0ub4dor3xK9</password>",
        "process.env.API_KEY = process.env.API_KEY || \"e0b3f802a7afc508fbf41573f9a16449\";",
        "const token = config.token ?? 'Zp9XrT4vLk8NQ7m2';",
    ] {
        assert_hits("config.txt", text, "generic-secret-assignment");
    }
    for text in [
        "password = os.environ[\"DB_PASSWORD\"]",
        "apiKey: process.env.STRIPE_SECRET_KEY,",
        "token := os.Getenv(\"GITHUB_TOKEN\")",
        "password: ${POSTGRES_PASSWORD}",
        "password = \"changeme\"",
        "password = \"test-password-123\"",
        "api_key = \"your_api_key_here\"",
        "secret = \"<redacted>\"",
        "password_hash = \"$2b$12$KIX0fQ0eQ1pN5Yt6u7v8w9x0y1z2a3b4c5d6e7f8g9h0i1j2k3l4m\"",
        "token_url = \"https://auth.acme.io/oauth/token\"",
        "max_tokens = 4096",
        "request_token_id = \"550e8400-e29b-41d4-a716-446655440000\"",
        "token = tokenizer.encode(text, max_length=512)",
        "password = form.cleaned_data.password1",
        "  password: !Ref DatabasePassword",
        "secret_name = \"billing-db-credentials\"",
    ] {
        assert_clean("app.py", text);
    }
    // Shapes from real crates (bindings, enums, OIDs, C structs) that once tripped the rule.
    for text in [
        "pub const PrivateKeyAttestPreferred: X509PrivateKeyVerify = 2i32;",
        "    pub hUserToken: super::super::Foundation::HANDLE,",
        "pub const NCRYPT_NO_CACHED_PASSWORD: u32 = 16u32;",
        "        Token::Struct { name: \"Date\", len: 2 },",
        "pub const szOID_TIMESTAMP_TOKEN: &str = \"1.2.840.113549.1.9.16.1.4\";",
        "    pub localCredentials: IKEEXT_CREDENTIALS0,",
        "DEPEND[html/man3/d2i_PrivateKey.html]=man3/d2i_PrivateKey.pod",
        "        \"progressToken\": \"progress-1\",",
        "    \"password\": \"pass%5B%7F\",",
    ] {
        assert_clean("src/mod.rs", text);
    }
    assert_clean("ssl/statem.c", "    s->ext.ticket_auth = SSL_TICKET_AUTH_OK_X1;");
    // An unquoted identifier in code is a variable, in a .env file it is a value.
    assert_clean("app.py", "password = user_supplied_password2");
    assert_hits(".env", "PASSWORD=user_supplied_Pw2X", "generic-secret-assignment");
}

#[test]
fn lockfiles_and_minified_code_are_not_generic_hits() {
    let lock = "\"node_modules/a\": {\n  \"integrity\": \"sha512-Q7m2Zp9XrT4vLk8NQ7m2Zp9XrT4vLk8N==\",\n  \"token\": \"Q7m2Zp9XrT4vLk8N1\"\n}\n";
    assert_clean("web/package-lock.json", lock);
    let mut min = String::from("!function(e){");
    for i in 0..400 {
        min.push_str(&format!("t.secret=\"Zk{i}x9Qm2Lp7Vw\";"));
    }
    assert_clean("static/app.js", &min);
}

#[test]
fn gitleaks_allow_comment_suppresses_the_line_when_honoured() {
    let t = v(SecretKind::GithubToken, 9);
    let honouring = Scanner::builtin().with_inline_allow(InlineAllow::Honoured);
    let count = |text: String| honouring.scan_bytes("a.py", text.as_bytes()).len();
    assert_eq!(count(format!("TOKEN = \"{t}\"  # gitleaks:allow")), 0);
    assert_eq!(count(format!("TOKEN = \"{t}\"\n# gitleaks:allow")), 1, "only its own line");
    // The default scanner (the sync gate's) ignores the marker.
    assert_hits("a.py", &format!("TOKEN = \"{t}\"  # gitleaks:allow"), "github-token");
}
