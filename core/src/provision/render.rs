//! Profile → the files provisioning places in the VM. Pure: no processes, no I/O.

use super::ProvisionError;
use crate::profile::{Mode, Mount, MountRole, Profile};

/// Where things live in the VM. The host side (sync loop, followers) uses the same constants.
pub mod layout {
    /// The agent's working tree: the project with the agent's writes on top.
    pub const WORKSPACE: &str = "/workspace";
    /// Overlay state: `upper/` (the agent's change set) and `work/`.
    pub const OVERLAY: &str = "/var/lib/openclaw/overlay";
    pub const UPPER: &str = "/var/lib/openclaw/overlay/upper";
    pub const WORK: &str = "/var/lib/openclaw/overlay/work";
    /// Sync requests filed by `openclaw-sync-request`, one JSON file each.
    pub const SPOOL: &str = "/var/spool/openclaw/sync-requests";
    /// Every write in the upper dir, as JSON lines.
    pub const AUDIT_LOG: &str = "/var/log/openclaw/overlay-audit.jsonl";
    /// The user the gateway and the agent's tools run as (no sudo).
    pub const AGENT_USER: &str = "openclaw";
    /// The host's handle on the overlay (root only): export-upper, drop, reset, requests, ack, status.
    pub const CTL: &str = "/usr/local/sbin/openclaw-sandbox-ctl";
    pub const SYNC_REQUEST: &str = "/usr/local/bin/openclaw-sync-request";
    pub const AUDIT_WATCH: &str = "/usr/local/libexec/openclaw/openclaw-audit-watch";
    pub const ENV_FILE: &str = "/etc/openclaw/sandbox.env";
    pub const VARS_FILE: &str = "/etc/openclaw/vars.json";
    pub const WORKSPACE_UNIT: &str = "workspace.mount";
    pub const AUDIT_UNIT: &str = "openclaw-audit.service";
    /// The Obsidian vault with the agent's writes on top (only when the profile has a vault).
    pub const VAULT_WORKSPACE: &str = "/workspace-obsidian";
    pub const VAULT_OVERLAY: &str = "/var/lib/openclaw/overlay-vault";
    pub const VAULT_UPPER: &str = "/var/lib/openclaw/overlay-vault/upper";
    pub const VAULT_WORK: &str = "/var/lib/openclaw/overlay-vault/work";
    /// systemd names a mount unit after its mount point, escaped: `-` is `\x2d`.
    pub const VAULT_UNIT: &str = "workspace\\x2dobsidian.mount";
    pub const VAULT_AUDIT_UNIT: &str = "openclaw-audit-vault.service";
    /// The host folders as the agent's own files (bindfs id mapping), under the overlays. The
    /// parent is root's alone (0700): only the overlays and root look through it.
    pub const LOWER: &str = "/var/lib/openclaw/lower";
    pub const LOWER_PROJECT: &str = "/var/lib/openclaw/lower/project";
    pub const LOWER_VAULT: &str = "/var/lib/openclaw/lower/vault";
    pub const LOWER_UNIT: &str = "openclaw-lower-project.service";
    pub const VAULT_LOWER_UNIT: &str = "openclaw-lower-vault.service";
    /// A copied vault (iCloud Drive and other provider folders, issue 17): a plain root-only
    /// folder the host fills (`openclaw-vault-copy apply`), in place of the vault mount.
    pub const VAULT_COPY: &str = "/var/lib/openclaw/vault-copy";
    /// The host's handle on the copy (root only): `manifest`, `apply` (a tar on stdin).
    pub const VAULT_COPY_TOOL: &str = "/usr/local/libexec/openclaw/openclaw-vault-copy";
}

/// How the vault reaches the VM: the read-only mount, or a copy the host keeps current
/// (`crate::vault` decides which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VaultLower {
    #[default]
    Mount,
    Copy,
}

/// The mount unit name systemd requires for the mount point `path` (`systemd-escape -p
/// --suffix=mount`): `/` between parts becomes `-`, everything but ASCII letters, digits, `_`
/// and non-leading `.` becomes `\xNN`.
pub fn mount_unit_name(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return "-.mount".into();
    }
    let mut out = String::new();
    for (i, part) in trimmed.split('/').filter(|p| !p.is_empty()).enumerate() {
        if i > 0 {
            out.push('-');
        }
        for (j, b) in part.bytes().enumerate() {
            if b.is_ascii_alphanumeric() || b == b'_' || (b == b'.' && !(i == 0 && j == 0)) {
                out.push(b as char);
            } else {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
    }
    out + ".mount"
}

/// The vault mount when the profile shares one and `features.vault` is on.
pub fn vault_mount(profile: &Profile) -> Option<&Mount> {
    if profile.features.vault {
        profile.mount(MountRole::Vault)
    } else {
        None
    }
}

const SYNC_REQUEST_SCRIPT: &str = include_str!("../../../provisioning/bin/openclaw-sync-request");
const AUDIT_WATCH_SCRIPT: &str = include_str!("../../../provisioning/bin/openclaw-audit-watch");
const CTL_SCRIPT: &str = include_str!("../../../provisioning/bin/openclaw-sandbox-ctl");
const VAULT_COPY_SCRIPT: &str = include_str!("../../../provisioning/bin/openclaw-vault-copy");

/// One file to place in the VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestFile {
    /// Absolute path in the VM.
    pub path: String,
    /// Permission bits.
    pub mode: u32,
    /// `user:group`.
    pub owner: String,
    pub contents: Vec<u8>,
    /// Units to restart when this file changed.
    pub restarts: Vec<String>,
}

/// Everything provisioning places, plus the units it keeps enabled and running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub files: Vec<GuestFile>,
    pub units: Vec<String>,
    /// The environment file (also one of `files`): the apply script sources it.
    pub env: String,
}

impl Rendered {
    pub fn file(&self, path: &str) -> Option<&GuestFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

fn file(path: &str, mode: u32, contents: impl Into<Vec<u8>>, restarts: &[&str]) -> GuestFile {
    GuestFile { path: path.into(), mode, owner: "root:root".into(), contents: contents.into(), restarts: restarts.iter().map(|s| s.to_string()).collect() }
}

/// A guest path we put into unit files and mount options: plain characters only, so no
/// escaping (systemd specifiers, overlay's `,` and `:` separators) can go wrong.
fn plain_path(what: &str, p: &str) -> Result<(), ProvisionError> {
    let ok = p.starts_with('/')
        && p.len() > 1
        && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
        && !p.split('/').any(|part| part == "..");
    if ok {
        Ok(())
    } else {
        Err(ProvisionError::Render { detail: format!("the {what} `{p}` must be an absolute path of letters, digits and `/._-`") })
    }
}

fn env_file(profile: &Profile, vault_lower: VaultLower) -> String {
    use layout::*;
    format!(
        "# Generated by OpenClaw Sandbox from the profile. Do not edit: `sandbox up` rewrites it.\n\
         OPENCLAW_INSTANCE={}\nOPENCLAW_MODE={}\nOPENCLAW_GATEWAY_PORT={}\nOPENCLAW_PROJECT={}\n\
         OPENCLAW_WORKSPACE={WORKSPACE}\nOPENCLAW_OVERLAY={OVERLAY}\nOPENCLAW_SPOOL={SPOOL}\n\
         OPENCLAW_AUDIT_LOG={AUDIT_LOG}\nOPENCLAW_AGENT_USER={AGENT_USER}\n\
         # The vault (empty when the profile has none): its read-only mount, the overlay on it.\n\
         OPENCLAW_VAULT={}\nOPENCLAW_VAULT_WORKSPACE={VAULT_WORKSPACE}\nOPENCLAW_VAULT_OVERLAY={VAULT_OVERLAY}\n\
         OPENCLAW_VAULT_UNIT='{VAULT_UNIT}'\nOPENCLAW_VAULT_AUDIT_UNIT={VAULT_AUDIT_UNIT}\n\
         # 1 when the vault is a copy the host keeps (OPENCLAW_VAULT is then that folder).\n\
         OPENCLAW_VAULT_COPY={}\n",
        profile.name,
        profile.mode.as_str(),
        profile.gateway_port,
        profile.project().guest,
        match (vault_mount(profile), vault_lower) {
            (None, _) => "",
            (Some(_), VaultLower::Copy) => VAULT_COPY,
            (Some(m), VaultLower::Mount) => m.guest.as_str(),
        },
        u8::from(vault_mount(profile).is_some() && vault_lower == VaultLower::Copy),
    )
}

/// One writable tree of the agent's: where it is mounted, what it lies over, where its
/// overlay state lives, its units.
struct Tree<'a> {
    /// "project" or "vault" (the audit lines' `root`).
    root: &'static str,
    what: &'static str,
    lower: &'a str,
    /// `lower` mapped to the agent's uid (bindfs), what the overlay lies over.
    mapped: &'static str,
    lower_unit: &'static str,
    workspace: &'static str,
    overlay: &'static str,
    upper: &'static str,
    work: &'static str,
    unit: &'static str,
    audit_unit: &'static str,
    /// The lower is a local folder the host fills (no mount to wait for).
    copied: bool,
}

fn project_tree(profile: &Profile) -> Tree<'_> {
    use layout::*;
    Tree {
        root: "project",
        what: "project",
        lower: &profile.project().guest,
        mapped: LOWER_PROJECT,
        lower_unit: LOWER_UNIT,
        workspace: WORKSPACE,
        overlay: OVERLAY,
        upper: UPPER,
        work: WORK,
        unit: WORKSPACE_UNIT,
        audit_unit: AUDIT_UNIT,
        copied: false,
    }
}

fn vault_tree(vault: &Mount, how: VaultLower) -> Tree<'_> {
    use layout::*;
    Tree {
        root: "vault",
        what: "Obsidian vault",
        lower: if how == VaultLower::Copy { VAULT_COPY } else { &vault.guest },
        mapped: LOWER_VAULT,
        lower_unit: VAULT_LOWER_UNIT,
        workspace: VAULT_WORKSPACE,
        overlay: VAULT_OVERLAY,
        upper: VAULT_UPPER,
        work: VAULT_WORK,
        unit: VAULT_UNIT,
        audit_unit: VAULT_AUDIT_UNIT,
        copied: how == VaultLower::Copy,
    }
}

/// The host folder as the agent's files. Lima shows a host file as owned by the host user
/// (9p on qemu: 501:20 on a Mac, Lima's admin in the guest) or by whoever asks (virtiofs on vz,
/// lima#1513; through an overlay: root). Neither is the agent, so through a plain overlay it
/// could create files but not edit, delete or rename the user's. bindfs shows every entry as the
/// agent's (modes unchanged) — read-only under the overlay; writable in yolo-unsafe, where files
/// it creates go to the host folder's owner.
fn lower_unit(mode: Mode, t: &Tree) -> String {
    use layout::*;
    let Tree { what, lower, mapped, workspace, .. } = t;
    let (access, create) = match mode {
        Mode::YoloUnsafe => ("rw", " --create-for-user=$$(stat -c %%u {lower}) --create-for-group=$$(stat -c %%g {lower})"),
        Mode::Secure | Mode::Yolo => ("ro", ""),
    };
    let create = create.replace("{lower}", lower);
    // A copy the host rewrites while the overlay lies on it: FUSE's 1 s entry/attribute cache
    // would hide a changed note for up to a second; 0.1 s keeps the follower within its budget.
    let access = if t.copied { format!("{access},entry_timeout=0.1,attr_timeout=0.1") } else { access.to_string() };
    // Lima mounts the host folder from /etc/fstab lines with `nofail` (cloud-init's `mounts:`,
    // pkg/cidata/cidata.go), and on a restart that mount can come up after this unit is due —
    // 9p waits for its transport module. `RequiresMountsFor=` would then fail this unit (and the
    // overlay on it) for the whole boot; bindfs over the bare mount point would show an empty
    // project. So: wait for the mount (60 s), else fail saying why, and retry on failure.
    // (`$$` and `%%` are systemd's escapes for a literal `$` and `%` in Exec lines.)
    // A copied vault is a local folder: nothing to wait for; root's alone (the host fills it).
    let wait = if t.copied {
        format!("install -d -m 0700 -o root -g root {lower}")
    } else {
        format!(
            "i=0; until mountpoint -q {lower}; do i=$$((i+1)); if [ $$i -gt 120 ]; then echo {lower} is not mounted: Lima mounts it at boot, see /etc/fstab and journalctl -b >&2; exit 1; fi; sleep 0.5; done"
        )
    };
    format!(
        "# Generated by OpenClaw Sandbox. The {what} ({lower}) with every file shown as the agent's, for {workspace}.\n\
         [Unit]\nDescription=OpenClaw: the {what} as the agent's files (bindfs {access}) under {workspace}\n\
         After=local-fs.target remote-fs.target\n\n\
         [Service]\nType=forking\n\
         ExecStartPre=/bin/sh -c '{wait}'\n\
         ExecStartPre=/usr/bin/install -d -m 0700 -o root -g root {LOWER}\n\
         ExecStartPre=/usr/bin/install -d -m 0755 {mapped}\n\
         ExecStartPre=-/bin/umount -l {mapped}\n\
         ExecStart=/bin/sh -c 'exec /usr/bin/bindfs -o {access} --force-user={AGENT_USER} --force-group={AGENT_USER}{create} {lower} {mapped}'\n\
         ExecStop=/bin/umount -l {mapped}\n\
         Restart=on-failure\nRestartSec=2\n\n\
         [Install]\nWantedBy=multi-user.target\n"
    )
}

fn mount_unit(mode: Mode, t: &Tree) -> String {
    let Tree { what, mapped, lower_unit, workspace, overlay, upper, work, .. } = t;
    match mode {
        Mode::Secure | Mode::Yolo => format!(
            "# Generated by OpenClaw Sandbox. The agent's writes land in the upper dir; the {what} stays read-only.\n\
             [Unit]\nDescription=OpenClaw {workspace}: the read-only {what} with the agent's writes on top\n\
             Requires={lower_unit}\nAfter={lower_unit}\nRequiresMountsFor={overlay}\nConditionPathIsDirectory={upper}\n\n\
             [Mount]\nWhat=overlay\nWhere={workspace}\nType=overlay\n\
             Options=lowerdir={mapped},upperdir={upper},workdir={work},redirect_dir=off,metacopy=off,index=off,xino=off\n\n\
             [Install]\nWantedBy=multi-user.target\n"
        ),
        Mode::YoloUnsafe => format!(
            "# Generated by OpenClaw Sandbox. yolo-unsafe: no overlay, writes go straight to the host folder.\n\
             [Unit]\nDescription=OpenClaw {workspace}: the WRITABLE {what} (yolo-unsafe)\n\
             Requires={lower_unit}\nAfter={lower_unit}\n\n\
             [Mount]\nWhat={mapped}\nWhere={workspace}\nType=none\nOptions=bind\n\n\
             [Install]\nWantedBy=multi-user.target\n"
        ),
    }
}

fn audit_unit(t: &Tree) -> String {
    use layout::*;
    let Tree { root, what, workspace, upper, unit, .. } = t;
    format!(
        "# Generated by OpenClaw Sandbox.\n\
         [Unit]\nDescription=OpenClaw audit watcher: every write to the {what} overlay at {workspace}, as JSON lines\n\
         BindsTo={unit}\nAfter={unit}\n\n\
         [Service]\nExecStart=/usr/bin/python3 {AUDIT_WATCH} {workspace} {upper} {AUDIT_LOG} {root}\nRestart=always\nRestartSec=2\n\n\
         [Install]\nWantedBy={unit}\n"
    )
}

/// Render everything provisioning places for `profile` (a vault is mounted).
pub fn render(profile: &Profile) -> Result<Rendered, ProvisionError> {
    render_for(profile, VaultLower::Mount)
}

/// [`render`], with the vault mounted or copied.
pub fn render_for(profile: &Profile, vault_lower: VaultLower) -> Result<Rendered, ProvisionError> {
    use layout::*;
    let vault_lower = if profile.mode == Mode::YoloUnsafe { VaultLower::Mount } else { vault_lower };
    plain_path("project mount point", &profile.project().guest)?;
    let vault = vault_mount(profile);
    if let Some(v) = vault {
        plain_path("vault mount point", &v.guest)?;
    }
    let env = env_file(profile, vault_lower);
    let vars =
        serde_json::to_string_pretty(&profile.vars).map_err(|e| ProvisionError::Render { detail: format!("[provisioning.vars] cannot be passed on: {e}") })?;
    let unit_dir = "/etc/systemd/system";
    let mut files = vec![
        file(ENV_FILE, 0o644, env.clone(), &[]),
        file(VARS_FILE, 0o644, vars + "\n", &[]),
        file(SYNC_REQUEST, 0o755, SYNC_REQUEST_SCRIPT, &[]),
        file(CTL, 0o700, CTL_SCRIPT, &[]),
    ];
    let mut units = Vec::new();
    let trees: Vec<Tree> = std::iter::once(project_tree(profile)).chain(vault.map(|v| vault_tree(v, vault_lower))).collect();
    if vault.is_some() && vault_lower == VaultLower::Copy {
        files.push(file(VAULT_COPY_TOOL, 0o700, VAULT_COPY_SCRIPT, &[]));
    }
    for t in &trees {
        // The id-mapped lower first: a changed lower restarts the mount on it (Requires=).
        files.push(file(&format!("{unit_dir}/{}", t.lower_unit), 0o644, lower_unit(profile.mode, t), &[t.lower_unit]));
        units.push(t.lower_unit.to_string());
        files.push(file(&format!("{unit_dir}/{}", t.unit), 0o644, mount_unit(profile.mode, t), &[t.unit]));
        units.push(t.unit.to_string());
    }
    if profile.mode != Mode::YoloUnsafe {
        let watchers: Vec<&str> = trees.iter().map(|t| t.audit_unit).collect();
        files.push(file(AUDIT_WATCH, 0o755, AUDIT_WATCH_SCRIPT, &watchers));
        for t in &trees {
            files.push(file(&format!("{unit_dir}/{}", t.audit_unit), 0o644, audit_unit(t), &[t.audit_unit]));
            units.push(t.audit_unit.to_string());
        }
    }
    Ok(Rendered { files, units, env })
}
