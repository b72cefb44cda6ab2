//! Shared helpers for the sync gate's tests: a raw tar writer (so tests can forge any header,
//! hostile ones included), temp roots, and a whole-tree snapshot to prove nothing else changed.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Writes tar streams the way GNU tar does for an overlay upper dir (ustar + PAX headers).
#[derive(Default)]
pub struct Tar {
    out: Vec<u8>,
}

fn octal(buf: &mut [u8], v: u64) {
    let n = buf.len() - 1;
    let s = format!("{:0width$o}", v, width = n);
    buf[..n].copy_from_slice(s.as_bytes());
    buf[n] = 0;
}

impl Tar {
    pub fn new() -> Self {
        Tar::default()
    }

    #[allow(clippy::too_many_arguments)]
    fn header(&mut self, name: &[u8], mode: u32, size: u64, typeflag: u8, link: &[u8], dev: (u32, u32), pax: &[(&str, &[u8])]) {
        let mut records: Vec<(String, Vec<u8>)> = pax.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect();
        if name.len() > 99 {
            records.push(("path".into(), name.to_vec()));
        }
        if link.len() > 99 {
            records.push(("linkpath".into(), link.to_vec()));
        }
        if !records.is_empty() {
            let mut body = Vec::new();
            for (k, v) in &records {
                let rest = 1 + k.len() + 1 + v.len() + 1; // ' ' k '=' v '\n'
                let mut len = rest + 1;
                while len != rest + len.to_string().len() {
                    len = rest + len.to_string().len();
                }
                body.extend_from_slice(format!("{len} {k}=").as_bytes());
                body.extend_from_slice(v);
                body.push(b'\n');
            }
            self.raw_header(b"./PaxHeaders/entry", 0o644, body.len() as u64, b'x', b"", (0, 0));
            self.data(&body);
        }
        let short = if name.len() > 99 { &name[..99] } else { name };
        let short_link = if link.len() > 99 { &link[..99] } else { link };
        self.raw_header(short, mode, size, typeflag, short_link, dev);
    }

    fn raw_header(&mut self, name: &[u8], mode: u32, size: u64, typeflag: u8, link: &[u8], dev: (u32, u32)) {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name);
        octal(&mut h[100..108], mode as u64);
        octal(&mut h[108..116], 0);
        octal(&mut h[116..124], 0);
        octal(&mut h[124..136], size);
        octal(&mut h[136..148], 1_700_000_000);
        h[156] = typeflag;
        h[157..157 + link.len()].copy_from_slice(link);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        octal(&mut h[329..337], dev.0 as u64);
        octal(&mut h[337..345], dev.1 as u64);
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        self.out.extend_from_slice(&h);
    }

    fn data(&mut self, data: &[u8]) {
        self.out.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.out.extend(std::iter::repeat_n(0u8, pad));
    }

    /// The upper dir itself (`./`), as GNU tar emits it first.
    pub fn root(mut self) -> Self {
        self.header(b"./", 0o755, 0, b'5', b"", (0, 0), &[]);
        self
    }

    pub fn file(self, path: &str, data: &[u8]) -> Self {
        self.file_mode(path, data, 0o644)
    }

    pub fn file_mode(mut self, path: &str, data: &[u8], mode: u32) -> Self {
        self.header(format!("./{path}").as_bytes(), mode, data.len() as u64, b'0', b"", (0, 0), &[]);
        self.data(data);
        self
    }

    /// A file with a raw (possibly hostile) name.
    pub fn file_raw(mut self, name: &[u8], data: &[u8]) -> Self {
        self.header(name, 0o644, data.len() as u64, b'0', b"", (0, 0), &[]);
        self.data(data);
        self
    }

    pub fn file_xattrs(mut self, path: &str, data: &[u8], xattrs: &[(&str, &[u8])]) -> Self {
        let pax: Vec<(String, &[u8])> = xattrs.iter().map(|(k, v)| (format!("SCHILY.xattr.{k}"), *v)).collect();
        let pax: Vec<(&str, &[u8])> = pax.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.header(format!("./{path}").as_bytes(), 0o644, data.len() as u64, b'0', b"", (0, 0), &pax);
        self.data(data);
        self
    }

    pub fn dir(self, path: &str) -> Self {
        self.dir_mode(path, 0o755)
    }

    pub fn dir_mode(mut self, path: &str, mode: u32) -> Self {
        self.header(format!("./{path}/").as_bytes(), mode, 0, b'5', b"", (0, 0), &[]);
        self
    }

    pub fn dir_xattrs(mut self, path: &str, xattrs: &[(&str, &[u8])]) -> Self {
        let pax: Vec<(String, &[u8])> = xattrs.iter().map(|(k, v)| (format!("SCHILY.xattr.{k}"), *v)).collect();
        let pax: Vec<(&str, &[u8])> = pax.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.header(format!("./{path}/").as_bytes(), 0o755, 0, b'5', b"", (0, 0), &pax);
        self
    }

    pub fn opaque_dir(self, path: &str) -> Self {
        self.dir_xattrs(path, &[("trusted.overlay.opaque", b"y")])
    }

    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        self.header(format!("./{path}").as_bytes(), 0o777, 0, b'2', target.as_bytes(), (0, 0), &[]);
        self
    }

    pub fn hardlink(mut self, path: &str, target: &str) -> Self {
        self.header(format!("./{path}").as_bytes(), 0o644, 0, b'1', target.as_bytes(), (0, 0), &[]);
        self
    }

    pub fn whiteout(self, path: &str) -> Self {
        self.chardev(path, 0, 0)
    }

    pub fn chardev(mut self, path: &str, major: u32, minor: u32) -> Self {
        self.header(format!("./{path}").as_bytes(), 0o644, 0, b'3', b"", (major, minor), &[]);
        self
    }

    pub fn fifo(mut self, path: &str) -> Self {
        self.header(format!("./{path}").as_bytes(), 0o644, 0, b'6', b"", (0, 0), &[]);
        self
    }

    pub fn blockdev(mut self, path: &str) -> Self {
        self.header(format!("./{path}").as_bytes(), 0o644, 0, b'4', b"", (8, 0), &[]);
        self
    }

    pub fn build(mut self) -> Vec<u8> {
        self.out.extend(std::iter::repeat_n(0u8, 1024));
        self.out
    }
}

/// A temp root holding `project/` and `home/` (SANDBOX_HOME-style state), plus `outside/`
/// siblings the tests check are never touched.
pub struct Root {
    pub dir: tempfile::TempDir,
}

impl Root {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for d in ["project", "home", "outside"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("outside/victim.txt"), b"do not touch").unwrap();
        Root { dir }
    }
    pub fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }
    pub fn sync_dir(&self) -> PathBuf {
        self.dir.path().join("home/sync")
    }
    pub fn outside(&self) -> PathBuf {
        self.dir.path().join("outside")
    }
    pub fn write(&self, rel: &str, data: &[u8]) {
        let p = self.project().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.project().join(rel)).unwrap()
    }
}

impl Drop for Root {
    /// Locked folders (tests running as an ordinary user leave some) are opened so the temp
    /// folder can be removed.
    fn drop(&mut self) {
        fn open_up(p: &Path) {
            let Ok(m) = std::fs::symlink_metadata(p) else { return };
            if !m.is_dir() {
                return;
            }
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode((m.permissions().mode() & 0o7777) | 0o700));
            if let Ok(rd) = std::fs::read_dir(p) {
                for e in rd.flatten() {
                    open_up(&e.path());
                }
            }
        }
        open_up(self.dir.path());
    }
}

/// Every entry under `dir` (not following symlinks): kind, mode and content / link target.
pub fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = with_owner_access(dir, 0o700, || std::fs::read_dir(dir)).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
        let m = std::fs::symlink_metadata(&p).unwrap();
        let mode = m.permissions().mode() & 0o7777;
        if m.file_type().is_symlink() {
            out.insert(rel, format!("link -> {}", std::fs::read_link(&p).unwrap().display()));
        } else if m.is_dir() {
            out.insert(rel.clone(), format!("dir {mode:o}"));
            let d = p.clone();
            with_owner_access(&p, 0o700, || {
                walk(base, &d, out);
                Ok::<(), std::io::Error>(())
            })
            .unwrap();
        } else if m.is_file() {
            let data = with_owner_access(&p, 0o400, || std::fs::read(&p)).unwrap();
            out.insert(rel, format!("file {mode:o} {} {}", m.size(), String::from_utf8_lossy(&data)));
        } else {
            out.insert(rel, format!("special {mode:o}"));
        }
    }
}

/// Run `f` with the owner's `bits` added to `p`'s mode if it lacks them (a test running as an
/// ordinary user looks inside the locked files and folders the gate applied), then restore it.
fn with_owner_access<T>(p: &Path, bits: u32, f: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    let mode = std::fs::symlink_metadata(p)?.permissions().mode() & 0o7777;
    if mode & bits == bits {
        return f();
    }
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode | bits))?;
    let r = f();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))?;
    r
}

/// Snapshot of a project, ignoring nothing: temp files left behind show up too.
pub fn tree(dir: &Path) -> Vec<(String, String)> {
    snapshot(dir).into_iter().collect()
}

/// Run `body` as an ordinary user: directly when this process is not root; as root, re-run
/// just this test (`test` is its name) in a child process that `setpriv` drops to `nobody`,
/// because root passes the permission checks the test is about. The child runs a copy of
/// the test binary; its temp folders live in /tmp.
pub fn as_ordinary_user(test: &str, body: impl FnOnce()) {
    const MARK: &str = "SANDBOX_TEST_AS_ORDINARY_USER";
    if std::env::var_os(MARK).is_some() || unsafe { libc::geteuid() } != 0 {
        assert_ne!(unsafe { libc::geteuid() }, 0, "{test} must not run as root");
        body();
        return;
    }
    // A copy nobody can run, wherever the build tree is (e.g. below a root-only home).
    let bin_dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(bin_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = bin_dir.path().join("test-bin");
    std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&exe)
        .current_dir("/")
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(MARK, "1")
        .env("TMPDIR", "/tmp")
        .env("HOME", "/tmp")
        .output()
        .expect("setpriv runs (util-linux)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stdout.contains("1 passed"), "{test} as nobody failed:\n{stdout}\n{stderr}");
}
