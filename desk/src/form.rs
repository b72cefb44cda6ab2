//! The profile form the wizard and the settings window edit, and its trip through core.
//!
//! The form holds text exactly as the user typed it. It becomes profile TOML (`to_toml`), and
//! core's `Profile::parse` — the same validation `sandbox init` and every CLI verb use — decides
//! what is wrong, so the messages are word for word the CLI's. Nothing here judges a value.

use crate::error::{CmdResult, CommandError, FieldProblem};
use sandbox_core::profile::{Draft, Profile, ProfileError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use toml_edit::{value, Array, DocumentMut, Item, Table};

/// What the user typed. Empty strings mean "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub name: String,
    pub project: String,
    pub vault: String,
    pub config: String,
    pub agent_data: String,
    pub mode: String,
    pub cpus: String,
    pub memory: String,
    pub disk: String,
    /// Secret names (values never pass through the form).
    pub secrets: Vec<String>,
    /// Network allowlist presets (`network.presets`).
    pub presets: Vec<String>,
    /// Extra allowed domains (`network.allowed_domains`).
    pub allowed_domains: Vec<String>,
}

/// The wizard's steps, in order. Each owns some profile fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Welcome,
    Lima,
    Folders,
    Secrets,
    Network,
    Mode,
    Resources,
    Summary,
}

impl Step {
    /// Field prefixes whose problems this step shows (`None`: every field).
    fn fields(self) -> Option<&'static [&'static str]> {
        match self {
            Step::Welcome | Step::Lima => Some(&[]),
            Step::Folders => Some(&["mounts", "name"]),
            Step::Secrets => Some(&["secrets"]),
            Step::Network => Some(&["network"]),
            Step::Mode => Some(&["mode", "features"]),
            Step::Resources => Some(&["resources"]),
            Step::Summary => None,
        }
    }

    pub fn owns(self, field: &str) -> bool {
        match self.fields() {
            None => true,
            Some(prefixes) => prefixes.iter().any(|p| field == *p || field.starts_with(&format!("{p}.")) || field.starts_with(&format!("{p}["))),
        }
    }
}

fn table<'a>(doc: &'a mut DocumentMut, key: &str) -> &'a mut Table {
    if !doc.contains_table(key) {
        doc[key] = Item::Table(Table::new());
    }
    doc[key].as_table_mut().expect("just made a table")
}

fn set_or_remove(t: &mut Table, key: &str, v: &str) {
    let v = v.trim();
    if v.is_empty() {
        t.remove(key);
    } else {
        t[key] = value(v);
    }
}

fn string_array(items: &[String]) -> Array {
    items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect()
}

fn get_str(doc: &DocumentMut, path: &[&str]) -> String {
    let mut item = doc.as_item();
    for k in path {
        match item.get(k) {
            Some(i) => item = i,
            None => return String::new(),
        }
    }
    match item.as_value() {
        Some(toml_edit::Value::String(s)) => s.value().clone(),
        Some(other) => other.to_string().trim().to_string(),
        None => String::new(),
    }
}

fn get_list(doc: &DocumentMut, path: &[&str]) -> Vec<String> {
    let mut item = doc.as_item();
    for k in path {
        match item.get(k) {
            Some(i) => item = i,
            None => return Vec::new(),
        }
    }
    item.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

impl ProfileForm {
    /// Core's defaults for a new profile (instance name, mode, resources, secret names).
    pub fn defaults() -> Self {
        let draft = Draft::new(PathBuf::new());
        let doc: DocumentMut = draft.to_toml().parse().expect("core writes valid TOML");
        let mut f = ProfileForm::from_doc(&doc);
        f.project.clear();
        f
    }

    /// Read a form from a profile document (what the settings window shows).
    pub fn from_doc(doc: &DocumentMut) -> Self {
        ProfileForm {
            name: get_str(doc, &["name"]),
            project: get_str(doc, &["mounts", "project"]),
            vault: get_str(doc, &["mounts", "vault"]),
            config: get_str(doc, &["mounts", "config"]),
            agent_data: get_str(doc, &["mounts", "agent_data"]),
            mode: get_str(doc, &["mode"]),
            cpus: get_str(doc, &["resources", "cpus"]),
            memory: get_str(doc, &["resources", "memory"]),
            disk: get_str(doc, &["resources", "disk"]),
            secrets: get_list(doc, &["secrets", "names"]),
            presets: get_list(doc, &["network", "presets"]),
            allowed_domains: get_list(doc, &["network", "allowed_domains"]),
        }
    }

    /// Write the form's fields into a profile document, leaving every other key as it is.
    pub fn apply_to(&self, doc: &mut DocumentMut) {
        if self.name.trim().is_empty() {
            doc.remove("name");
        } else {
            doc["name"] = value(self.name.trim());
        }
        if !self.mode.trim().is_empty() {
            doc["mode"] = value(self.mode.trim());
        }
        let mounts = table(doc, "mounts");
        for (k, v) in [("project", &self.project), ("vault", &self.vault), ("config", &self.config), ("agent_data", &self.agent_data)] {
            set_or_remove(mounts, k, v);
        }
        let res = table(doc, "resources");
        match self.cpus.trim() {
            "" => {
                res.remove("cpus");
            }
            // A whole number goes in as one; anything else as text, so core's own type check
            // reports it (the CLI would say the same of a hand-written profile).
            c => match c.parse::<i64>() {
                Ok(n) => res["cpus"] = value(n),
                Err(_) => res["cpus"] = value(c),
            },
        }
        set_or_remove(res, "memory", &self.memory);
        set_or_remove(res, "disk", &self.disk);
        table(doc, "secrets")["names"] = value(string_array(&self.secrets));
        let net = table(doc, "network");
        net["presets"] = value(string_array(&self.presets));
        if self.allowed_domains.iter().all(|d| d.trim().is_empty()) {
            net.remove("allowed_domains");
        } else {
            net["allowed_domains"] = value(string_array(&self.allowed_domains));
        }
    }

    /// A new profile's text: core's commented template with the form applied.
    pub fn to_new_toml(&self) -> String {
        let mut doc: DocumentMut = Draft::new(PathBuf::from(self.project.trim())).to_toml().parse().expect("core writes valid TOML");
        self.apply_to(&mut doc);
        doc.to_string()
    }
}

/// `table.key` of the assignment on 1-based `line` of `text`, for syntax errors.
pub fn field_at_line(text: &str, line: usize) -> Option<String> {
    let mut section = String::new();
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.starts_with('[') {
            section = l.trim_matches(|c| c == '[' || c == ']').trim().to_string();
        }
        if i + 1 == line {
            let key = l.split('=').next()?.trim();
            if key.is_empty() || l.starts_with('[') {
                return None;
            }
            return Some(if section.is_empty() { key.to_string() } else { format!("{section}.{key}") });
        }
    }
    None
}

/// Validate profile text with core. Problems keep core's messages; a syntax error is pinned
/// to the field on its line.
pub fn validate(text: &str, path: &Path) -> CmdResult<Profile> {
    let base = path.parent().unwrap_or(Path::new("."));
    match Profile::parse(text, path, base) {
        Ok(p) => Ok(p),
        Err(ProfileError::Syntax { line, message, .. }) => {
            let field = field_at_line(text, line).unwrap_or_else(|| "profile".into());
            Err(CommandError::invalid(vec![FieldProblem { field, message }]))
        }
        Err(e) => Err(e.into()),
    }
}

/// Keep only the problems one wizard step owns.
pub fn for_step(step: Step, result: CmdResult<Profile>) -> CmdResult<()> {
    match result {
        Ok(_) => Ok(()),
        Err(mut e) if !e.problems.is_empty() => {
            e.problems.retain(|p| step.owns(&p.field));
            if e.problems.is_empty() {
                Ok(())
            } else {
                Err(CommandError::invalid(e.problems))
            }
        }
        Err(e) => Err(e),
    }
}

/// Write profile text atomically (temp file + rename), private to the user (0600).
pub fn write_profile(path: &Path, text: &str, replace: bool) -> CmdResult<()> {
    Ok(sandbox_core::profile::write_text(path, text, replace)?)
}

/// The wizard's and Settings' line under the vault field: which kind of vault `path` is and what
/// the sandbox will do with it — core's words (`sandbox_core::vault`), for the profile's
/// `vault_mode` and mode when a profile exists. `None` for an empty or missing folder.
pub fn vault_hint(path: &str, profile_path: &Path) -> Option<String> {
    use sandbox_core::profile::{Mode, VaultMode};
    let path = path.trim();
    if path.is_empty() {
        return None;
    }
    let expanded = match path.strip_prefix("~/") {
        Some(rest) => PathBuf::from(std::env::var_os("HOME")?).join(rest),
        None => Path::new(path).to_path_buf(),
    };
    let host = expanded.canonicalize().ok().filter(|p| p.is_dir())?;
    let (vault_mode, mode) = Profile::load(profile_path).map(|p| (p.vault_mode, p.mode)).unwrap_or((VaultMode::Auto, Mode::Secure));
    Some(sandbox_core::vault::plan_for(&host, vault_mode, mode).describe())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_for(dir: &Path) -> ProfileForm {
        let mut f = ProfileForm::defaults();
        f.project = dir.to_string_lossy().into_owned();
        f
    }

    fn problems(r: CmdResult<()>) -> Vec<FieldProblem> {
        r.expect_err("should be invalid").problems
    }

    #[test]
    fn defaults_come_from_core() {
        let f = ProfileForm::defaults();
        assert_eq!(f.name, "openclaw-sandbox");
        assert_eq!(f.mode, "secure");
        assert_eq!(f.cpus, "4");
        assert_eq!(f.memory, "8GiB");
        assert_eq!(f.secrets, vec!["ANTHROPIC_API_KEY"]);
        assert!(f.project.is_empty());
    }

    #[test]
    fn a_complete_form_validates_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = form_for(dir.path());
        f.vault = dir.path().to_string_lossy().into_owned();
        f.mode = "yolo".into();
        f.allowed_domains = vec!["example.com".into()];
        let text = f.to_new_toml();
        let p = validate(&text, &dir.path().join("profile.toml")).unwrap();
        assert_eq!(p.mode.as_str(), "yolo");
        let back = ProfileForm::from_doc(&text.parse().unwrap());
        assert_eq!(back, f);
    }

    #[test]
    fn missing_project_is_reported_on_the_folders_step_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = ProfileForm::defaults();
        let path = dir.path().join("p.toml");
        let ps = problems(for_step(Step::Folders, validate(&f.to_new_toml(), &path)));
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].field, "mounts.project");
        assert!(for_step(Step::Resources, validate(&f.to_new_toml(), &path)).is_ok());
    }

    #[test]
    fn messages_are_cores_own() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = form_for(dir.path());
        f.project = dir.path().join("nope").to_string_lossy().into_owned();
        f.memory = "1GiB".into();
        let path = dir.path().join("p.toml");
        let text = f.to_new_toml();
        let core = Profile::parse(&text, &path, dir.path()).unwrap_err();
        let ours = validate(&text, &path).unwrap_err();
        let core_msgs: Vec<_> = core.problems().iter().map(|p| (p.field.clone(), p.message.clone())).collect();
        let our_msgs: Vec<_> = ours.problems.iter().map(|p| (p.field.clone(), p.message.clone())).collect();
        assert_eq!(core_msgs, our_msgs);
        assert!(our_msgs.iter().any(|(f, m)| f == "resources.memory" && m.contains("at least")));
    }

    #[test]
    fn non_numeric_cpus_is_pinned_to_its_field() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = form_for(dir.path());
        f.cpus = "lots".into();
        let ps = problems(for_step(Step::Resources, validate(&f.to_new_toml(), &dir.path().join("p.toml"))));
        assert_eq!(ps[0].field, "resources.cpus");
        assert!(ps[0].message.contains("whole number"), "{}", ps[0].message);
    }

    #[test]
    fn bad_secret_names_belong_to_the_secrets_step() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = form_for(dir.path());
        f.secrets = vec!["lower".into()];
        let path = dir.path().join("p.toml");
        let ps = problems(for_step(Step::Secrets, validate(&f.to_new_toml(), &path)));
        assert_eq!(ps[0].field, "secrets.names[0]");
        assert!(for_step(Step::Folders, validate(&f.to_new_toml(), &path)).is_ok());
    }

    #[test]
    fn applying_keeps_keys_the_form_does_not_know() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("version = 1\nmode = \"secure\"\n[mounts]\nproject = {:?}\n[provisioning.vars]\nx = 1\n", dir.path());
        let mut doc: DocumentMut = text.parse().unwrap();
        let mut f = ProfileForm::from_doc(&doc);
        f.cpus = "2".into();
        f.apply_to(&mut doc);
        let out = doc.to_string();
        assert!(out.contains("[provisioning.vars]") && out.contains("x = 1"), "{out}");
        assert!(out.contains("cpus = 2"), "{out}");
    }

    #[test]
    fn field_at_line_knows_the_section() {
        let t = "name = \"a\"\n[resources]\ncpus = \"x\"\n";
        assert_eq!(field_at_line(t, 1).as_deref(), Some("name"));
        assert_eq!(field_at_line(t, 3).as_deref(), Some("resources.cpus"));
        assert_eq!(field_at_line(t, 2), None);
    }

    #[test]
    fn profiles_are_written_private_and_never_replaced_silently() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c/profile.toml");
        write_profile(&path, "version = 1\n", false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let e = write_profile(&path, "x", false).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Exists);
        write_profile(&path, "version = 1\nname = \"b\"\n", true).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("\"b\""));
    }

    #[test]
    fn the_vault_hint_is_cores_description_of_the_folder() {
        let d = tempfile::tempdir().unwrap();
        let vault = d.path().join("Main");
        std::fs::create_dir(&vault).unwrap();
        let hint = vault_hint(vault.to_str().unwrap(), &d.path().join("no-profile.toml")).unwrap();
        assert!(hint.contains("is a local folder") && hint.contains("mounted read-only"), "{hint}");
        assert_eq!(vault_hint("", &d.path().join("p.toml")), None);
        assert_eq!(vault_hint(d.path().join("missing").to_str().unwrap(), &d.path().join("p.toml")), None);
    }
}
