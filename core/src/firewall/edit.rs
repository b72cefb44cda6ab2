//! `sandbox firewall allow|deny`: edit the profile's `[network]` table in place (comments and
//! layout kept, via `toml_edit`), validate the result, and only then write it.

use super::config::{NetworkConfig, NetworkPolicy};
use super::pattern::{Destination, DomainPattern};
use super::presets::PRESETS;
use crate::field_issue::FieldIssue;
use std::path::{Path, PathBuf};
use toml_edit::{Array, DocumentMut, Item, Table, Value};

/// What to allow or deny.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Domain(DomainPattern),
    Destination(Destination),
}

impl Target {
    /// `api.example.com`, `*.example.com`, `10.1.2.3`, `10.0.0.0/8`, `10.1.2.3:5432/tcp`, `[fd00::1]:443`.
    pub fn parse(text: &str) -> Result<Target, EditError> {
        let t = text.trim();
        let looks_like_ip =
            t.starts_with('[') || t.split([':', '/']).next().is_some_and(|a| a.parse::<std::net::IpAddr>().is_ok()) || t.matches(':').count() > 1;
        if looks_like_ip {
            return Destination::parse(t).map(Target::Destination).map_err(EditError::BadTarget);
        }
        if let Some((name, port)) = t.rsplit_once(':') {
            if DomainPattern::parse(name).is_ok() {
                return Err(EditError::BadTarget(format!(
                    "`{t}`: a domain is allowed on every port in `network.allowed_ports`; allow `{name}` and, if port {port} is needed, add it to `network.allowed_ports`"
                )));
            }
        }
        DomainPattern::parse(t).map(Target::Domain).map_err(EditError::BadTarget)
    }

    /// The `[network]` array this target lives in.
    pub fn field(&self) -> &'static str {
        match self {
            Target::Domain(_) => "allowed_domains",
            Target::Destination(_) => "allowed_destinations",
        }
    }

    fn same_as(&self, entry: &str) -> bool {
        match self {
            Target::Domain(d) => DomainPattern::parse(entry).is_ok_and(|e| &e == d),
            Target::Destination(d) => Destination::parse(entry).is_ok_and(|e| &e == d),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Domain(d) => d.fmt(f),
            Target::Destination(d) => d.fmt(f),
        }
    }
}

/// Why an edit was not made.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{0}")]
    BadTarget(String),
    #[error("cannot read the profile {path}: {source}. Create one with `sandbox init`, or pass --profile PATH")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write the profile {path}: {source}. Check the folder's permissions; the profile was not changed")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("the profile is not valid TOML: {0}. Fix the file (or restore it), then retry")]
    Toml(String),
    #[error("`network` in the profile must be a table (`[network]`); fix the file, then retry")]
    NotATable,
    #[error("the profile's [network] table is invalid: {}", issues.iter().map(|i| format!("{}: {}", i.field, i.message)).collect::<Vec<_>>().join("; "))]
    Invalid { issues: Vec<FieldIssue> },
    #[error("`{entry}` is not in `network.{field}`, so there is nothing to remove{}", preset.as_ref().map(|p| format!("; it comes from the preset `{p}`: remove that preset from `network.presets` to block it")).unwrap_or_default())]
    NotListed { entry: String, field: &'static str, preset: Option<String> },
}

/// The result of an edit.
#[derive(Debug, Clone)]
pub struct Edited {
    /// The whole new profile text.
    pub text: String,
    /// False when the entry was already there (allow) — nothing to write or reload.
    pub changed: bool,
    pub policy: NetworkPolicy,
}

/// The `[network]` table of a profile text (defaults when absent).
pub fn network_config_of(profile_text: &str) -> Result<NetworkConfig, EditError> {
    let value: toml::Table = toml::from_str(profile_text).map_err(|e| EditError::Toml(e.message().to_string()))?;
    match value.get("network") {
        None => Ok(NetworkConfig::default()),
        Some(toml::Value::Table(t)) => {
            toml::Value::Table(t.clone()).try_into().map_err(|e: toml::de::Error| EditError::Toml(format!("[network]: {}", e.message())))
        }
        Some(_) => Err(EditError::NotATable),
    }
}

fn validated(text: String, changed: bool) -> Result<Edited, EditError> {
    let policy = network_config_of(&text)?.validate().map_err(|issues| EditError::Invalid { issues })?;
    Ok(Edited { text, changed, policy })
}

fn network_array<'a>(doc: &'a mut DocumentMut, field: &str) -> Result<&'a mut Array, EditError> {
    let net = doc.entry("network").or_insert_with(|| Item::Table(Table::new()));
    let table = net.as_table_like_mut().ok_or(EditError::NotATable)?;
    let item = table.entry(field).or_insert(Item::Value(Value::Array(Array::new())));
    item.as_array_mut().ok_or_else(|| EditError::Toml(format!("`network.{field}` must be a list of strings")))
}

/// Add `target` to the profile text's `[network]` table.
pub fn allow(profile_text: &str, target: &Target) -> Result<Edited, EditError> {
    let mut doc: DocumentMut = profile_text.parse().map_err(|e: toml_edit::TomlError| EditError::Toml(e.message().to_string()))?;
    let arr = network_array(&mut doc, target.field())?;
    if arr.iter().any(|v| v.as_str().is_some_and(|s| target.same_as(s))) {
        return validated(profile_text.to_string(), false);
    }
    arr.push(target.to_string());
    validated(doc.to_string(), true)
}

/// Remove `target` from the profile text's `[network]` table.
pub fn deny(profile_text: &str, target: &Target) -> Result<Edited, EditError> {
    let mut doc: DocumentMut = profile_text.parse().map_err(|e: toml_edit::TomlError| EditError::Toml(e.message().to_string()))?;
    let field = target.field();
    let arr = network_array(&mut doc, field)?;
    let before = arr.len();
    arr.retain(|v| !v.as_str().is_some_and(|s| target.same_as(s)));
    if arr.len() == before {
        let active = network_config_of(profile_text)?.presets;
        let preset = match target {
            Target::Domain(d) => PRESETS
                .iter()
                .find(|p| active.iter().any(|a| a == p.name) && p.domains.iter().any(|pd| DomainPattern::parse(pd).is_ok_and(|pd| pd.covers(d))))
                .map(|p| p.name.to_string()),
            Target::Destination(_) => None,
        };
        return Err(EditError::NotListed { entry: target.to_string(), field, preset });
    }
    validated(doc.to_string(), true)
}

/// Read the profile at `path`, apply `op`, and write it back atomically (temp file + rename)
/// when it changed. A missing file starts from an empty profile.
pub fn edit_file(path: &Path, op: impl FnOnce(&str) -> Result<Edited, EditError>) -> Result<Edited, EditError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(EditError::Read { path: path.to_path_buf(), source }),
    };
    let edited = op(&text)?;
    if edited.changed {
        let werr = |source| EditError::Write { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(werr)?;
        }
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, &edited.text).map_err(werr)?;
        if let Ok(meta) = std::fs::metadata(path) {
            let _ = std::fs::set_permissions(&tmp, meta.permissions());
        }
        std::fs::rename(&tmp, path).map_err(werr)?;
    }
    Ok(edited)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str =
        "# my profile\nmode = \"secure\"\n\n[network]\n# extra sites\nallowed_domains = [\"api.example.test\"] # keep me\nallowed_ports = [443]\n";

    fn t(s: &str) -> Target {
        Target::parse(s).unwrap()
    }

    #[test]
    fn targets_parse_as_domains_or_destinations() {
        assert!(matches!(t("*.example.test"), Target::Domain(_)));
        assert!(matches!(t("10.1.2.3:5432/tcp"), Target::Destination(_)));
        assert!(matches!(t("fd00::1"), Target::Destination(_)));
        assert!(matches!(t("[fd00::1]:443"), Target::Destination(_)));
        let e = Target::parse("example.test:8443").unwrap_err().to_string();
        assert!(e.contains("network.allowed_ports"), "{e}");
        let e = Target::parse("10.1.2.3/8").unwrap_err().to_string();
        assert!(e.contains("10.0.0.0/8"), "{e}");
    }

    #[test]
    fn allow_appends_and_keeps_comments() {
        let e = allow(PROFILE, &t("*.cdn.example.test")).unwrap();
        assert!(e.changed);
        assert!(e.text.contains("# my profile") && e.text.contains("# extra sites") && e.text.contains("# keep me"), "{}", e.text);
        assert!(e.text.contains("\"api.example.test\", \"*.cdn.example.test\""), "{}", e.text);
        assert!(e.policy.domains.iter().any(|d| d.to_string() == "*.cdn.example.test"));
        let e = allow(PROFILE, &t("10.1.2.3:5432")).unwrap();
        assert!(e.text.contains("allowed_destinations = [\"10.1.2.3:5432/tcp\"]"), "{}", e.text);
    }

    #[test]
    fn allow_twice_is_a_no_op() {
        let e = allow(PROFILE, &t("API.example.test")).unwrap();
        assert!(!e.changed);
        assert_eq!(e.text, PROFILE);
    }

    #[test]
    fn allow_creates_the_table_when_missing() {
        let e = allow("mode = \"secure\"\n", &t("api.example.test")).unwrap();
        assert!(e.text.contains("[network]\nallowed_domains = [\"api.example.test\"]"), "{}", e.text);
        let e = allow("", &t("api.example.test")).unwrap();
        assert!(e.changed);
    }

    #[test]
    fn deny_removes_and_explains_presets() {
        let e = deny(PROFILE, &t("api.example.test")).unwrap();
        assert!(e.changed && !e.text.contains("api.example.test"));
        assert!(e.text.contains("# extra sites"));
        let err = deny(PROFILE, &t("api.anthropic.com")).unwrap_err().to_string();
        assert!(err.contains("preset `llm`"), "{err}");
        let err = deny(PROFILE, &t("other.example.test")).unwrap_err().to_string();
        assert!(err.contains("nothing to remove") && !err.contains("preset"), "{err}");
    }

    #[test]
    fn an_invalid_profile_is_not_rewritten() {
        let bad = "[network]\npresets = [\"nope\"]\n";
        let err = allow(bad, &t("api.example.test")).unwrap_err().to_string();
        assert!(err.contains("network.presets[0]") && err.contains("known presets"), "{err}");
        assert!(matches!(allow("network = 5", &t("a.example.test")), Err(EditError::NotATable)));
        assert!(matches!(allow("[[", &t("a.example.test")), Err(EditError::Toml(_))));
    }

    proptest::proptest! {
        #[test]
        fn parsing_any_target_or_entry_never_panics(s in "\\PC{0,80}") {
            let _ = Target::parse(&s);
            let _ = DomainPattern::parse(&s);
            let _ = Destination::parse(&s);
        }

        #[test]
        fn near_miss_targets_never_panic(s in "[\\[\\]0-9a-fA-F:./*-]{0,40}(/(tcp|udp|x))?") {
            if let Ok(t) = Target::parse(&s) {
                // whatever parses round-trips through its canonical text
                assert_eq!(Target::parse(&t.to_string()).unwrap(), t);
            }
        }

        #[test]
        fn editing_any_profile_text_never_panics(s in "\\PC{0,120}", t in "[a-z]{1,8}\\.example\\.test") {
            let target = Target::parse(&t).unwrap();
            let _ = allow(&s, &target);
            let _ = deny(&s, &target);
        }
    }

    #[test]
    fn edit_file_writes_atomically_only_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.toml");
        std::fs::write(&path, PROFILE).unwrap();
        edit_file(&path, |s| allow(s, &t("b.example.test"))).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("b.example.test"));
        assert!(!dir.path().join("profile.toml.tmp").exists());
        let before = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{before}presets = [\"nope\"]\n")).unwrap();
        let err = edit_file(&path, |s| allow(s, &t("c.example.test")));
        assert!(matches!(err, Err(EditError::Invalid { .. })));
        assert!(!std::fs::read_to_string(&path).unwrap().contains("c.example.test"), "invalid result not written");
    }
}
