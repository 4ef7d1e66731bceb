//! Small pieces of reading SQL text that more than one engine's text pass needs.

/// The statement without the `--` comment lines before it.
pub fn strip_leading_comments(sql: &str) -> &str {
    let mut rest = sql.trim_start();
    while let Some(r) = rest.strip_prefix("--") {
        rest = r
            .split_once('\n')
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    rest
}

/// Splits on `sep` outside (), <> and quotes (column lists, type arguments); empty parts dropped.
pub fn split_top_level(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start, mut quote) = (0i32, 0usize, None::<char>);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(' | '<') => depth += 1,
            (None, ')' | '>') => depth -= 1,
            (None, c) if c == sep && depth == 0 => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_before_a_statement_are_skipped_and_lists_split_at_the_top_level() {
        assert_eq!(
            strip_leading_comments("-- a\n  -- b\nSELECT 1 -- c"),
            "SELECT 1 -- c"
        );
        assert_eq!(
            split_top_level("a string, b map<string,int>, c decimal(38,1), d 'x,y'", ','),
            vec![
                "a string",
                " b map<string,int>",
                " c decimal(38,1)",
                " d 'x,y'"
            ]
        );
    }
}
