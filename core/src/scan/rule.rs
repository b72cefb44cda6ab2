//! One detection rule: a regex gated by keywords, with an optional entropy floor, path filter,
//! allowlists and (for built-in rules) a validator that rejects placeholders.

use super::allowlist::Allowlist;
use regex::bytes::Regex;

/// Extra check a built-in rule runs on each candidate; `false` drops it.
pub type Validator = fn(&Candidate) -> bool;

pub use super::allowlist::Candidate;

/// Which bytes around a keyword hit the rule's regex runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The hit's line plus `before` lines above and `after` lines below.
    Lines { before: u16, after: u16 },
    /// From the start of the hit's line up to `bytes` further on (multi-line secrets).
    Forward { bytes: usize },
    /// The whole lines within `bytes` of the hit, either side: for rules whose matches are
    /// at most `bytes` long and contain a keyword, the same matches as the whole file.
    Around { bytes: usize },
    /// The `lines` lines either side of the hit's line, searched like `Around`: for rules whose
    /// matches span at most that many newlines (but have no length bound) and contain a keyword.
    AroundLines { lines: u16 },
    /// The whole file (gitleaks' semantics: a keyword anywhere enables the rule everywhere).
    WholeFile,
}

impl Window {
    pub const LINE: Window = Window::Lines { before: 0, after: 0 };
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
    /// `None` for path-only rules (a finding whenever `path` matches).
    pub regex: Option<Regex>,
    /// Capture group holding the secret; 0 = the first group that took part, else the match.
    pub secret_group: usize,
    /// The secret's Shannon entropy must be strictly above this.
    pub entropy: Option<f32>,
    /// Lower-cased. Empty = the rule runs on every file.
    pub keywords: Vec<String>,
    /// Only files whose path matches.
    pub path: Option<Regex>,
    pub allowlists: Vec<Allowlist>,
    pub window: Window,
    pub validator: Option<Validator>,
    /// A catch-all rule: yields to specific rules on the same bytes and skips lockfiles,
    /// minified files and overly long lines.
    pub generic: bool,
    pub tags: Vec<String>,
    /// A cheaper regex to find where `regex`'s matches can be (see [`Tail`]).
    pub tail: Option<Tail>,
}

/// For a regex `head tail` whose head is at most `head_max` bytes (`[\w.-]{0,50}?` in most
/// gitleaks rules): `regex` is the tail alone. Every match of the whole contains a match of
/// the tail starting at most `head_max` bytes after its own start, so the whole regex only
/// needs to run from just before each tail match; the tail's smaller automaton finds those
/// much faster. Same matches, found sooner.
#[derive(Debug, Clone)]
pub struct Tail {
    pub regex: Regex,
    pub head_max: usize,
}

impl Rule {
    /// A rule with defaults (line window, no entropy floor, no validator).
    pub fn new(id: &str, description: &str, regex: Regex, keywords: &[&str]) -> Rule {
        Rule {
            id: id.to_string(),
            description: description.to_string(),
            regex: Some(regex),
            secret_group: 0,
            entropy: None,
            keywords: keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
            path: None,
            allowlists: Vec::new(),
            window: Window::LINE,
            validator: None,
            generic: false,
            tags: Vec::new(),
            tail: None,
        }
    }
}
