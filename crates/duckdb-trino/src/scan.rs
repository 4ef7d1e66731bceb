//! Structural scanning of SQL text: literals and comments masked out, parentheses matched.

/// A copy of `sql` of the same byte length in which the contents of string literals, quoted
/// identifiers and comments are replaced by spaces (the quote characters themselves stay), so
/// that keyword and parenthesis searches only see structure. Offsets are valid in both.
pub fn mask(sql: &str) -> String {
    masked(sql, true)
}

/// A copy of `sql` with only its comments replaced by spaces: literals stay as they are.
pub fn strip_comments(sql: &str) -> String {
    masked(sql, false)
}

fn masked(sql: &str, literals: bool) -> String {
    let bytes = sql.as_bytes();
    let mut out = bytes.to_vec();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"' | b'`') => {
                let mut j = i + 1;
                while j < bytes.len() {
                    if bytes[j] == q {
                        if q == b'\'' && j + 1 < bytes.len() && bytes[j + 1] == b'\'' {
                            if literals {
                                out[j] = b' ';
                                out[j + 1] = b' ';
                            }
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    if literals {
                        out[j] = b' ';
                    }
                    j += 1;
                }
                i = j + 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    out[i] = b' ';
                    i += 1;
                }
                if i < bytes.len() {
                    out[i] = b' ';
                    out[i + 1] = b' ';
                    i += 2;
                }
            }
            _ => i += 1,
        }
    }
    // Every masked byte became an ASCII space, so the result is valid UTF-8.
    String::from_utf8(out).expect("masking keeps UTF-8 valid")
}

/// The offset of the `)` that closes the `(` at `open` in masked text.
pub fn matching_paren(masked: &str, open: usize) -> Option<usize> {
    matching(masked, open, b'(', b')')
}

/// The offset of the `close` that balances the `open_char` at `open`.
pub fn matching(text: &str, open: usize, open_char: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate().skip(open) {
        match b {
            b if b == open_char => depth += 1,
            b if b == close => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Finds a keyword (case-insensitive, on word boundaries) at parenthesis depth 0 from `from`.
pub fn find_top_level_keyword(masked: &str, keyword: &str, from: usize) -> Option<usize> {
    let bytes = masked.as_bytes();
    let kw = keyword.as_bytes();
    let mut depth = 0i32;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ if depth == 0
                && bytes.len() - i >= kw.len()
                && bytes[i..i + kw.len()].eq_ignore_ascii_case(kw)
                && (i == 0 || !is_word(bytes[i - 1]))
                && bytes.get(i + kw.len()).is_none_or(|b| !is_word(*b)) =>
            {
                return Some(i);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

pub fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_literals_and_comments_keeping_offsets() {
        let sql = "SELECT 'a(b''c' AS \"x)\" -- WHEN\n/* ) */ FROM t";
        let m = mask(sql);
        assert_eq!(m.len(), sql.len());
        assert!(!m.contains("WHEN") && !m.contains("a(b"));
        assert_eq!(find_top_level_keyword(&m, "from", 0), sql.find("FROM"));
    }

    #[test]
    fn strips_comments_but_keeps_literals() {
        let sql = "a = '--x' -- note\n/* c */ AND b = 'it''s'";
        assert_eq!(
            strip_comments(sql),
            "a = '--x'        \n        AND b = 'it''s'"
        );
    }

    #[test]
    fn matches_nested_parens() {
        let m = mask("f(a, (b), ')') + 1");
        assert_eq!(matching_paren(&m, 1), Some(13));
    }
}
