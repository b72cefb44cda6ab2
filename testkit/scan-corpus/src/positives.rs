//! Files that contain a (fake) secret, embedded the way developers actually leak them.

use super::flavor::Flavor;
use super::rng::Rng;
use super::secrets::{private_key, value, SecretKind};
use super::Split;

fn filler(flavor: Flavor, rng: &mut Rng, lines: usize) -> String {
    let mut s = String::new();
    for _ in 0..lines {
        s.push_str(&flavor.filler_line(rng));
        s.push('\n');
    }
    s
}

fn gcp_service_account(rng: &mut Rng) -> String {
    let key_id = value(SecretKind::GcpServiceAccount, rng);
    let pem = private_key(SecretKind::RsaPrivateKey, rng).replace("RSA PRIVATE KEY", "PRIVATE KEY");
    let project = format!("{}-{}", rng.pick(&["acme", "globex", "hooli"]), rng.range(100000, 999999));
    format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"{project}\",\n  \"private_key_id\": \"{key_id}\",\n  \"private_key\": \"{}\\n\",\n  \"client_email\": \"deployer@{project}.iam.gserviceaccount.com\",\n  \"client_id\": \"{}\",\n  \"auth_uri\": \"https://accounts.google.com/o/oauth2/auth\",\n  \"token_uri\": \"https://oauth2.googleapis.com/token\"\n}}\n",
        pem.replace('\n', "\\n"),
        rng.range(100_000_000, 999_999_999)
    )
}

/// The lines that leak one secret of `kind` in a file of `flavor`.
pub fn snippet(kind: SecretKind, flavor: Flavor, rng: &mut Rng) -> String {
    let name = *rng.pick(kind.var_names());
    match kind {
        SecretKind::RsaPrivateKey | SecretKind::OpenSshPrivateKey | SecretKind::PgpPrivateKey => {
            let key = private_key(kind, rng);
            match flavor {
                Flavor::Json => format!("  \"ssh_private_key\": \"{}\",", key.replace('\n', "\\n")),
                Flavor::Python | Flavor::Ruby => format!("PRIVATE_KEY = \"\"\"\n{key}\n\"\"\""),
                Flavor::JavaScript | Flavor::TypeScript => format!("const privateKey = `\n{key}\n`;"),
                Flavor::Shell | Flavor::Markdown => format!("cat > ~/.ssh/id_deploy <<'EOF'\n{key}\nEOF"),
                _ => format!("  tls_key: |\n{}", key.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")),
            }
        }
        SecretKind::GcpServiceAccount => {
            let json = gcp_service_account(rng);
            flavor.assign(rng, "GOOGLE_CREDENTIALS_JSON", &json.replace('\n', " ").replace('"', "\\\"")).replace("\\\\n", "\\n")
        }
        SecretKind::AzureStorageKey => {
            let conn =
                format!("DefaultEndpointsProtocol=https;AccountName=acme{};AccountKey={};EndpointSuffix=core.windows.net", rng.range(10, 99), value(kind, rng));
            flavor.assign(rng, "AZURE_STORAGE_CONNECTION_STRING", &conn)
        }
        SecretKind::AwsAccessKeyId => {
            let id = value(kind, rng);
            flavor.assign(rng, name, &id)
        }
        _ => {
            let v = value(kind, rng);
            flavor.assign(rng, name, &v)
        }
    }
}

/// A whole positive file: (file name, content).
pub fn file(kind: SecretKind, split: Split, rng: &mut Rng) -> (String, String) {
    // Whole-file shapes first.
    if split == Split::Tune {
        match kind {
            SecretKind::GcpServiceAccount if rng.chance(0.7) => {
                return (format!("{}-sa.json", rng.pick(&["deploy", "ci", "terraform"])), gcp_service_account(rng));
            }
            SecretKind::RsaPrivateKey | SecretKind::OpenSshPrivateKey | SecretKind::PgpPrivateKey if rng.chance(0.5) => {
                let name = match kind {
                    SecretKind::OpenSshPrivateKey => "id_ed25519",
                    SecretKind::PgpPrivateKey => "signing-key.asc",
                    _ => *rng.pick(&["server.key", "tls.key", "id_rsa"]),
                };
                return (name.to_string(), format!("{}\n", private_key(kind, rng)));
            }
            SecretKind::AwsSecretKey if rng.chance(0.3) => {
                let id = value(SecretKind::AwsAccessKeyId, rng);
                let sk = value(kind, rng);
                return (".aws/credentials".into(), format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {sk}\nregion = eu-west-1\n"));
            }
            _ => {}
        }
    }
    let flavor = match split {
        Split::Tune => *rng.pick(Flavor::TUNE),
        Split::Holdout => {
            if rng.chance(0.6) {
                *rng.pick(Flavor::HOLDOUT)
            } else {
                *rng.pick(Flavor::TUNE)
            }
        }
    };
    let mut leak = snippet(kind, flavor, rng);
    if split == Split::Holdout && !flavor.is_holdout() {
        // Held-out contexts: a commented-out old value, a curl command, a doc paragraph.
        let v = value(kind, rng);
        leak = match rng.below(3) {
            0 => format!("# old value, rotate: {} = {v}", kind.var_names()[0]),
            1 => match kind {
                SecretKind::GenericPassword | SecretKind::UrlCredentials => {
                    format!("mysql -h db.prod -u admin --password='{}' app", super::secrets::password(rng))
                }
                _ => format!("curl -s -H \"Authorization: Bearer {v}\" https://api.acme.io/v1/me"),
            },
            _ => format!("For local runs I used `{}={v}` (the staging one).", kind.var_names()[0]),
        };
    }
    let before = rng.range(3, 40);
    let after = rng.range(3, 40);
    let content = format!("{}{leak}\n{}", filler(flavor, rng, before), filler(flavor, rng, after));
    (flavor.file_name(rng), content)
}
