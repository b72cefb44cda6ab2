//! Loading gitleaks config files (`.gitleaks.toml`) with gitleaks' semantics: `[[rules]]` with
//! allowlists (current `[[rules.allowlists]]` or legacy `[rules.allowlist]`, not both), global
//! `[[allowlists]]` / legacy `[allowlist]` (with `targetRules`), and `[extend]` (`useDefault` =
//! our built-in rules, `path` = another file, `disabledRules`). Regexes are Go RE2 syntax
//! ([`super::go_regex`]).
//!
//! gitleaks semantics kept: a rule extending one of the same id overrides what it sets and
//! adds keywords, tags and allowlists; rules are validated once everything is merged; `[extend]`
//! goes two levels deep, deeper ones are not followed; `[extend] path` resolves against the
//! working directory first (as gitleaks does), then against the config's own folder. Under
//! `useDefault`, extensions of gitleaks' own rule ids apply to our rule for the same secrets
//! ([`super::gitleaks_ids`]), or to nothing when we have none (noted, not an error).

use super::allowlist::{Allowlist, Condition, RegexTarget};
use super::gitleaks_ids;
use super::go_regex;
use super::rule::{Rule, Window};
use super::Scanner;
use regex::bytes::Regex;
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub use go_regex::{compile as compile_go_regex, translate as translate_go_regex};

/// How deep `[extend]` chains go (gitleaks: 2; deeper extends are not followed).
const MAX_EXTEND_DEPTH: usize = 2;

/// Why a gitleaks config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read scanner config {path}: {source}; check the path and its permissions")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("scanner config {path} is not valid gitleaks TOML: {message}; fix the file (see gitleaks' config format)")]
    Parse { path: String, message: String },
    #[error("rule \"{rule_id}\" in {path}: its {field} does not compile ({message}); fix the regex (Go RE2 syntax, no look-around or back-references)")]
    BadRegex { path: String, rule_id: String, field: &'static str, message: String },
    #[error("rule \"{rule_id}\" in {path} has neither `regex` nor `path` (both are empty, the rule would have no effect); give it one of them, or fix the id if it was meant to extend a rule of the base config")]
    NoPattern { path: String, rule_id: String },
    #[error("rule in {path} has no `id`{context}; every [[rules]] entry needs a unique id")]
    NoId { path: String, context: String },
    #[error("rule \"{rule_id}\" in {path}: secretGroup {group} does not exist, its regex has {max} capture group(s); use a group between 0 and {max}")]
    BadSecretGroup { path: String, rule_id: String, group: usize, max: usize },
    #[error("{owner} in {path}: an allowlist must contain at least one check (commits, paths, regexes or stopwords); add one or remove the empty allowlist")]
    EmptyAllowlist { path: String, owner: String },
    #[error("{owner} in {path} uses both the deprecated {old} and {new}; move the old table's entries into {new}")]
    AllowlistForms { path: String, owner: String, old: &'static str, new: &'static str },
    #[error("an [[allowlists]] entry in {path} targets rule \"{rule_id}\", which does not exist once [extend] is applied; fix the id in targetRules")]
    UnknownTargetRule { path: String, rule_id: String },
    #[error("{path}: [extend] path \"{target}\" was not found (tried {tried}); gitleaks resolves it against the working directory: make it absolute or run from the folder it expects")]
    ExtendNotFound { path: String, target: String, tried: String },
    #[error("{path}: {message}")]
    Extend { path: String, message: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    #[serde(default)]
    extend: Option<RawExtend>,
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawExtend {
    #[serde(default)]
    use_default: bool,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    disabled_rules: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    #[serde(default)]
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    secret_group: Option<usize>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAllowlist {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    regex_target: Option<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    target_rules: Vec<String>,
}

/// A loaded config: rules and global allowlists, ready for [`Scanner::from_rules`].
#[derive(Debug)]
pub struct LoadedConfig {
    pub rules: Vec<Rule>,
    pub allowlists: Vec<Allowlist>,
    /// Things the config asked for that have no effect here (also logged as warnings): an
    /// extension of a gitleaks rule we have no counterpart for, an `[extend]` too deep.
    pub notes: Vec<String>,
}

/// Where `[extend] path` is looked up.
struct Dirs<'a> {
    /// The working directory (gitleaks' own base).
    cwd: &'a Path,
    /// The folder of the config doing the extending (the fallback).
    config_dir: &'a Path,
}

/// Rules while configs are merged; validated only once everything is in.
struct Merged {
    rules: Vec<Rule>,
    /// Per rule: the config file that last defined or extended it (for errors).
    origin: Vec<String>,
    allowlists: Vec<Allowlist>,
    notes: Vec<String>,
    /// `useDefault` was on somewhere in the chain: gitleaks' rule ids are known.
    gitleaks_ids: bool,
}

fn first_line(s: &str) -> String {
    s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_string()
}

fn compile_list(patterns: &[String], path: &str, owner: &str, field: &'static str) -> Result<Vec<Regex>, ConfigError> {
    patterns
        .iter()
        .map(|p| {
            go_regex::compile(p).map_err(|e| ConfigError::BadRegex {
                path: path.to_string(),
                rule_id: owner.to_string(),
                field,
                message: first_line(&e.to_string()),
            })
        })
        .collect()
}

fn allowlist(raw: &RawAllowlist, path: &str, owner: &str) -> Result<Allowlist, ConfigError> {
    let bad = |message: String| ConfigError::Parse { path: path.to_string(), message: format!("{owner}: {message}") };
    let condition = match raw.condition.as_deref().map(|c| c.trim().to_ascii_uppercase()) {
        None => Condition::Or,
        Some(c) if c.is_empty() || c == "OR" || c == "||" => Condition::Or,
        Some(c) if c == "AND" || c == "&&" => Condition::And,
        Some(c) => return Err(bad(format!("allowlist condition \"{c}\" is neither \"OR\" nor \"AND\""))),
    };
    let regex_target = match raw.regex_target.as_deref().map(|t| t.trim().to_ascii_lowercase()) {
        None => RegexTarget::Secret,
        Some(t) if t.is_empty() || t == "secret" => RegexTarget::Secret,
        Some(t) if t == "match" => RegexTarget::Match,
        Some(t) if t == "line" => RegexTarget::Line,
        Some(t) => return Err(bad(format!("allowlist regexTarget \"{t}\" is not one of secret, match, line"))),
    };
    if raw.commits.is_empty() && raw.paths.is_empty() && raw.regexes.is_empty() && raw.stopwords.is_empty() {
        return Err(ConfigError::EmptyAllowlist { path: path.to_string(), owner: owner.to_string() });
    }
    let mut stopwords: Vec<String> = raw.stopwords.iter().map(|s| s.to_ascii_lowercase()).collect();
    stopwords.sort();
    stopwords.dedup();
    Ok(Allowlist {
        description: raw.description.clone().unwrap_or_default(),
        condition,
        regex_target,
        regexes: compile_list(&raw.regexes, path, owner, "allowlist regex")?,
        paths: compile_list(&raw.paths, path, owner, "allowlist path")?,
        stopwords,
        commits: raw.commits.clone(),
        target_rules: raw.target_rules.clone(),
        stopword_index: Default::default(),
    })
}

/// The legacy single table and the current list, never both (gitleaks refuses that too).
fn one_form<'a>(
    old: &'a Option<RawAllowlist>,
    new: &'a [RawAllowlist],
    path: &str,
    owner: &str,
    names: (&'static str, &'static str),
) -> Result<Vec<&'a RawAllowlist>, ConfigError> {
    if old.is_some() && !new.is_empty() {
        return Err(ConfigError::AllowlistForms { path: path.to_string(), owner: owner.to_string(), old: names.0, new: names.1 });
    }
    Ok(old.iter().chain(new.iter()).collect())
}

fn rule_allowlists(raw: &RawRule, path: &str) -> Result<Vec<Allowlist>, ConfigError> {
    let owner = format!("rule \"{}\"", raw.id);
    one_form(&raw.allowlist, &raw.allowlists, path, &owner, ("[rules.allowlist]", "[[rules.allowlists]]"))?
        .into_iter()
        .map(|a| allowlist(a, path, &owner))
        .collect()
}

/// A rule with nothing set yet (gitleaks' keyword semantics: the whole file).
fn blank_rule(id: &str) -> Rule {
    Rule {
        id: id.to_string(),
        description: String::new(),
        regex: None,
        secret_group: 0,
        entropy: None,
        keywords: Vec::new(),
        path: None,
        allowlists: Vec::new(),
        window: Window::WholeFile,
        validator: None,
        generic: false,
        tags: Vec::new(),
        tail: None,
    }
}

/// Apply a config's rule on top of `rule` (a blank one, or the rule of the same id it extends).
fn apply_rule(raw: &RawRule, mut rule: Rule, path: &str) -> Result<Rule, ConfigError> {
    let bad = |field: &'static str, e: regex::Error| ConfigError::BadRegex {
        path: path.to_string(),
        rule_id: raw.id.clone(),
        field,
        message: first_line(&e.to_string()),
    };
    let regex = raw.regex.as_deref().filter(|r| !r.is_empty()).map(go_regex::compile).transpose().map_err(|e| bad("regex", e))?;
    let window = match raw.regex.as_deref() {
        Some(re) => match (go_regex::window_bytes(re), go_regex::window_lines(re)) {
            (Some(bytes), _) => Window::Around { bytes },
            (None, Some(lines)) => Window::AroundLines { lines },
            (None, None) => Window::WholeFile,
        },
        None => Window::WholeFile,
    };
    let path_re = raw.path.as_deref().filter(|p| !p.is_empty()).map(go_regex::compile).transpose().map_err(|e| bad("path", e))?;
    let mut allowlists = rule_allowlists(raw, path)?;
    if let Some(re) = regex {
        // A new regex replaces the built-in behaviour (windows, validators) with gitleaks'.
        rule.regex = Some(re);
        rule.window = window;
        rule.tail = raw.regex.as_deref().and_then(go_regex::tail);
        rule.validator = None;
        rule.generic = false;
    }
    if path_re.is_some() {
        rule.path = path_re;
    }
    if let Some(d) = raw.description.as_ref().filter(|d| !d.is_empty()) {
        rule.description = d.clone();
    }
    if let Some(g) = raw.secret_group.filter(|&g| g != 0) {
        rule.secret_group = g;
    }
    if let Some(e) = raw.entropy.filter(|&e| e != 0.0) {
        rule.entropy = Some(e as f32);
    }
    for k in &raw.keywords {
        let k = k.to_ascii_lowercase();
        if !rule.keywords.contains(&k) {
            rule.keywords.push(k);
        }
    }
    for t in &raw.tags {
        if !rule.tags.contains(t) {
            rule.tags.push(t.clone());
        }
    }
    rule.allowlists.append(&mut allowlists);
    Ok(rule)
}

fn load_raw(text: &str, shown: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse { path: shown.to_string(), message: first_line(&e.to_string()) })
}

/// gitleaks reads `[extend] path` relative to the working directory; we try that first, then
/// the extending config's folder.
fn resolve_extend(target: &str, dirs: &Dirs<'_>, shown: &str) -> Result<PathBuf, ConfigError> {
    let p = Path::new(target);
    let candidates: Vec<PathBuf> = if p.is_absolute() {
        vec![p.to_path_buf()]
    } else {
        let mut c = vec![dirs.cwd.join(p)];
        if dirs.config_dir != dirs.cwd {
            c.push(dirs.config_dir.join(p));
        }
        c
    };
    candidates.iter().find(|c| c.is_file()).cloned().ok_or_else(|| ConfigError::ExtendNotFound {
        path: shown.to_string(),
        target: target.to_string(),
        tried: candidates.iter().map(|c| c.display().to_string()).collect::<Vec<_>>().join(", "),
    })
}

fn note(notes: &mut Vec<String>, message: String) {
    tracing::warn!("{message}");
    notes.push(message);
}

/// The base a config extends (built-in rules, or another file), before its own rules apply.
fn load_base(ext: &RawExtend, dirs: &Dirs<'_>, shown: &str, depth: usize) -> Result<Merged, ConfigError> {
    let mut base = Merged { rules: Vec::new(), origin: Vec::new(), allowlists: Vec::new(), notes: Vec::new(), gitleaks_ids: false };
    if ext.url.is_some() {
        return Err(ConfigError::Extend {
            path: shown.to_string(),
            message: "[extend] url is not supported (the scanner never fetches configs); download the file and use [extend] path".into(),
        });
    }
    if ext.use_default && ext.path.is_some() {
        return Err(ConfigError::Extend {
            path: shown.to_string(),
            message: "[extend] sets both path and useDefault (gitleaks refuses this too); keep one of them".into(),
        });
    }
    if depth >= MAX_EXTEND_DEPTH {
        if ext.use_default || ext.path.is_some() {
            note(&mut base.notes, format!("{shown}: its [extend] is not followed (gitleaks follows {MAX_EXTEND_DEPTH} levels of [extend])"));
        }
        return Ok(base);
    }
    if ext.use_default {
        base.rules = Scanner::builtin_rules();
        base.origin = vec!["the built-in rules".to_string(); base.rules.len()];
        base.gitleaks_ids = true;
    } else if let Some(target) = &ext.path {
        let full = resolve_extend(target, dirs, shown)?;
        let text = std::fs::read_to_string(&full).map_err(|source| ConfigError::Read { path: full.clone(), source })?;
        let parent = full.parent().map(Path::to_path_buf).unwrap_or_default();
        let inner = Dirs { cwd: dirs.cwd, config_dir: &parent };
        base = load_level(&text, &inner, &full.display().to_string(), depth + 1)?;
    }
    Ok(base)
}

/// Where an extension-only rule (no regex) of a gitleaks id lands when we lack that id.
enum Target {
    Existing(usize),
    Nothing,
    New,
}

fn target_of(merged: &Merged, raw: &RawRule) -> Target {
    if let Some(i) = merged.rules.iter().position(|r| r.id == raw.id) {
        return Target::Existing(i);
    }
    let extension_only = raw.regex.as_deref().is_none_or(str::is_empty);
    if merged.gitleaks_ids && extension_only {
        if let Some(ours) = gitleaks_ids::builtin_equivalent(&raw.id) {
            if let Some(i) = merged.rules.iter().position(|r| r.id == ours) {
                return Target::Existing(i);
            }
        }
        if gitleaks_ids::is_default_id(&raw.id) {
            return Target::Nothing;
        }
    }
    Target::New
}

/// One config file merged onto its base; not validated (gitleaks validates only the result).
fn load_level(text: &str, dirs: &Dirs<'_>, shown: &str, depth: usize) -> Result<Merged, ConfigError> {
    let raw = load_raw(text, shown)?;
    let mut m = match &raw.extend {
        Some(ext) => {
            let mut base = load_base(ext, dirs, shown, depth)?;
            let disabled: Vec<&str> =
                ext.disabled_rules.iter().map(|id| if base.gitleaks_ids { gitleaks_ids::builtin_equivalent(id).unwrap_or(id) } else { id.as_str() }).collect();
            let keep: Vec<bool> = base.rules.iter().map(|r| !disabled.contains(&r.id.as_str())).collect();
            let mut k = keep.iter();
            base.rules.retain(|_| *k.next().unwrap_or(&true));
            let mut k = keep.iter();
            base.origin.retain(|_| *k.next().unwrap_or(&true));
            base
        }
        None => Merged { rules: Vec::new(), origin: Vec::new(), allowlists: Vec::new(), notes: Vec::new(), gitleaks_ids: false },
    };
    for raw_rule in &raw.rules {
        if raw_rule.id.trim().is_empty() {
            let context = match (&raw_rule.description, &raw_rule.regex) {
                (Some(d), _) if !d.is_empty() => format!(" (description: {d})"),
                (_, Some(r)) => format!(" (regex: {r})"),
                _ => String::new(),
            };
            return Err(ConfigError::NoId { path: shown.to_string(), context });
        }
        match target_of(&m, raw_rule) {
            Target::Existing(i) => {
                let base = m.rules[i].clone();
                m.rules[i] = apply_rule(raw_rule, base, shown)?;
                m.origin[i] = shown.to_string();
            }
            Target::Nothing => {
                rule_allowlists(raw_rule, shown)?; // still checked
                note(&mut m.notes, format!(
                    "{shown}: rule \"{}\" extends gitleaks' default rule of that id, which the built-in rules have no counterpart for; the extension has nothing to apply to",
                    raw_rule.id
                ));
            }
            Target::New => {
                m.rules.push(apply_rule(raw_rule, blank_rule(&raw_rule.id), shown)?);
                m.origin.push(shown.to_string());
            }
        }
    }
    let global = one_form(&raw.allowlist, &raw.allowlists, shown, "the global allowlist", ("[allowlist]", "[[allowlists]]"))?;
    for a in global {
        m.allowlists.push(allowlist(a, shown, "the global allowlist")?);
    }
    Ok(m)
}

/// The checks gitleaks makes once every config is merged.
fn validate(mut m: Merged, shown: &str) -> Result<LoadedConfig, ConfigError> {
    for (rule, origin) in m.rules.iter_mut().zip(&m.origin) {
        match &rule.regex {
            None if rule.path.is_none() => {
                return Err(ConfigError::NoPattern { path: origin.clone(), rule_id: rule.id.clone() });
            }
            Some(re) if rule.secret_group > re.captures_len() - 1 => {
                return Err(ConfigError::BadSecretGroup {
                    path: origin.clone(),
                    rule_id: rule.id.clone(),
                    group: rule.secret_group,
                    max: re.captures_len() - 1,
                });
            }
            _ => {}
        }
        if rule.description.is_empty() {
            rule.description = rule.id.clone();
        }
    }
    let mut allowlists = Vec::with_capacity(m.allowlists.len());
    for mut al in m.allowlists {
        if al.target_rules.is_empty() {
            allowlists.push(al);
            continue;
        }
        let mut targets = Vec::new();
        for id in &al.target_rules {
            let ours = if m.gitleaks_ids { gitleaks_ids::builtin_equivalent(id).unwrap_or(id) } else { id.as_str() };
            if m.rules.iter().any(|r| r.id == ours) {
                targets.push(ours.to_string());
            } else if m.gitleaks_ids && gitleaks_ids::is_default_id(id) {
                note(
                    &mut m.notes,
                    format!(
                        "{shown}: an [[allowlists]] entry targets gitleaks' rule \"{id}\", which the built-in rules have no counterpart for; it is left out"
                    ),
                );
            } else {
                return Err(ConfigError::UnknownTargetRule { path: shown.to_string(), rule_id: id.clone() });
            }
        }
        // An allowlist whose every target is gone must not turn global.
        if !targets.is_empty() {
            al.target_rules = targets;
            allowlists.push(al);
        }
    }
    Ok(LoadedConfig { rules: m.rules, allowlists, notes: m.notes })
}

/// Load config text; `base_dir` resolves `[extend] path` (working directory and config folder
/// alike); `shown` names it in errors.
pub fn load_str(text: &str, base_dir: &Path, shown: &str) -> Result<LoadedConfig, ConfigError> {
    let dirs = Dirs { cwd: base_dir, config_dir: base_dir };
    validate(load_level(text, &dirs, shown, 0)?, shown)
}

/// Load a config file; `[extend] path` resolves against `cwd`, then the file's folder.
pub fn load_file_in(path: &Path, cwd: &Path) -> Result<LoadedConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let shown = path.display().to_string();
    let dirs = Dirs { cwd, config_dir: &dir };
    validate(load_level(&text, &dirs, &shown, 0)?, &shown)
}

/// Load a config file; `[extend] path` resolves against the working directory, then the
/// file's folder.
pub fn load_file(path: &Path) -> Result<LoadedConfig, ConfigError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    load_file_in(path, &cwd)
}
