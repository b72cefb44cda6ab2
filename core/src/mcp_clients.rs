//! "Connect an MCP client": add `sandbox mcp` to the user-level configs of Claude Desktop,
//! Cursor and VS Code — only the clients that are installed (their config file or folder exists).
//!
//! [`plan`] reads and never writes: per client the file, its text before and after, or why it
//! is left alone. [`apply`] writes one planned change: a backup of the old file first
//! (`<file>.openclaw-sandbox.bak-<unix time>`), then the new text atomically (temp file in the
//! same folder + rename, the old file's permissions; a symlinked config is written through).
//!
//! The edit is made in the file's text, not by re-serialising it: every byte outside the
//! `openclaw-sandbox` entry stays as the user wrote it (key order, indentation, other servers).
//! The edited text is then parsed again and must equal the old JSON plus the entry, or nothing
//! is written. Files that are not strict JSON (VS Code accepts comments and trailing commas)
//! are refused with the entry to add by hand, rather than losing the comments.
//! Imports nothing of core above it (`host` only).

use crate::host::HostOs;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The name of our entry in every client's server list.
pub const ENTRY_NAME: &str = "openclaw-sandbox";

/// An MCP client whose user config we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Client {
    ClaudeDesktop,
    Cursor,
    VsCode,
}

impl Client {
    pub const ALL: [Client; 3] = [Client::ClaudeDesktop, Client::Cursor, Client::VsCode];

    /// Short id for command lines: `claude`, `cursor`, `vscode`.
    pub fn id(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "claude",
            Client::Cursor => "cursor",
            Client::VsCode => "vscode",
        }
    }

    pub fn from_id(id: &str) -> Option<Client> {
        Client::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The product's name, for people.
    pub fn name(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "Claude Desktop",
            Client::Cursor => "Cursor",
            Client::VsCode => "VS Code",
        }
    }

    /// The user-level config file.
    pub fn config_path(self, home: &Path, os: HostOs) -> PathBuf {
        let app_support = |app: &str| match os {
            HostOs::MacOs => home.join("Library/Application Support").join(app),
            HostOs::Linux => home.join(".config").join(app),
        };
        match self {
            Client::ClaudeDesktop => app_support("Claude").join("claude_desktop_config.json"),
            Client::Cursor => home.join(".cursor/mcp.json"),
            Client::VsCode => app_support("Code/User").join("mcp.json"),
        }
    }

    /// The top-level key holding the servers.
    pub fn servers_key(self) -> &'static str {
        match self {
            Client::VsCode => "servers",
            _ => "mcpServers",
        }
    }

    /// Our entry's fields, in the order they are written.
    fn fields(self, command: &Path) -> Vec<(&'static str, Value)> {
        let mut f = Vec::new();
        if self == Client::VsCode {
            f.push(("type", Value::from("stdio")));
        }
        f.push(("command", Value::from(command.to_string_lossy().into_owned())));
        f.push(("args", Value::from(vec!["mcp"])));
        f
    }
}

/// Why a client's config is left alone, or a change could not be written.
#[derive(Debug, thiserror::Error)]
pub enum McpClientError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is not plain JSON ({detail}), so it is left alone{hint}. Add this under \"{key}\" yourself:\n  \"{ENTRY_NAME}\": {entry}", path.display())]
    NotJson { path: PathBuf, detail: String, hint: &'static str, key: &'static str, entry: String },
    #[error("{} does not hold a JSON object at the top, so it is left alone; fix the file or move it away and try again", path.display())]
    NotAnObject { path: PathBuf },
    #[error("\"{key}\" in {} is not an object, so it is left alone; fix it (it should map server names to their settings) and try again", path.display())]
    ServersNotAnObject { path: PathBuf, key: &'static str },
    #[error("{} has the key \"{key}\" twice, so it is left alone; remove one and try again", path.display())]
    DuplicateKey { path: PathBuf, key: String },
    #[error("the command {} is not an absolute path; MCP clients start servers without a shell and need one", command.display())]
    RelativeCommand { command: PathBuf },
    #[error("{} changed since the change was shown; nothing was written — look again and retry", path.display())]
    ChangedSinceShown { path: PathBuf },
    #[error("cannot edit {} without touching other settings (an internal check failed); nothing was written", path.display())]
    EditCheck { path: PathBuf },
    #[error("nothing to write for {}", path.display())]
    NothingToApply { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// What connecting would do to one client.
#[derive(Debug)]
pub enum Outcome {
    /// Neither the config file nor its folder exists: the client is not installed.
    NotInstalled,
    /// The entry is already there with this command: nothing to do.
    Unchanged,
    /// Write `after`. `before` is `None` when the file is created; `replacing` is the entry
    /// with the same name that is replaced (another command).
    Change { before: Option<String>, after: String, replacing: Option<Value> },
    /// Left alone, and why.
    Refused(McpClientError),
}

/// One client's plan.
#[derive(Debug)]
pub struct ClientPlan {
    pub client: Client,
    pub path: PathBuf,
    pub file_exists: bool,
    pub outcome: Outcome,
}

impl ClientPlan {
    /// A unified diff of the planned change (empty when there is none).
    pub fn diff(&self) -> String {
        match &self.outcome {
            Outcome::Change { before, after, .. } => {
                let old = before.as_deref().unwrap_or("");
                let shown = self.path.display().to_string();
                let from = if before.is_some() { shown.clone() } else { "/dev/null".to_string() };
                let d = similar::TextDiff::from_lines(old, after.as_str());
                d.unified_diff().context_radius(3).header(&from, &shown).to_string()
            }
            _ => String::new(),
        }
    }

    /// One line saying what happens to this client.
    pub fn summary(&self) -> String {
        let (name, path) = (self.client.name(), self.path.display());
        match &self.outcome {
            Outcome::NotInstalled => format!("{name}: not installed (no {}) — skipped", self.path.parent().unwrap_or(&self.path).display()),
            Outcome::Unchanged => format!("{name}: already connected in {path} — unchanged"),
            Outcome::Change { before: None, .. } => format!("{name}: will create {path} with the \"{ENTRY_NAME}\" server"),
            Outcome::Change { replacing: Some(old), .. } => {
                let cmd = old.get("command").and_then(Value::as_str).map(|c| format!(" (it runs {c})")).unwrap_or_default();
                format!("{name}: will replace the existing \"{ENTRY_NAME}\" entry{cmd} in {path}; a backup is kept")
            }
            Outcome::Change { .. } => format!("{name}: will add the \"{ENTRY_NAME}\" server to {path}; a backup is kept"),
            Outcome::Refused(e) => format!("{name}: not changed — {e}"),
        }
    }

    pub fn is_change(&self) -> bool {
        matches!(self.outcome, Outcome::Change { .. })
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub client: Client,
    /// The file written (the symlink's target when the config is a symlink).
    pub path: PathBuf,
    /// The copy of the old file; `None` when the file was created.
    pub backup: Option<PathBuf>,
}

/// Plan connecting every known client to `command mcp`. Reads only.
pub fn plan(home: &Path, os: HostOs, command: &Path) -> Vec<ClientPlan> {
    Client::ALL.into_iter().map(|c| plan_client(c, home, os, command)).collect()
}

/// Plan one client.
pub fn plan_client(client: Client, home: &Path, os: HostOs, command: &Path) -> ClientPlan {
    let path = client.config_path(home, os);
    let file_exists = path.exists();
    let folder_exists = path.parent().is_some_and(Path::is_dir);
    let outcome = if !file_exists && !folder_exists {
        Outcome::NotInstalled
    } else if !command.is_absolute() {
        Outcome::Refused(McpClientError::RelativeCommand { command: command.to_path_buf() })
    } else {
        let before = if file_exists {
            match std::fs::read_to_string(&path) {
                Ok(t) => Some(t),
                Err(source) => return ClientPlan { client, path: path.clone(), file_exists, outcome: Outcome::Refused(McpClientError::Read { path, source }) },
            }
        } else {
            None
        };
        match edit(client, &path, before.as_deref(), command) {
            Ok(None) => Outcome::Unchanged,
            Ok(Some((after, replacing))) => Outcome::Change { before, after, replacing },
            Err(e) => Outcome::Refused(e),
        }
    };
    ClientPlan { client, path, file_exists, outcome }
}

/// Write one planned change: backup first, then the new text atomically.
pub fn apply(plan: &ClientPlan) -> Result<Applied, McpClientError> {
    let Outcome::Change { before, after, .. } = &plan.outcome else {
        return Err(McpClientError::NothingToApply { path: plan.path.clone() });
    };
    // a symlinked config (dotfiles) is written through, so the link stays
    let target = match std::fs::canonicalize(&plan.path) {
        Ok(t) => t,
        Err(_) => plan.path.clone(),
    };
    let now = match std::fs::read_to_string(&target) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(McpClientError::Read { path: target, source }),
    };
    if now != *before {
        return Err(McpClientError::ChangedSinceShown { path: plan.path.clone() });
    }
    let write_err = |source| McpClientError::Write { path: target.clone(), source };
    let dir = target.parent().unwrap_or(Path::new("."));
    let backup = match before {
        Some(old) => Some(write_backup(&target, old).map_err(write_err)?),
        None => None,
    };
    let perms = std::fs::metadata(&target).map(|m| m.permissions()).ok();
    let mut tmp = tempfile::Builder::new().prefix(".openclaw-sandbox-").tempfile_in(dir).map_err(write_err)?;
    tmp.write_all(after.as_bytes()).and_then(|_| tmp.as_file().sync_all()).map_err(write_err)?;
    if let Some(p) = perms {
        std::fs::set_permissions(tmp.path(), p).map_err(write_err)?;
    }
    tmp.persist(&target).map_err(|e| write_err(e.error))?;
    Ok(Applied { client: plan.client, path: target, backup })
}

/// `<file>.openclaw-sandbox.bak-<unix time>` (with `-N` when that name is taken), never
/// overwriting anything, with the original's permissions.
fn write_backup(file: &Path, text: &str) -> std::io::Result<PathBuf> {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let base = format!("{}.openclaw-sandbox.bak-{secs}", file.display());
    for n in 0..1000 {
        let name = if n == 0 { PathBuf::from(&base) } else { PathBuf::from(format!("{base}-{n}")) };
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&name) {
            Ok(mut f) => {
                f.write_all(text.as_bytes())?;
                f.sync_all()?;
                if let Ok(m) = std::fs::metadata(file) {
                    std::fs::set_permissions(&name, m.permissions())?;
                }
                return Ok(name);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("too many backups with the same time"))
}

/// The edited text, or `None` when the entry is already there. The second value is the entry
/// being replaced, if any.
fn edit(client: Client, path: &Path, before: Option<&str>, command: &Path) -> Result<Option<(String, Option<Value>)>, McpClientError> {
    let key = client.servers_key();
    let fields = client.fields(command);
    let text = match before {
        Some(t) if !t.trim().is_empty() => t.to_string(),
        // a missing or empty file starts as an empty object
        _ => "{}\n".to_string(),
    };
    let old: Value = serde_json::from_str(&text).map_err(|e| McpClientError::NotJson {
        path: path.to_path_buf(),
        detail: e.to_string(),
        hint: if client == Client::VsCode { " (VS Code allows comments and trailing commas here; editing would drop them)" } else { "" },
        key,
        entry: entry_text(&fields, "  ", 1, true),
    })?;
    let Value::Object(root) = &old else { return Err(McpClientError::NotAnObject { path: path.to_path_buf() }) };
    let existing = match root.get(key) {
        None => None,
        Some(Value::Object(servers)) => servers.get(ENTRY_NAME),
        Some(_) => return Err(McpClientError::ServersNotAnObject { path: path.to_path_buf(), key }),
    };
    if let Some(Value::Object(e)) = existing {
        if fields.iter().all(|(k, v)| e.get(*k) == Some(v)) {
            return Ok(None);
        }
    }
    let replacing = existing.cloned();
    // the JSON the new text must parse to: the old one with our fields set
    let mut expected = old.clone();
    {
        let servers = expected.as_object_mut().and_then(|r| r.entry(key).or_insert_with(|| Value::Object(Default::default())).as_object_mut());
        if let Some(servers) = servers {
            let entry = servers.entry(ENTRY_NAME).or_insert_with(|| Value::Object(Default::default()));
            if !entry.is_object() {
                *entry = Value::Object(Default::default());
            }
            if let Some(e) = entry.as_object_mut() {
                for (k, v) in &fields {
                    e.insert(k.to_string(), v.clone());
                }
            }
        }
    }
    let dup = |k: String| McpClientError::DuplicateKey { path: path.to_path_buf(), key: k };
    // a file written with CRLF throughout keeps CRLF (JSON strings hold no raw line breaks, so
    // every line break is whitespace)
    let crlf = text.contains("\r\n") && !text.replace("\r\n", "").contains('\n');
    let mut t = if crlf { text.replace("\r\n", "\n") } else { text.clone() };
    let unit = indent_unit(&t);
    // 1. the servers object
    let root_obj = scan_object(&t, first_value(&t)).ok_or_else(|| McpClientError::EditCheck { path: path.to_path_buf() })?;
    let servers_at = match root_obj.find(key).map_err(|_| dup(key.to_string()))? {
        Some(m) => m.value_start,
        None => {
            t = insert_member(&t, &root_obj, key, "{}", &unit);
            let root_obj = scan_object(&t, first_value(&t)).ok_or_else(|| McpClientError::EditCheck { path: path.to_path_buf() })?;
            root_obj.find(key).ok().flatten().map(|m| m.value_start).ok_or_else(|| McpClientError::EditCheck { path: path.to_path_buf() })?
        }
    };
    // 2. our entry in it
    let servers = scan_object(&t, servers_at).ok_or_else(|| McpClientError::EditCheck { path: path.to_path_buf() })?;
    match servers.find(ENTRY_NAME).map_err(|_| dup(ENTRY_NAME.to_string()))? {
        None => {
            let multiline = servers.multiline(&t) || servers.members.is_empty();
            let value = reindent(&entry_text(&fields, &unit, 0, multiline), &member_indent(&t, &servers, &unit));
            t = insert_member(&t, &servers, ENTRY_NAME, &value, &unit);
        }
        Some(m) if !t[m.value_start..].starts_with('{') => {
            let depth = line_indent(&t, m.key_start).to_string();
            let value = reindent(&entry_text(&fields, &unit, 0, true), &depth);
            t = format!("{}{}{}", &t[..m.value_start], value, &t[m.value_end..]);
        }
        Some(m) => {
            // 3. set each field inside the existing entry, keeping the user's other fields
            let at = m.value_start;
            for (k, v) in &fields {
                let entry = scan_object(&t, at).ok_or_else(|| McpClientError::EditCheck { path: path.to_path_buf() })?;
                let v = serde_json::to_string(v).unwrap_or_default();
                match entry.find(k).map_err(|_| dup(k.to_string()))? {
                    Some(f) => t = format!("{}{}{}", &t[..f.value_start], v, &t[f.value_end..]),
                    None => t = insert_member(&t, &entry, k, &v, &unit),
                }
            }
        }
    }
    if crlf {
        t = t.replace('\n', "\r\n");
    }
    match serde_json::from_str::<Value>(&t) {
        Ok(v) if v == expected => Ok(Some((t, replacing))),
        _ => Err(McpClientError::EditCheck { path: path.to_path_buf() }),
    }
}

/// The entry as JSON text: one field a line (at `depth` units, closing brace one less) or on
/// one line.
fn entry_text(fields: &[(&str, Value)], unit: &str, depth: usize, multiline: bool) -> String {
    let member = |(k, v): &(&str, Value)| format!("{}: {}", serde_json::to_string(k).unwrap_or_default(), serde_json::to_string(v).unwrap_or_default());
    if multiline {
        let inner = unit.repeat(depth + 1);
        let lines: Vec<String> = fields.iter().map(|f| format!("{inner}{}", member(f))).collect();
        format!("{{\n{}\n{}}}", lines.join(",\n"), unit.repeat(depth))
    } else {
        format!("{{{}}}", fields.iter().map(member).collect::<Vec<_>>().join(", "))
    }
}

/// Prefix every line but the first with `indent`.
fn reindent(text: &str, indent: &str) -> String {
    text.replace('\n', &format!("\n{indent}"))
}

/// The whitespace at the start of the line holding byte `pos`.
fn line_indent(text: &str, pos: usize) -> &str {
    let start = text[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// The file's indentation unit: the indent of the first line that has one, else two spaces.
fn indent_unit(text: &str) -> String {
    text.lines()
        .map(|l| &l[..l.len() - l.trim_start_matches([' ', '\t']).len()])
        .find(|i| !i.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| "  ".to_string())
}

fn skip_ws(text: &str, mut i: usize) -> usize {
    let b = text.as_bytes();
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

fn first_value(text: &str) -> usize {
    skip_ws(text, 0)
}

/// The end (exclusive) of the JSON value starting at `i`. The text is known to be valid JSON.
fn skip_value(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    match *b.get(i)? {
        b'"' => {
            let mut j = i + 1;
            while j < b.len() {
                match b[j] {
                    b'\\' => j += 2,
                    b'"' => return Some(j + 1),
                    _ => j += 1,
                }
            }
            None
        }
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_value(text, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                j += 1;
            }
            Some(j)
        }
    }
}

struct Member {
    key_start: usize,
    key: String,
    value_start: usize,
    value_end: usize,
}

struct ObjectSpan {
    open: usize,
    close: usize,
    members: Vec<Member>,
}

impl ObjectSpan {
    /// The member named `key`; `Err` when it is there twice.
    fn find(&self, key: &str) -> Result<Option<&Member>, ()> {
        let mut hits = self.members.iter().filter(|m| m.key == key);
        let first = hits.next();
        if hits.next().is_some() {
            return Err(());
        }
        Ok(first)
    }

    /// Whether the members are written one a line.
    fn multiline(&self, text: &str) -> bool {
        text[self.open..self.close].contains('\n')
    }
}

/// The members of the object starting at `open`.
fn scan_object(text: &str, open: usize) -> Option<ObjectSpan> {
    let b = text.as_bytes();
    if b.get(open) != Some(&b'{') {
        return None;
    }
    let mut members = Vec::new();
    let mut i = skip_ws(text, open + 1);
    if b.get(i) == Some(&b'}') {
        return Some(ObjectSpan { open, close: i, members });
    }
    loop {
        let key_start = i;
        let key_end = skip_value(text, i)?;
        let key: String = serde_json::from_str(&text[key_start..key_end]).ok()?;
        i = skip_ws(text, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(text, i + 1);
        let value_end = skip_value(text, value_start)?;
        members.push(Member { key_start, key, value_start, value_end });
        i = skip_ws(text, value_end);
        match b.get(i)? {
            b',' => i = skip_ws(text, i + 1),
            b'}' => return Some(ObjectSpan { open, close: i, members }),
            _ => return None,
        }
    }
}

/// The indentation of a new member of `obj`: its last member's, else one unit in.
fn member_indent(text: &str, obj: &ObjectSpan, unit: &str) -> String {
    match obj.members.last() {
        Some(last) if obj.multiline(text) => line_indent(text, last.key_start).to_string(),
        _ => format!("{}{unit}", line_indent(text, obj.open)),
    }
}

/// Add `"key": value` as the object's last member, formatted like its neighbours. `value` is
/// already indented for [`member_indent`].
fn insert_member(text: &str, obj: &ObjectSpan, key: &str, value: &str, unit: &str) -> String {
    let k = serde_json::to_string(key).unwrap_or_default();
    let indent = member_indent(text, obj, unit);
    match obj.members.last() {
        None => {
            let outer = line_indent(text, obj.open);
            format!("{}{{\n{indent}{k}: {value}\n{outer}}}{}", &text[..obj.open], &text[obj.close + 1..])
        }
        Some(last) if obj.multiline(text) => format!("{},\n{indent}{k}: {value}{}", &text[..last.value_end], &text[last.value_end..]),
        Some(last) => format!("{}, {k}: {value}{}", &text[..last.value_end], &text[last.value_end..]),
    }
}

#[cfg(test)]
mod tests;
