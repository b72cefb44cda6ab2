//! gitleaks' own files, when a copy is at hand (the project ships none of them):
//! `GITLEAKS_CONFIG` = its `config/gitleaks.toml` (must load), `GITLEAKS_TESTDATA` = its
//! `testdata/config` folder (every `valid/` fixture loads, every `invalid/` one is refused
//! naming the rule and the reason). Without them each test prints why it skipped; the unit
//! tier proves the same shapes with generated configs (`scan_gitleaks_config.rs`).

use sandbox_core::scan::gitleaks_config::{load_file, load_file_in};
use std::path::{Path, PathBuf};

fn env_path(var: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(p) if Path::new(&p).exists() => Some(PathBuf::from(p)),
        _ => {
            eprintln!("skipped: {var} is not set to an existing path (see this file's header)");
            None
        }
    }
}

#[test]
fn gitleaks_default_config_loads() {
    let Some(path) = env_path("GITLEAKS_CONFIG") else { return };
    let cfg = load_file(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.rules.len(), 222, "gitleaks 8.30's default config has 222 rules");
    assert!(!cfg.allowlists.is_empty());
}

/// Fixtures of `valid/` that gitleaks 8.30.1 itself refuses as a top-level config (checked
/// with `gitleaks dir -c …` from its `config/` folder): they are bases, loaded inside an
/// `[extend]` chain (where they load here too), or pass gitleaks' own test only through state
/// one test leaves to the next. Loaded alone, both refuse them for the same reason.
const REFUSED_BY_GITLEAKS_TOO: &[(&str, &str)] = &[
    ("extend_base_1.toml", "was not found"),                // its base extends a file that does not exist
    ("extend_base_2.toml", "was not found"),                // extends ../testdata/config/extend_3.toml: absent
    ("extend_rule_new.toml", "neither `regex` nor `path`"), // a new rule with keywords only
];

/// gitleaks' tests run in its `config/` folder, and its fixtures' `[extend] path`s are
/// relative to that working directory.
#[test]
fn gitleaks_fixtures_valid_load_invalid_refused() {
    let Some(dir) = env_path("GITLEAKS_TESTDATA") else { return };
    let cwd = dir.join("../../config");
    let mut refused_valid = Vec::new();
    for entry in std::fs::read_dir(dir.join("valid")).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let known = REFUSED_BY_GITLEAKS_TOO.iter().find(|(n, _)| *n == name);
        match (load_file_in(&p, &cwd), known) {
            (Ok(_), None) => eprintln!("valid   ok       {name}"),
            (Err(e), Some((_, why))) if e.to_string().contains(why) => eprintln!("valid   refused as gitleaks does  {name}: {e}"),
            (Ok(_), Some(_)) => refused_valid.push(format!("{name} loads, gitleaks refuses it")),
            (Err(e), _) => refused_valid.push(format!("{name}: {e}")),
        }
    }
    let mut accepted_invalid = Vec::new();
    for entry in std::fs::read_dir(dir.join("invalid")).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        match load_file_in(&p, &cwd) {
            Ok(_) => accepted_invalid.push(name),
            Err(e) => eprintln!("invalid refused  {name}: {e}"),
        }
    }
    assert!(accepted_invalid.is_empty(), "accepted: {accepted_invalid:?}");
    assert!(refused_valid.is_empty(), "{refused_valid:?}");
}
