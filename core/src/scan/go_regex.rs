//! Go RE2 regexes (gitleaks configs) compiled with the `regex` crate. The syntaxes differ in a
//! few places, translated here: `\Q…\E` literals, and a `{` that opens no valid repetition
//! (`${`, `{}`, `x{a}`), which Go reads as a literal and the `regex` crate refuses. Go's
//! `\w`, `\d`, `\s`, `\b` are ASCII: patterns compile in ASCII mode unless they need Unicode.

use super::rule::Tail;
use regex::bytes::{Regex, RegexBuilder};

/// Translate Go RE2 syntax to the `regex` crate's where they differ.
pub fn translate(go: &str) -> String {
    let b = go.as_bytes();
    let mut out = String::with_capacity(go.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    // Start of the current run of plain text copied as is.
    let mut copied = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if i + 1 < b.len() => {
                if b[i + 1] == b'Q' {
                    out.push_str(&go[copied..i]);
                    let lit_start = i + 2;
                    let (lit, next) = match go[lit_start..].find("\\E") {
                        Some(j) => (&go[lit_start..lit_start + j], lit_start + j + 2),
                        None => (&go[lit_start..], go.len()),
                    };
                    out.push_str(&regex::escape(lit));
                    i = next;
                    copied = next;
                    continue;
                }
                // `\p{Greek}`, `\x{41}`: the braces belong to the escape.
                if matches!(b[i + 1], b'p' | b'P' | b'x') && b.get(i + 2) == Some(&b'{') {
                    i = go[i..].find('}').map_or(b.len(), |j| i + j + 1);
                    continue;
                }
                // Skip the escaped character (whole, if multi-byte).
                i += 1 + go[i + 1..].chars().next().map_or(1, char::len_utf8);
            }
            b'[' if !in_class => {
                in_class = true;
                i += 1;
                // `[]…]` and `[^]…]`: a leading `]` is literal.
                if b.get(i) == Some(&b'^') {
                    i += 1;
                }
                if b.get(i) == Some(&b']') {
                    i += 1;
                }
            }
            b'[' if in_class && b.get(i + 1) == Some(&b':') => {
                // `[:alpha:]` inside a class.
                match go[i + 2..].find(":]") {
                    Some(j) => i += 2 + j + 2,
                    None => i += 1,
                }
            }
            b']' if in_class => {
                in_class = false;
                i += 1;
            }
            b'{' if !in_class && !opens_repetition(&b[i..]) => {
                out.push_str(&go[copied..i]);
                out.push_str("\\{");
                i += 1;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&go[copied..]);
    out
}

/// Does the text at `{` form a repetition Go accepts: `{n}`, `{n,}`, `{n,m}`?
fn opens_repetition(s: &[u8]) -> bool {
    let mut i = 1;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    if s.get(i) == Some(&b',') {
        i += 1;
        digits(&mut i);
    }
    s.get(i) == Some(&b'}')
}

/// Lazy-DFA cache per regex (and thread); gitleaks' long counted repetitions (`{0,50}?`,
/// `{10,150}`) make large DFAs (64 MiB measured no faster than this).
const DFA_CACHE_BYTES: usize = 16 << 20;

/// Compile a gitleaks regex with Go's ASCII meaning of `\w`, `\d`, `\s`, `\b`; falls back to
/// Unicode mode for patterns that need it (`\p{…}`).
pub fn compile(go: &str) -> Result<Regex, regex::Error> {
    let translated = translate(go);
    let build = |p: &str| RegexBuilder::new(p).size_limit(64 << 20).dfa_size_limit(DFA_CACHE_BYTES).build();
    build(&format!("(?-u){translated}")).or_else(|_| build(&translated))
}

/// The window a gitleaks rule's regex needs around a keyword hit: the longest match it can
/// make, when that is bounded (at most `MAX_AROUND` bytes). `None`: the whole file. The
/// engine searches such windows with the file's context before them, and up to just past
/// their last line's newline, so `\A`/`^` keep their meaning and `\z`/`$` can only differ
/// right after a newline the match already consumed (gitleaks trims it from matches).
pub fn window_bytes(go: &str) -> Option<usize> {
    const MAX_AROUND: usize = 16 * 1024;
    parse(go)?.properties().maximum_len().filter(|&n| n <= MAX_AROUND)
}

/// For a regex with no length bound: how many newlines its matches can span, when that is
/// bounded (at most `MAX_LINES`); the rule then runs on that many lines either side of a hit.
pub fn window_lines(go: &str) -> Option<u16> {
    const MAX_LINES: usize = 64;
    max_newlines(&parse(go)?).filter(|&n| n <= MAX_LINES).map(|n| n as u16)
}

/// The [`Tail`] of a regex that starts with a bounded optional repetition (a head of at
/// most 256 bytes), when the rest compiles on its own.
pub fn tail(go: &str) -> Option<Tail> {
    use regex_syntax::hir::{Hir, HirKind};
    const MAX_HEAD: usize = 256;
    let hir = parse(go)?;
    let HirKind::Concat(parts) = hir.kind() else { return None };
    let (head, rest) = parts.split_first()?;
    let HirKind::Repetition(rep) = head.kind() else { return None };
    let head_max = head.properties().maximum_len()?;
    if rep.min != 0 || head_max > MAX_HEAD || rest.is_empty() {
        return None;
    }
    let tail = Hir::concat(rest.to_vec()).to_string();
    let regex = RegexBuilder::new(&tail).unicode(false).size_limit(64 << 20).dfa_size_limit(DFA_CACHE_BYTES).build().ok()?;
    Some(Tail { regex, head_max })
}

fn parse(go: &str) -> Option<regex_syntax::hir::Hir> {
    let translated = translate(go);
    let parse = |p: &str, unicode: bool| regex_syntax::ParserBuilder::new().unicode(unicode).utf8(false).build().parse(p).ok();
    parse(&translated, false).or_else(|| parse(&translated, true))
}

/// The most newlines a match of `hir` can contain (`None`: unbounded).
fn max_newlines(hir: &regex_syntax::hir::Hir) -> Option<usize> {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(0),
        HirKind::Literal(lit) => Some(lit.0.iter().filter(|&&b| b == b'\n').count()),
        HirKind::Class(Class::Bytes(c)) => Some(usize::from(c.ranges().iter().any(|r| r.start() <= b'\n' && b'\n' <= r.end()))),
        HirKind::Class(Class::Unicode(c)) => Some(usize::from(c.ranges().iter().any(|r| r.start() <= '\n' && '\n' <= r.end()))),
        HirKind::Repetition(rep) => match max_newlines(&rep.sub)? {
            0 => Some(0),
            n => rep.max.map(|m| n * m as usize),
        },
        HirKind::Capture(cap) => max_newlines(&cap.sub),
        HirKind::Concat(subs) => subs.iter().map(max_newlines).sum(),
        HirKind::Alternation(subs) => subs.iter().map(max_newlines).try_fold(0, |acc, n| Some(acc.max(n?))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_meta_is_translated() {
        assert_eq!(translate(r"a\Q.*+\Eb"), r"a\.\*\+b");
        assert_eq!(translate(r"\\Q"), r"\\Q");
        assert_eq!(translate(r"x\Q(unterminated"), r"x\(unterminated");
        assert!(compile(r"\bfoo\w+\z").is_ok());
        assert!(compile(r"\p{Greek}+").is_ok());
        assert!(compile(r"(?=look)").is_err());
    }

    #[test]
    fn a_brace_opening_no_repetition_is_literal() {
        assert_eq!(translate(r"a{2}b{1,}c{1,3}"), r"a{2}b{1,}c{1,3}");
        assert_eq!(translate(r"\${x}"), r"\$\{x}");
        assert_eq!(translate(r"[\w${}@.-]+{"), r"[\w${}@.-]+\{");
        assert_eq!(translate(r"x{a}y{,3}\{"), r"x\{a}y\{,3}\{");
        let re = compile(r"\$\{\{[a-z]+}}|{x}").unwrap();
        assert!(re.is_match(b"${{abc}}"));
        assert!(re.is_match(b"{x}"));
        assert!(compile(r"[^]{]+").is_ok());
        assert_eq!(translate(r"\p{L}{2}\x{41}"), r"\p{L}{2}\x{41}");
    }

    #[test]
    fn windows_only_for_bounded_unanchored_regexes() {
        assert_eq!(window_bytes(r"ghp_[0-9a-zA-Z]{36}"), Some(40));
        assert_eq!(window_bytes(r"(?i)key.{0,20}=\s{0,3}([a-z]{8})"), Some(3 + 20 + 1 + 3 + 8));
        assert_eq!(window_bytes(r"key=\s*\w{8}"), None, "unbounded");
        assert_eq!(window_bytes(r"key.*"), None, "unbounded");
        assert_eq!(window_bytes(r"key=\S{8}(?:\s|\z)"), Some(13));
        assert_eq!(window_bytes(r"(?m)^key=\S{8}$"), Some(12));
        assert_eq!(window_lines(r"key[\s'\x22]{0,3}=[a-z0-9]{11,}(?:\s|$)"), Some(4));
        assert_eq!(window_lines(r"key=[^;]+"), None, "a class with a newline, unbounded");
        assert_eq!(window_lines(r"key=[a-z]+\n"), Some(1));
    }

    #[test]
    fn a_bounded_head_is_split_off() {
        let t = tail(r"(?i)[\w.-]{0,50}?(?:acme)(?:[ \t\w.-]{0,20})=([a-z0-9]{32})").unwrap();
        assert_eq!(t.head_max, 50);
        assert!(t.regex.is_match(b"ACME_key=0123456789abcdef0123456789abcdef"));
        assert!(!t.regex.is_match(b"my_"));
        assert!(tail(r"ghp_[0-9a-zA-Z]{36}").is_none(), "no optional head");
        assert!(tail(r"[a-z]{1,5}x").is_none(), "a head that must match");
    }

    #[test]
    fn go_classes_are_ascii() {
        let re = compile(r"^\w+$").unwrap();
        assert!(re.is_match(b"abc_1"));
        assert!(!re.is_match("é".as_bytes()));
    }
}
