//! The user's profile: a TOML file → a validated [`Profile`].
//!
//! Parsing keeps source spans (see `raw`), so every problem names the field, the line and the
//! fix. Paths may use `~` and may be relative to the profile's own folder; mounted folders
//! must exist. Sections owned by other modules (`[network]`, `[sync]`, `[agent]`) are validated by them.

mod draft;
mod error;
mod import;
mod raw;
mod size;

pub use draft::{write_text, Draft};
pub use error::{line_col, Problem, ProfileError};
pub mod agent;
pub mod components;
pub use import::{import_reference, ImportOutcome};
pub use size::ByteSize;

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use toml::Spanned;

pub use crate::field_issue::FieldIssue;

/// The default Lima instance name.
pub const DEFAULT_NAME: &str = "openclaw-sandbox";
/// The OpenClaw gateway's port, forwarded to the host's loopback.
pub const DEFAULT_GATEWAY_PORT: u16 = 18789;

/// How much the agent may change directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Read-only mounts, writes in an overlay, changes reach the host only through the gate.
    Secure,
    /// Like secure, but the gate runs by itself every few seconds (still scanned, still gated).
    Yolo,
    /// Writable host mounts, no overlay, no gate. For throwaway projects only.
    YoloUnsafe,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "secure" => Some(Mode::Secure),
            "yolo" => Some(Mode::Yolo),
            "yolo-unsafe" | "yolo_unsafe" => Some(Mode::YoloUnsafe),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Secure => "secure",
            Mode::Yolo => "yolo",
            Mode::YoloUnsafe => "yolo-unsafe",
        }
    }
    /// Whether host mounts are writable from the VM.
    pub fn writable_mounts(self) -> bool {
        self == Mode::YoloUnsafe
    }
}

/// What a host folder is for; decides its mount point and writability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MountRole {
    Project,
    Vault,
    Config,
    AgentData,
    Extra,
}

/// A host folder shared with the VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    pub role: MountRole,
    /// Absolute host path.
    pub host: PathBuf,
    /// Where it appears in the VM.
    pub guest: String,
    /// Whether the VM may write to it directly (only agent data, or everything in yolo-unsafe).
    pub writable: bool,
}

/// How the Obsidian vault reaches the VM (`[mounts] vault_mode`). What `auto` resolves to is
/// decided by `crate::vault` from the vault's path and what the host says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VaultMode {
    /// A vault in iCloud Drive or another File Provider / FUSE folder is copied into the VM;
    /// a plain local vault is mounted read-only.
    #[default]
    Auto,
    /// Always copy the vault into the VM (and keep the copy current while `sandbox watch` or the
    /// app runs).
    Copy,
    /// Always mount the vault read-only (the agent may see holes where a cloud folder has
    /// evicted files).
    Mount,
}

impl VaultMode {
    pub fn parse(s: &str) -> Option<VaultMode> {
        match s {
            "auto" => Some(VaultMode::Auto),
            "copy" => Some(VaultMode::Copy),
            "mount" => Some(VaultMode::Mount),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            VaultMode::Auto => "auto",
            VaultMode::Copy => "copy",
            VaultMode::Mount => "mount",
        }
    }
}

/// VM size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Resources {
    pub cpus: u32,
    pub memory: ByteSize,
    pub disk: ByteSize,
}

impl Default for Resources {
    fn default() -> Self {
        Resources { cpus: 4, memory: ByteSize::gib(8), disk: ByteSize::gib(50) }
    }
}

/// Optional components in the VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Features {
    /// The OpenClaw gateway (and its runtime) in the VM; off = the bare sandbox (e.g. for
    /// agents that come in over MCP or ssh).
    pub gateway: bool,
    pub docker: bool,
    pub gh: bool,
    pub vault: bool,
    pub telegram: bool,
    pub tailscale: bool,
    pub cadence: bool,
    pub buildlog: bool,
    pub qortex: bool,
}

/// One entry of `provisioning.ca_certs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaCert {
    /// `"system"`: the CAs this host trusts beyond the public bundle, read when the Lima
    /// config is rendered (see [`crate::host_ca::host_extra_cas`]).
    System,
    /// A PEM file (absolute), handed to Lima as is.
    File(PathBuf),
}

impl CaCert {
    /// The word in `provisioning.ca_certs` that selects the host's CAs.
    pub const SYSTEM: &'static str = "system";
}

impl Serialize for CaCert {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CaCert::System => s.serialize_str(CaCert::SYSTEM),
            CaCert::File(p) => p.serialize(s),
        }
    }
}

/// A validated profile.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// The Lima instance name.
    pub name: String,
    pub mode: Mode,
    /// Project first, then vault, config, agent data, extras.
    pub mounts: Vec<Mount>,
    /// How the vault reaches the VM (`[mounts] vault_mode`).
    pub vault_mode: VaultMode,
    pub resources: Resources,
    /// The `[network]` table as written.
    pub network: crate::firewall::NetworkConfig,
    /// The validated network policy the firewall renders.
    #[serde(skip)]
    pub network_policy: crate::firewall::NetworkPolicy,
    /// The gateway port forwarded to the host's 127.0.0.1.
    pub gateway_port: u16,
    /// Names of the secrets the VM gets (values live in the OS keychain only).
    pub secrets: Vec<String>,
    pub features: Features,
    /// Extra CA certificates the VM must trust (corporate proxies): PEM files, and/or the CAs
    /// the host trusts beyond the public bundle (`"system"`).
    pub ca_certs: Vec<CaCert>,
    /// Extra provisioning variables, passed through to the in-VM apply step.
    pub vars: BTreeMap<String, toml::Value>,
    /// The `[sync]` table as written.
    pub sync: crate::sync::SyncPolicyConfig,
    /// The validated sync-gate policy.
    #[serde(skip)]
    pub sync_policy: crate::sync::SyncPolicy,
    /// The `[agent]` table (validated): gateway versions, tool sandbox extras, Telegram.
    pub agent: agent::AgentConfig,
    /// The `[components]` table (validated): settings of the optional components.
    pub components: components::ComponentsConfig,
    /// The file this was loaded from, if any.
    pub source: Option<PathBuf>,
}

impl Profile {
    /// The project mount (always present).
    pub fn project(&self) -> &Mount {
        self.mounts.iter().find(|m| m.role == MountRole::Project).expect("validated profiles have a project")
    }

    /// The mount with this role, if any.
    pub fn mount(&self, role: MountRole) -> Option<&Mount> {
        self.mounts.iter().find(|m| m.role == role)
    }

    /// Load and validate a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ProfileError::NotFound { path: path.to_path_buf() }),
            Err(e) => return Err(ProfileError::Read { path: path.to_path_buf(), source: e }),
        };
        let base = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        let mut p = Self::parse(&text, path, &base)?;
        p.source = Some(path.to_path_buf());
        Ok(p)
    }

    /// Parse and validate profile text. `path` is only used in messages; relative paths in
    /// the profile resolve against `base`.
    pub fn parse(text: &str, path: &Path, base: &Path) -> Result<Profile, ProfileError> {
        let raw: raw::RawProfile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            ProfileError::Syntax { path: path.to_path_buf(), line, column, message: friendly(e.message()) }
        })?;
        let mut v = Validator { text, base, problems: Vec::new() };
        let profile = v.profile(raw);
        if v.problems.is_empty() {
            Ok(profile)
        } else {
            Err(ProfileError::Invalid { path: path.to_path_buf(), problems: v.problems })
        }
    }
}

/// The line of `field`'s key inside the table that starts at byte `section_start` (the table's
/// own line when the key is not written there, e.g. a default that fails with other values).
fn key_line(text: &str, section_start: usize, field: &str) -> usize {
    let section_line = line_col(text, section_start).0;
    let key = field.rsplit('.').next().unwrap_or(field);
    let key = key.split('[').next().unwrap_or(key);
    for (i, line) in text.lines().enumerate().skip(section_line - 1) {
        let t = line.trim_start();
        if i + 1 > section_line && t.starts_with('[') {
            break;
        }
        if let Some(rest) = t.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                return i + 1;
            }
        }
    }
    section_line
}

/// Make serde's type words readable: "expected i64" → "expected a whole number".
fn friendly(message: &str) -> String {
    message
        .trim()
        .replace("expected i64", "expected a whole number (integer)")
        .replace("expected a boolean", "expected true or false")
        .replace("expected a string", "expected a quoted string")
}

/// Guest mount points, as the reference product uses them (tools in the VM expect these).
pub fn guest_mount_point(role: MountRole) -> &'static str {
    match role {
        MountRole::Project => "/mnt/openclaw",
        MountRole::Vault => "/mnt/obsidian",
        MountRole::Config => "/mnt/openclaw-config",
        MountRole::AgentData => "/mnt/openclaw-agents",
        MountRole::Extra => "/mnt/extra",
    }
}

/// Check a Lima instance name (Lima's own rules, `pkg/identifiers`).
pub fn check_instance_name(name: &str) -> Result<(), String> {
    let ok_chars = !name.is_empty() && name.split(['.', '_', '-']).all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if !ok_chars {
        return Err(format!(
            "`{name}` is not a valid instance name: use letters and digits, optionally joined by single `.`, `_` or `-` (e.g. \"openclaw-sandbox\")"
        ));
    }
    if name.len() > 76 {
        return Err(format!("is {} characters long; Lima allows at most 76", name.len()));
    }
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        return Err("must not end in .yaml or .yml".into());
    }
    Ok(())
}

/// Check a secret's name (the secrets module's rule: upper-case letters, digits and `_`).
pub fn check_secret_name(name: &str) -> Result<(), String> {
    crate::secrets::validate_name(name).map(|_| ()).map_err(|e| e.to_string())
}

/// Expand `~` and make `p` absolute against `base`. Does not touch the file system.
pub fn expand_path(p: &str, base: &Path) -> Result<PathBuf, String> {
    let p = p.trim();
    if p.is_empty() {
        return Err("is empty; give a folder path".into());
    }
    let expanded = if p == "~" || p.starts_with("~/") {
        let home = dirs::home_dir().ok_or("uses `~` but the home folder is unknown; write the full path")?;
        home.join(p.trim_start_matches('~').trim_start_matches('/'))
    } else if p.starts_with('~') {
        return Err(format!("`{p}`: `~user` paths are not supported; write the full path"));
    } else {
        PathBuf::from(p)
    };
    let abs = if expanded.is_absolute() { expanded } else { base.join(expanded) };
    Ok(normalize(&abs))
}

/// Remove `.` and resolve `..` lexically (the folder may not exist yet).
fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

const SYSTEM_GUEST_PATHS: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib64",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/var",
    "/workspace",
];

struct Validator<'a> {
    text: &'a str,
    base: &'a Path,
    problems: Vec<Problem>,
}

impl Validator<'_> {
    fn line_of<T>(&self, s: &Spanned<T>) -> Option<usize> {
        Some(line_col(self.text, s.span().start).0)
    }

    fn problem(&mut self, field: impl Into<String>, line: Option<usize>, message: impl Into<String>) {
        self.problems.push(Problem { field: field.into(), line, message: message.into() });
    }

    fn profile(&mut self, raw: raw::RawProfile) -> Profile {
        if let Some(v) = &raw.version {
            if *v.get_ref() != 1 {
                self.problem("version", self.line_of(v), format!("is {}; this sandbox reads profile version 1", v.get_ref()));
            }
        }
        let name = match &raw.name {
            Some(n) => {
                if let Err(m) = check_instance_name(n.get_ref()) {
                    self.problem("name", self.line_of(n), m);
                }
                n.get_ref().clone()
            }
            None => DEFAULT_NAME.to_string(),
        };
        let mode = match &raw.mode {
            Some(m) => Mode::parse(m.get_ref()).unwrap_or_else(|| {
                self.problem("mode", self.line_of(m), format!("is `{}`; use \"secure\", \"yolo\" or \"yolo-unsafe\"", m.get_ref()));
                Mode::Secure
            }),
            None => Mode::Secure,
        };
        let (mounts, vault_mode) = self.mounts(raw.mounts, mode);
        let resources = self.resources(raw.resources.unwrap_or_default());
        let (network, network_policy) = self.network(raw.network);
        let gateway_port = network_policy.gateway_port;
        let secrets = self.secrets(raw.secrets.unwrap_or_default());
        let f = raw.features.unwrap_or_default();
        let has_vault = mounts.iter().any(|m| m.role == MountRole::Vault);
        let features = Features {
            gateway: f.gateway.unwrap_or(true),
            docker: f.docker.unwrap_or(true),
            gh: f.gh.unwrap_or(true),
            vault: f.vault.unwrap_or(has_vault),
            telegram: f.telegram.unwrap_or(false),
            tailscale: f.tailscale.unwrap_or(false),
            cadence: f.cadence.unwrap_or(false),
            buildlog: f.buildlog.unwrap_or(false),
            qortex: f.qortex.unwrap_or(false),
        };
        if features.vault && !has_vault {
            self.problem("features.vault", None, "is on but `mounts.vault` is not set; add the vault folder or turn the feature off");
        }
        let (ca_certs, vars) = self.provisioning(raw.provisioning.unwrap_or_default());
        let (sync, sync_policy) = self.sync(raw.sync);
        let (_, agent) = self.section(raw.agent, |c| c.validate(), agent::AgentConfig::default);
        let components = raw.components.map(|c| components::spanned(self.text, c));
        let (_, components) = self.section(components, |c| c.validate(), components::ComponentsConfig::default);
        Profile {
            name,
            mode,
            mounts,
            vault_mode,
            resources,
            network,
            network_policy,
            gateway_port,
            secrets,
            features,
            ca_certs,
            vars,
            sync,
            sync_policy,
            agent,
            components,
            source: None,
        }
    }

    fn folder(&mut self, field: &str, s: &Spanned<String>) -> Option<PathBuf> {
        let line = self.line_of(s);
        match expand_path(s.get_ref(), self.base) {
            Err(m) => {
                self.problem(field, line, m);
                None
            }
            Ok(p) if !p.exists() => {
                self.problem(field, line, format!("points to {}, which does not exist; create the folder or fix the path", p.display()));
                None
            }
            Ok(p) if !p.is_dir() => {
                self.problem(field, line, format!("points to {}, which is not a folder", p.display()));
                None
            }
            Ok(p) => Some(p),
        }
    }

    fn mounts(&mut self, raw: Option<Spanned<raw::RawMounts>>, mode: Mode) -> (Vec<Mount>, VaultMode) {
        let Some(raw) = raw else {
            self.problem("mounts.project", None, "is missing; add a [mounts] section with project = \"/path/to/your/project\"");
            return (Vec::new(), VaultMode::Auto);
        };
        let section_line = self.line_of(&raw);
        let raw = raw.into_inner();
        let mut out = Vec::new();
        let vault_mode = match &raw.vault_mode {
            None => VaultMode::Auto,
            Some(v) => match VaultMode::parse(v.get_ref()) {
                None => {
                    self.problem("mounts.vault_mode", self.line_of(v), format!("is `{}`; use \"auto\", \"copy\" or \"mount\"", v.get_ref()));
                    VaultMode::Auto
                }
                Some(m) if raw.vault.is_none() => {
                    self.problem("mounts.vault_mode", self.line_of(v), "is set but `mounts.vault` is not; add the vault folder or remove vault_mode");
                    m
                }
                Some(VaultMode::Copy) if mode == Mode::YoloUnsafe => {
                    self.problem(
                        "mounts.vault_mode",
                        self.line_of(v),
                        "is \"copy\", but yolo-unsafe lets the agent write straight into the vault: there is no copy to keep; use \"mount\" or another mode",
                    );
                    VaultMode::Mount
                }
                Some(m) => m,
            },
        };
        match &raw.project {
            None => self.problem("mounts.project", section_line, "is missing; set it to the folder the agent works on"),
            Some(s) => {
                if let Some(p) = self.folder("mounts.project", s) {
                    let home = dirs::home_dir();
                    if p == Path::new("/") || home.as_deref() == Some(p.as_path()) {
                        self.problem(
                            "mounts.project",
                            self.line_of(s),
                            format!("is {}: sharing your whole home or root folder would show the agent your SSH keys and credentials; pick the project's own folder", p.display()),
                        );
                    } else {
                        out.push(Mount {
                            role: MountRole::Project,
                            guest: guest_mount_point(MountRole::Project).into(),
                            writable: mode.writable_mounts(),
                            host: p,
                        });
                    }
                }
            }
        }
        for (role, field, value) in [
            (MountRole::Vault, "mounts.vault", &raw.vault),
            (MountRole::Config, "mounts.config", &raw.config),
            (MountRole::AgentData, "mounts.agent_data", &raw.agent_data),
        ] {
            if let Some(s) = value {
                if let Some(p) = self.folder(field, s) {
                    let writable = role == MountRole::AgentData || mode.writable_mounts();
                    out.push(Mount { role, guest: guest_mount_point(role).into(), writable, host: p });
                }
            }
        }
        let mut guests: BTreeSet<String> = out.iter().map(|m| m.guest.clone()).collect();
        for (i, e) in raw.extra.iter().enumerate() {
            let field = format!("mounts.extra[{i}]");
            let e_line = self.line_of(e);
            let e = e.get_ref();
            let Some(host) = self.folder(&format!("{field}.path"), &e.path) else { continue };
            let guest = match &e.mount_point {
                Some(mp) => {
                    let g = mp.get_ref().trim_end_matches('/').to_string();
                    if !g.starts_with('/') || g.contains("/../") || g.ends_with("/..") {
                        self.problem(
                            format!("{field}.mount_point"),
                            self.line_of(mp),
                            format!("is `{}`; use an absolute path such as \"/mnt/data\"", mp.get_ref()),
                        );
                        continue;
                    }
                    if SYSTEM_GUEST_PATHS.contains(&g.as_str()) || g.is_empty() {
                        self.problem(format!("{field}.mount_point"), self.line_of(mp), format!("is the system path `{}`; use a path under /mnt", mp.get_ref()));
                        continue;
                    }
                    g
                }
                None => {
                    let base = host.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| format!("extra{i}"));
                    format!("{}/{}", guest_mount_point(MountRole::Extra), base)
                }
            };
            if !guests.insert(guest.clone()) {
                self.problem(field.clone(), e_line, format!("mounts to {guest}, which another mount already uses; set a distinct mount_point"));
                continue;
            }
            // Extra mounts are reference material: read-only even in yolo-unsafe.
            out.push(Mount { role: MountRole::Extra, host, guest, writable: false });
        }
        (out, vault_mode)
    }

    fn resources(&mut self, raw: raw::RawResources) -> Resources {
        let mut r = Resources::default();
        if let Some(c) = &raw.cpus {
            match u32::try_from(*c.get_ref()) {
                Ok(n) if (1..=64).contains(&n) => r.cpus = n,
                _ => self.problem("resources.cpus", self.line_of(c), format!("is {}; use a whole number from 1 to 64", c.get_ref())),
            }
        }
        for (field, value, min, slot) in
            [("resources.memory", &raw.memory, ByteSize::gib(2), &mut r.memory), ("resources.disk", &raw.disk, ByteSize::gib(10), &mut r.disk)]
        {
            if let Some(s) = value {
                let line = Some(line_col(self.text, s.span().start).0);
                match ByteSize::parse(s.get_ref()) {
                    Err(m) => self.problems.push(Problem { field: field.into(), line, message: m }),
                    Ok(b) if b < min => self.problems.push(Problem { field: field.into(), line, message: format!("is {b}; the sandbox needs at least {min}") }),
                    Ok(b) => *slot = b,
                }
            }
        }
        r
    }

    /// A section owned by a domain module: deserialize (defaults when absent), let the module
    /// validate it, and attach each issue's line (the key's line inside the table).
    fn section<C: Default, P>(
        &mut self,
        raw: Option<Spanned<C>>,
        validate: impl FnOnce(&C) -> Result<P, Vec<FieldIssue>>,
        fallback: impl FnOnce() -> P,
    ) -> (C, P) {
        let (start, config) = match raw {
            Some(r) => (Some(r.span().start), r.into_inner()),
            None => (None, C::default()),
        };
        match validate(&config) {
            Ok(policy) => (config, policy),
            Err(issues) => {
                for i in issues {
                    let line = start.map(|s| key_line(self.text, s, &i.field));
                    self.problems.push(Problem { field: i.field, line, message: i.message });
                }
                (config, fallback())
            }
        }
    }

    fn network(&mut self, raw: Option<Spanned<crate::firewall::NetworkConfig>>) -> (crate::firewall::NetworkConfig, crate::firewall::NetworkPolicy) {
        self.section(raw, |c| c.validate(), || crate::firewall::NetworkConfig::default().validate().expect("the default network policy is valid"))
    }

    fn sync(&mut self, raw: Option<Spanned<crate::sync::SyncPolicyConfig>>) -> (crate::sync::SyncPolicyConfig, crate::sync::SyncPolicy) {
        self.section(raw, |c| c.validate(), crate::sync::SyncPolicy::default)
    }

    fn secrets(&mut self, raw: raw::RawSecrets) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, n) in raw.names.iter().enumerate() {
            let field = format!("secrets.names[{i}]");
            if let Err(m) = check_secret_name(n.get_ref()) {
                self.problem(field, self.line_of(n), m);
            } else if !seen.insert(n.get_ref().clone()) {
                self.problem(field, self.line_of(n), format!("repeats `{}`; list each name once", n.get_ref()));
            } else {
                out.push(n.get_ref().clone());
            }
        }
        out
    }

    fn provisioning(&mut self, raw: raw::RawProvisioning) -> (Vec<CaCert>, BTreeMap<String, toml::Value>) {
        let mut certs = Vec::new();
        for (i, c) in raw.ca_certs.iter().enumerate() {
            let field = format!("provisioning.ca_certs[{i}]");
            if c.get_ref().trim() == CaCert::SYSTEM {
                if certs.contains(&CaCert::System) {
                    self.problem(field, self.line_of(c), "repeats \"system\"; list it once");
                } else {
                    certs.push(CaCert::System);
                }
                continue;
            }
            match expand_path(c.get_ref(), self.base) {
                Err(m) => self.problem(field, self.line_of(c), m),
                Ok(p) if !p.is_file() => self.problem(
                    field,
                    self.line_of(c),
                    format!("points to {}, which is not a file; give the path of a PEM certificate, or \"system\" for the CAs this host trusts", p.display()),
                ),
                Ok(p) => certs.push(CaCert::File(p)),
            }
        }
        let mut vars = BTreeMap::new();
        if let Some(t) = raw.vars {
            let line = self.line_of(&t);
            for (k, v) in t.into_inner() {
                let key_ok = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !key_ok {
                    self.problem(format!("provisioning.vars.{k}"), line, "is not a valid variable name; use letters, digits and `_`");
                    continue;
                }
                match &v {
                    toml::Value::String(_) | toml::Value::Integer(_) | toml::Value::Boolean(_) | toml::Value::Float(_) => {
                        vars.insert(k, v);
                    }
                    toml::Value::Array(a) if a.iter().all(|x| !matches!(x, toml::Value::Table(_) | toml::Value::Array(_))) => {
                        vars.insert(k, v);
                    }
                    _ => self.problem(format!("provisioning.vars.{k}"), line, "must be a string, number, boolean or a list of those"),
                }
            }
        }
        (certs, vars)
    }
}

#[cfg(test)]
mod tests;
