//! Loading gitleaks config files (`.gitleaks.toml`): `[[rules]]` with allowlists (current
//! `[[rules.allowlists]]` and legacy `[rules.allowlist]`), global `[allowlist]` /
//! `[[allowlists]]`, and `[extend]` (`useDefault` = our built-in rules, `path` = another file,
//! `disabledRules`). Regexes are Go RE2 syntax, translated where the `regex` crate differs.
//!
//! gitleaks semantics kept: a rule with keywords runs on a file only if one of them occurs in
//! it (case-insensitively), and then over the whole file; `secretGroup` 0 means the first
//! capture group that took part; `entropy` is a strict lower bound on the secret's entropy.

use super::allowlist::{Allowlist, Condition, RegexTarget};
use super::rule::{Rule, Window};
use super::Scanner;
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// How deep `[extend] path` chains may go (gitleaks allows 2).
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
    #[error("rule \"{rule_id}\" in {path} has neither `regex` nor `path`; give it one of them")]
    NoPattern { path: String, rule_id: String },
    #[error("rule in {path} has no `id`; every [[rules]] entry needs a unique id")]
    NoId { path: String },
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
}

/// Translate Go RE2 syntax to the `regex` crate's where they differ: `\Q…\E` literals, and
/// `\z` (same meaning, kept). Everything else is shared syntax.
pub fn translate_go_regex(go: &str) -> String {
    let mut out = String::with_capacity(go.len());
    let mut rest = go;
    while let Some(i) = rest.find("\\Q") {
        // Count preceding backslashes: `\\Q` is an escaped backslash then `Q`.
        let backslashes = rest[..i].chars().rev().take_while(|&c| c == '\\').count();
        if backslashes % 2 == 1 {
            out.push_str(&rest[..i + 2]);
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        let lit_start = i + 2;
        let (lit, after) = match rest[lit_start..].find("\\E") {
            Some(j) => (&rest[lit_start..lit_start + j], &rest[lit_start + j + 2..]),
            None => (&rest[lit_start..], ""),
        };
        out.push_str(&regex::escape(lit));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Compile a gitleaks regex with Go's ASCII meaning of `\w`, `\d`, `\s`, `\b`; falls back to
/// Unicode mode for patterns that need it (`\p{…}`).
pub fn compile_go_regex(go: &str) -> Result<Regex, regex::Error> {
    let translated = translate_go_regex(go);
    let build = |p: &str| RegexBuilder::new(p).size_limit(64 << 20).dfa_size_limit(16 << 20).build();
    build(&format!("(?-u){translated}")).or_else(|_| build(&translated))
}

fn compile_list(
    patterns: &[String],
    path: &str,
    rule_id: &str,
    field: &'static str,
) -> Result<Vec<Regex>, ConfigError> {
    patterns
        .iter()
        .map(|p| {
            compile_go_regex(p).map_err(|e| ConfigError::BadRegex {
                path: path.to_string(),
                rule_id: rule_id.to_string(),
                field,
                message: first_line(&e.to_string()),
            })
        })
        .collect()
}

fn first_line(s: &str) -> String {
    s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_string()
}

fn allowlist(raw: &RawAllowlist, path: &str, owner: &str) -> Result<Allowlist, ConfigError> {
    let condition = match raw.condition.as_deref().map(|c| c.trim().to_ascii_uppercase()) {
        None => Condition::Or,
        Some(c) if c == "OR" || c.is_empty() => Condition::Or,
        Some(c) if c == "AND" => Condition::And,
        Some(c) => {
            return Err(ConfigError::Parse {
                path: path.to_string(),
                message: format!("allowlist of {owner}: condition \"{c}\" is neither \"OR\" nor \"AND\""),
            })
        }
    };
    let regex_target = match raw.regex_target.as_deref().map(|t| t.trim().to_ascii_lowercase()) {
        None => RegexTarget::Secret,
        Some(t) if t == "secret" || t.is_empty() => RegexTarget::Secret,
        Some(t) if t == "match" => RegexTarget::Match,
        Some(t) if t == "line" => RegexTarget::Line,
        Some(t) => {
            return Err(ConfigError::Parse {
                path: path.to_string(),
                message: format!("allowlist of {owner}: regexTarget \"{t}\" is not one of secret, match, line"),
            })
        }
    };
    Ok(Allowlist {
        description: raw.description.clone().unwrap_or_default(),
        condition,
        regex_target,
        regexes: compile_list(&raw.regexes, path, owner, "allowlist regex")?,
        paths: compile_list(&raw.paths, path, owner, "allowlist path")?,
        stopwords: raw.stopwords.iter().map(|s| s.to_ascii_lowercase()).collect(),
        commits: raw.commits.clone(),
        target_rules: raw.target_rules.clone(),
    })
}

fn rule_allowlists(raw: &RawRule, path: &str) -> Result<Vec<Allowlist>, ConfigError> {
    raw.allowlist
        .iter()
        .chain(raw.allowlists.iter())
        .map(|a| allowlist(a, path, &raw.id))
        .collect()
}

/// Apply a config's rule on top of `base` (a rule of the same id being extended), or build it.
fn apply_rule(raw: &RawRule, base: Option<Rule>, path: &str) -> Result<Rule, ConfigError> {
    let bad = |field: &'static str, e: regex::Error| ConfigError::BadRegex {
        path: path.to_string(),
        rule_id: raw.id.clone(),
        field,
        message: first_line(&e.to_string()),
    };
    let regex = raw.regex.as_deref().map(compile_go_regex).transpose().map_err(|e| bad("regex", e))?;
    let path_re = raw.path.as_deref().map(compile_go_regex).transpose().map_err(|e| bad("path", e))?;
    let mut allowlists = rule_allowlists(raw, path)?;
    let mut rule = match base {
        Some(mut r) => {
            if let Some(re) = regex {
                r.regex = Some(re);
                r.window = Window::WholeFile;
                r.validator = None;
                r.generic = false;
            }
            r
        }
        None => {
            if regex.is_none() && path_re.is_none() {
                return Err(ConfigError::NoPattern { path: path.to_string(), rule_id: raw.id.clone() });
            }
            Rule {
                id: raw.id.clone(),
                description: String::new(),
                regex,
                secret_group: 0,
                entropy: None,
                keywords: Vec::new(),
                path: None,
                allowlists: Vec::new(),
                window: Window::WholeFile,
                validator: None,
                generic: false,
                tags: Vec::new(),
            }
        }
    };
    if let Some(d) = &raw.description {
        rule.description = d.clone();
    }
    if rule.description.is_empty() {
        rule.description = rule.id.clone();
    }
    if let Some(g) = raw.secret_group {
        rule.secret_group = g;
    }
    if let Some(e) = raw.entropy {
        rule.entropy = Some(e as f32);
    }
    if !raw.keywords.is_empty() {
        rule.keywords = raw.keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
    }
    if path_re.is_some() {
        rule.path = path_re;
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

fn load_inner(text: &str, base_dir: &Path, shown: &str, depth: usize) -> Result<LoadedConfig, ConfigError> {
    let raw = load_raw(text, shown)?;
    let mut rules: Vec<Rule> = Vec::new();
    let mut allowlists: Vec<Allowlist> = Vec::new();
    if let Some(ext) = &raw.extend {
        if ext.url.is_some() {
            return Err(ConfigError::Extend {
                path: shown.to_string(),
                message: "[extend] url is not supported (the scanner never fetches configs); download the file and use [extend] path".into(),
            });
        }
        if ext.use_default {
            rules.extend(Scanner::builtin_rules());
        }
        if let Some(p) = &ext.path {
            if depth >= MAX_EXTEND_DEPTH {
                return Err(ConfigError::Extend {
                    path: shown.to_string(),
                    message: format!("[extend] chains deeper than {MAX_EXTEND_DEPTH} levels are not followed; flatten the configs"),
                });
            }
            let full = base_dir.join(p);
            let text = std::fs::read_to_string(&full).map_err(|source| ConfigError::Read { path: full.clone(), source })?;
            let parent = full.parent().map(Path::to_path_buf).unwrap_or_default();
            let base = load_inner(&text, &parent, &full.display().to_string(), depth + 1)?;
            for r in base.rules {
                match rules.iter().position(|x| x.id == r.id) {
                    Some(i) => rules[i] = r,
                    None => rules.push(r),
                }
            }
            allowlists.extend(base.allowlists);
        }
        rules.retain(|r| !ext.disabled_rules.contains(&r.id));
    }
    for raw_rule in &raw.rules {
        if raw_rule.id.trim().is_empty() {
            return Err(ConfigError::NoId { path: shown.to_string() });
        }
        match rules.iter().position(|r| r.id == raw_rule.id) {
            Some(i) => {
                let base = rules[i].clone();
                rules[i] = apply_rule(raw_rule, Some(base), shown)?;
            }
            None => rules.push(apply_rule(raw_rule, None, shown)?),
        }
    }
    for a in raw.allowlist.iter().chain(raw.allowlists.iter()) {
        allowlists.push(allowlist(a, shown, "the global allowlist")?);
    }
    Ok(LoadedConfig { rules, allowlists })
}

/// Load config text; `base_dir` resolves `[extend] path`; `shown` names it in errors.
pub fn load_str(text: &str, base_dir: &Path, shown: &str) -> Result<LoadedConfig, ConfigError> {
    load_inner(text, base_dir, shown, 0)
}

/// Load a config file.
pub fn load_file(path: &Path) -> Result<LoadedConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_str(&text, &dir, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_meta_is_translated() {
        assert_eq!(translate_go_regex(r"a\Q.*+\Eb"), r"a\.\*\+b");
        assert_eq!(translate_go_regex(r"\\Q"), r"\\Q");
        assert_eq!(translate_go_regex(r"x\Q(unterminated"), r"x\(unterminated");
        assert!(compile_go_regex(r"\bfoo\w+\z").is_ok());
        assert!(compile_go_regex(r"\p{Greek}+").is_ok());
        assert!(compile_go_regex(r"(?=look)").is_err());
    }

    #[test]
    fn go_classes_are_ascii() {
        let re = compile_go_regex(r"^\w+$").unwrap();
        assert!(re.is_match(b"abc_1"));
        assert!(!re.is_match("é".as_bytes()));
    }
}
