//! Files with no secret that look like they might have one: placeholders, environment
//! lookups, hashes, UUIDs, base64 blobs, lockfiles, minified code, test fixtures, public keys
//! and certificates, documentation examples.

use super::flavor::{ident, Flavor};
use super::rng::{Rng, B64, B64URL, DIGITS, HEX};
use super::Split;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NegKind {
    Placeholders,
    EnvLookups,
    Hashes,
    Uuids,
    Base64Blobs,
    Lockfile,
    Minified,
    TestFixtures,
    PublicKeys,
    KeywordHeavyCode,
    UrlsWithoutSecrets,
    TypedDeclarations,
    // Held out entirely.
    DocsExamples,
    SriAndDigests,
    EncryptedValues,
}

impl NegKind {
    pub const ALL: &'static [NegKind] = &[
        NegKind::Placeholders,
        NegKind::EnvLookups,
        NegKind::Hashes,
        NegKind::Uuids,
        NegKind::Base64Blobs,
        NegKind::Lockfile,
        NegKind::Minified,
        NegKind::TestFixtures,
        NegKind::PublicKeys,
        NegKind::KeywordHeavyCode,
        NegKind::UrlsWithoutSecrets,
        NegKind::TypedDeclarations,
        NegKind::DocsExamples,
        NegKind::SriAndDigests,
        NegKind::EncryptedValues,
    ];

    pub fn holdout_only(self) -> bool {
        matches!(self, NegKind::DocsExamples | NegKind::SriAndDigests | NegKind::EncryptedValues)
    }

    pub fn name(self) -> &'static str {
        match self {
            NegKind::Placeholders => "neg-placeholders",
            NegKind::EnvLookups => "neg-env-lookups",
            NegKind::Hashes => "neg-hashes",
            NegKind::Uuids => "neg-uuids",
            NegKind::Base64Blobs => "neg-base64",
            NegKind::Lockfile => "neg-lockfile",
            NegKind::Minified => "neg-minified",
            NegKind::TestFixtures => "neg-test-fixtures",
            NegKind::PublicKeys => "neg-public-keys",
            NegKind::KeywordHeavyCode => "neg-keyword-code",
            NegKind::UrlsWithoutSecrets => "neg-urls",
            NegKind::TypedDeclarations => "neg-typed-declarations",
            NegKind::DocsExamples => "neg-docs-examples",
            NegKind::SriAndDigests => "neg-sri-digests",
            NegKind::EncryptedValues => "neg-encrypted-values",
        }
    }
}

fn cap(s: &str) -> String {
    s[..1].to_uppercase() + &s[1..]
}

fn uuid(rng: &mut Rng) -> String {
    format!(
        "{}-{}-4{}-{}{}-{}",
        rng.string(HEX, 8),
        rng.string(HEX, 4),
        rng.string(HEX, 3),
        rng.pick(&["8", "9", "a", "b"]),
        rng.string(HEX, 3),
        rng.string(HEX, 12)
    )
}

fn wrap(flavor: Flavor, rng: &mut Rng, lines: Vec<String>) -> String {
    let mut s = String::new();
    for l in lines {
        for _ in 0..rng.range(0, 4) {
            s.push_str(&flavor.filler_line(rng));
            s.push('\n');
        }
        s.push_str(&l);
        s.push('\n');
    }
    s
}

/// (file name, content) of one negative of `kind`.
pub fn file(kind: NegKind, split: Split, rng: &mut Rng) -> (String, String) {
    let flavor = match split {
        Split::Tune => *rng.pick(Flavor::TUNE),
        Split::Holdout => *rng.pick(&[Flavor::Php, Flavor::Kotlin, Flavor::Hcl, Flavor::Xml, Flavor::Yaml, Flavor::Python]),
    };
    match kind {
        NegKind::Placeholders => {
            const P: &[(&str, &str)] = &[
                ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                ("OPENAI_API_KEY", "<your-openai-api-key>"),
                ("api_key", "your_api_key_here"),
                ("GITHUB_TOKEN", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
                ("password", "changeme"),
                ("DB_PASSWORD", "${DB_PASSWORD}"),
                ("password", "{{ .Values.postgres.password }}"),
                ("SLACK_BOT_TOKEN", "xoxb-your-bot-token-here-please"),
                ("STRIPE_SECRET_KEY", "sk_live_XXXXXXXXXXXXXXXXXXXXXXXX"),
                ("secret", "REPLACE_ME_WITH_A_REAL_SECRET"),
                ("token", "********"),
                ("HF_TOKEN", "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
                ("ANTHROPIC_API_KEY", "sk-ant-api03-...your key..."),
                ("client_secret", "<redacted>"),
                ("SECRET_KEY", "insert-your-secret-key-here"),
                ("SENDGRID_API_KEY", "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
            ];
            let lines = (0..rng.range(2, 5))
                .map(|_| {
                    let (n, v) = *rng.pick(P);
                    flavor.assign(rng, n, v)
                })
                .collect();
            (flavor.file_name(rng), wrap(flavor, rng, lines))
        }
        NegKind::EnvLookups => {
            const L: &[&str] = &[
                "password = os.environ[\"DB_PASSWORD\"]",
                "api_key = os.getenv(\"OPENAI_API_KEY\")",
                "  apiKey: process.env.STRIPE_SECRET_KEY,",
                "\ttoken := os.Getenv(\"GITHUB_TOKEN\")",
                "SECRET_KEY = config(\"SECRET_KEY\")",
                "  password: ${POSTGRES_PASSWORD}",
                "secret = vault.read(\"kv/data/app\")[\"data\"][\"secret\"]",
                "export GITHUB_TOKEN=$(gh auth token)",
                "let api_key = std::env::var(\"API_KEY\")?;",
                "  client_secret: ${{ secrets.OAUTH_CLIENT_SECRET }}",
                "token = settings.slack.bot_token",
                "    String password = System.getenv(\"DB_PASSWORD\");",
                "  password: !Ref DatabasePassword",
                "DB_PASSWORD_FILE=/run/secrets/db_password",
            ];
            let lines = (0..rng.range(2, 6)).map(|_| rng.pick(L).to_string()).collect();
            (flavor.file_name(rng), wrap(flavor, rng, lines))
        }
        NegKind::Hashes => {
            let mut lines = Vec::new();
            for _ in 0..rng.range(3, 8) {
                lines.push(match rng.below(7) {
                    0 => format!("{}  dist/app-{}.tar.gz", rng.string(HEX, 64), rng.range(1, 9)),
                    1 => format!("commit: {}", rng.string(HEX, 40)),
                    2 => format!("  \"integrity\": \"sha512-{}==\",", rng.string(B64, 86)),
                    3 => format!("  image: nginx@sha256:{}", rng.string(HEX, 64)),
                    4 => format!("checksum = \"{}\"", rng.string(HEX, 64)),
                    5 => format!("password_hash = \"$2b$12${}\"", rng.string(B64, 53).replace('+', ".")),
                    _ => format!("etag: W/\"{}\"", rng.string(HEX, 32)),
                });
            }
            let name = *rng.pick(&["SHA256SUMS", "release.yaml", "build-info.txt", "manifest.yml"]);
            (name.to_string(), lines.join("\n") + "\n")
        }
        NegKind::Uuids => {
            let lines = (0..rng.range(3, 8))
                .map(|_| {
                    let n = *rng.pick(&["request_id", "tenant_id", "client_id", "api_key_id", "correlationId", "installation_id", "token_id"]);
                    let v = uuid(rng);
                    flavor.assign(rng, n, &v)
                })
                .collect();
            (flavor.file_name(rng), wrap(flavor, rng, lines))
        }
        NegKind::Base64Blobs => {
            let mut lines = Vec::new();
            for _ in 0..rng.range(1, 4) {
                lines.push(match rng.below(3) {
                    0 => format!(".logo {{ background: url(data:image/png;base64,iVBORw0KGgo{}); }}", rng.string_between(B64, 200, 900)),
                    1 => {
                        let v = rng.string(B64, 120);
                        flavor.assign(rng, "payload", &v)
                    }
                    _ => {
                        let v = rng.string(B64URL, 64);
                        flavor.assign(rng, "thumbnail", &v)
                    }
                });
            }
            (flavor.file_name(rng), wrap(flavor, rng, lines))
        }
        NegKind::Lockfile => {
            match rng.below(4) {
                0 => {
                    let mut s = String::from("{\n  \"name\": \"web\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n");
                    for _ in 0..rng.range(20, 80) {
                        let p = ident(rng);
                        s.push_str(&format!(
                        "    \"node_modules/{p}\": {{\n      \"version\": \"{}.{}.{}\",\n      \"resolved\": \"https://registry.npmjs.org/{p}/-/{p}-1.2.3.tgz\",\n      \"integrity\": \"sha512-{}==\"\n    }},\n",
                        rng.range(0, 9), rng.range(0, 30), rng.range(0, 20), rng.string(B64, 86)
                    ));
                    }
                    s.push_str("  }\n}\n");
                    ("package-lock.json".into(), s)
                }
                1 => {
                    let mut s = String::from("# yarn lockfile v1\n\n");
                    for _ in 0..rng.range(20, 80) {
                        let p = ident(rng);
                        s.push_str(&format!("{p}@^1.0.0:\n  version \"1.{}.0\"\n  resolved \"https://registry.yarnpkg.com/{p}/-/{p}-1.0.0.tgz#{}\"\n  integrity sha512-{}==\n\n", rng.range(0, 20), rng.string(HEX, 40), rng.string(B64, 86)));
                    }
                    ("yarn.lock".into(), s)
                }
                2 => {
                    let mut s = String::from("version = 4\n\n");
                    for _ in 0..rng.range(20, 80) {
                        s.push_str(&format!("[[package]]\nname = \"{}\"\nversion = \"0.{}.{}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n\n", ident(rng), rng.range(1, 30), rng.range(0, 9), rng.string(HEX, 64)));
                    }
                    ("Cargo.lock".into(), s)
                }
                _ => {
                    let mut s = String::new();
                    for _ in 0..rng.range(20, 80) {
                        let m = format!("github.com/{}/{}", ident(rng), ident(rng));
                        s.push_str(&format!(
                            "{m} v1.{}.0 h1:{}=\n{m} v1.{}.0/go.mod h1:{}=\n",
                            rng.range(0, 9),
                            rng.string(B64, 43),
                            rng.range(0, 9),
                            rng.string(B64, 43)
                        ));
                    }
                    ("go.sum".into(), s)
                }
            }
        }
        NegKind::Minified => {
            let mut s = String::from("!function(e,t){\"use strict\";");
            for _ in 0..rng.range(300, 900) {
                s.push_str(&match rng.below(6) {
                    0 => format!("var {}=function(e){{return e.token||e.password}};", ident(rng)),
                    1 => format!("{}.secret=\"{}\";", ident(rng), rng.string_between(B64URL, 10, 40)),
                    2 => format!("t.apiKey=n.apiKey,t.{}={};", ident(rng), rng.range(0, 99999)),
                    3 => format!("\"{}\":\"{}\",", ident(rng), rng.string_between(B64, 8, 30)),
                    4 => format!("function {}(e,t,n){{return e+t*n}}", ident(rng)),
                    _ => format!("r.prototype.{}=function(){{this.token=null}};", ident(rng)),
                });
            }
            s.push_str("}(this);\n");
            (format!("static/{}.{}.js", ident(rng), rng.string(HEX, 8)), s)
        }
        NegKind::TestFixtures => {
            const F: &[(&str, &str)] = &[
                ("password", "test-password-123"),
                ("api_key", "fake_api_key_for_tests_1"),
                ("token", "dummy-token-0001"),
                ("secret", "not-a-real-secret-42"),
                ("GITHUB_TOKEN", "ghp_000000000000000000000000000000000000"),
                ("password", "Password123"),
                ("auth_token", "mock-auth-token-7"),
                ("STRIPE_KEY", "sk_test_xxxxxxxxxxxxxxxxxxxxxxxx"),
            ];
            let lines = (0..rng.range(2, 5))
                .map(|_| {
                    let (n, v) = *rng.pick(F);
                    flavor.assign(rng, n, v)
                })
                .collect();
            let name = *rng.pick(&["tests/test_auth.py", "spec/fixtures/users.yml", "src/__tests__/login.test.ts", "internal/auth/auth_test.go"]);
            (name.to_string(), wrap(flavor, rng, lines))
        }
        NegKind::PublicKeys => {
            let s = match rng.below(3) {
                0 => format!(
                    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ{} deploy@ci\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} me@laptop\n",
                    rng.string(B64, 360),
                    rng.string(B64, 43)
                ),
                1 => format!(
                    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA{}\n{}\n-----END PUBLIC KEY-----\n",
                    rng.string(B64, 20),
                    rng.string(B64, 64)
                ),
                _ => format!(
                    "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE{}\n{}\n{}\n-----END CERTIFICATE-----\n",
                    rng.string(B64, 44),
                    rng.string(B64, 64),
                    rng.string(B64, 64)
                ),
            };
            (rng.pick(&["authorized_keys", "ca.pem", "server.crt", "keys/public.pem"]).to_string(), s)
        }
        NegKind::KeywordHeavyCode => {
            let f = *rng.pick(&[Flavor::Python, Flavor::JavaScript, Flavor::Go, Flavor::Rust, Flavor::Java]);
            let mut s = String::new();
            for _ in 0..rng.range(40, 200) {
                s.push_str(&f.filler_line(rng));
                s.push('\n');
            }
            (f.file_name(rng), s)
        }
        NegKind::UrlsWithoutSecrets => {
            const U: &[&str] = &[
                "postgres://localhost:5432/app_dev",
                "postgres://postgres:postgres@db:5432/postgres",
                "https://${GIT_USER}:${GIT_TOKEN}@github.com/acme/app.git",
                "redis://cache:6379/0",
                "mysql://user:password@localhost/test",
                "https://user@example.com/path",
                "amqp://guest:guest@rabbitmq:5672/",
                "https://docs.acme.io/api/v2/tokens?page=2",
                "mongodb://root:<password>@cluster0.mongodb.net/test",
            ];
            let lines = (0..rng.range(2, 5))
                .map(|_| {
                    let u = *rng.pick(U);
                    flavor.assign(rng, "DATABASE_URL", u)
                })
                .collect();
            (flavor.file_name(rng), wrap(flavor, rng, lines))
        }
        NegKind::TypedDeclarations => {
            // Bindings and FFI headers: constants, struct fields and enum paths named after
            // credentials (seen in real crates while checking the scanner's precision).
            let mut s = String::new();
            for _ in 0..rng.range(10, 60) {
                let n = ident(rng);
                s.push_str(&match rng.below(7) {
                    0 => format!("pub const PrivateKey{}: X509PrivateKeyFlags = {}i32;\n", cap(&n), rng.range(1, 1 << 20)),
                    1 => format!("    pub h{}Token: super::super::Foundation::HANDLE,\n", cap(&n)),
                    2 => format!("pub const NCRYPT_{}_PASSWORD: u32 = {}u32;\n", n.to_uppercase(), rng.range(1, 1 << 16)),
                    3 => format!("        Token::Str(\"{n}\"),\n"),
                    4 => format!("pub const szOID_{}_TOKEN: &str = \"1.3.6.1.4.1.{}.{}\";\n", n.to_uppercase(), rng.range(1, 60000), rng.range(1, 99)),
                    5 => format!("    s->ext.{n}_auth = SSL_{}_AUTH_{};\n", n.to_uppercase(), rng.range(0, 9)),
                    _ => format!("    pub {n}Credentials: IKEEXT_CREDENTIALS{},\n", rng.range(0, 2)),
                });
            }
            (rng.pick(&["src/bindings.rs", "src/ffi/mod.rs", "include/ssl_local.h", "src/Windows/Win32/Security/mod.rs"]).to_string(), s)
        }
        NegKind::DocsExamples => {
            let s = format!(
                "# Configuration\n\nCreate a token (it starts with `ghp_` followed by 36 characters) and export it:\n\n```bash\nexport GITHUB_TOKEN=<your token>\nexport AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n```\n\nA JWT looks like `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`.\n\nThe private key goes in `~/.ssh/id_rsa`:\n\n```\n-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n```\n\nSet `password:` to at least {} characters.\n",
                rng.range(8, 16)
            );
            (rng.pick(&["docs/configuration.md", "README.md", "CONTRIBUTING.md"]).to_string(), s)
        }
        NegKind::SriAndDigests => {
            let s = format!(
                "<!doctype html>\n<script src=\"https://cdn.jsdelivr.net/npm/{}@3/dist/x.min.js\" integrity=\"sha384-{}\" crossorigin=\"anonymous\"></script>\n<link rel=\"stylesheet\" href=\"/app.css?v={}\" integrity=\"sha256-{}=\">\n<meta name=\"csrf-token\" content=\"{}\">\n",
                ident(rng), rng.string(B64, 64), rng.string(HEX, 10), rng.string(B64, 43), rng.string(B64URL, 40)
            );
            ("public/index.html".into(), s)
        }
        NegKind::EncryptedValues => {
            let s =
                format!(
                "db:\n    password: ENC[AES256_GCM,data:{},iv:{}=,tag:{}==,type:str]\nsops:\n    version: 3.8.1\n    mac: ENC[AES256_GCM,data:{},type:str]\n",
                rng.string(B64, 24), rng.string(B64, 43), rng.string(B64, 22), rng.string(B64, 64)
            );
            ("secrets.enc.yaml".into(), s)
        }
    }
}

#[allow(dead_code)]
fn digits(rng: &mut Rng, n: usize) -> String {
    rng.string(DIGITS, n)
}
