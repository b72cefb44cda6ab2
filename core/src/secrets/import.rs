//! `.env` import, all or nothing: the whole file is parsed and validated before anything is
//! stored; if storing one entry fails, the entries this import already stored are put back
//! as they were. Optionally the source file is overwritten and removed afterwards.

use super::dotenv::{self, Dotenv};
use super::{SecretName, SecretStore, SecretValue, SecretsError};
use std::io::Write;
use std::path::Path;

/// A validated import, ready to store.
#[derive(Debug)]
pub struct ImportPlan {
    pub dotenv: Dotenv,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub stored: Vec<SecretName>,
    /// Names replaced (they had a value before).
    pub replaced: Vec<SecretName>,
    pub skipped_empty: Vec<SecretName>,
    pub warnings: Vec<String>,
}

/// Read and check everything; nothing is stored. With `delete_source`, also check now that
/// the file is a regular file we may overwrite (not a symlink), so that the import does not
/// fail after storing.
pub fn plan(path: &Path, delete_source: bool) -> Result<ImportPlan, SecretsError> {
    if delete_source {
        ensure_regular_file(path)?;
    }
    Ok(ImportPlan { dotenv: dotenv::parse_file(path)? })
}

/// Store every entry of `plan`, rolling back on the first failure.
pub fn apply(store: &dyn SecretStore, plan: &ImportPlan) -> Result<ImportReport, SecretsError> {
    let mut done: Vec<(SecretName, Option<SecretValue>)> = Vec::new();
    for entry in &plan.dotenv.entries {
        let step = store.get(&entry.name).and_then(|previous| {
            store.set(&entry.name, &entry.value)?;
            Ok(previous)
        });
        match step {
            Ok(previous) => done.push((entry.name.clone(), previous)),
            Err(cause) => return Err(roll_back(store, done, &entry.name, cause)),
        }
    }
    Ok(ImportReport {
        replaced: done.iter().filter(|(_, p)| p.is_some()).map(|(n, _)| n.clone()).collect(),
        stored: done.into_iter().map(|(n, _)| n).collect(),
        skipped_empty: plan.dotenv.empty.clone(),
        warnings: plan.dotenv.warnings.clone(),
    })
}

fn roll_back(store: &dyn SecretStore, done: Vec<(SecretName, Option<SecretValue>)>, failed: &SecretName, cause: SecretsError) -> SecretsError {
    let restored = done.len();
    let mut unrestored = Vec::new();
    for (name, previous) in done.into_iter().rev() {
        let ok = match previous {
            Some(value) => store.set(&name, &value).is_ok(),
            None => store.delete(&name).is_ok(),
        };
        if !ok {
            unrestored.push(name.to_string());
        }
    }
    if unrestored.is_empty() {
        SecretsError::ImportRolledBack { name: failed.to_string(), cause: Box::new(cause), restored }
    } else {
        SecretsError::ImportPartiallyRolledBack { name: failed.to_string(), cause: Box::new(cause), unrestored: unrestored.join(", ") }
    }
}

fn ensure_regular_file(path: &Path) -> Result<(), SecretsError> {
    let meta = std::fs::symlink_metadata(path).map_err(|source| SecretsError::Io { what: "inspect", path: path.into(), source })?;
    if !meta.file_type().is_file() {
        return Err(SecretsError::Io {
            what: "delete (it is not a regular file, e.g. a symlink) after importing",
            path: path.into(),
            source: std::io::Error::other("refusing --delete-source; import without it and remove the file yourself"),
        });
    }
    Ok(())
}

/// Overwrite `path` with zeros (flushed to disk), then remove it. On copy-on-write or
/// journaling file systems and SSDs old blocks may survive; this is best effort and the
/// CLI says so.
pub fn overwrite_and_remove(path: &Path) -> Result<(), SecretsError> {
    ensure_regular_file(path)?;
    let io = |what: &'static str| move |source| SecretsError::Io { what, path: path.into(), source };
    let len = std::fs::symlink_metadata(path).map_err(io("inspect"))?.len();
    let mut file = std::fs::OpenOptions::new().write(true).open(path).map_err(io("open for overwriting"))?;
    let zeros = [0u8; 8192];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n]).map_err(io("overwrite"))?;
        left -= n as u64;
    }
    file.sync_all().map_err(io("flush"))?;
    drop(file);
    std::fs::remove_file(path).map_err(io("remove"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{validate_name, MemoryStore};

    fn n(s: &str) -> SecretName {
        validate_name(s).unwrap()
    }

    fn env_file(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
        let p = dir.path().join("import.env");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn imports_everything_and_reports() {
        let dir = tempfile::tempdir().unwrap();
        let f = env_file(&dir, "A=alpha-value\nB=beta-value\nC=\nA=alpha-two\n");
        let store = MemoryStore::new();
        store.set(&n("B"), &"old-b".into()).unwrap();
        let report = apply(&store, &plan(&f, false).unwrap()).unwrap();
        assert_eq!(report.stored, vec![n("B"), n("A")]);
        assert_eq!(report.replaced, vec![n("B")]);
        assert_eq!(report.skipped_empty, vec![n("C")]);
        assert_eq!(report.warnings.len(), 2);
        assert_eq!(store.get(&n("A")).unwrap().unwrap().expose(), "alpha-two");
        assert_eq!(store.get(&n("B")).unwrap().unwrap().expose(), "beta-value");
    }

    #[test]
    fn an_invalid_file_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let f = env_file(&dir, "A=alpha-value\nbad-name=x\n");
        let store = MemoryStore::new();
        assert!(matches!(plan(&f, false), Err(SecretsError::DotenvInvalid { count: 1, .. })));
        assert!(store.names().is_empty());
    }

    #[test]
    fn a_failing_store_rolls_back_to_the_previous_state() {
        let dir = tempfile::tempdir().unwrap();
        let f = env_file(&dir, "A=new-a-value\nB=new-b-value\nC=new-c-value\n");
        let store = MemoryStore::new();
        store.set(&n("A"), &"old-a-value".into()).unwrap();
        store.fail_set_of(Some(n("C")));
        let err = apply(&store, &plan(&f, false).unwrap()).unwrap_err();
        assert!(matches!(err, SecretsError::ImportRolledBack { restored: 2, .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("nothing changed") && !msg.contains("new-"), "{msg}");
        assert_eq!(store.names(), vec![n("A")]);
        assert_eq!(store.get(&n("A")).unwrap().unwrap().expose(), "old-a-value");
    }

    #[test]
    fn overwrite_and_remove_deletes_regular_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = env_file(&dir, "A=alpha-value\n");
        let link = dir.path().join("link.env");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        assert!(plan(&link, true).is_err());
        assert!(overwrite_and_remove(&link).is_err());
        assert!(f.exists());
        overwrite_and_remove(&f).unwrap();
        assert!(!f.exists());
    }
}
