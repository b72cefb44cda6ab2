//! Writing a new profile (from `sandbox init`, the onboarding wizard, or an import).

use super::{Mode, ProfileError, Resources, DEFAULT_NAME};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a new profile should say. Paths should already be absolute.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub name: String,
    pub mode: Mode,
    pub project: PathBuf,
    pub vault: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub agent_data: Option<PathBuf>,
    pub resources: Resources,
    pub secrets: Vec<String>,
    pub docker: bool,
    pub vars: BTreeMap<String, toml::Value>,
}

impl Draft {
    /// A draft with defaults for everything but the project.
    pub fn new(project: PathBuf) -> Self {
        Draft {
            name: DEFAULT_NAME.into(),
            mode: Mode::Secure,
            project,
            vault: None,
            config: None,
            agent_data: None,
            resources: Resources::default(),
            secrets: vec!["ANTHROPIC_API_KEY".into()],
            docker: true,
            vars: BTreeMap::new(),
        }
    }

    /// The profile as commented TOML.
    pub fn to_toml(&self) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let qp = |p: &Path| q(&p.to_string_lossy());
        let mut t = String::new();
        t.push_str("# OpenClaw Sandbox profile. Format: see \"Profile\" in the README.\n");
        t.push_str("version = 1\n");
        t.push_str(&format!("name = {}\n", q(&self.name)));
        t.push_str("# secure: read-only mounts + overlay + sync gate; yolo: same, gate runs by itself;\n");
        t.push_str("# yolo-unsafe: writable mounts, no overlay, no gate (throwaway projects only).\n");
        t.push_str(&format!("mode = {}\n\n", q(self.mode.as_str())));
        t.push_str("[mounts]\n");
        t.push_str(&format!("project = {}\n", qp(&self.project)));
        for (key, v) in [("vault", &self.vault), ("config", &self.config), ("agent_data", &self.agent_data)] {
            match v {
                Some(p) => t.push_str(&format!("{key} = {}\n", qp(p))),
                None => t.push_str(&format!("# {key} = \"~/path\"\n")),
            }
        }
        t.push_str("# [[mounts.extra]]            # more read-only folders\n# path = \"~/datasets\"\n# mount_point = \"/mnt/datasets\"\n\n");
        t.push_str("[resources]\n");
        t.push_str(&format!(
            "cpus = {}\nmemory = {}\ndisk = {}\n\n",
            self.resources.cpus,
            q(&self.resources.memory.to_string()),
            q(&self.resources.disk.to_string())
        ));
        t.push_str("[network]\n");
        t.push_str("# Default deny. Allowed: these presets' domains (`sandbox firewall presets`) and\n");
        t.push_str("# allowed_domains, on allowed_ports. `sandbox firewall allow DOMAIN` edits this table.\n");
        t.push_str("gateway_port = 18789\npresets = [\"llm\"]\nallowed_domains = []\nallowed_ports = [443]\n\n");
        t.push_str("[secrets]\n# Names only: values live in the OS keychain (`sandbox secrets set NAME`).\n");
        let names: Vec<String> = self.secrets.iter().map(|s| q(s)).collect();
        t.push_str(&format!("names = [{}]\n\n", names.join(", ")));
        t.push_str("[features]\n");
        t.push_str(&format!("docker = {}\ngh = true\n", self.docker));
        t.push_str("# telegram = false   # pairing-only DMs (secret TELEGRAM_BOT_TOKEN)\n\n");
        t.push_str("[agent]\n");
        t.push_str("# The OpenClaw gateway `sandbox up` installs in the VM: exact versions from the npm registry.\n");
        t.push_str(&format!(
            "openclaw_version = {}\nnode_version = {}\n",
            q(crate::profile::agent::DEFAULT_OPENCLAW_VERSION),
            q(crate::profile::agent::DEFAULT_NODE_VERSION)
        ));
        t.push_str("# network_allow_extra = []        # tools besides web_fetch, web_search that get the network container\n");
        t.push_str("# network_exec_allow_extra = []   # commands besides gh\n");
        t.push_str("# telegram_allow_from = []        # Telegram user ids allowed without pairing\n");
        t.push_str("# check_openclaw_updates = true   # say when the npm registry has a newer OpenClaw (doctor, menu); never installs\n");
        if !self.vars.is_empty() {
            t.push_str("\n[provisioning.vars]\n");
            for (k, v) in &self.vars {
                t.push_str(&format!("{k} = {v}\n"));
            }
        }
        t
    }

    /// Write the profile to `path` atomically, refusing to replace an existing file unless
    /// `force` (see [`write_text`]).
    pub fn write(&self, path: &Path, force: bool) -> Result<(), ProfileError> {
        write_text(path, &self.to_toml(), force)
    }
}

/// Write profile text to `path` atomically (temp file + fsync + rename), refusing to replace an
/// existing file unless `replace`. The file is private to the user (0600). Every front end that
/// writes a profile goes through here.
pub fn write_text(path: &Path, text: &str, replace: bool) -> Result<(), ProfileError> {
    if path.exists() && !replace {
        return Err(ProfileError::Exists { path: path.to_path_buf() });
    }
    let err = |source| ProfileError::Write { path: path.to_path_buf(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let tmp = dir.join(format!(".{}.tmp-{}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(), std::process::id()));
    let result = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}
