//! Parsing `.env` files: `NAME=value` lines, `export ` prefixes, `#` comments (whole-line, or
//! after whitespace in an unquoted value), single quotes (literal), double quotes (escapes
//! `\n \r \t \" \\ \$`), quoted values spanning lines, empty values, duplicate keys (last
//! wins, with a warning). `${VAR}` is not expanded: values are taken as written.
//!
//! Pure: text in, entries/warnings or problems out. Messages carry line numbers and names,
//! never values.

use super::{validate_name, SecretName, SecretValue, SecretsError};
use std::collections::HashMap;

/// One `NAME=value` that will be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvEntry {
    pub name: SecretName,
    pub value: SecretValue,
    /// 1-based line where the entry starts.
    pub line: usize,
}

/// A parsed file: what to store, and what the user should hear about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dotenv {
    /// In file order of first appearance; duplicates already resolved (last value wins).
    pub entries: Vec<DotenvEntry>,
    /// Names given an empty value; they are not stored.
    pub empty: Vec<SecretName>,
    pub warnings: Vec<String>,
}

/// A problem at one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvProblem {
    pub line: usize,
    pub message: String,
}

/// Parse `.env` text. All problems are collected; any problem means nothing may be stored.
pub fn parse(text: &str) -> Result<Dotenv, Vec<DotenvProblem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let mut out = Dotenv::default();
    let mut problems = Vec::new();
    let mut seen = HashMap::new();
    let mut i = 0;
    while i < lines.len() {
        let line_no = i + 1;
        let line = lines[i].trim_start();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = strip_export(line);
        let Some((raw_name, rest)) = line.split_once('=') else {
            problems.push(DotenvProblem { line: line_no, message: "expected NAME=value (this line has no `=`)".into() });
            continue;
        };
        let raw_name = raw_name.trim();
        let name = match validate_name(raw_name) {
            Ok(n) => Some(n),
            Err(e) => {
                problems.push(DotenvProblem { line: line_no, message: e.to_string() });
                None
            }
        };
        let label = name.as_ref().map(|n| n.to_string()).unwrap_or_else(|| "this entry".into());
        let value = match parse_value(rest.trim_start(), &lines, &mut i) {
            Ok(v) => v,
            Err(why) => {
                problems.push(DotenvProblem { line: line_no, message: format!("the value of {label} {why}") });
                continue;
            }
        };
        let Some(name) = name else { continue };
        record(&mut out, &mut seen, name, value, line_no);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn strip_export(line: &str) -> &str {
    match line.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => line,
    }
}

fn record(out: &mut Dotenv, seen: &mut HashMap<SecretName, usize>, name: SecretName, value: String, line: usize) {
    if let Some(prev_line) = seen.insert(name.clone(), line) {
        out.entries.retain(|e| e.name != name);
        out.empty.retain(|n| *n != name);
        out.warnings.push(format!("{name} is set on line {prev_line} and again on line {line}; the value from line {line} is used"));
    }
    if value.is_empty() {
        out.warnings.push(format!("{name} (line {line}) has an empty value; it is skipped"));
        out.empty.push(name);
    } else {
        out.entries.push(DotenvEntry { name, value: SecretValue::new(value), line });
    }
}

/// Parse the value part; `next` is the index of the line after the current one and is
/// advanced when a quoted value spans lines. The error text continues "the value of NAME …".
fn parse_value(rest: &str, lines: &[&str], next: &mut usize) -> Result<String, String> {
    let quote = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => q,
        _ => return Ok(unquoted(rest)),
    };
    let mut body = rest[1..].to_string();
    loop {
        if let Some((value, after)) = close_quote(&body, quote) {
            let after = after.trim_start();
            if !after.is_empty() && !after.starts_with('#') {
                return Err("has text after its closing quote; quote the whole value".into());
            }
            return Ok(value);
        }
        if *next >= lines.len() {
            return Err(format!("opens a {} quote that is never closed", if quote == '"' { "double" } else { "single" }));
        }
        body.push('\n');
        body.push_str(lines[*next]);
        *next += 1;
    }
}

/// The value inside the quotes and what follows the closing quote, if it closes in `body`.
fn close_quote(body: &str, quote: char) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        if c == quote {
            return Some((value, &body[at + 1..]));
        }
        if c == '\\' && quote == '"' {
            match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, 't')) => value.push('\t'),
                Some((_, e @ ('"' | '\\' | '$' | '`'))) => value.push(e),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => value.push('\\'),
            }
            continue;
        }
        value.push(c);
    }
    None
}

/// An unquoted value: up to a `#` that follows whitespace, trimmed.
fn unquoted(rest: &str) -> String {
    let mut end = rest.len();
    let bytes = rest.as_bytes();
    for (at, b) in bytes.iter().enumerate() {
        if *b == b'#' && (at == 0 || bytes[at - 1] == b' ' || bytes[at - 1] == b'\t') {
            end = at;
            break;
        }
    }
    rest[..end].trim_end().to_string()
}

/// Read and parse a `.env` file; problems become one error listing every line.
pub fn parse_file(path: &std::path::Path) -> Result<Dotenv, SecretsError> {
    let bytes = std::fs::read(path).map_err(|source| SecretsError::Io { what: "read", path: path.into(), source })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let mut b = e.into_bytes();
        zeroize::Zeroize::zeroize(&mut b);
        SecretsError::Dotenv { path: path.into(), line: 1, message: "the file is not UTF-8 text; nothing was imported".into() }
    })?;
    let parsed = parse(&text);
    let mut text = text;
    zeroize::Zeroize::zeroize(&mut text);
    parsed.map_err(|problems| SecretsError::DotenvInvalid {
        path: path.into(),
        count: problems.len(),
        list: problems.iter().map(|p| format!("  line {}: {}", p.line, p.message)).collect::<Vec<_>>().join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(d: &Dotenv) -> Vec<(String, String)> {
        d.entries.iter().map(|e| (e.name.to_string(), e.value.expose().to_string())).collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn parses_the_usual_forms() {
        let text = concat!(
            "# comment\n",
            "\n",
            "A=plain\n",
            "export B=exported\n",
            "C = spaced  \n",
            "D=\"double # not a comment\"  # comment\n",
            "E='single $HOME \\n literal'\n",
            "F=\"esc \\\"q\\\" \\\\ \\$X \\n\"\n",
            "G=value # trailing comment\n",
            "H=a#b\n",
            "\texport\tI=tabbed\r\n",
            "J=\"multi\n",
            "line\"\n",
            "K='=x='\n",
        );
        let d = parse(text).unwrap();
        assert_eq!(
            values(&d),
            pairs(&[
                ("A", "plain"),
                ("B", "exported"),
                ("C", "spaced"),
                ("D", "double # not a comment"),
                ("E", "single $HOME \\n literal"),
                ("F", "esc \"q\" \\ $X \n"),
                ("G", "value"),
                ("H", "a#b"),
                ("I", "tabbed"),
                ("J", "multi\nline"),
                ("K", "=x="),
            ])
        );
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        assert_eq!(d.entries[10].line, 14);
    }

    #[test]
    fn empty_values_are_skipped_with_a_warning() {
        let d = parse("A=\nB=''\nC=\"\"\nD=x\n").unwrap();
        assert_eq!(values(&d), pairs(&[("D", "x")]));
        assert_eq!(d.empty.iter().map(|n| n.as_str()).collect::<Vec<_>>(), ["A", "B", "C"]);
        assert_eq!(d.warnings.len(), 3);
        assert!(d.warnings[0].contains("A (line 1) has an empty value"));
    }

    #[test]
    fn duplicates_last_wins_with_warning() {
        let d = parse("A=first-value\nB=b\nA=second-value\n").unwrap();
        assert_eq!(values(&d), pairs(&[("B", "b"), ("A", "second-value")]));
        assert_eq!(d.warnings, vec!["A is set on line 1 and again on line 3; the value from line 3 is used".to_string()]);
        // an empty value after a real one removes it from the import, and says so
        let d = parse("A=x\nA=\n").unwrap();
        assert!(d.entries.is_empty());
        assert_eq!(d.warnings.len(), 2);
    }

    #[test]
    fn every_problem_is_reported_without_values() {
        let text = "good=secret-one\nNO_EQUALS_HERE\n9LIVES=secret-two\nOK=\"secret-three\nX=y\n";
        let problems = parse(text).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4]);
        assert!(problems[0].message.contains("lower-case"));
        assert!(problems[1].message.contains("no `=`"));
        assert!(problems[2].message.contains("digit"));
        assert!(problems[3].message.contains("never closed"));
        for p in &problems {
            assert!(!p.message.contains("secret-"), "{}", p.message);
        }
    }

    #[test]
    fn text_after_closing_quote_is_an_error() {
        let p = parse("A=\"abc\"def\n").unwrap_err();
        assert!(p[0].message.contains("after its closing quote"));
    }

    #[test]
    fn arbitrary_input_never_panics_and_errors_never_echo_values() {
        // A small deterministic generator over the characters that matter to the parser.
        let alphabet: Vec<char> = "AZ_9az=#'\" \\\t\r\nexport$`é✓".chars().collect();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..5000 {
            let len = next(40);
            let text: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let with_value = format!("{text}\nKEY=zz-value-marker-zz\n{text}");
            match parse(&with_value) {
                Ok(d) => assert!(d.entries.iter().all(|e| !e.value.is_empty())),
                Err(problems) => {
                    for p in problems {
                        assert!(!p.message.contains("zz-value-marker-zz"), "{:?} -> {}", with_value, p.message);
                    }
                }
            }
        }
    }

    #[test]
    fn parse_file_lists_problems_and_rejects_non_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(".env");
        std::fs::write(&f, "A-B=canary-x1\nC=ok\nd=canary-x2\n").unwrap();
        let e = parse_file(&f).unwrap_err().to_string();
        assert!(e.contains("2 problem(s)") && e.contains("line 1") && e.contains("line 3"), "{e}");
        assert!(!e.contains("canary"), "{e}");
        std::fs::write(&f, b"A=\xff\xfe\n").unwrap();
        assert!(parse_file(&f).unwrap_err().to_string().contains("not UTF-8"));
    }
}
