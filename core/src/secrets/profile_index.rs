//! The profile's index of secret names, `[secrets] names = ["A", "B"]`, edited in place with
//! `toml_edit` so comments and formatting survive. Only names are ever written here.

use super::{validate_name, SecretName, SecretsError};
use std::path::Path;
use toml_edit::{Array, DocumentMut, Item, Value};

/// The names in the index (missing section or key = none). The profile file must exist.
pub fn read_names(path: &Path) -> Result<Vec<SecretName>, SecretsError> {
    let doc = load(path)?;
    let Some(names) = doc.get("secrets").and_then(|s| s.get("names")) else {
        return Ok(Vec::new());
    };
    let Some(array) = names.as_array() else {
        return Err(invalid(path, "`secrets.names` must be a list of names, like names = [\"GH_TOKEN\"]"));
    };
    array
        .iter()
        .enumerate()
        .map(|(i, v)| match v.as_str() {
            Some(s) => validate_name(s).map_err(|e| invalid(path, &format!("secrets.names[{i}]: {e}"))),
            None => Err(invalid(path, &format!("secrets.names[{i}] must be a quoted name"))),
        })
        .collect()
}

/// Add `name` to the index; `Ok(false)` if it was already there (file untouched).
pub fn add_name(path: &Path, name: &SecretName) -> Result<bool, SecretsError> {
    Ok(add_names(path, std::slice::from_ref(name))? > 0)
}

/// Add several names; returns how many were new.
pub fn add_names(path: &Path, names: &[SecretName]) -> Result<usize, SecretsError> {
    edit(path, |array| {
        let mut added = 0;
        for name in names {
            if !array.iter().any(|v| v.as_str() == Some(name.as_str())) {
                array.push(name.as_str());
                added += 1;
            }
        }
        added
    })
}

/// Remove `name` from the index; `Ok(false)` if it was not there (file untouched).
pub fn remove_name(path: &Path, name: &SecretName) -> Result<bool, SecretsError> {
    Ok(edit(path, |array| {
        let before = array.len();
        array.retain(|v| v.as_str() != Some(name.as_str()));
        before - array.len()
    })? > 0)
}

fn load(path: &Path) -> Result<DocumentMut, SecretsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(SecretsError::ProfileMissing { path: path.into() }),
        Err(source) => return Err(SecretsError::Io { what: "read the profile", path: path.into(), source }),
    };
    text.parse::<DocumentMut>().map_err(|e| invalid(path, &e.to_string()))
}

/// Apply `change` to the `names` array (created if missing); write back only if it changed.
fn edit(path: &Path, change: impl FnOnce(&mut Array) -> usize) -> Result<usize, SecretsError> {
    read_names(path)?; // refuse to edit an index that is already invalid
    let mut doc = load(path)?;
    let secrets = doc.entry("secrets").or_insert_with(toml_edit::table);
    let Some(table) = secrets.as_table_like_mut() else {
        return Err(invalid(path, "`secrets` must be a table ([secrets])"));
    };
    let names = table.entry("names").or_insert(Item::Value(Value::Array(Array::new())));
    let Some(array) = names.as_array_mut() else {
        return Err(invalid(path, "`secrets.names` must be a list of names"));
    };
    let changed = change(array);
    if changed > 0 {
        write_atomically(path, &doc.to_string())?;
    }
    Ok(changed)
}

/// Write via a temporary file in the same folder and a rename, keeping the file's mode.
fn write_atomically(path: &Path, text: &str) -> Result<(), SecretsError> {
    let io = |what: &'static str| move |source| SecretsError::Io { what, path: path.into(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let perms = std::fs::metadata(path).map_err(io("inspect the profile"))?.permissions();
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io("create a temporary file next to"))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(io("write"))?;
    tmp.as_file().sync_all().map_err(io("flush"))?;
    std::fs::set_permissions(tmp.path(), perms).map_err(io("set permissions on"))?;
    tmp.persist(path).map_err(|e| SecretsError::Io { what: "replace", path: path.into(), source: e.error })?;
    Ok(())
}

fn invalid(path: &Path, detail: &str) -> SecretsError {
    SecretsError::ProfileInvalid { path: path.into(), detail: detail.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> SecretName {
        validate_name(s).unwrap()
    }

    fn profile(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("profile.toml");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn adds_and_removes_keeping_comments() {
        let (_d, p) = profile("# my profile\nmode = \"secure\" # keep me\n\n[network]\nallow = [\"a.com\"]\n");
        assert!(add_name(&p, &n("GH_TOKEN")).unwrap());
        assert!(!add_name(&p, &n("GH_TOKEN")).unwrap());
        assert_eq!(add_names(&p, &[n("A_KEY"), n("GH_TOKEN")]).unwrap(), 1);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("# my profile\nmode = \"secure\" # keep me\n"), "{text}");
        assert!(text.contains("[secrets]\nnames = [\"GH_TOKEN\", \"A_KEY\"]"), "{text}");
        assert_eq!(read_names(&p).unwrap(), vec![n("GH_TOKEN"), n("A_KEY")]);
        assert!(remove_name(&p, &n("GH_TOKEN")).unwrap());
        assert!(!remove_name(&p, &n("GH_TOKEN")).unwrap());
        assert_eq!(read_names(&p).unwrap(), vec![n("A_KEY")]);
        assert!(std::fs::read_to_string(&p).unwrap().contains("[network]\nallow = [\"a.com\"]"));
    }

    #[test]
    fn existing_section_and_inline_table_are_edited_in_place() {
        let (_d, p) = profile("[secrets]\n# names only, never values\nnames = [\"A\"] # index\nother = 1\n");
        add_name(&p, &n("B")).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("# names only, never values\nnames = [\"A\", \"B\"] # index\nother = 1"), "{text}");
        let (_d, p) = profile("secrets = { names = [] }\n");
        add_name(&p, &n("B")).unwrap();
        assert_eq!(read_names(&p).unwrap(), vec![n("B")]);
    }

    #[test]
    fn missing_or_broken_profiles_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        assert!(matches!(add_name(&missing, &n("A")), Err(SecretsError::ProfileMissing { .. })));
        assert!(!missing.exists());
        for text in ["secrets = 3\n", "[secrets]\nnames = \"A\"\n", "[secrets]\nnames = [\"bad-name\"]\n", "[[secrets]]\n", "a = [\n"] {
            let (_d, p) = profile(text);
            let e = add_name(&p, &n("A")).unwrap_err();
            assert!(matches!(e, SecretsError::ProfileInvalid { .. }), "{text}: {e}");
            assert_eq!(std::fs::read_to_string(&p).unwrap(), text, "file changed on error");
        }
    }

    #[test]
    fn mode_is_kept() {
        use std::os::unix::fs::PermissionsExt;
        let (_d, p) = profile("");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        add_name(&p, &n("A")).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640);
    }
}
