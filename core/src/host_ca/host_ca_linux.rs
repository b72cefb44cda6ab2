//! Linux: the distribution's local CA folders — the certificates an administrator added on
//! top of the public bundle. Debian/Ubuntu: `/usr/local/share/ca-certificates/**/*.crt` (what
//! `update-ca-certificates` takes); Fedora/RHEL: `/etc/pki/ca-trust/source/anchors/*` (what
//! `update-ca-trust` takes, PEM or DER). Folders that do not exist are skipped.

use super::{HostCaError, Pem};
use std::path::{Path, PathBuf};

pub(super) const WHERE: &str = "/usr/local/share/ca-certificates (Debian, Ubuntu) and /etc/pki/ca-trust/source/anchors (Fedora, RHEL)";

pub(super) fn host_extra_cas() -> Result<Vec<Pem>, HostCaError> {
    local_cas_in(Path::new("/"))
}

/// The local CAs under `root` (`/` on a real host; a temp folder in tests), in path order.
pub fn local_cas_in(root: &Path) -> Result<Vec<Pem>, HostCaError> {
    let mut files = Vec::new();
    // Debian, Ubuntu: subfolders too, `.crt` only.
    collect(&root.join("usr/local/share/ca-certificates"), true, &|p: &Path| p.extension().is_some_and(|e| e == "crt"), &mut files)?;
    // Fedora, RHEL: this folder only, any name.
    collect(&root.join("etc/pki/ca-trust/source/anchors"), false, &|_: &Path| true, &mut files)?;
    let mut out = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).map_err(|source| HostCaError::Read { path: path.clone(), source })?;
        let pems = Pem::all_in(&String::from_utf8_lossy(&bytes));
        if !pems.is_empty() {
            out.extend(pems);
        } else if looks_like_der(&bytes) {
            out.push(Pem::from_der(&bytes));
        }
        // anything else (a p11-kit file, a note) is not a certificate we can hand over
    }
    Ok(out)
}

/// A DER certificate starts with a SEQUENCE of long-form length.
fn looks_like_der(bytes: &[u8]) -> bool {
    bytes.len() > 64 && bytes[0] == 0x30 && (0x81..=0x84).contains(&bytes[1])
}

fn collect(dir: &Path, recurse: bool, wanted: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) -> Result<(), HostCaError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(HostCaError::Read { path: dir.to_path_buf(), source }),
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let is_real_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if is_real_dir {
            if recurse {
                collect(&path, recurse, wanted, out)?;
            }
        } else if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) && wanted(&path) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT_A: &str = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    const CERT_B: &str = "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n";

    fn write(root: &Path, rel: &str, bytes: &[u8]) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    #[test]
    fn nothing_there_is_an_empty_list() {
        let root = tempfile::tempdir().unwrap();
        assert!(local_cas_in(root.path()).unwrap().is_empty());
    }

    #[test]
    fn debian_folder_takes_crt_files_in_subfolders() {
        let root = tempfile::tempdir().unwrap();
        write(root.path(), "usr/local/share/ca-certificates/corp/proxy.crt", CERT_A.as_bytes());
        write(root.path(), "usr/local/share/ca-certificates/zz.crt", CERT_B.as_bytes());
        write(root.path(), "usr/local/share/ca-certificates/readme.txt", CERT_B.as_bytes());
        let pems = local_cas_in(root.path()).unwrap();
        assert_eq!(pems.iter().map(Pem::as_str).collect::<Vec<_>>(), vec![CERT_A, CERT_B]);
    }

    #[test]
    fn fedora_anchors_take_pem_bundles_and_der() {
        let root = tempfile::tempdir().unwrap();
        write(root.path(), "etc/pki/ca-trust/source/anchors/bundle.pem", format!("{CERT_A}{CERT_B}").as_bytes());
        let mut der = vec![0x30, 0x82, 0x01, 0x00];
        der.extend((0..256u32).map(|i| i as u8));
        write(root.path(), "etc/pki/ca-trust/source/anchors/corp.cer", &der);
        write(root.path(), "etc/pki/ca-trust/source/anchors/notes", b"not a certificate");
        let pems = local_cas_in(root.path()).unwrap();
        assert_eq!(pems.len(), 3);
        assert_eq!(pems[0], Pem::all_in(CERT_A)[0]);
        assert_eq!(pems[2], Pem::from_der(&der));
    }

    #[test]
    fn an_unreadable_certificate_is_an_error_with_its_path() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("etc/pki/ca-trust/source/anchors");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ok.pem"), CERT_A).unwrap();
        let unreadable = dir.join("locked.pem");
        std::fs::write(&unreadable, CERT_B).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::read(&unreadable).is_ok() {
            return; // running as root: every file is readable
        }
        let e = local_cas_in(root.path()).unwrap_err().to_string();
        assert!(e.contains("locked.pem") && e.contains("provisioning.ca_certs"), "{e}");
    }
}
