//! Validation of identifiers that come from outside (client ids, request ids) and of the hash key.

/// The longest identifier we accept (GUIDs are 36; refs are longer but bounded).
pub const MAX_ID_LEN: usize = 128;

/// Why an identifier or the hash key was refused; each names the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidValue {
    #[error("{field} is empty")]
    Empty { field: String },
    #[error("{field} is {len} characters long; the limit is {MAX_ID_LEN}")]
    TooLong { field: String, len: usize },
    #[error("{field} '{value}' is a path segment, not an identifier")]
    PathSegment { field: String, value: String },
    #[error("{field} contains {character:?}; only letters, digits and - _ . : @ + = are allowed")]
    Character { field: String, character: char },
    #[error("the hash key is not 44-character Base64 text of 32 bytes")]
    HashKeyShape,
}

/// A character an identifier may hold: an ASCII letter or digit, `-`, `_`, `.`, `:`, `@`, `+`, `=`.
pub fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@' | '+' | '=')
}

/// Checks an identifier that may become part of an S3 key or a rendered SQL list: 1–128 characters
/// of ASCII letters, digits, `-`, `_`, `.`, `:`, `@`, `+`, `=`, not `.` or `..`.
pub fn identifier(what: &str, value: &str) -> Result<(), InvalidValue> {
    let field = what.to_string();
    if value.is_empty() {
        return Err(InvalidValue::Empty { field });
    }
    if value.len() > MAX_ID_LEN {
        return Err(InvalidValue::TooLong {
            field,
            len: value.len(),
        });
    }
    if value == "." || value == ".." {
        return Err(InvalidValue::PathSegment {
            field,
            value: value.to_string(),
        });
    }
    if let Some(character) = value.chars().find(|c| !is_identifier_char(*c)) {
        return Err(InvalidValue::Character { field, character });
    }
    Ok(())
}

/// Checks a batch id (`requestId`, `requestRefId`): whatever the core account's clients sent,
/// bound as a query parameter and put in a report key through [`crate::key_segment`]; only an
/// empty one cannot stand for a batch.
pub fn batch_id(what: &str, value: &str) -> Result<(), InvalidValue> {
    if value.is_empty() {
        return Err(InvalidValue::Empty {
            field: what.to_string(),
        });
    }
    Ok(())
}

/// The hash key must be the 44-character standard Base64 text of 32 random bytes.
pub fn hash_key(value: &str) -> Result<(), InvalidValue> {
    let ok_chars = value
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='));
    if value.len() == 44 && value.ends_with('=') && !value.ends_with("==") && ok_chars {
        Ok(())
    } else {
        Err(InvalidValue::HashKeyShape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_identifiers_are_rejected_for_their_own_reason() {
        let field = || "clientId".to_string();
        for (bad, character) in [
            ("a/b", '/'),
            ("a\\b", '\\'),
            ("a'b", '\''),
            ("a\"b", '"'),
            ("x; DROP TABLE t", ';'),
            ("a\nb", '\n'),
            ("a\u{0}b", '\u{0}'),
        ] {
            assert_eq!(
                identifier("clientId", bad),
                Err(InvalidValue::Character {
                    field: field(),
                    character
                }),
                "{bad:?}"
            );
        }
        assert_eq!(
            identifier("clientId", ""),
            Err(InvalidValue::Empty { field: field() })
        );
        assert_eq!(
            identifier("clientId", ".."),
            Err(InvalidValue::PathSegment {
                field: field(),
                value: "..".into()
            })
        );
        assert_eq!(
            identifier("clientId", &"x".repeat(129)),
            Err(InvalidValue::TooLong {
                field: field(),
                len: 129
            })
        );
        assert_eq!(
            identifier("clientId", "a/b").unwrap_err().to_string(),
            "clientId contains '/'; only letters, digits and - _ . : @ + = are allowed"
        );
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
        assert_eq!(hash_key(""), Err(InvalidValue::HashKeyShape));
        assert_eq!(hash_key("short="), Err(InvalidValue::HashKeyShape));
    }
}
