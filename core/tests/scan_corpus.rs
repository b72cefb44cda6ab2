//! The built-in rules keep recall and precision ≥ 0.97 on a small generated corpus (labelled
//! positives, tricky negatives, a bulk tree with planted secrets), on both the tuning split
//! and the held-out split.

use sandbox_core::scan::Scanner;
use scan_corpus::{self as corpus, score, Split};
use std::collections::HashSet;

#[test]
fn corpus_scores_stay_above_thresholds() {
    let mut files = corpus::generate(7, 10);
    files.extend(corpus::bulk(7, 4 << 20));
    let scanner = Scanner::builtin();
    let flagged: HashSet<String> = files.iter().filter(|f| !scanner.scan_bytes(&f.path, f.content.as_bytes()).is_empty()).map(|f| f.path.clone()).collect();
    let labels: Vec<_> = files.iter().map(|f| (f.path.clone(), f.label.clone())).collect();
    let s = score::score(&labels, &flagged);
    assert!(labels.iter().any(|(_, l)| l.split == Split::Holdout));
    let report = format!("{:?}\nmissed: {:?}\nfalse alarms: {:?}", s.all, s.missed, s.false_alarms);
    assert!(s.all.recall() >= 0.97, "recall {:.3}\n{report}", s.all.recall());
    assert!(s.all.precision() >= 0.97, "precision {:.3}\n{report}", s.all.precision());
    assert!(s.tune.recall() >= 0.97 && s.tune.precision() >= 0.97, "tune split\n{report}");
    assert!(s.holdout.recall() >= 0.95 && s.holdout.precision() >= 0.95, "holdout split\n{report}");
}
