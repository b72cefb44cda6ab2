//! [`SecretValue`]: a secret's text. It has no `Display`, its `Debug` prints `[REDACTED]`, it
//! is not serializable, and its memory is wiped when dropped. Reading it is explicit:
//! [`SecretValue::expose`].

use std::fmt;
use zeroize::Zeroizing;

#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(Zeroizing<String>);

impl SecretValue {
    pub fn new(value: String) -> Self {
        SecretValue(Zeroizing::new(value))
    }

    /// The value itself. Call this only where the value must go: the store, the stdin
    /// payload, the redactor.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl From<&str> for SecretValue {
    fn from(s: &str) -> Self {
        SecretValue::new(s.to_string())
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let v = SecretValue::from("hunter2-canary");
        assert_eq!(format!("{v:?}"), "SecretValue([REDACTED])");
        assert_eq!(format!("{:?}", Some(&v)), "Some(SecretValue([REDACTED]))");
        assert_eq!(v.expose(), "hunter2-canary");
    }
}
