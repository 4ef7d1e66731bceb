//! Query results as Athena writes them to S3: a header row of column names, then one line per
//! row; every non-NULL value (and every column name) double-quoted with inner quotes doubled,
//! NULL as an empty unquoted field, fields separated by commas, lines ended by `\n`.

fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// Appends one line of fields.
pub fn push_row<'a>(out: &mut String, fields: impl IntoIterator<Item = Option<&'a str>>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(v) = field {
            push_quoted(out, v);
        }
    }
    out.push('\n');
}

/// The whole file: header and rows.
pub fn athena_csv(columns: &[String], rows: &[Vec<Option<String>>]) -> String {
    let mut out = String::new();
    push_row(&mut out, columns.iter().map(|c| Some(c.as_str())));
    for row in rows {
        push_row(&mut out, row.iter().map(|v| v.as_deref()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_values_doubles_inner_quotes_and_leaves_null_empty() {
        let columns = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let rows = vec![
            vec![Some("x".into()), None, Some("say \"hi\", then go".into())],
            vec![Some(String::new()), Some("line\nbreak".into()), None],
        ];
        assert_eq!(
            athena_csv(&columns, &rows),
            "\"a\",\"b\",\"c\"\n\"x\",,\"say \"\"hi\"\", then go\"\n\"\",\"line\nbreak\",\n"
        );
    }

    #[test]
    fn an_empty_result_is_the_header_alone() {
        assert_eq!(athena_csv(&["only".to_string()], &[]), "\"only\"\n");
    }
}
