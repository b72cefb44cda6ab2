//! The layers of core, checked (issue 15): the import graph between core's top-level modules
//! has no loop, and the leaves import nothing of core above them. Read from the sources: every
//! `crate::MODULE` path outside comments and test code is an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn module_of(rel: &Path) -> String {
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// Source without comments and without test code (`tests.rs` files, `#[cfg(test)] mod tests`).
fn product_code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".rs") || name == "tests.rs" || name == "lib.rs" {
                continue;
            }
            let from = module_of(path.strip_prefix(&src).unwrap());
            let code = product_code(&std::fs::read_to_string(&path).unwrap());
            let set = edges.entry(from.clone()).or_default();
            for (i, _) in code.match_indices("crate::") {
                let to: String = code[i + 7..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                if !to.is_empty() && to != from {
                    set.insert(to);
                }
            }
        }
    }
    edges
}

/// A loop through `start`, if any (depth-first search).
fn find_loop(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn dfs(edges: &BTreeMap<String, BTreeSet<String>>, start: &str, at: &str, path: &mut Vec<String>, seen: &mut BTreeSet<String>) -> bool {
        for next in edges.get(at).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if dfs(edges, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    dfs(edges, start, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn core_modules_import_each_other_without_loops() {
    let edges = graph();
    assert!(edges.len() > 10, "read the sources: {edges:?}");
    for m in edges.keys() {
        if let Some(l) = find_loop(&edges, m) {
            panic!("an import loop in core: {}\n(all edges: {edges:#?})", l.join(" → "));
        }
    }
}

#[test]
fn the_leaves_import_nothing_above_them() {
    let edges = graph();
    let allowed: &[(&str, &[&str])] = &[
        ("paths", &[]),
        ("redact", &["encoding"]),
        ("encoding", &[]),
        ("host", &[]),
        ("field_issue", &[]),
        ("vm", &[]),
        ("events", &["redact"]),
        // the front ends' set-up helpers: MCP client configs and the CLI's symlink
        ("mcp_clients", &["host"]),
        ("cli_link", &[]),
        ("http_error", &[]),
        ("fs_watch", &[]),
        // the profile imports the sections whose owners define them, and nothing that acts
        ("profile", &["field_issue", "firewall", "sync", "secrets", "host"]),
    ];
    for (leaf, may) in allowed {
        let got = edges.get(*leaf).cloned().unwrap_or_default();
        let extra: Vec<&String> = got.iter().filter(|m| !may.contains(&m.as_str())).collect();
        assert!(extra.is_empty(), "`{leaf}` imports {extra:?} (it may import only {may:?})");
    }
}
