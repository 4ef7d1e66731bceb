//! `transaction_history` locally: the Firehose Parquet folder read as the Glue table, by column
//! name, with the window's partition filter reaching the scan.

use std::path::Path;

use duckdb::Connection;
use reporting_core::catalog::SOURCE_SCHEMA;
use reporting_core::error::PortError;
use reporting_core::source::PARTITION_COLUMNS;
use reporting_core::sql_text::mask;

use crate::engine::engine_error;

/// The column that names each row's file: Athena's and Trino's hidden `"$path"`, which DuckDB's
/// `read_parquet` gives under the name its `filename` option sets. One SQL meaning on every engine:
/// a query says `"$path"`, and `"$path" IN (?, …)` prunes to those files here as there. Unlike
/// Athena's, the column is not hidden: `SELECT *` over the source shows it locally (no SQL asset
/// does that).
pub const FILE_PATH_COLUMN: &str = "$path";

/// `transaction_history` locally: every Parquet file under the source folder read by column name
/// (`union_by_name`), together with an empty file that has every Glue column, so a column no file
/// has yet still reads (as NULL of its Glue type), as in Athena. Returns the `read_parquet`
/// relation; the `transaction_history` view is that relation too (ad-hoc queries).
///
/// Queries get the relation itself in place of the view (see [`with_source_relation`]): DuckDB
/// prunes hive partitions with an expression such as the ingestion window's
/// `CAST(__year || '-' || … AS date) BETWEEN …` only when the filter sits directly on
/// `read_parquet`, not through a view. That is Glue partition pruning for Athena.
pub(crate) fn create_source_view(
    conn: &Connection,
    dir: &Path,
    schema_dir: &Path,
) -> Result<String, PortError> {
    let schema = duckdb_trino::translate(SOURCE_SCHEMA)
        .map_err(engine_error)?
        .remove(0);
    let schema = schema.replacen(
        "CREATE TABLE transaction_history (",
        "CREATE OR REPLACE TEMP TABLE transaction_history_columns (",
        1,
    );
    if !schema.contains("transaction_history_columns") {
        return Err(engine_error(
            "sql/source/transaction_history.sql must start CREATE TABLE transaction_history (",
        ));
    }
    conn.execute_batch(&schema).map_err(engine_error)?;
    // The empty file lives in a partition no window reaches (1970-01-01; a backfill's does, and it
    // has no rows).
    let partition = schema_dir.join("__year=1970/__month=1/__day=1");
    std::fs::create_dir_all(&partition).map_err(engine_error)?;
    let schema_file = partition.join("glue-schema.parquet");
    let partition_columns = PARTITION_COLUMNS.join(", ");
    conn.execute_batch(&format!(
        "COPY (SELECT * EXCLUDE ({partition_columns}) FROM transaction_history_columns) TO '{}' (FORMAT parquet)",
        sql_text(&schema_file)
    ))
    .map_err(engine_error)?;
    let mut files = vec![format!("'{}'", sql_text(&schema_file))];
    if has_parquet(dir) {
        files.push(format!("'{}'", sql_text(&dir.join("**").join("*.parquet"))));
    }
    let hive_types = PARTITION_COLUMNS
        .iter()
        .map(|c| format!("'{c}': 'INTEGER'"))
        .collect::<Vec<_>>()
        .join(", ");
    let relation = format!(
        "read_parquet([{}], hive_partitioning = true, union_by_name = true, hive_types = {{{hive_types}}}, filename = '{FILE_PATH_COLUMN}')",
        files.join(", ")
    );
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP VIEW transaction_history AS SELECT * FROM {relation}"
    ))
    .map_err(engine_error)?;
    Ok(relation)
}

fn sql_text(path: &Path) -> String {
    path.to_string_lossy().replace('\'', "''")
}

/// `FROM transaction_history` in a statement, replaced by the source relation (aliased with the
/// same name), so the window filter reaches the Parquet scan. Only the exact table name matches.
pub(crate) fn with_source_relation(statement: &str, relation: &str) -> String {
    // Searched in the masked text (same offsets), so a literal or comment never matches.
    let lower = mask(statement).to_ascii_lowercase();
    let mut out = String::with_capacity(statement.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find("from") {
        let at = from + found;
        from = at + 4;
        let before_ok = at == 0 || !is_word(lower.as_bytes()[at - 1]);
        let rest = &lower[at + 4..];
        let name_at = at + 4 + (rest.len() - rest.trim_start().len());
        let after = name_at + "transaction_history".len();
        let is_source = before_ok
            && name_at > at + 4
            && lower[name_at..].starts_with("transaction_history")
            && lower.as_bytes().get(after).is_none_or(|b| !is_word(*b));
        if is_source {
            out.push_str(&statement[last..name_at]);
            out.push_str(relation);
            // Keep the statement's own alias if it has one; otherwise the name stays usable.
            if !has_alias(&lower[after..]) {
                out.push_str(" AS transaction_history");
            }
            last = after;
            from = after;
        }
    }
    out.push_str(&statement[last..]);
    out
}

/// Whether a table reference is followed by an alias (`AS x` or a bare name), not a clause.
fn has_alias(rest: &str) -> bool {
    const CLAUSES: &[&str] = &[
        "where",
        "group",
        "order",
        "limit",
        "offset",
        "join",
        "inner",
        "left",
        "right",
        "full",
        "cross",
        "natural",
        "on",
        "using",
        "union",
        "except",
        "intersect",
        "window",
        "qualify",
        "having",
        "tablesample",
    ];
    let word: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '"')
        .collect();
    !word.is_empty() && !CLAUSES.contains(&word.as_str())
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'"' || b == b'.'
}

fn has_parquet(dir: &Path) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::with_source_relation;

    #[test]
    fn only_the_source_table_is_replaced_and_aliases_are_kept() {
        let r = "read_parquet(['x'])";
        assert_eq!(
            with_source_relation("SELECT * FROM transaction_history WHERE a", r),
            "SELECT * FROM read_parquet(['x']) AS transaction_history WHERE a"
        );
        assert_eq!(
            with_source_relation("select 1 from\n  transaction_history th join t", r),
            "select 1 from\n  read_parquet(['x']) th join t"
        );
        assert_eq!(
            with_source_relation("SELECT * FROM transaction_history AS h", r),
            "SELECT * FROM read_parquet(['x']) AS h"
        );
        assert_eq!(
            with_source_relation("SELECT * FROM transaction_history)", r),
            "SELECT * FROM read_parquet(['x']) AS transaction_history)"
        );
        for untouched in [
            "SELECT * FROM transaction_history_columns",
            "SELECT transaction_history FROM t",
            "SELECT * FROM main.transaction_history2",
            "SELECT 'from transaction_historyx'",
            "SELECT 'from transaction_history' AS quoted FROM t",
            "-- read from transaction_history\nSELECT 1 FROM t /* from transaction_history */",
        ] {
            assert_eq!(with_source_relation(untouched, r), untouched);
        }
    }
}
