//! A value that must never be printed: the hash key.

use std::fmt;

/// Holds a secret string. `Debug` and `Display` print a fixed mask; there is no `Serialize`, so it
/// cannot leak into handler output or state-machine data by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself. Call only where it is bound into a query.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn never_prints_its_value() {
        let s = super::Secret::new("dGVzdC1oYXNoLWtleQ==");
        assert!(!format!("{s:?} {s}").contains("dGVz"));
    }
}
