//! The one reader of SQL text: [`spans`] cuts a statement into code, string literals, quoted
//! names and comments, and everything else here (parameter markers, statement kinds, masking,
//! word replacement, called functions) reads code only through it, so no pass mistakes a `?`, a
//! keyword or a table name inside a literal or a comment for SQL.

/// What a stretch of SQL text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    Code,
    /// `'…'`, quotes included.
    Literal,
    /// `"…"` or `` `…` ``, quotes included.
    QuotedName,
    /// `-- …` (to the end of the line, newline excluded) or `/* … */`.
    Comment,
}

/// `sql` cut into stretches, in order, covering all of it. A doubled quote inside a quoted text
/// is an escaped quote; an unterminated literal, name or comment runs to the end.
pub fn spans(sql: &str) -> Vec<(SpanKind, &str)> {
    let mut out = Vec::new();
    let (mut code_start, mut i) = (0, 0);
    while i < sql.len() {
        let rest = &sql[i..];
        let len = quoted_or_comment_len(rest);
        if len == 0 {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        if code_start < i {
            out.push((SpanKind::Code, &sql[code_start..i]));
        }
        let kind = match rest.as_bytes()[0] {
            b'\'' => SpanKind::Literal,
            b'"' | b'`' => SpanKind::QuotedName,
            _ => SpanKind::Comment,
        };
        out.push((kind, &rest[..len]));
        i += len;
        code_start = i;
    }
    if code_start < sql.len() {
        out.push((SpanKind::Code, &sql[code_start..]));
    }
    out
}

/// The number of `?` parameter markers in code (not in literals, names or comments).
pub fn count_parameter_markers(sql: &str) -> usize {
    spans(sql)
        .into_iter()
        .filter(|(kind, _)| *kind == SpanKind::Code)
        .map(|(_, code)| code.matches('?').count())
        .sum()
}

/// The first `n` words of the statement's code (split at blanks and parentheses), comments and
/// literals skipped: `["OPTIMIZE", "request_item_status"]`.
pub fn leading_words(sql: &str, n: usize) -> Vec<&str> {
    spans(sql)
        .into_iter()
        .filter(|(kind, _)| *kind == SpanKind::Code)
        .flat_map(|(_, code)| {
            code.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ';')
        })
        .filter(|w| !w.is_empty())
        .take(n)
        .collect()
}

/// The first word of a statement, upper-cased (`SELECT`, `MERGE`, …); empty if it has none.
pub fn statement_keyword(sql: &str) -> String {
    leading_words(sql, 1)
        .first()
        .map_or_else(String::new, |w| w.to_ascii_uppercase())
}

/// A copy of `sql` of the same byte length in which the contents of string literals and quoted
/// names (their quotes stay) and whole comments are blanks, so keyword and parenthesis searches
/// see only structure. Offsets are valid in both.
pub fn mask(sql: &str) -> String {
    masked(sql, true)
}

/// A copy of `sql` of the same byte length with only its comments blanked.
pub fn strip_comments(sql: &str) -> String {
    masked(sql, false)
}

fn masked(sql: &str, literals: bool) -> String {
    let blank = |text: &str| " ".repeat(text.len());
    spans(sql)
        .into_iter()
        .map(|(kind, text)| match kind {
            SpanKind::Code => text.to_string(),
            SpanKind::Comment => blank(text),
            SpanKind::Literal | SpanKind::QuotedName if literals => {
                let quote = &text[..1];
                let closed = text.len() >= 2 && text.ends_with(quote);
                let inner = if closed {
                    &text[1..text.len() - 1]
                } else {
                    &text[1..]
                };
                format!("{quote}{}{}", blank(inner), if closed { quote } else { "" })
            }
            SpanKind::Literal | SpanKind::QuotedName => text.to_string(),
        })
        .collect()
}

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

/// The length of the string literal, quoted identifier or comment `rest` starts with; 0 if it
/// starts with none. A doubled quote inside a quoted text is an escaped quote, not its end.
fn quoted_or_comment_len(rest: &str) -> usize {
    if rest.starts_with("--") {
        rest.find('\n').unwrap_or(rest.len())
    } else if rest.starts_with("/*") {
        rest.find("*/").map_or(rest.len(), |e| e + 2)
    } else if let Some(q @ ('\'' | '"' | '`')) = rest.chars().next() {
        let mut end = 1;
        loop {
            match rest[end..].find(q) {
                None => break rest.len(),
                Some(k) if rest[end + k + 1..].starts_with(q) => end += k + 2,
                Some(k) => break end + k + 1,
            }
        }
    } else {
        0
    }
}

/// `sql` with every keyword or identifier `word` (case-insensitive, whole words only) replaced by
/// `replacement`; string literals, quoted identifiers and comments are left as they are.
pub fn replace_word(sql: &str, word: &str, replacement: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(sql.len());
    for (kind, text) in spans(sql) {
        if kind != SpanKind::Code {
            out.push_str(text);
            continue;
        }
        let mut i = 0;
        while i < text.len() {
            let rest = &text[i..];
            let starts_word = !text[..i].ends_with(is_word);
            let matches = rest.len() >= word.len()
                && rest.is_char_boundary(word.len())
                && rest[..word.len()].eq_ignore_ascii_case(word)
                && !rest[word.len()..].starts_with(is_word);
            if starts_word && matches {
                out.push_str(replacement);
                i += word.len();
            } else {
                let c = rest.chars().next().expect("not at the end");
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// Words of SQL syntax that may stand before `(` without being a function call.
const SYNTAX_BEFORE_PAREN: &[&str] = &[
    "AND",
    "AS",
    "BY",
    "CAST",
    "COLUMNS",
    "EXISTS",
    "FILTER",
    "FROM",
    "IN",
    "INSERT",
    "JOIN",
    "NOT",
    "ON",
    "OR",
    "OVER",
    "SELECT",
    "TBLPROPERTIES",
    "THEN",
    "ELSE",
    "TRY_CAST",
    "USING",
    "VALUES",
    "WHEN",
    "WHERE",
    "WITH",
];

/// The functions a statement calls (lower case): each word followed by `(` that is not syntax
/// (`IN (`, `VALUES (`, `CAST(`), a name being defined or aliased (`AS t (d)`, `INTO t (…)`,
/// `TABLE t (…)`) or inside a literal, a quoted identifier or a comment.
pub fn called_functions(sql: &str) -> std::collections::BTreeSet<String> {
    #[derive(PartialEq)]
    enum Token<'a> {
        Word(&'a str),
        Other(char),
    }
    let mut tokens = Vec::new();
    let mut rest = sql;
    while let Some(c) = rest.chars().next() {
        let skip = quoted_or_comment_len(rest);
        if skip > 0 {
            // A literal or quoted name is a value or a name, never a function.
            tokens.push(Token::Other('\''));
            rest = &rest[skip..];
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            tokens.push(Token::Word(&rest[..end]));
            rest = &rest[end..];
        } else {
            if !c.is_whitespace() {
                tokens.push(Token::Other(c));
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    let mut out = std::collections::BTreeSet::new();
    for i in 1..tokens.len() {
        let (Token::Other('('), Token::Word(name)) = (&tokens[i], &tokens[i - 1]) else {
            continue;
        };
        let defined = i >= 2
            && matches!(tokens[i - 2], Token::Word(w)
                if ["AS", "INTO", "TABLE", "EXISTS", "VIEW"].iter().any(|k| w.eq_ignore_ascii_case(k)));
        let syntax = SYNTAX_BEFORE_PAREN
            .iter()
            .any(|k| name.eq_ignore_ascii_case(k));
        if !defined && !syntax {
            out.insert(name.to_ascii_lowercase());
        }
    }
    out
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

    #[test]
    fn spans_tell_code_from_literals_names_and_comments() {
        let sql = "SELECT 'it''s ?', \"a\"\"b\", `c` -- why?\n/* ? */ ?";
        let kinds: Vec<(SpanKind, &str)> = spans(sql);
        assert_eq!(
            kinds,
            vec![
                (SpanKind::Code, "SELECT "),
                (SpanKind::Literal, "'it''s ?'"),
                (SpanKind::Code, ", "),
                (SpanKind::QuotedName, "\"a\"\"b\""),
                (SpanKind::Code, ", "),
                (SpanKind::QuotedName, "`c`"),
                (SpanKind::Code, " "),
                (SpanKind::Comment, "-- why?"),
                (SpanKind::Code, "\n"),
                (SpanKind::Comment, "/* ? */"),
                (SpanKind::Code, " ?"),
            ]
        );
        assert_eq!(spans(sql).iter().map(|(_, t)| *t).collect::<String>(), sql);
        assert_eq!(count_parameter_markers(sql), 1);
        assert_eq!(
            spans("x 'open"),
            vec![(SpanKind::Code, "x "), (SpanKind::Literal, "'open")]
        );
    }

    #[test]
    fn statement_kinds_and_masks_skip_comments_and_literals() {
        assert_eq!(
            statement_keyword("-- MERGE\n/* x */ optimize t"),
            "OPTIMIZE"
        );
        assert_eq!(
            leading_words("VACUUM request_item_status;", 2),
            ["VACUUM", "request_item_status"]
        );
        assert_eq!(statement_keyword("(SELECT 1)"), "SELECT");
        assert_eq!(statement_keyword("-- only a comment"), "");
        let sql = "a 'b(c' \"d\" -- e\nf /* g */";
        assert_eq!(mask(sql), "a '   ' \" \"     \nf        ");
        assert_eq!(strip_comments(sql), "a 'b(c' \"d\"     \nf        ");
        assert_eq!(mask("é 'é'").len(), "é 'é'".len());
    }

    #[test]
    fn a_word_is_replaced_only_where_it_is_sql() {
        let d = "DATE '2024-05-15'";
        assert_eq!(
            replace_word("SELECT current_date, CURRENT_DATE - 1", "current_date", d),
            "SELECT DATE '2024-05-15', DATE '2024-05-15' - 1"
        );
        let untouched = "SELECT my_current_date, current_dates, 'current_date', \"current_date\",                          'it''s current_date' -- current_date\n/* current_date */ x";
        assert_eq!(replace_word(untouched, "current_date", d), untouched);
        assert_eq!(
            replace_word("'a''b' || current_date", "current_date", d),
            "'a''b' || DATE '2024-05-15'"
        );
    }

    #[test]
    fn function_calls_are_told_from_syntax_names_and_literals() {
        let sql = "WITH t AS (SELECT count(*) AS n, COALESCE(a, 'f(x)') FROM x WHERE k IN (1) \
                   AND EXISTS (SELECT 1)) -- ignored(1)\n\
                   INSERT INTO target (a) SELECT \"quoted\"(1), CAST(n AS decimal(38, 1)) \
                   FROM t CROSS JOIN UNNEST(sequence(1, 3)) AS p (n) WHERE date_add('day', 1, d) > d";
        let got: Vec<String> = called_functions(sql).into_iter().collect();
        assert_eq!(got, ["coalesce", "count", "date_add", "sequence", "unnest"]);
    }
}
