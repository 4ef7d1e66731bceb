//! One statement on DuckDB, as Athena would answer it: parameters bound as values, rows returned
//! as Athena's text (timestamps to their precision), and a MERGE refused where Athena would refuse
//! it.

use duckdb::types::Value;
use duckdb::Connection;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::QueryParam;
use reporting_core::sql_text::{count_parameter_markers, statement_keyword};

use crate::engine::ExecutedQuery;

pub(crate) fn to_value(p: &QueryParam) -> Value {
    match p {
        QueryParam::Text(s) => Value::Text(s.clone()),
        QueryParam::Date(d) => Value::Text(d.to_string()),
        QueryParam::Integer(i) => Value::BigInt(*i),
    }
}

/// Whether a statement is a question (it returns rows and changes nothing by its kind).
pub fn is_query(statement: &str) -> bool {
    matches!(
        statement_keyword(statement).as_str(),
        "SELECT" | "WITH" | "VALUES" | "SHOW" | "DESCRIBE" | "TABLE" | "FROM"
    )
}

pub(crate) fn run_statement(
    conn: &Connection,
    statement: &str,
    values: &[Value],
) -> duckdb::Result<ExecutedQuery> {
    if !is_query(statement) {
        let mut stmt = conn.prepare(statement)?;
        let n = stmt.execute(duckdb::params_from_iter(values.iter()))?;
        return Ok(ExecutedQuery {
            rows_affected: Some(n as u64),
            ..Default::default()
        });
    }
    // Every column as text, as Athena's GetQueryResults returns them: DuckDB's text, with each
    // timestamp's fraction written out to its precision as Trino prints it, and each array as
    // Athena prints it.
    let (digits, lists): (Vec<Option<usize>>, Vec<bool>) = {
        let raw = conn.prepare(statement)?;
        (0..raw.column_count())
            .map(|i| {
                let id = raw.column_logical_type(i).id();
                (timestamp_digits(id), is_list(id))
            })
            .unzip()
    };
    let wrapped = if lists.contains(&true) {
        let names = column_names(conn, statement, values)?;
        as_athena_text(statement, &names, &lists)
    } else {
        format!("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({statement}) AS query_result")
    };
    let mut stmt = conn.prepare(&wrapped)?;
    let mut rows = stmt.query(duckdb::params_from_iter(values.iter()))?;
    let mut out = Vec::new();
    let mut width = None;
    while let Some(row) = rows.next()? {
        let n = *width.get_or_insert_with(|| row.as_ref().column_count());
        out.push(
            (0..n)
                .map(|i| {
                    let text = row.get::<_, Option<String>>(i)?;
                    Ok(match digits.get(i).copied().flatten() {
                        Some(p) => text.map(|t| with_fraction_digits(t, p)),
                        None => text,
                    })
                })
                .collect::<duckdb::Result<Vec<_>>>()?,
        );
    }
    drop(rows);
    let columns = stmt.column_names();
    Ok(ExecutedQuery {
        rows_affected: Some(out.len() as u64),
        columns,
        rows: out,
    })
}

/// The fractional digits Trino prints for a timestamp of this DuckDB type (`timestamp(p)`); `None`
/// for every other type.
fn timestamp_digits(id: duckdb::core::LogicalTypeId) -> Option<usize> {
    use duckdb::core::LogicalTypeId as T;
    match id {
        T::TimestampS => Some(0),
        T::TimestampMs => Some(3),
        T::Timestamp => Some(6),
        T::TimestampNs => Some(9),
        _ => None,
    }
}

fn is_list(id: duckdb::core::LogicalTypeId) -> bool {
    use duckdb::core::LogicalTypeId as T;
    matches!(id, T::List | T::Array)
}

/// The names of a query's columns (DuckDB gives them only once a statement has run): the query
/// run with no rows.
fn column_names(
    conn: &Connection,
    statement: &str,
    values: &[Value],
) -> duckdb::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT * FROM ({statement}) AS query_result LIMIT 0"
    ))?;
    drop(stmt.query(duckdb::params_from_iter(values.iter()))?);
    Ok(stmt.column_names())
}

/// The query with every column as text and each array written as Athena prints one (and the Trino
/// adapter writes it): `[LETTER, null]`, elements unquoted and a NULL element `null`, where
/// DuckDB's own text is `[LETTER, NULL]` and quotes elements holding a comma or a bracket. The
/// columns are renamed by position inside, so names that repeat or need quoting keep working.
fn as_athena_text(statement: &str, names: &[String], lists: &[bool]) -> String {
    let position = |i: usize| format!("\"column_{i}\"");
    let renamed: Vec<String> = (0..lists.len()).map(position).collect();
    let columns: Vec<String> = lists
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, (list, name))| {
            let c = position(i);
            let text = if *list {
                format!(
                    "CASE WHEN {c} IS NULL THEN NULL ELSE '[' || array_to_string(\
                     list_transform({c}, lambda element: COALESCE(CAST(element AS VARCHAR), 'null')), ', ') || ']' END"
                )
            } else {
                format!("CAST({c} AS VARCHAR)")
            };
            format!("{text} AS \"{}\"", name.replace('"', "\"\""))
        })
        .collect();
    format!(
        "SELECT {} FROM ({statement}) AS query_result({})",
        columns.join(", "),
        renamed.join(", ")
    )
}

/// DuckDB's text of a timestamp (`2024-04-03 08:00:00`, `… 08:00:00.25`) with exactly `digits`
/// fractional digits, as Trino prints a `timestamp(digits)`: `2024-04-03 08:00:00.250000`.
fn with_fraction_digits(text: String, digits: usize) -> String {
    let Some(seconds_end) = text.get(..19).map(|_| 19) else {
        return text;
    };
    let bytes = text.as_bytes();
    if bytes[4] != b'-' || bytes[10] != b' ' || bytes[16] != b':' {
        return text; // infinity, a BC date: left as DuckDB wrote it
    }
    let tail = &text[seconds_end..];
    let fraction = match tail.strip_prefix('.') {
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => digits,
        None if tail.is_empty() => "",
        _ => return text, // ` (BC)`, a zone: left as DuckDB wrote it
    };
    let mut out = text[..seconds_end].to_string();
    if digits > 0 {
        out.push('.');
        out.push_str(&format!("{fraction:0<digits$}")[..digits]);
    }
    out
}

/// Athena fails a MERGE in which one target row is matched by several source rows; DuckDB applies
/// them silently. Check first, so local tests catch what production would reject.
pub(crate) fn check_merge_source(
    conn: &Connection,
    statement: &str,
    values: &[Value],
) -> Result<(), PortError> {
    let failed = |e: String| PortError::new(ErrorKind::QueryFailed, e);
    let Some(parts) = duckdb_trino::merge::split(statement).map_err(|e| failed(e.to_string()))?
    else {
        return Ok(());
    };
    // The check is the USING query and the ON condition, in the MERGE's order: it binds the
    // MERGE's values when no marker is past the ON (in a WHEN clause).
    if count_parameter_markers(parts.source) + count_parameter_markers(parts.on) != values.len() {
        return Err(failed(
            "the local MERGE check needs every parameter marker inside the USING query or the ON condition".into(),
        ));
    }
    let check = duckdb_trino::merge::uniqueness_check(&parts);
    let duplicates: i64 = conn
        .prepare(&check)
        .and_then(|mut s| s.query_row(duckdb::params_from_iter(values.iter()), |r| r.get(0)))
        .map_err(|e| failed(format!("MERGE INTO {}: {e}", parts.target)))?;
    if duplicates > 0 {
        return Err(failed(format!(
            "MERGE INTO {}: {duplicates} source rows match a target row that another source row also matches; \
             Athena rejects such a MERGE, so the local engine does too",
            parts.target
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::with_fraction_digits;

    #[test]
    fn a_timestamp_text_that_is_not_a_plain_date_time_is_left_as_duckdb_wrote_it() {
        let same = |t: &str, p| assert_eq!(with_fraction_digits(t.to_string(), p), t);
        same("infinity", 6);
        same("-infinity", 6);
        same("0044-03-15 12:00:00 (BC)", 6);
        same("2024-04-03", 6);
        same("2024-04-03T08:00:00", 6);
        same("2024-04-03 08:00:00.12x", 6);
        assert_eq!(
            with_fraction_digits("2024-04-03 08:00:00.123456789".into(), 6),
            "2024-04-03 08:00:00.123456"
        );
    }
}
