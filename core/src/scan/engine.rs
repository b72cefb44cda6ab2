//! The scanning engine: an Aho-Corasick keyword prefilter finds where rules could match, and
//! each rule's (linear-time) regex then runs only on the windows around those hits. Candidates
//! go through entropy floors, validators, inline allow markers (when honoured) and
//! allowlists. Collection stops once a file has far more hits than will be listed.

use super::allowlist::{Allowlist, Candidate};
use super::decode::{self, Decoding, Span};
use super::entropy::shannon;
use super::filters;
use super::inline_allow::InlineAllow;
use super::redact::{redact_match, redact_secret};
use super::rule::{Rule, Tail, Window};
use super::{Location, SecretFinding};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// Lines either side of a decoded run whose keywords enable rules on it (the widest line
/// window of a built-in rule).
const DECODED_CONTEXT_LINES: u16 = 5;

/// Catch-all rules skip lines longer than this (minified or generated content).
const GENERIC_MAX_LINE: usize = 1000;

/// Rules and allowlists compiled for scanning.
pub(crate) struct Engine {
    pub(crate) rules: Vec<Rule>,
    pub(crate) global: Vec<Allowlist>,
    prefilter: Option<AhoCorasick>,
    /// Pattern index in `prefilter` → rules that keyword enables.
    pattern_rules: Vec<Vec<usize>>,
    /// Rules without keywords: their windows are the whole file.
    unconditional: Vec<usize>,
}

/// How one scan runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScanSettings {
    pub(crate) inline_allow: InlineAllow,
    /// Findings the caller will list for one file; the engine stops collecting a few times
    /// past it (later checks may still drop some) and says so.
    pub(crate) max_findings: usize,
    /// Decoding passes (gitleaks' `--max-decode-depth`); 0 turns decoding off.
    pub(crate) max_decode_depth: usize,
}

/// A file's findings, and whether collection stopped early (more were there).
pub(crate) struct FileFindings {
    pub(crate) findings: Vec<SecretFinding>,
    pub(crate) stopped_early: bool,
}

/// A candidate that passed every check, in byte offsets.
struct Hit {
    rule: usize,
    start: usize,
    end: usize,
    secret_start: usize,
    secret_end: usize,
    entropy: f32,
    /// Set for a hit in decoded text: offsets above are then in the original text (where
    /// the encoded run was), and the matched bytes are kept here.
    decoded: Option<Box<DecodedHit>>,
}

/// What a hit in decoded text matched.
struct DecodedHit {
    matched: Vec<u8>,
    /// The secret's range within `matched`.
    secret: (usize, usize),
    tags: Vec<String>,
}

impl Hit {
    fn matched<'a>(&'a self, data: &'a [u8]) -> &'a [u8] {
        match &self.decoded {
            Some(d) => &d.matched,
            None => &data[self.start..self.end],
        }
    }

    fn secret<'a>(&'a self, data: &'a [u8]) -> &'a [u8] {
        match &self.decoded {
            Some(d) => &d.matched[d.secret.0..d.secret.1],
            None => &data[self.secret_start..self.secret_end],
        }
    }

    /// The secret's range within the matched bytes.
    fn secret_in_match(&self) -> (usize, usize) {
        match &self.decoded {
            Some(d) => d.secret,
            None => (self.secret_start - self.start, self.secret_end - self.start),
        }
    }
}

impl Engine {
    pub(crate) fn new(rules: Vec<Rule>, global: Vec<Allowlist>) -> Engine {
        let mut keywords: Vec<String> = Vec::new();
        let mut pattern_rules: Vec<Vec<usize>> = Vec::new();
        let mut unconditional = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                unconditional.push(i);
                continue;
            }
            for kw in &rule.keywords {
                let kw = kw.to_ascii_lowercase();
                match keywords.iter().position(|k| *k == kw) {
                    Some(p) => {
                        if !pattern_rules[p].contains(&i) {
                            pattern_rules[p].push(i)
                        }
                    }
                    None => {
                        keywords.push(kw);
                        pattern_rules.push(vec![i]);
                    }
                }
            }
        }
        // The prefilter reports non-overlapping matches (much faster than overlapping ones),
        // so a keyword can hide another that overlaps it ("private_key" hides
        // "private_key_id"). A hit therefore also enables the rules of every keyword it could
        // have hidden: those containing it, and those starting with one of its suffixes.
        let pattern_rules = widen_for_overlaps(&keywords, pattern_rules);
        let prefilter = if keywords.is_empty() {
            None
        } else {
            // Keywords are plain strings; building cannot fail for a sane set. If it ever
            // does, fall back to running those rules on every file.
            match AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .byte_classes(false)
                .build(&keywords)
            {
                Ok(ac) => Some(ac),
                Err(_) => {
                    for rules_of_kw in &pattern_rules {
                        for &r in rules_of_kw {
                            if !unconditional.contains(&r) {
                                unconditional.push(r);
                            }
                        }
                    }
                    None
                }
            }
        };
        let pattern_rules = if prefilter.is_some() { pattern_rules } else { Vec::new() };
        Engine { rules, global, prefilter, pattern_rules, unconditional }
    }

    fn rule_path_ok(&self, rule: &Rule, path: &str) -> bool {
        rule.path.as_ref().is_none_or(|re| re.is_match(path.as_bytes()))
    }

    pub(crate) fn scan(&self, path: &str, data: &[u8], settings: &ScanSettings) -> FileFindings {
        if self.global.iter().any(|al| al.target_rules.is_empty() && al.allows_whole_path(path)) {
            return FileFindings { findings: Vec::new(), stopped_early: false };
        }
        // Duplicates and catch-all hits are dropped later, so keep some slack over the cap.
        let max_hits = settings.max_findings.saturating_mul(4).max(16);
        let mut generic_ok: Option<bool> = None;
        let mut hits: Vec<Hit> = Vec::new();
        let mut path_only: Vec<usize> = Vec::new();
        let mut whole_file_on = vec![false; self.rules.len()];
        let mut stopped_early =
            self.collect(path, data, data, None, settings.inline_allow, max_hits, &mut generic_ok, &mut hits, Some(&mut path_only), &mut whole_file_on);
        if !stopped_early && settings.max_decode_depth > 0 {
            stopped_early = self.scan_decoded(path, data, settings, max_hits, &mut generic_ok, &mut hits, &mut whole_file_on);
        }
        let mut out = self.finish(path, data, hits);
        for r in path_only {
            let rule = &self.rules[r];
            out.push(SecretFinding::whole_file(path, &rule.id, rule.description.clone(), rule.tags.clone()));
        }
        FileFindings { findings: out, stopped_early }
    }

    /// gitleaks' decoding passes: each pass decodes the encoded runs of the previous text in
    /// place, and the rules run again on the lines that changed; a hit counts only where it
    /// overlaps what the pass decoded, and is reported at the original bytes. Returns whether
    /// collection stopped early.
    #[allow(clippy::too_many_arguments)]
    fn scan_decoded(
        &self,
        path: &str,
        data: &[u8],
        settings: &ScanSettings,
        max_hits: usize,
        generic_ok: &mut Option<bool>,
        hits: &mut Vec<Hit>,
        whole_file_on: &mut [bool],
    ) -> bool {
        let mut decoding = Decoding::default();
        let mut text: Vec<u8> = Vec::new();
        let mut areas = vec![Span::new(0, data.len())];
        for pass in 1..=settings.max_decode_depth {
            let current: &[u8] = if pass == 1 { data } else { &text };
            let Some(next) = decoding.next_pass(current, &areas) else { break };
            text = next;
            areas = decoding.changed_lines(&text);
            // Keywords count on the changed lines and a few either side (the widest line
            // window of a rule); whole-file rules a keyword enabled anywhere in the file run
            // on the changed lines too.
            let mut regions: Vec<(usize, usize)> = Vec::new();
            for a in &areas {
                let (s, e) = window_around(&text, a.start, a.end, Window::Lines { before: DECODED_CONTEXT_LINES, after: DECODED_CONTEXT_LINES });
                match regions.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => regions.push((s, e)),
                }
            }
            let mut found = Vec::new();
            let room = max_hits.saturating_sub(hits.len());
            let stopped =
                self.collect(path, data, &text, Some((&regions, &decoding)), settings.inline_allow, room, generic_ok, &mut found, None, whole_file_on);
            for mut h in found {
                let segs = decoding.overlapping(Span::new(h.start, h.end));
                let m = decoding.to_original(pass, Some(segs), Span::new(h.start, h.end));
                let secret_segs = decoding.overlapping(Span::new(h.secret_start, h.secret_end));
                let s = if secret_segs.is_empty() { m } else { decoding.to_original(pass, Some(secret_segs), Span::new(h.secret_start, h.secret_end)) };
                h.decoded = Some(Box::new(DecodedHit {
                    matched: text[h.start..h.end].to_vec(),
                    secret: (h.secret_start - h.start, h.secret_end - h.start),
                    tags: decode::tags(segs),
                }));
                (h.start, h.end, h.secret_start, h.secret_end) = (m.start, m.end, s.start, s.end);
                hits.push(h);
            }
            if stopped {
                return true;
            }
        }
        false
    }

    /// Runs the rules over `text` (the file, or a decoding pass's text with the regions to
    /// search and the segments a hit must overlap) and appends the hits that pass every check,
    /// up to `max_hits`. Returns whether it stopped there. `whole_file_on`: whole-file rules a
    /// keyword enabled (set on the file itself, read on decoded text).
    #[allow(clippy::too_many_arguments)]
    fn collect(
        &self,
        path: &str,
        data: &[u8],
        text: &[u8],
        decoded: Option<(&[(usize, usize)], &Decoding)>,
        inline_allow: InlineAllow,
        max_hits: usize,
        generic_ok: &mut Option<bool>,
        hits: &mut Vec<Hit>,
        mut path_only: Option<&mut Vec<usize>>,
        whole_file_on: &mut [bool],
    ) -> bool {
        let n = self.rules.len();
        // Per rule: windows (merged, in order) and the end of the last one.
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        let mut path_ok: Vec<Option<bool>> = vec![None; n];
        let whole = [(0, text.len())];
        let regions: &[(usize, usize)] = decoded.map_or(&whole, |d| d.0);

        for &r in &self.unconditional {
            let rule = &self.rules[r];
            if !self.rule_path_ok(rule, path) {
                continue;
            }
            if rule.regex.is_none() {
                if let Some(po) = path_only.as_deref_mut() {
                    po.push(r);
                }
            } else {
                windows[r].extend_from_slice(regions);
            }
        }
        if let Some(ac) = &self.prefilter {
            for &(rs, re) in regions {
                for m in ac.find_iter(&text[rs..re]) {
                    let (m_start, m_end) = (rs + m.start(), rs + m.end());
                    for &r in &self.pattern_rules[m.pattern().as_usize()] {
                        let rule = &self.rules[r];
                        if let Some(&(_, last_end)) = windows[r].last() {
                            // A hit inside the last window adds nothing unless its own window
                            // reaches further.
                            let reach = match rule.window {
                                Window::Around { bytes } => bytes,
                                Window::AroundLines { .. } => usize::MAX,
                                _ => 0,
                            };
                            if m_end.saturating_add(reach) <= last_end {
                                continue;
                            }
                        }
                        let ok = *path_ok[r].get_or_insert_with(|| self.rule_path_ok(rule, path));
                        if !ok {
                            continue;
                        }
                        if rule.regex.is_none() {
                            if let Some(po) = path_only.as_deref_mut() {
                                if !po.contains(&r) {
                                    po.push(r);
                                }
                            }
                            continue;
                        }
                        if decoded.is_some() && rule.window == Window::WholeFile {
                            whole_file_on[r] = true;
                            continue;
                        }
                        let (ws, we) = window_around(text, m_start, m_end, rule.window);
                        match windows[r].last_mut() {
                            Some(last) if ws <= last.1 => last.1 = last.1.max(we),
                            _ => windows[r].push((ws, we)),
                        }
                    }
                }
            }
        }
        for (r, on) in whole_file_on.iter_mut().enumerate() {
            if decoded.is_none() {
                *on = !windows[r].is_empty() && self.rules[r].window == Window::WholeFile;
            } else if *on && windows[r].is_empty() {
                // In decoded text, only where the pass changed something.
                windows[r].extend_from_slice(regions);
            }
        }

        for (r, wins) in windows.iter().enumerate() {
            if wins.is_empty() {
                continue;
            }
            let rule = &self.rules[r];
            if rule.generic && !*generic_ok.get_or_insert_with(|| !filters::is_lockfile(path) && !filters::is_minified(path, data)) {
                continue;
            }
            let Some(re) = &rule.regex else { continue };
            for &(ws, we) in wins {
                // Around windows search the file itself from the window's start (so `^`, `\b`
                // and `\A` see what precedes it) up to just past the window's last line.
                let (hay, from, base) = match rule.window {
                    Window::Around { .. } | Window::AroundLines { .. } => (&text[..(we + 1).min(text.len())], ws, 0),
                    _ => (&text[ws..we], 0, ws),
                };
                let found: Box<dyn Iterator<Item = regex::bytes::Captures<'_>>> = match (&rule.tail, rule.window) {
                    (Some(tail), Window::Around { .. } | Window::AroundLines { .. }) => Box::new(captures_after_tail(re, tail, hay, from)),
                    _ => Box::new(captures_from(re, hay, from)),
                };
                for caps in found {
                    let Some(m) = caps.get(0) else { continue };
                    if m.is_empty() {
                        continue;
                    }
                    if let Some((_, decoding)) = decoded {
                        // In decoded text only matches touching what this pass decoded count.
                        let span = Span::new(base + m.start(), base + m.end());
                        if decoding.overlapping(span).is_empty() {
                            continue;
                        }
                    }
                    let group = if rule.secret_group > 0 { caps.get(rule.secret_group) } else { (1..caps.len()).find_map(|g| caps.get(g)) };
                    let (ss, se) = match group {
                        Some(g) => (g.start(), g.end()),
                        None if rule.secret_group > 0 => continue,
                        None => (m.start(), m.end()),
                    };
                    let hit = Hit {
                        rule: r,
                        start: base + m.start(),
                        end: base + m.end(),
                        secret_start: base + ss,
                        secret_end: base + se,
                        entropy: 0.0,
                        decoded: None,
                    };
                    if let Some(hit) = self.check(rule, path, text, hit, inline_allow) {
                        if hits.len() >= max_hits {
                            return true;
                        }
                        hits.push(hit);
                    }
                }
            }
        }
        false
    }

    /// Entropy, validator, inline markers and allowlists.
    fn check(&self, rule: &Rule, path: &str, data: &[u8], mut hit: Hit, inline_allow: InlineAllow) -> Option<Hit> {
        let secret = &data[hit.secret_start..hit.secret_end];
        if secret.is_empty() {
            return None;
        }
        let entropy = shannon(secret);
        if let Some(min) = rule.entropy {
            if entropy <= min {
                return None;
            }
        }
        hit.entropy = entropy;
        let line_start = memchr::memrchr(b'\n', &data[..hit.start]).map_or(0, |p| p + 1);
        let line_end = memchr::memchr(b'\n', &data[hit.end..]).map_or(data.len(), |p| hit.end + p);
        let line = &data[line_start..line_end];
        if rule.generic && line.len() > GENERIC_MAX_LINE && hit.end - hit.start < line.len() {
            return None;
        }
        let cand = Candidate {
            path,
            secret,
            matched: &data[hit.start..hit.end],
            secret_in_match: hit.secret_start - hit.start,
            line,
            file: data,
            match_start: hit.start,
        };
        if let Some(validate) = rule.validator {
            if !validate(&cand) {
                return None;
            }
        }
        if inline_allow.silences(line) {
            return None;
        }
        if rule.allowlists.iter().any(|al| al.allows(&cand)) {
            return None;
        }
        if self.global.iter().any(|al| al.applies_to(&rule.id) && al.allows(&cand)) {
            return None;
        }
        Some(hit)
    }

    /// gitleaks' rule: a finding of a rule whose id says "generic" is dropped when a rule
    /// whose id does not finds, on the same line, a secret containing its secret.
    fn drop_generic_by_name(&self, data: &[u8], hits: &mut Vec<Hit>) {
        let generic = |h: &Hit| self.rules[h.rule].id.to_ascii_lowercase().contains("generic");
        if !hits.iter().any(generic) {
            return;
        }
        let mut pos = LineCounter::default();
        let lines: Vec<usize> = hits.iter().map(|h| pos.locate(data, h.start).0).collect();
        let keep: Vec<bool> = hits
            .iter()
            .zip(&lines)
            .map(|(h, line)| {
                !generic(h) || !hits.iter().zip(&lines).any(|(o, l)| l == line && !generic(o) && memchr::memmem::find(o.secret(data), h.secret(data)).is_some())
            })
            .collect();
        let mut k = keep.into_iter();
        hits.retain(|_| k.next().unwrap_or(true));
    }

    /// Drop duplicates and catch-all hits on bytes a specific rule claimed; add positions.
    fn finish(&self, path: &str, data: &[u8], mut hits: Vec<Hit>) -> Vec<SecretFinding> {
        hits.sort_by_key(|h| (h.start, h.rule));
        hits.dedup_by(|a, b| a.rule == b.rule && a.secret_start == b.secret_start && a.secret_end == b.secret_end && a.secret(data) == b.secret(data));
        let specific: Vec<(usize, usize)> = hits.iter().filter(|h| !self.rules[h.rule].generic).map(|h| (h.secret_start, h.secret_end)).collect();
        hits.retain(|h| !self.rules[h.rule].generic || !specific.iter().any(|&(s, e)| s < h.secret_end && h.secret_start < e));
        self.drop_generic_by_name(data, &mut hits);
        let mut pos = LineCounter::default();
        hits.iter()
            .map(|h| {
                let rule = &self.rules[h.rule];
                let (start_line, start_col) = pos.locate(data, h.start);
                let (end_line, end_col) = pos.locate(data, h.end.saturating_sub(1).max(h.start));
                let secret = h.secret(data);
                let (ss, se) = h.secret_in_match();
                let mut tags = rule.tags.clone();
                if let Some(d) = &h.decoded {
                    tags.extend(d.tags.iter().cloned());
                }
                SecretFinding {
                    rule_id: rule.id.clone(),
                    description: rule.description.clone(),
                    path: path.to_string(),
                    start_line,
                    end_line,
                    start_column: start_col,
                    end_column: end_col,
                    redacted_match: redact_match(h.matched(data), ss, se),
                    redacted_secret: redact_secret(secret),
                    entropy: h.entropy,
                    fingerprint: format!("{path}:{}:{start_line}", rule.id),
                    tags,
                    location: Location::Content,
                }
            })
            .collect()
    }
}

/// Turns offsets into 1-based (line, byte column), moving forward through the data.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl LineCounter {
    fn locate(&mut self, data: &[u8], at: usize) -> (usize, usize) {
        if at < self.offset {
            *self = LineCounter::default();
        }
        for nl in memchr::memchr_iter(b'\n', &data[self.offset..at]) {
            self.line += 1;
            self.line_start = self.offset + nl + 1;
        }
        self.offset = at;
        (self.line + 1, at - self.line_start + 1)
    }
}

/// For each keyword, its own rules plus those of every keyword a non-overlapping search could
/// report it instead of: keywords containing it, and keywords that begin with a proper suffix
/// of it (an overlap where it ends first).
fn widen_for_overlaps(keywords: &[String], own: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
    let mut out = own.clone();
    for (p, kp) in keywords.iter().enumerate() {
        for (q, kq) in keywords.iter().enumerate() {
            if p == q {
                continue;
            }
            let hides = (kq.len() > kp.len() && kq.contains(kp.as_str())) || (1..kp.len()).any(|i| kq.len() > kp.len() - i && kq.starts_with(&kp[i..]));
            if hides {
                for &r in &own[q] {
                    if !out[p].contains(&r) {
                        out[p].push(r);
                    }
                }
            }
        }
        out[p].sort_unstable();
    }
    out
}

/// Successive matches in `hay` from `from` on, searched with the context before `from`.
fn captures_from<'h>(re: &'h regex::bytes::Regex, hay: &'h [u8], mut from: usize) -> impl Iterator<Item = regex::bytes::Captures<'h>> {
    std::iter::from_fn(move || {
        if from > hay.len() {
            return None;
        }
        let caps = re.captures_at(hay, from)?;
        let m = caps.get(0)?;
        from = if m.end() > m.start() { m.end() } else { m.end() + 1 };
        Some(caps)
    })
}

/// The same matches as [`captures_from`], each searched for only from `tail.head_max` bytes
/// before the next match of the tail (see [`Tail`]).
fn captures_after_tail<'h>(re: &'h regex::bytes::Regex, tail: &'h Tail, hay: &'h [u8], mut from: usize) -> impl Iterator<Item = regex::bytes::Captures<'h>> {
    std::iter::from_fn(move || {
        if from > hay.len() {
            return None;
        }
        let t = tail.regex.find_at(hay, from)?;
        let start = from.max(t.start().saturating_sub(tail.head_max));
        let caps = re.captures_at(hay, start)?;
        let m = caps.get(0)?;
        from = if m.end() > m.start() { m.end() } else { m.end() + 1 };
        Some(caps)
    })
}

/// The byte range a rule's regex runs on for a keyword hit at `start..end`.
fn window_around(data: &[u8], start: usize, end: usize, window: Window) -> (usize, usize) {
    match window {
        Window::WholeFile => (0, data.len()),
        Window::Around { bytes } => {
            let from = start.saturating_sub(bytes);
            let to = end.saturating_add(bytes).min(data.len());
            let ws = memchr::memrchr(b'\n', &data[..from]).map_or(0, |p| p + 1);
            let we = memchr::memchr(b'\n', &data[to..]).map_or(data.len(), |p| to + p);
            (ws, we)
        }
        Window::Forward { bytes } => {
            let ws = memchr::memrchr(b'\n', &data[..start]).map_or(0, |p| p + 1);
            (ws, (end + bytes).min(data.len()))
        }
        Window::AroundLines { lines } => window_around(data, start, end, Window::Lines { before: lines, after: lines }),
        Window::Lines { before, after } => {
            let mut ws = memchr::memrchr(b'\n', &data[..start]).map_or(0, |p| p + 1);
            for _ in 0..before {
                if ws == 0 {
                    break;
                }
                ws = memchr::memrchr(b'\n', &data[..ws - 1]).map_or(0, |p| p + 1);
            }
            let mut we = memchr::memchr(b'\n', &data[end..]).map_or(data.len(), |p| end + p);
            for _ in 0..after {
                if we >= data.len() {
                    break;
                }
                we = memchr::memchr(b'\n', &data[we + 1..]).map_or(data.len(), |p| we + 1 + p);
            }
            (ws, we)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_whole_lines() {
        let data = b"one\ntwo key here\nthree\nfour";
        let k = 8; // "key"
        assert_eq!(&data[k..k + 3], b"key");
        let (s, e) = window_around(data, k, k + 3, Window::LINE);
        assert_eq!(&data[s..e], b"two key here");
        let (s, e) = window_around(data, k, k + 3, Window::Lines { before: 1, after: 1 });
        assert_eq!(&data[s..e], b"one\ntwo key here\nthree");
        let (s, e) = window_around(data, k, k + 3, Window::Lines { before: 5, after: 5 });
        assert_eq!(&data[s..e], &data[..]);
        let (s, e) = window_around(data, k, k + 3, Window::Around { bytes: 5 });
        assert_eq!(&data[s..e], b"one\ntwo key here");
        let (s, e) = window_around(data, k, k + 3, Window::Around { bytes: 6 });
        assert_eq!(&data[s..e], b"one\ntwo key here\nthree");
        let (s, e) = window_around(data, k, k + 3, Window::Forward { bytes: 4 });
        assert_eq!(&data[s..e], b"two key her");
    }

    #[test]
    fn overlapping_keywords_enable_each_other() {
        let kws = vec!["private_key".to_string(), "private_key_id".to_string(), "_auth".to_string(), "auth_key".to_string()];
        let w = widen_for_overlaps(&kws, vec![vec![0], vec![1], vec![2], vec![3]]);
        assert_eq!(w[0], vec![0, 1]);
        assert_eq!(w[1], vec![1]);
        assert_eq!(w[2], vec![2, 3]);
        assert_eq!(w[3], vec![3]);
    }

    #[test]
    fn line_counter_positions() {
        let data = b"ab\ncd\nef";
        let mut lc = LineCounter::default();
        assert_eq!(lc.locate(data, 0), (1, 1));
        assert_eq!(lc.locate(data, 4), (2, 2));
        assert_eq!(lc.locate(data, 6), (3, 1));
        assert_eq!(lc.locate(data, 1), (1, 2));
    }
}
