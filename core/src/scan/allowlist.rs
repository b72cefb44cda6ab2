//! Allowlists: reasons to drop a candidate finding (global or per rule), with gitleaks'
//! semantics: regexes (against the secret, the whole match or the whole line), paths,
//! stopwords (substrings of the secret), commits, combined with OR (any check) or AND (every
//! defined check).

use regex::bytes::Regex;

/// What an allowlist's `regexes` are matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegexTarget {
    #[default]
    Secret,
    Match,
    Line,
}

/// How the checks of one allowlist combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Condition {
    #[default]
    Or,
    And,
}

/// One allowlist.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    pub description: String,
    pub condition: Condition,
    pub regex_target: RegexTarget,
    pub regexes: Vec<Regex>,
    pub paths: Vec<Regex>,
    /// Lower-cased; a secret containing one (case-insensitively) is allowed.
    pub stopwords: Vec<String>,
    /// Commit ids. A directory scan has no commits, so this check never matches there; with
    /// condition AND it is left out of the evaluation rather than making the list inert.
    pub commits: Vec<String>,
    /// For global allowlists: only these rule ids (empty = every rule).
    pub target_rules: Vec<String>,
    /// Built from `stopwords` on first use (gitleaks' lists run to 1,400 words).
    pub stopword_index: StopwordIndex,
}

/// One automaton for all of an allowlist's stopwords, built once on first use: set the
/// stopwords before the first check.
#[derive(Debug, Clone, Default)]
pub struct StopwordIndex(std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>);

/// The parts of a candidate an allowlist looks at.
pub struct Candidate<'a> {
    pub path: &'a str,
    pub secret: &'a [u8],
    pub matched: &'a [u8],
    /// Where `secret` starts inside `matched`.
    pub secret_in_match: usize,
    pub line: &'a [u8],
    /// The whole file, and where `matched` starts in it (for checks that need the
    /// surrounding document, e.g. a YAML manifest's `kind`).
    pub file: &'a [u8],
    pub match_start: usize,
}

impl Allowlist {
    /// Does this allowlist apply to `rule_id` at all (global lists may target some rules)?
    pub fn applies_to(&self, rule_id: &str) -> bool {
        self.target_rules.is_empty() || self.target_rules.iter().any(|r| r == rule_id)
    }

    fn path_allowed(&self, path: &str) -> bool {
        self.paths.iter().any(|re| re.is_match(path.as_bytes()))
    }

    fn regex_allowed(&self, c: &Candidate) -> bool {
        let target = match self.regex_target {
            RegexTarget::Secret => c.secret,
            RegexTarget::Match => c.matched,
            RegexTarget::Line => c.line,
        };
        self.regexes.iter().any(|re| re.is_match(target))
    }

    fn stopword_allowed(&self, secret: &[u8]) -> bool {
        if self.stopwords.is_empty() {
            return false;
        }
        let index = self.stopword_index.0.get_or_init(|| aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(&self.stopwords).ok());
        match index {
            Some(ac) => ac.is_match(secret),
            None => {
                let lower = secret.to_ascii_lowercase();
                self.stopwords.iter().any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
            }
        }
    }

    /// True when the whole file is allowed by paths alone (lets the engine skip it). Only
    /// sound for OR lists, or AND lists whose only check is paths.
    pub fn allows_whole_path(&self, path: &str) -> bool {
        if self.paths.is_empty() || !self.path_allowed(path) {
            return false;
        }
        match self.condition {
            Condition::Or => true,
            Condition::And => self.regexes.is_empty() && self.stopwords.is_empty(),
        }
    }

    /// Is this candidate allowed?
    pub fn allows(&self, c: &Candidate) -> bool {
        let mut checks: Vec<bool> = Vec::with_capacity(3);
        if !self.paths.is_empty() {
            checks.push(self.path_allowed(c.path));
        }
        if !self.regexes.is_empty() {
            checks.push(self.regex_allowed(c));
        }
        if !self.stopwords.is_empty() {
            checks.push(self.stopword_allowed(c.secret));
        }
        if checks.is_empty() {
            return false;
        }
        match self.condition {
            Condition::Or => checks.iter().any(|&b| b),
            Condition::And => checks.iter().all(|&b| b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand<'a>(path: &'a str, secret: &'a [u8], line: &'a [u8]) -> Candidate<'a> {
        Candidate { path, secret, matched: secret, secret_in_match: 0, line, file: line, match_start: 0 }
    }

    #[test]
    fn or_condition_any_check_allows() {
        let al = Allowlist { paths: vec![Regex::new(r"^tests/").unwrap()], stopwords: vec!["example".into()], ..Default::default() };
        assert!(al.allows(&cand("tests/a.rs", b"zzz", b"")));
        assert!(al.allows(&cand("src/a.rs", b"MyEXAMPLEkey", b"")));
        assert!(!al.allows(&cand("src/a.rs", b"realsecret", b"")));
    }

    #[test]
    fn and_condition_needs_every_defined_check() {
        let al = Allowlist {
            condition: Condition::And,
            paths: vec![Regex::new(r"^tests/").unwrap()],
            regexes: vec![Regex::new(r"^fake").unwrap()],
            ..Default::default()
        };
        assert!(al.allows(&cand("tests/a.rs", b"fake123", b"")));
        assert!(!al.allows(&cand("src/a.rs", b"fake123", b"")));
        assert!(!al.allows(&cand("tests/a.rs", b"real123", b"")));
        assert!(!al.allows_whole_path("tests/a.rs"));
    }

    #[test]
    fn regex_target_line_looks_at_the_line() {
        let al = Allowlist { regex_target: RegexTarget::Line, regexes: vec![Regex::new(r"# noqa-secret").unwrap()], ..Default::default() };
        assert!(al.allows(&cand("a", b"s3cr3t", b"x = 's3cr3t' # noqa-secret")));
        assert!(!al.allows(&cand("a", b"s3cr3t", b"x = 's3cr3t'")));
    }

    #[test]
    fn empty_list_allows_nothing_and_target_rules_filter() {
        let al = Allowlist { target_rules: vec!["a".into()], ..Default::default() };
        assert!(!al.allows(&cand("a", b"x", b"x")));
        assert!(al.applies_to("a"));
        assert!(!al.applies_to("b"));
    }
}
