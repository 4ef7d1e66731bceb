//! Validation of identifiers that come from outside (client ids, request ids) and of the hash key.

/// The longest identifier we accept (GUIDs are 36; refs are longer but bounded).
pub const MAX_ID_LEN: usize = 128;

/// Checks an identifier that may become part of an S3 key or a rendered SQL list: 1–128 characters
/// of ASCII letters, digits, `-`, `_`, `.`, `:`, `@`, `+`, `=`, not `.` or `..`.
pub fn identifier(what: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if value.len() > MAX_ID_LEN {
        return Err(format!(
            "{what} is {} characters long; the limit is {MAX_ID_LEN}",
            value.len()
        ));
    }
    if value == "." || value == ".." {
        return Err(format!(
            "{what} '{value}' is a path segment, not an identifier"
        ));
    }
    if let Some(bad) = value.chars().find(|c| {
        !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@' | '+' | '='))
    }) {
        return Err(format!(
            "{what} contains {bad:?}; only letters, digits and - _ . : @ + = are allowed"
        ));
    }
    Ok(())
}

/// The hash key must be the 44-character standard Base64 text of 32 random bytes.
pub fn hash_key(value: &str) -> Result<(), String> {
    let ok_chars = value
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='));
    if value.len() == 44 && value.ends_with('=') && !value.ends_with("==") && ok_chars {
        Ok(())
    } else {
        Err("the hash key is not 44-character Base64 text of 32 bytes".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_identifiers_are_rejected() {
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a\\b",
            "a'b",
            "a\"b",
            "x; DROP TABLE t",
            "a\nb",
            "a\u{0}b",
            &"x".repeat(129),
        ] {
            assert!(identifier("clientId", bad).is_err(), "{bad:?}");
        }
        for good in [
            "c0ffee00-1234-4abc-8def-0123456789ab",
            "perf-test-client-1",
            "REQ_1.2",
        ] {
            identifier("clientId", good).unwrap();
        }
    }

    #[test]
    fn hash_key_shape() {
        hash_key("dGVzdC1oYXNoLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=").unwrap();
        assert!(hash_key("").is_err());
        assert!(hash_key("short=").is_err());
    }
}
