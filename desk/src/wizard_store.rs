//! Where a half-finished onboarding is kept, so closing the wizard and reopening resumes.
//! Holds the form (paths, names, choices) and the step; never a secret value.

use crate::form::{ProfileForm, Step};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub step: Step,
    pub form: ProfileForm,
}

pub fn file(data_dir: &Path) -> PathBuf {
    data_dir.join("onboarding.json")
}

/// The saved progress, or a fresh start with core's defaults. A damaged file is a fresh start.
pub fn load(data_dir: &Path) -> Progress {
    std::fs::read(file(data_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| Progress { step: Step::Welcome, form: ProfileForm::defaults() })
}

pub fn save(data_dir: &Path, p: &Progress) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let path = file(data_dir);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(p).expect("plain data"))?;
    std::fs::rename(tmp, path)
}

pub fn clear(data_dir: &Path) {
    let _ = std::fs::remove_file(file(data_dir));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_round_trips_and_a_damaged_file_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).step, Step::Welcome);
        let mut p = load(dir.path());
        p.step = Step::Mode;
        p.form.project = "/x".into();
        save(dir.path(), &p).unwrap();
        assert_eq!(load(dir.path()), p);
        std::fs::write(file(dir.path()), "{not json").unwrap();
        assert_eq!(load(dir.path()).step, Step::Welcome);
        clear(dir.path());
        assert!(!file(dir.path()).exists());
    }
}
