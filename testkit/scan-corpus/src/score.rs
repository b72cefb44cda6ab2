//! File-level scoring of a scan against corpus labels.

use super::{Label, Split};
use std::collections::{BTreeMap, HashSet};

/// Confusion counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

impl Score {
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    fn add(&mut self, positive: bool, flagged: bool) {
        match (positive, flagged) {
            (true, true) => self.tp += 1,
            (true, false) => self.fn_ += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
        }
    }
}

/// Scores overall, per split and per kind, plus the misses and false alarms.
#[derive(Debug, Default)]
pub struct Scores {
    pub all: Score,
    pub tune: Score,
    pub holdout: Score,
    pub by_kind: BTreeMap<String, Score>,
    pub missed: Vec<String>,
    pub false_alarms: Vec<String>,
}

/// `flagged`: paths (as in the labels) with at least one finding.
pub fn score(labels: &[(String, Label)], flagged: &HashSet<String>) -> Scores {
    let mut s = Scores::default();
    for (path, label) in labels {
        let hit = flagged.contains(path);
        s.all.add(label.positive, hit);
        match label.split {
            Split::Tune => s.tune.add(label.positive, hit),
            Split::Holdout => s.holdout.add(label.positive, hit),
        }
        s.by_kind.entry(label.kind.clone()).or_default().add(label.positive, hit);
        if label.positive && !hit {
            s.missed.push(format!("{path} ({})", label.kind));
        }
        if !label.positive && hit {
            s.false_alarms.push(format!("{path} ({})", label.kind));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        let l = |p: bool| Label { positive: p, kind: "k".into(), split: Split::Tune };
        let labels = vec![("a".into(), l(true)), ("b".into(), l(true)), ("c".into(), l(false))];
        let flagged: HashSet<String> = ["a".to_string(), "c".to_string()].into_iter().collect();
        let s = score(&labels, &flagged);
        assert_eq!(s.all, Score { tp: 1, fp: 1, fn_: 1, tn: 0 });
        assert_eq!(s.all.recall(), 0.5);
        assert_eq!(s.all.precision(), 0.5);
        assert_eq!(s.missed, vec!["b (k)".to_string()]);
    }
}
