//! Kubernetes `Secret` manifests: every value under `data` (base64) or `stringData` is a
//! secret, however plain it looks once decoded. The built-in rule matches `key: value` lines
//! in YAML files; [`in_secret_data`] keeps those that sit in a Secret's `data`/`stringData`.

use super::filters::is_placeholder;
use super::rule::Candidate;

/// Lines of `file` before `at`, last first, within the current YAML document.
fn lines_before(file: &[u8], at: usize) -> impl Iterator<Item = &[u8]> {
    file[..at]
        .rsplit(|&b| b == b'\n')
        .skip(1) // the match's own line, up to the match
        .take_while(|l| !l.starts_with(b"---"))
}

fn indent(line: &[u8]) -> usize {
    line.iter().take_while(|b| matches!(b, b' ' | b'\t')).count()
}

/// The column a line's key starts at (`- key:` in a list counts past the dash).
fn key_column(line: &[u8]) -> usize {
    let i = indent(line);
    if line[i..].starts_with(b"- ") {
        i + 2 + indent(&line[i + 2..])
    } else {
        i
    }
}

fn trimmed(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let start = indent(line);
    let end = line.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |p| p + 1);
    &line[start..end.max(start)]
}

/// The YAML document around `at` (between `---` separators).
fn document(file: &[u8], at: usize) -> &[u8] {
    let start = memchr::memmem::rfind(&file[..at], b"\n---").map_or(0, |p| p + 1);
    let end = memchr::memmem::find(&file[at..], b"\n---").map_or(file.len(), |p| at + p);
    &file[start..end]
}

fn is_secret_kind(doc: &[u8]) -> bool {
    doc.split(|&b| b == b'\n').any(|l| {
        let t = trimmed(l);
        let t = t.strip_prefix(b"- ").unwrap_or(t);
        let Some(v) = t.strip_prefix(b"kind:") else { return false };
        let v = trimmed(v);
        let v = v.split(|&b| b == b'#').next().unwrap_or(v);
        let v: Vec<u8> = trimmed(v).iter().copied().filter(|b| !matches!(b, b'"' | b'\'')).collect();
        v == b"Secret"
    })
}

/// Standard or URL-safe base64, padded or not, decoded; `None` if it is not base64.
fn decode_base64(s: &[u8]) -> Option<Vec<u8>> {
    let s = s.strip_suffix(b"==").or_else(|| s.strip_suffix(b"=")).unwrap_or(s);
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &b in s {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Validator of the `kubernetes-secret-data` rule.
pub fn in_secret_data(c: &Candidate) -> bool {
    let line_start = memchr::memrchr(b'\n', &c.file[..c.match_start]).map_or(0, |p| p + 1);
    let own = key_column(&c.file[line_start..]);
    let Some(parent) =
        lines_before(c.file, c.match_start.max(line_start)).filter(|l| !trimmed(l).is_empty() && !trimmed(l).starts_with(b"#")).find(|l| key_column(l) < own)
    else {
        return false;
    };
    let parent = trimmed(parent);
    let parent = parent.strip_prefix(b"- ").unwrap_or(parent);
    let plain = match parent {
        b"data:" => false,
        b"stringData:" => true,
        _ => return false,
    };
    if !is_secret_kind(document(c.file, c.match_start)) {
        return false;
    }
    let value = if plain {
        c.secret.to_vec()
    } else {
        match decode_base64(c.secret) {
            Some(v) => v,
            None => return false,
        }
    };
    !value.is_empty() && !is_placeholder(&value) && memchr::memmem::find(&value, b"{{").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes() {
        assert_eq!(decode_base64(b"YWRtaW4=").unwrap(), b"admin");
        assert_eq!(decode_base64(b"aGk").unwrap(), b"hi");
        assert!(decode_base64(b"not base64!").is_none());
    }

    #[test]
    fn secret_kind_is_exact() {
        assert!(is_secret_kind(b"apiVersion: v1\nkind: Secret\n"));
        assert!(is_secret_kind(b"items:\n- kind: \"Secret\"  # x\n"));
        assert!(!is_secret_kind(b"kind: SealedSecret\n"));
        assert!(!is_secret_kind(b"kind: ConfigMap\n"));
    }
}
