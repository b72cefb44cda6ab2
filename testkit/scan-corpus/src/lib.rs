//! A labelled corpus generator for the scanner (deterministic for a seed): realistic files with
//! fake secrets of every kind (positives), tricky look-alikes (negatives), and a bulk tree of
//! mostly clean source-like text. Labels are per file. Some flavors and contexts are *held out*:
//! rules are tuned on the `tune` split only, and both splits are reported.

pub mod flavor;
mod negatives;
mod positives;
pub mod rng;
pub mod score;
pub mod secrets;

pub use flavor::Flavor;
pub use rng::Rng;
pub use score::{Score, Scores};
pub use secrets::SecretKind;

use std::io::Write;
use std::path::Path;

/// Which split a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Tune,
    Holdout,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Tune => "tune",
            Split::Holdout => "holdout",
        }
    }
}

/// A file's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub positive: bool,
    /// Secret kind (positives) or negative kind.
    pub kind: String,
    pub split: Split,
}

/// One generated file (`path` relative to the corpus root, `/`-separated).
#[derive(Debug, Clone)]
pub struct CorpusFile {
    pub path: String,
    pub content: String,
    pub label: Label,
}

/// The labelled corpus: `per_kind` positives of every secret kind and `per_kind` negatives of
/// every negative kind, in both splits (holdout ≈ 30%).
pub fn generate(seed: u64, per_kind: usize) -> Vec<CorpusFile> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut case = 0usize;
    let mut next_dir = |rng: &mut Rng| {
        case += 1;
        format!("{}-{case:05}", rng.pick(&["svc", "app", "lib", "tools", "web", "infra"]))
    };
    for &kind in SecretKind::ALL {
        for i in 0..per_kind {
            let split = if i % 10 < 7 { Split::Tune } else { Split::Holdout };
            let (name, content) = positives::file(kind, split, &mut rng);
            let dir = next_dir(&mut rng);
            out.push(CorpusFile { path: format!("{dir}/{name}"), content, label: Label { positive: true, kind: kind.name().to_string(), split } });
        }
    }
    for &neg in negatives::NegKind::ALL {
        for i in 0..per_kind * 2 {
            let split = if neg.holdout_only() || i % 10 >= 7 { Split::Holdout } else { Split::Tune };
            let (name, content) = negatives::file(neg, split, &mut rng);
            let dir = next_dir(&mut rng);
            out.push(CorpusFile { path: format!("{dir}/{name}"), content, label: Label { positive: false, kind: neg.name().to_string(), split } });
        }
    }
    out
}

/// Mostly clean source-like files totalling about `total_bytes`; roughly one file in 250 gets a
/// planted secret (labelled positive).
pub fn bulk(seed: u64, total_bytes: usize) -> Vec<CorpusFile> {
    let mut rng = Rng::new(seed ^ 0xB01C);
    let mut out = Vec::new();
    let mut written = 0usize;
    let mut i = 0usize;
    while written < total_bytes {
        i += 1;
        let holdout = rng.chance(0.2);
        let flavor = if holdout { *rng.pick(Flavor::HOLDOUT) } else { *rng.pick(Flavor::TUNE) };
        let split = if holdout { Split::Holdout } else { Split::Tune };
        let target = rng.range(2_000, 60_000);
        let mut content = String::with_capacity(target + 256);
        while content.len() < target {
            content.push_str(&flavor.filler_line(&mut rng));
            content.push('\n');
        }
        let mut label = Label { positive: false, kind: "bulk".into(), split };
        if rng.chance(0.004) {
            let kind = *rng.pick(SecretKind::ALL);
            let snippet = positives::snippet(kind, flavor, &mut rng);
            let at = content[..content.len() / 2].rfind('\n').map_or(0, |p| p + 1);
            content.insert_str(at, &format!("{snippet}\n"));
            label = Label { positive: true, kind: kind.name().to_string(), split };
        }
        written += content.len();
        let name = flavor.file_name(&mut rng);
        out.push(CorpusFile { path: format!("bulk/m{:03}/d{i:06}/{name}", i % 97), content, label });
    }
    out
}

/// Write files under `root` and append their labels to `root/labels.tsv`
/// (`path<TAB>pos|neg<TAB>kind<TAB>split`).
pub fn write(root: &Path, files: &[CorpusFile]) -> std::io::Result<()> {
    std::fs::create_dir_all(root)?;
    let mut labels = std::fs::OpenOptions::new().create(true).append(true).open(root.join("labels.tsv"))?;
    let mut buf = String::new();
    for f in files {
        let p = root.join(&f.path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, &f.content)?;
        buf.push_str(&format!("{}\t{}\t{}\t{}\n", f.path, if f.label.positive { "pos" } else { "neg" }, f.label.kind, f.label.split.name()));
    }
    labels.write_all(buf.as_bytes())
}

/// Read `labels.tsv` back: (path, label).
pub fn read_labels(root: &Path) -> std::io::Result<Vec<(String, Label)>> {
    let text = std::fs::read_to_string(root.join("labels.tsv"))?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut it = l.split('\t');
            let path = it.next()?.to_string();
            let positive = it.next()? == "pos";
            let kind = it.next()?.to_string();
            let split = if it.next()? == "holdout" { Split::Holdout } else { Split::Tune };
            Some((path, Label { positive, kind, split }))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_labelled() {
        let a = generate(42, 3);
        let b = generate(42, 3);
        assert_eq!(a.len(), b.len());
        assert!(a.iter().zip(&b).all(|(x, y)| x.path == y.path && x.content == y.content));
        assert!(a.iter().any(|f| f.label.positive));
        assert!(a.iter().any(|f| !f.label.positive));
        assert!(a.iter().any(|f| f.label.split == Split::Holdout));
        let mut paths: Vec<&str> = a.iter().map(|f| f.path.as_str()).collect();
        paths.sort();
        let n = paths.len();
        paths.dedup();
        assert_eq!(n, paths.len(), "paths are unique");
    }

    #[test]
    fn bulk_reaches_size() {
        let files = bulk(1, 300_000);
        let total: usize = files.iter().map(|f| f.content.len()).sum();
        assert!(total >= 300_000);
    }
}
