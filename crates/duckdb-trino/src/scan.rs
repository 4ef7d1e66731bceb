//! Structural scanning of SQL text: literals and comments masked out, parentheses matched.

pub use reporting_core::sql_text::{mask, strip_comments};

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
