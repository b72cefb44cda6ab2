//! "Install Command-Line Tool": a symlink to the `sandbox` bundled with the app, at
//! `/usr/local/bin/sandbox` when that folder is writable, else `~/.local/bin/sandbox` (which
//! must be on PATH). Never replaces a file it did not make; idempotent.
//!
//! Also: which `sandbox` a front end should name in an MCP client's config ([`find_sandbox`]).
//! A leaf: imports nothing of core.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The system-wide place, preferred when writable.
pub const SYSTEM_BIN: &str = "/usr/local/bin";

/// What installing would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkPlan {
    /// Make `link` → `target`; `create_dir` when the folder is made first; `on_path` says
    /// whether the folder is on PATH now.
    Create { link: PathBuf, target: PathBuf, create_dir: bool, on_path: bool },
    /// `link` already points to `target`: nothing to do.
    AlreadyLinked { link: PathBuf, target: PathBuf, on_path: bool },
}

impl LinkPlan {
    pub fn link(&self) -> &Path {
        match self {
            LinkPlan::Create { link, .. } | LinkPlan::AlreadyLinked { link, .. } => link,
        }
    }

    /// What it does, in a sentence or two, for the question before and the notice after.
    pub fn describe(&self) -> String {
        let path_note = |link: &Path, on_path: bool| {
            if on_path {
                String::new()
            } else {
                let dir = link.parent().unwrap_or(link).display().to_string();
                format!(" {dir} is not on your PATH: add `export PATH=\"{dir}:$PATH\"` to your shell's profile (e.g. ~/.zshrc) to run `sandbox` by name.")
            }
        };
        match self {
            LinkPlan::Create { link, target, create_dir, on_path } => {
                let mk = if *create_dir { format!(" (creating {})", link.parent().unwrap_or(link).display()) } else { String::new() };
                format!("Link {} → {}{mk}.{}", link.display(), target.display(), path_note(link, *on_path))
            }
            LinkPlan::AlreadyLinked { link, target, on_path } => {
                format!("{} already links to {}; nothing to change.{}", link.display(), target.display(), path_note(link, *on_path))
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no `sandbox` command was found beside the app ({}); reinstall the app, or install the CLI with `cargo install --path cli`", expected.display())]
    NoBundledCli { expected: PathBuf },
    #[error("{} already exists and is not a link to this app's `sandbox` ({what}); it is left alone — remove it (`rm {}`) and try again if you want this app's", link.display(), link.display())]
    Occupied { link: PathBuf, what: String },
    #[error("{} changed since the plan was shown; nothing was written — try again", link.display())]
    Changed { link: PathBuf },
    #[error("cannot create {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// Where to put the link: `system_dir` when it exists and is writable, else `home/.local/bin`.
/// `path_var` is `$PATH`, to say whether the chosen folder is on it.
pub fn plan_link(bundled: &Path, home: &Path, system_dir: &Path, path_var: Option<&OsStr>) -> Result<LinkPlan, LinkError> {
    if !bundled.is_file() {
        return Err(LinkError::NoBundledCli { expected: bundled.to_path_buf() });
    }
    let user_dir = home.join(".local/bin");
    let on_path = |dir: &Path| path_var.is_some_and(|p| std::env::split_paths(p).any(|d| d == dir));
    // already installed in either place: nothing to do
    for dir in [system_dir, &user_dir] {
        let link = dir.join("sandbox");
        if std::fs::read_link(&link).is_ok_and(|t| t == bundled) {
            return Ok(LinkPlan::AlreadyLinked { on_path: on_path(dir), link, target: bundled.to_path_buf() });
        }
    }
    let system_ok = system_dir.is_dir() && rustix::fs::access(system_dir, rustix::fs::Access::WRITE_OK).is_ok();
    let dir = if system_ok { system_dir.to_path_buf() } else { user_dir };
    let link = dir.join("sandbox");
    if let Ok(meta) = std::fs::symlink_metadata(&link) {
        let what = match std::fs::read_link(&link) {
            Ok(t) => format!("it links to {}", t.display()),
            Err(_) if meta.is_dir() => "it is a folder".to_string(),
            Err(_) => "it is a file".to_string(),
        };
        return Err(LinkError::Occupied { link, what });
    }
    Ok(LinkPlan::Create { on_path: on_path(&dir), create_dir: !dir.is_dir(), link, target: bundled.to_path_buf() })
}

/// Make the planned link (nothing for [`LinkPlan::AlreadyLinked`]).
pub fn apply_link(plan: &LinkPlan) -> Result<(), LinkError> {
    let LinkPlan::Create { link, target, .. } = plan else { return Ok(()) };
    let dir = link.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(dir).map_err(|source| LinkError::Io { path: dir.to_path_buf(), source })?;
    match std::os::unix::fs::symlink(target, link) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(LinkError::Changed { link: link.clone() }),
        Err(source) => Err(LinkError::Io { path: link.clone(), source }),
    }
}

/// The `sandbox` an MCP client should run, for a front end at `exe`: the one beside it (the
/// bundled CLI), else the first on `path_var`, else an installed link (`/usr/local/bin` or
/// `~/.local/bin`; apps started from the Dock do not get the shell's PATH). Absolute, or `None`.
pub fn find_sandbox(exe: Option<&Path>, path_var: Option<&OsStr>, home: Option<&Path>) -> Option<PathBuf> {
    let beside = exe.and_then(Path::parent).map(|d| d.join("sandbox"));
    let on_path = path_var.into_iter().flat_map(std::env::split_paths).map(|d| d.join("sandbox"));
    let installed = [Some(Path::new(SYSTEM_BIN).join("sandbox")), home.map(|h| h.join(".local/bin/sandbox"))].into_iter().flatten();
    beside.into_iter().chain(on_path).chain(installed).find(|p| p.is_absolute() && is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn bundled(root: &Path) -> PathBuf {
        let app = root.join("App.app/Contents/MacOS");
        std::fs::create_dir_all(&app).unwrap();
        let exe = app.join("sandbox");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        exe
    }

    #[test]
    fn a_writable_system_dir_is_preferred_and_a_second_run_changes_nothing() {
        let t = tempfile::tempdir().unwrap();
        let exe = bundled(t.path());
        let sys = t.path().join("usr-local-bin");
        std::fs::create_dir(&sys).unwrap();
        let home = t.path().join("home");
        let path_var = std::env::join_paths([&sys]).unwrap();
        let plan = plan_link(&exe, &home, &sys, Some(&path_var)).unwrap();
        assert_eq!(plan, LinkPlan::Create { link: sys.join("sandbox"), target: exe.clone(), create_dir: false, on_path: true });
        assert!(!plan.describe().contains("not on your PATH"));
        apply_link(&plan).unwrap();
        assert_eq!(std::fs::read_link(sys.join("sandbox")).unwrap(), exe);
        let again = plan_link(&exe, &home, &sys, Some(&path_var)).unwrap();
        assert!(matches!(again, LinkPlan::AlreadyLinked { .. }), "{again:?}");
        assert!(again.describe().contains("nothing to change"));
        apply_link(&again).unwrap();
    }

    #[test]
    fn without_a_writable_system_dir_it_goes_to_local_bin_and_says_path() {
        let t = tempfile::tempdir().unwrap();
        let exe = bundled(t.path());
        let sys = t.path().join("missing");
        let home = t.path().join("home");
        let plan = plan_link(&exe, &home, &sys, Some(OsStr::new("/usr/bin:/bin"))).unwrap();
        let link = home.join(".local/bin/sandbox");
        assert_eq!(plan, LinkPlan::Create { link: link.clone(), target: exe.clone(), create_dir: true, on_path: false });
        assert!(plan.describe().contains("is not on your PATH"), "{}", plan.describe());
        apply_link(&plan).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), exe);
        assert!(matches!(plan_link(&exe, &home, &sys, None).unwrap(), LinkPlan::AlreadyLinked { .. }));
    }

    #[test]
    fn a_read_only_system_dir_is_passed_over() {
        if rustix::process::geteuid().is_root() {
            return; // root writes anywhere
        }
        let t = tempfile::tempdir().unwrap();
        let exe = bundled(t.path());
        let sys = t.path().join("ro");
        std::fs::create_dir(&sys).unwrap();
        std::fs::set_permissions(&sys, std::fs::Permissions::from_mode(0o555)).unwrap();
        let plan = plan_link(&exe, &t.path().join("home"), &sys, None).unwrap();
        assert!(plan.link().starts_with(t.path().join("home")), "{plan:?}");
    }

    #[test]
    fn another_file_or_link_is_never_replaced() {
        let t = tempfile::tempdir().unwrap();
        let exe = bundled(t.path());
        let sys = t.path().join("bin");
        std::fs::create_dir(&sys).unwrap();
        std::fs::write(sys.join("sandbox"), "someone else's").unwrap();
        let e = plan_link(&exe, &t.path().join("home"), &sys, None).unwrap_err();
        assert!(matches!(e, LinkError::Occupied { .. }));
        assert!(e.to_string().contains("it is a file") && e.to_string().contains("rm "), "{e}");
        std::fs::remove_file(sys.join("sandbox")).unwrap();
        std::os::unix::fs::symlink("/opt/other/sandbox", sys.join("sandbox")).unwrap();
        let e = plan_link(&exe, &t.path().join("home"), &sys, None).unwrap_err();
        assert!(e.to_string().contains("links to /opt/other/sandbox"), "{e}");
        assert_eq!(std::fs::read_link(sys.join("sandbox")).unwrap(), PathBuf::from("/opt/other/sandbox"));
    }

    #[test]
    fn no_bundled_cli_is_a_clear_error() {
        let t = tempfile::tempdir().unwrap();
        let e = plan_link(&t.path().join("nope/sandbox"), t.path(), t.path(), None).unwrap_err();
        assert!(e.to_string().contains("no `sandbox` command was found beside the app"), "{e}");
    }

    #[test]
    fn find_sandbox_prefers_the_one_beside_the_app_then_path() {
        let t = tempfile::tempdir().unwrap();
        let exe = bundled(t.path());
        let app = exe.parent().unwrap().join("openclaw-sandbox-app");
        assert_eq!(find_sandbox(Some(&app), None, None), Some(exe.clone()));
        let elsewhere = t.path().join("elsewhere/app");
        let path_var = std::env::join_paths([t.path().join("empty"), exe.parent().unwrap().to_path_buf()]).unwrap();
        assert_eq!(find_sandbox(Some(&elsewhere), Some(&path_var), None), Some(exe.clone()));
        // a relative PATH entry is never used (clients start servers from anywhere)
        assert_eq!(find_sandbox(Some(&elsewhere), Some(OsStr::new("relative/dir")), Some(&t.path().join("h"))).filter(|p| p.starts_with(t.path())), None);
    }
}
