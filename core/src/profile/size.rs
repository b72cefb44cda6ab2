//! Sizes as people write them in profiles: "4GiB", "512MiB", "8G", "100 GB".

use serde::{Serialize, Serializer};
use std::fmt;

/// A size in bytes, written back in Lima's go-units form (`8GiB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;
const TIB: u64 = 1024 * GIB;

impl ByteSize {
    pub const fn gib(n: u64) -> Self {
        ByteSize(n * GIB)
    }

    /// Parse "8GiB", "8G", "8 GB", "512MiB", "1.5GiB". Binary units either way
    /// (Lima treats "GB" as GiB too). A bare number is GiB, as `limactl --memory` takes it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("is empty; write a size such as \"8GiB\"".into());
        }
        let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let value: f64 = num.parse().map_err(|_| format!("`{t}` does not start with a number; write a size such as \"8GiB\""))?;
        let mult = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "g" | "gb" | "gib" => GIB,
            "m" | "mb" | "mib" => MIB,
            "k" | "kb" | "kib" => KIB,
            "t" | "tb" | "tib" => TIB,
            "b" => 1,
            other => return Err(format!("has an unknown unit `{other}`; use MiB, GiB or TiB (e.g. \"8GiB\")")),
        };
        let bytes = value * mult as f64;
        if !bytes.is_finite() || bytes < 0.0 || bytes > (u64::MAX / 2) as f64 {
            return Err(format!("`{t}` is out of range"));
        }
        Ok(ByteSize(bytes.round() as u64))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        if b >= GIB && b.is_multiple_of(GIB) {
            write!(f, "{}GiB", b / GIB)
        } else if b >= MIB && b.is_multiple_of(MIB) {
            write!(f, "{}MiB", b / MIB)
        } else if b >= KIB && b.is_multiple_of(KIB) {
            write!(f, "{}KiB", b / KIB)
        } else {
            write!(f, "{b}B")
        }
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_spellings() {
        assert_eq!(ByteSize::parse("8GiB").unwrap(), ByteSize::gib(8));
        assert_eq!(ByteSize::parse("8G").unwrap(), ByteSize::gib(8));
        assert_eq!(ByteSize::parse("8 GB").unwrap(), ByteSize::gib(8));
        assert_eq!(ByteSize::parse("4").unwrap(), ByteSize::gib(4));
        assert_eq!(ByteSize::parse("512MiB").unwrap(), ByteSize(512 * MIB));
        assert_eq!(ByteSize::parse("1.5GiB").unwrap(), ByteSize(3 * GIB / 2));
    }

    #[test]
    fn rejects_nonsense_with_a_hint() {
        assert!(ByteSize::parse("").unwrap_err().contains("8GiB"));
        assert!(ByteSize::parse("lots").unwrap_err().contains("number"));
        assert!(ByteSize::parse("8 parsecs").unwrap_err().contains("unit"));
        assert!(ByteSize::parse("1e400").is_err());
    }

    #[test]
    fn displays_in_lima_form() {
        assert_eq!(ByteSize::gib(50).to_string(), "50GiB");
        assert_eq!(ByteSize(1536 * MIB).to_string(), "1536MiB");
    }
}
