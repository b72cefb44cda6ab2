//! Decoding of encoded segments, as gitleaks (8.x) does before matching: runs of
//! percent-encoding, `U+XXXX`/`\uXXXX` escapes, hex and base64 are decoded in place, and the
//! rules run again on the result, up to a depth (gitleaks' `--max-decode-depth`, 5).
//!
//! What counts, following gitleaks' observable behaviour:
//! - candidates are found by one leftmost-first search over four alternatives, in this order of
//!   precedence: percent (`%XX` … `%XX` on one line), unicode escapes, hex (32+ hex digits),
//!   base64 (16+ of `[A-Za-z0-9_/+-]`, then up to two `=`); a candidate touching a
//!   higher-precedence neighbour is dropped;
//! - hex and base64 need at least one digit (base64: or one of `+/-_`); base64 is tried as
//!   padded standard, then unpadded URL-safe;
//! - percent, hex and base64 output counts only when every byte is printable ASCII (tab to `~`);
//! - a candidate that decodes to nothing is left as it is;
//! - each pass decodes the previous pass's text; a finding counts in a pass only if its match
//!   overlaps a segment that pass decoded, and it is reported at the original bytes that
//!   segment came from (the whole encoded run when the match lies inside one segment).
//!
//! Passes after the first only search the lines the previous pass changed: elsewhere the text
//! is as before, and its candidates already failed to decode.

#[cfg(test)]
use regex::bytes::Regex;
#[cfg(test)]
use std::sync::OnceLock;

/// gitleaks' default `--max-decode-depth`.
pub const DEFAULT_MAX_DECODE_DEPTH: usize = 5;

/// A byte range, end exclusive. `overlaps` counts touching ranges (as gitleaks does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub(crate) fn overlaps(self, o: Span) -> bool {
        o.start <= self.end && o.end >= self.start
    }

    fn contains(self, o: Span) -> bool {
        self.start <= o.start && o.end <= self.end
    }

    fn merge(self, o: Span) -> Span {
        Span::new(self.start.min(o.start), self.end.max(o.end))
    }

    /// `self` widened by as much as `o` sticks out of `inner` on each side.
    fn widened_by(self, inner: Span, o: Span) -> Span {
        Span::new(self.start.saturating_sub(inner.start.saturating_sub(o.start)), self.end + o.end.saturating_sub(inner.end))
    }
}

/// Encoding kinds, as bits.
pub(crate) const PERCENT: u8 = 1;
pub(crate) const UNICODE: u8 = 2;
pub(crate) const HEX: u8 = 4;
pub(crate) const BASE64: u8 = 8;
const KINDS: [(u8, &str); 4] = [(PERCENT, "percent"), (UNICODE, "unicode"), (HEX, "hex"), (BASE64, "base64")];

/// One decoded run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Where it came from in the original text.
    pub(crate) original: Span,
    /// Where it was in the text this pass decoded.
    pub(crate) encoded: Span,
    /// Where its decoded bytes are in the text this pass produced.
    pub(crate) decoded: Span,
    /// Encodings it went through (this one and those of the segments it lies in).
    pub(crate) kinds: u8,
    /// The pass that decoded it (1 = the original text's own segments).
    pub(crate) depth: usize,
}

/// What the passes so far produced: `passes[i]` holds the segments of pass `i + 1`.
#[derive(Debug, Default)]
pub(crate) struct Decoding {
    pub(crate) passes: Vec<Vec<Segment>>,
}

impl Decoding {
    /// Decodes `text` (the latest pass's output, or the original): the next pass's text and
    /// the lines it changed, or `None` when nothing decoded. `areas` are the byte ranges to
    /// search for candidates (whole lines).
    pub(crate) fn next_pass(&mut self, text: &[u8], areas: &[Span]) -> Option<Vec<u8>> {
        let pass = self.passes.len() + 1;
        let found = find_candidates(text, areas);
        let mut out: Vec<u8> = Vec::new();
        let mut copied = 0;
        let mut segments = Vec::new();
        for (kind, span) in found {
            let Some(value) = decode(kind, &text[span.start..span.end]) else { continue };
            if value.is_empty() {
                continue;
            }
            if out.is_empty() {
                out.reserve(text.len());
            }
            out.extend_from_slice(&text[copied..span.start]);
            let start = out.len();
            out.extend_from_slice(&value);
            copied = span.end;
            let decoded = Span::new(start, out.len());
            let kinds = overlapping(self.last(), span).iter().fold(kind, |k, p| k | p.kinds);
            let original = self.to_original(pass - 1, None, span);
            segments.push(Segment { original, encoded: span, decoded, kinds, depth: pass });
        }
        if segments.is_empty() {
            return None;
        }
        out.extend_from_slice(&text[copied..]);
        self.passes.push(segments);
        Some(out)
    }

    /// The latest pass's segments.
    pub(crate) fn last(&self) -> &[Segment] {
        self.passes.last().map_or(&[], |v| v.as_slice())
    }

    /// Whole lines of the latest pass's text holding its decoded bytes, merged.
    pub(crate) fn changed_lines(&self, text: &[u8]) -> Vec<Span> {
        let mut out: Vec<Span> = Vec::new();
        for s in self.last() {
            let start = memchr::memrchr(b'\n', &text[..s.decoded.start]).map_or(0, |p| p + 1);
            let end = memchr::memchr(b'\n', &text[s.decoded.end..]).map_or(text.len(), |p| s.decoded.end + p);
            match out.last_mut() {
                Some(last) if start <= last.end => last.end = last.end.max(end),
                _ => out.push(Span::new(start, end)),
            }
        }
        out
    }

    /// Maps a range of pass `pass`'s text back to the original text, through the segments of
    /// that pass (`only`: just these ones, else all of them).
    pub(crate) fn to_original(&self, pass: usize, only: Option<&[Segment]>, span: Span) -> Span {
        if pass == 0 {
            return span;
        }
        let segs = overlapping(only.unwrap_or(&self.passes[pass - 1]), span);
        let mut encoded: Option<Span> = None;
        for p in segs {
            if p.decoded.contains(span) {
                return p.original;
            }
            let e = p.encoded.widened_by(p.decoded, span);
            encoded = Some(encoded.map_or(e, |x| x.merge(e)));
        }
        match encoded {
            Some(e) => self.to_original(pass - 1, None, e),
            None => span,
        }
    }

    /// The latest pass's segments a range of its text overlaps.
    pub(crate) fn overlapping(&self, span: Span) -> &[Segment] {
        overlapping(self.last(), span)
    }
}

/// The segments (of one pass, in order) whose decoded bytes overlap or touch `span`.
fn overlapping(segs: &[Segment], span: Span) -> &[Segment] {
    let from = segs.partition_point(|s| s.decoded.end < span.start);
    let len = segs[from..].partition_point(|s| s.decoded.start <= span.end);
    &segs[from..from + len]
}

/// gitleaks-style tags for a finding in decoded text: `decoded:<kind>`… then `decode-depth:N`.
pub(crate) fn tags(segments: &[Segment]) -> Vec<String> {
    let kinds = segments.iter().fold(0, |k, s| k | s.kinds);
    let mut tags: Vec<String> = KINDS.iter().filter(|(bit, _)| kinds & bit != 0).map(|(_, name)| format!("decoded:{name}")).collect();
    if let Some(s) = segments.first() {
        tags.push(format!("decode-depth:{}", s.depth));
    }
    tags
}

/// gitleaks' candidate pattern: the four alternatives in order of precedence, searched
/// leftmost-first. [`find_candidates`] finds the same matches by hand (much faster); this
/// regex is the reference the tests hold it to.
#[cfg(test)]
fn candidates_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(concat!(
            r"(?-u)",
            r"(%[0-9A-Fa-f]{2}(?:.*%[0-9A-Fa-f]{2})?)",
            r"|((?:U\+[a-fA-F0-9]{4}(?:[\t\n\x0C\r ]|$))+|(?i:(?:\\{1,2}u[a-fA-F0-9]{4})+))",
            r"|([0-9A-Fa-f]{32,})",
            r"|([0-9A-Za-z_/+-]{16,}={0,2})",
        ))
        .expect("candidate regex compiles")
    })
}

/// Bytes of base64 candidates: `[0-9A-Za-z_/+-]`.
static BASE64_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'/' || c == b'+' || c == b'-';
        b += 1;
    }
    t
};

#[inline]
fn is_b64(b: u8) -> bool {
    BASE64_BYTE[b as usize]
}

/// Go's `\s`.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0C')
}

fn hex_at(text: &[u8], i: usize, n: usize) -> bool {
    text.get(i..i + n).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
}

/// The candidate match starting at `i`, if any alternative matches there (leftmost-first:
/// percent, unicode, hex, base64).
fn match_at(text: &[u8], i: usize) -> Option<(u8, usize)> {
    match text[i] {
        b'%' => {
            if !hex_at(text, i + 1, 2) {
                return None;
            }
            // `.*` runs to the line's end, then backs off to the last `%XX`.
            let line_end = memchr::memchr(b'\n', &text[i + 3..]).map_or(text.len(), |p| i + 3 + p);
            let last = (i + 3..line_end.saturating_sub(2)).rev().find(|&j| text[j] == b'%' && hex_at(text, j + 1, 2));
            Some((PERCENT, last.map_or(i + 3, |j| j + 3)))
        }
        b'\\' => {
            let mut end = i;
            loop {
                let slashes = if text.get(end + 1) == Some(&b'\\') { 2 } else { 1 };
                let u = end + slashes;
                if text.get(end) == Some(&b'\\') && matches!(text.get(u), Some(b'u' | b'U')) && hex_at(text, u + 1, 4) {
                    end = u + 5;
                } else {
                    break;
                }
            }
            (end > i).then_some((UNICODE, end))
        }
        b'U' if text.get(i + 1) == Some(&b'+') => {
            let mut end = i;
            while text.get(end) == Some(&b'U') && text.get(end + 1) == Some(&b'+') && hex_at(text, end + 2, 4) {
                match text.get(end + 6) {
                    None => end += 6,
                    Some(&b) if is_space(b) => end += 7,
                    Some(_) => break,
                }
            }
            if end > i {
                return Some((UNICODE, end));
            }
            run_at(text, i)
        }
        _ => run_at(text, i),
    }
}

/// Hex or base64 at `i`.
fn run_at(text: &[u8], i: usize) -> Option<(u8, usize)> {
    let hex = text[i..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if hex >= 32 {
        return Some((HEX, i + hex));
    }
    let run = hex + text[i + hex..].iter().take_while(|&&b| is_b64(b)).count();
    if run < 16 {
        return None;
    }
    let pad = text[i + run..].iter().take(2).take_while(|&&b| b == b'=').count();
    Some((BASE64, i + run + pad))
}

/// Where the next `%`, `\\` or `U+` at or after `from` is: the only places percent and
/// unicode candidates start.
fn next_special(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(p) = memchr::memchr3(b'%', b'\\', b'+', &text[at..]) {
        let p = at + p;
        if text[p] != b'+' {
            return Some(p);
        }
        if p > from && text[p - 1] == b'U' {
            return Some(p - 1);
        }
        at = p + 1;
    }
    None
}

/// Whether all 8 bytes of `w` are base64 bytes, a word at a time: each byte's high bit ends
/// up set when it is a digit, a letter, `_`, `/`, `+` or `-`.
fn all_base64(w: u64) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    if w & HIGH != 0 {
        return false;
    }
    // Byte >= c (bytes and c below 0x80: no borrow crosses bytes).
    let ge = |x: u64, c: u8| ((x | HIGH) - ONES * u64::from(c)) & HIGH;
    let eq = |c: u8| {
        let t = w ^ (ONES * u64::from(c));
        !(((t & LOW7) + LOW7) | t) & HIGH
    };
    let digit = ge(w, b'0') & !ge(w, b'9' + 1);
    let folded = w | (ONES * 0x20);
    let letter = ge(folded, b'a') & !ge(folded, b'z' + 1);
    digit | letter | eq(b'_') | eq(b'/') | eq(b'+') | eq(b'-') == HIGH
}

/// The next run of 16+ base64 bytes at or after `from` (cut at `from`). Such a run holds a
/// whole 8-byte block of any grid, so only blocks of base64 bytes need a closer look.
fn next_long_run(text: &[u8], from: usize) -> Option<(usize, usize)> {
    let n = text.len();
    let mut p = from;
    while p + 8 <= n {
        let block: [u8; 8] = text[p..p + 8].try_into().unwrap_or_default();
        if !all_base64(u64::from_le_bytes(block)) {
            p += 8;
            continue;
        }
        let mut a = p;
        while a > from && is_b64(text[a - 1]) {
            a -= 1;
        }
        let mut b = p + 8;
        while b < n && is_b64(text[b]) {
            b += 1;
        }
        if b - a >= 16 {
            return Some((a, b));
        }
        // Shorter: no long run starts before `b` (it would hold this block).
        p = b + 1;
    }
    None
}

/// Candidate runs starting in `areas`, with their kind, dropping any that touches a
/// neighbour of higher precedence. The same matches as a leftmost-first search with
/// gitleaks' pattern: percent and unicode runs start only at `%`, `\\` and `U+`, hex and
/// base64 runs only at the start of 16+ base64 bytes (or where an earlier match ended).
fn find_candidates(text: &[u8], areas: &[Span]) -> Vec<(u8, Span)> {
    let mut all: Vec<(u8, Span)> = Vec::new();
    for area in areas {
        let mut i = area.start;
        let mut special = next_special(text, i);
        let mut run = next_long_run(text, i);
        while i < area.end {
            if special.is_some_and(|s| s < i) {
                special = next_special(text, i);
            }
            if run.is_some_and(|(a, _)| a < i) {
                run = next_long_run(text, i);
            }
            let s = special.unwrap_or(usize::MAX);
            let (a, b) = run.unwrap_or((usize::MAX, usize::MAX));
            if s.min(a) >= area.end {
                break;
            }
            if s <= a {
                match match_at(text, s) {
                    Some((kind, end)) => {
                        all.push((kind, Span::new(s, end)));
                        i = end;
                    }
                    None => i = s + 1,
                }
                continue;
            }
            let hex = text[a..b].iter().take_while(|c| c.is_ascii_hexdigit()).count();
            if hex >= 32 {
                all.push((HEX, Span::new(a, a + hex)));
                i = a + hex;
            } else {
                let pad = text[b..].iter().take(2).take_while(|&&c| c == b'=').count();
                all.push((BASE64, Span::new(a, b + pad)));
                i = b + pad;
            }
        }
    }
    if all.len() < 2 {
        return all;
    }
    // Lower bit = higher precedence.
    let beaten = |m: &(u8, Span), o: &(u8, Span)| m.1.overlaps(o.1) && o.0 < m.0;
    (0..all.len())
        .filter(|&i| {
            let by_prev = i > 0 && beaten(&all[i], &all[i - 1]);
            let by_next = i + 1 < all.len() && beaten(&all[i], &all[i + 1]);
            !by_prev && !by_next
        })
        .map(|i| all[i])
        .collect()
}

fn printable(b: u8) -> bool {
    (0x09..0x7f).contains(&b)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one candidate; `None` (or empty) when it does not count.
pub(crate) fn decode(kind: u8, s: &[u8]) -> Option<Vec<u8>> {
    match kind {
        PERCENT => decode_percent(s),
        UNICODE => decode_unicode(s),
        HEX => decode_hex(s),
        _ => decode_base64(s),
    }
}

fn decode_percent(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex_val(s[i + 1]), hex_val(s[i + 2])) {
                let b = h << 4 | l;
                if !printable(b) {
                    return None;
                }
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    Some(out)
}

fn decode_hex(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.iter().any(u8::is_ascii_digit) {
        return None;
    }
    s.chunks_exact(2)
        .map(|p| {
            let b = hex_val(p[0])? << 4 | hex_val(p[1])?;
            printable(b).then_some(b)
        })
        .collect()
}

/// Base64 with the standard alphabet and `=` padding (`url`: the URL-safe alphabet, no
/// padding). Leftover bits in the last character are ignored. `None` as soon as a byte is
/// not printable.
fn base64_decode(s: &[u8], url: bool) -> Option<Vec<u8>> {
    let body = if url {
        if s.len() % 4 == 1 {
            return None;
        }
        s
    } else {
        if !s.len().is_multiple_of(4) {
            return None;
        }
        let pad = s.iter().rev().take(2).take_while(|&&b| b == b'=').count();
        &s[..s.len() - pad]
    };
    let val = |b: u8| -> Option<u32> {
        Some(u32::from(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' if !url => 62,
            b'/' if !url => 63,
            b'-' if url => 62,
            b'_' if url => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in body {
        acc = acc << 6 | val(b)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let byte = (acc >> bits) as u8;
            if !printable(byte) {
                return None;
            }
            out.push(byte);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn decode_base64(s: &[u8]) -> Option<Vec<u8>> {
    if !s.iter().any(|&b| b.is_ascii_digit() || matches!(b, b'+' | b'/' | b'-' | b'_')) {
        return None;
    }
    base64_decode(s, false).or_else(|| base64_decode(s, true))
}

/// `U+XXXX` runs (whitespace-separated) or `\uXXXX` / `\\uXXXX` runs, as UTF-8. Code points
/// that are not characters become U+FFFD. No printable check (as gitleaks).
fn decode_unicode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = String::new();
    let mut push = |hex: &[u8]| {
        let v = hex.iter().try_fold(0u32, |acc, &b| Some(acc << 4 | u32::from(hex_val(b)?)));
        if let Some(v) = v {
            out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
        }
    };
    if s.starts_with(b"U+") {
        for word in s.split(|b| b" \t\n\r\x0B\x0C".contains(b)).filter(|w| !w.is_empty()) {
            if word.len() >= 6 && word.starts_with(b"U+") {
                push(&word[2..]);
            }
        }
    } else {
        let mut i = 0;
        while i < s.len() {
            let j = i + s[i..].iter().take_while(|&&b| b == b'\\').count();
            if j + 5 <= s.len() && (s[j] == b'u' || s[j] == b'U') {
                push(&s[j + 1..j + 5]);
                i = j + 5;
            } else {
                i = j.max(i + 1);
            }
        }
    }
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn hex(s: &str) -> String {
        s.bytes().map(|b| format!("{b:02x}")).collect()
    }

    fn pct(s: &str) -> String {
        s.bytes().map(|b| format!("%{b:02X}")).collect()
    }

    /// Runs passes until nothing decodes; returns each pass's text.
    fn passes(text: &str, max: usize) -> (Decoding, Vec<String>) {
        let mut d = Decoding::default();
        let mut cur = text.as_bytes().to_vec();
        let mut areas = vec![Span::new(0, cur.len())];
        let mut out = Vec::new();
        for _ in 0..max {
            let Some(next) = d.next_pass(&cur, &areas) else { break };
            areas = d.changed_lines(&next);
            cur = next;
            out.push(String::from_utf8(cur.clone()).unwrap());
        }
        (d, out)
    }

    #[test]
    fn decodes_each_kind() {
        assert_eq!(decode(PERCENT, b"%41b%20c%2F").unwrap(), b"Ab c/");
        assert_eq!(decode(HEX, hex("tok=9z").as_bytes()).unwrap(), b"tok=9z");
        assert_eq!(decode(BASE64, b64("pw:Secret_99").as_bytes()).unwrap(), b"pw:Secret_99");
        // All letters: not taken for base64 (it needs a digit or one of +/-_).
        assert_eq!(decode(BASE64, b64("user:Secret_99!").as_bytes()), None);
        // Unpadded URL-safe.
        assert_eq!(decode(BASE64, b"c2VjcmV0P3g-eX4").unwrap(), b"secret?x>y~");
        assert_eq!(decode(UNICODE, b"\\u0041\\u0062").unwrap(), b"Ab");
        assert_eq!(decode(UNICODE, b"U+0041 U+0062").unwrap(), b"Ab");
    }

    #[test]
    fn base64_forms() {
        assert_eq!(base64_decode(b"YWJjZA==", false).unwrap(), b"abcd");
        assert_eq!(base64_decode(b"AAAA", false), None);
        assert_eq!(base64_decode(b"YWJjZGU=", false).unwrap(), b"abcde");
        assert_eq!(base64_decode(b"YWJjZA", false), None);
        assert_eq!(base64_decode(b"YWJjZA", true).unwrap(), b"abcd");
        assert_eq!(base64_decode(b"YWJjZ", true), None);
        assert_eq!(base64_decode(b"YWJjZA==", true), None);
        assert_eq!(base64_decode(b"a+b/", true), None);
    }

    #[test]
    fn non_printable_output_does_not_count() {
        assert_eq!(decode(PERCENT, b"%41%00"), None);
        assert_eq!(decode(HEX, b"00112233445566778899aabbccddeeff"), None);
        assert_eq!(decode(BASE64, b64("bin\u{1}ary-data-here").as_bytes()), None);
        // No digit and none of +/-_: not taken for base64 at all.
        assert_eq!(decode(BASE64, b"abcdefghijklmnopqrst"), None);
        // Odd-length hex.
        assert_eq!(decode(HEX, b"414243444546474849505152535455565"), None);
    }

    #[test]
    fn percent_base64_and_hex_in_text() {
        let text = format!("a = {}\nb = \"{}\"\nc: {}\n", pct("pass=hunter22"), b64("api_key=Abc123xyz"), hex("token:0123abcdef"));
        let (d, texts) = passes(&text, 5);
        assert_eq!(texts.len(), 1);
        assert_eq!(texts[0], "a = pass=hunter22\nb = \"api_key=Abc123xyz\"\nc: token:0123abcdef\n");
        let kinds: Vec<u8> = d.passes[0].iter().map(|s| s.kinds).collect();
        assert_eq!(kinds, vec![PERCENT, BASE64, HEX]);
    }

    #[test]
    fn nested_base64_of_percent() {
        let inner = pct("key=Zz9!");
        let text = format!("x\nval: {}\n", b64(&inner));
        let (d, texts) = passes(&text, 5);
        assert_eq!(texts, vec![format!("x\nval: {inner}\n"), "x\nval: key=Zz9!\n".to_string()]);
        let seg = d.last()[0];
        assert_eq!(seg.depth, 2);
        assert_eq!(seg.kinds, PERCENT | BASE64);
        assert_eq!(tags(d.last()), vec!["decoded:percent", "decoded:base64", "decode-depth:2"]);
        // The decoded secret maps back to the whole original base64 run.
        let start = text.find("val: ").unwrap() + 5;
        let end = text.len() - 1;
        let m = texts[1].find("key=").unwrap();
        assert_eq!(d.to_original(2, Some(d.last()), Span::new(m, m + 8)), Span::new(start, end));
    }

    #[test]
    fn depth_limit_stops_passes() {
        let mut s = "secret=Abc123".to_string();
        for _ in 0..4 {
            s = b64(&s);
        }
        let (_, texts) = passes(&s, 5);
        assert_eq!(texts.len(), 4);
        assert_eq!(texts[3], "secret=Abc123");
        let (_, texts) = passes(&s, 2);
        assert_eq!(texts.len(), 2);
        assert_ne!(texts[1], "secret=Abc123");
    }

    #[test]
    fn partly_decoded_match_maps_to_wider_original() {
        // A match starting before the decoded bytes maps to the original from its own start.
        let text = format!("k={}", b64("abcdef1234567890"));
        let (d, texts) = passes(&text, 1);
        assert_eq!(texts[0], "k=abcdef1234567890");
        let got = d.to_original(1, Some(d.last()), Span::new(0, 5));
        assert_eq!(got, Span::new(0, text.len()));
    }

    #[test]
    fn higher_precedence_neighbour_wins() {
        // Hex (32+) is tried before base64 at the same start; the base64 run right after it
        // touches it and is dropped.
        let text = format!("{}ZZZZZZZZZZZZZZZZZZ9", hex("0123456789abcdef"));
        let found = find_candidates(text.as_bytes(), &[Span::new(0, text.len())]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, HEX);
    }

    /// The reference regex's matches, kinds from the capture group that took part.
    fn by_regex(text: &[u8]) -> Vec<(u8, Span)> {
        candidates_regex()
            .captures_iter(text)
            .map(|c| {
                let m = c.get(0).unwrap();
                let g = (1..=4).find(|&g| c.get(g).is_some()).unwrap();
                (1u8 << (g - 1), Span::new(m.start(), m.end()))
            })
            .collect()
    }

    fn drop_beaten(v: Vec<(u8, Span)>) -> Vec<(u8, Span)> {
        let beaten = |m: &(u8, Span), o: &(u8, Span)| m.1.overlaps(o.1) && o.0 < m.0;
        (0..v.len())
            .filter(|&i| {
                let by_prev = i > 0 && beaten(&v[i], &v[i - 1]);
                let by_next = i + 1 < v.len() && beaten(&v[i], &v[i + 1]);
                !by_prev && !by_next
            })
            .map(|i| v[i])
            .collect()
    }

    #[test]
    fn hand_search_matches_the_reference_regex() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let pieces: [&[u8]; 23] = [
            b"%",
            b"%4",
            b"%41",
            b"%zz",
            b"\\",
            b"\\u00",
            b"\\u0041",
            b"\\\\U004a",
            b"U+",
            b"U+0041",
            b"U+00e9 ",
            b" ",
            b"\n",
            b"\t",
            b"=",
            b"==",
            b"0123456789abcdef",
            b"ABCDEF",
            b"xyz",
            b"+/",
            b"-_",
            b"g",
            b"\xff",
        ];
        for _ in 0..20_000 {
            let n = (next() % 24) as usize;
            let mut t = Vec::new();
            for _ in 0..n {
                t.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
            }
            // Match by match (no skipping, no precedence filter).
            let mut ours = Vec::new();
            let mut i = 0;
            while i < t.len() {
                match match_at(&t, i) {
                    Some((k, e)) => {
                        ours.push((k, Span::new(i, e)));
                        i = e;
                    }
                    None => i += 1,
                }
            }
            let reference = by_regex(&t);
            assert_eq!(ours, reference, "{:?}", String::from_utf8_lossy(&t));
            let whole = [Span::new(0, t.len())];
            assert_eq!(find_candidates(&t, &whole), drop_beaten(reference), "{:?}", String::from_utf8_lossy(&t));
        }
    }

    #[test]
    fn word_check_agrees_with_the_byte_table() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Mostly base64 bytes, some others, so both answers come up.
            let bytes: [u8; 8] = std::array::from_fn(|i| {
                let r = (seed >> (i * 8)) as u8;
                match r {
                    0..160 => b"aZ09_/+-qQ"[usize::from(r % 10)],
                    160..230 => r & 0x7f,
                    _ => r,
                }
            });
            let want = bytes.iter().all(|&b| is_b64(b));
            assert_eq!(all_base64(u64::from_le_bytes(bytes)), want, "{bytes:?}");
        }
        for b in 0..=255u8 {
            assert_eq!(all_base64(u64::from_le_bytes([b; 8])), is_b64(b), "{b}");
        }
    }

    #[test]
    fn kinds_from_the_match() {
        let kinds = |t: &str| -> Vec<u8> { find_candidates(t.as_bytes(), &[Span::new(0, t.len())]).iter().map(|c| c.0).collect() };
        assert_eq!(kinds("a %41 b %42"), vec![PERCENT]);
        assert_eq!(kinds(r"x=\u0041\u0042"), vec![UNICODE]);
        assert_eq!(kinds("U+0041 U+0042 "), vec![UNICODE]);
        assert_eq!(kinds("U+0041U+0042U+0043"), vec![BASE64]);
        assert_eq!(kinds("0123456789abcdef0123456789abcdef"), vec![HEX]);
        assert_eq!(kinds("0123456789abcdef0123456789abcdeg"), vec![BASE64]);
        assert_eq!(kinds("0123456789abcdef0123456789abcde"), vec![BASE64]);
    }
}
