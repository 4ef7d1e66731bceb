//! The local query engine: embedded DuckDB running the Athena SQL through the Trino layer.
//!
//! Queries run synchronously inside `start` (one writer, as DuckDB allows); `status` then reports
//! the finished state, so the state machines' poll loop runs unchanged with virtual waits.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;
use duckdb::types::Value;
use duckdb::Connection;
use reporting_core::catalog::SOURCE_SCHEMA;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::finished::FinishedQueries;
use reporting_core::ports::{
    QueryEngine, QueryParam, QueryRequest, QueryState, QueryStatistics, QueryStatus, ResultPage,
};
use reporting_core::source::PARTITION_COLUMNS;
use reporting_core::sql_text::{count_parameter_markers, mask, statement_keyword};

#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// The Firehose Parquet folder read as `transaction_history`; `None` for no source.
    pub source_dir: Option<PathBuf>,
    /// Check before each MERGE that no two source rows match one target row (Athena would fail).
    pub check_merge_sources: bool,
    /// Pins `current_date` (tests, replays); `None` is today in UTC.
    pub today: Option<reporting_core::CalendarDate>,
    /// DuckDB's memory limit, e.g. `3GB` (DuckDB's default: 80% of RAM). Work beyond it spills to
    /// a temporary folder next to the database.
    pub memory_limit: Option<String>,
    /// DuckDB's worker threads (default: one per core).
    pub threads: Option<u32>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            source_dir: None,
            check_merge_sources: true,
            today: None,
            memory_limit: None,
            threads: None,
        }
    }
}

/// What running one statement produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecutedQuery {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    pub rows_affected: Option<u64>,
}

/// A finished execution, before it is kept in [`FinishedQueries`].
struct Execution {
    status: QueryStatus,
    result: ExecutedQuery,
}

struct Inner {
    conn: Connection,
    /// The `read_parquet` relation queries read the source through (see [`create_source_view`]).
    source_relation: Option<String>,
    /// Every execution's end, and the execution each ClientRequestToken started.
    finished: FinishedQueries,
    next_id: u64,
}

pub struct DuckDbEngine {
    inner: Mutex<Inner>,
    /// Holds the empty Parquet file with the Glue schema of the source.
    schema_dir: tempfile::TempDir,
    options: EngineOptions,
}

fn engine_error(e: impl std::fmt::Display) -> PortError {
    PortError::new(ErrorKind::Internal, format!("local engine: {e}"))
}

impl DuckDbEngine {
    /// Opens (or creates) the database file.
    pub fn open(path: &Path, options: EngineOptions) -> Result<Self, PortError> {
        let conn = Connection::open(path).map_err(|e| {
            let busy = e.to_string().contains("lock");
            PortError::new(
                if busy {
                    ErrorKind::Throttled
                } else {
                    ErrorKind::Internal
                },
                format!("cannot open {}: {e}", path.display()),
            )
        })?;
        Self::with_connection(conn, options)
    }

    pub fn open_in_memory(options: EngineOptions) -> Result<Self, PortError> {
        Self::with_connection(Connection::open_in_memory().map_err(engine_error)?, options)
    }

    fn with_connection(conn: Connection, options: EngineOptions) -> Result<Self, PortError> {
        duckdb_trino::install(&conn).map_err(engine_error)?;
        // DuckDB rewrites `ROW_NUMBER() OVER (PARTITION BY k ORDER BY x) = 1` into an arg_max
        // aggregate over the whole row; with the projections' wide rows that aggregate is slower
        // than the window it replaces (21.4M change records: 190 s cold with it, 157 s without;
        // BENCHMARKS.md). The result is the same either way.
        conn.execute_batch("SET disabled_optimizers = 'top_n_window_elimination'")
            .map_err(engine_error)?;
        if let Some(limit) = &options.memory_limit {
            conn.execute_batch(&format!(
                "SET memory_limit = '{}'",
                limit.replace('\'', "''")
            ))
            .map_err(engine_error)?;
        }
        if let Some(threads) = options.threads {
            conn.execute_batch(&format!("SET threads = {threads}"))
                .map_err(engine_error)?;
        }
        if let Some(day) = options.today {
            conn.execute_batch(&format!("SET VARIABLE trino_current_date = DATE '{day}'"))
                .map_err(engine_error)?;
        }
        let schema_dir = tempfile::Builder::new()
            .prefix("notify-reporting-source-schema")
            .tempdir()
            .map_err(engine_error)?;
        let source_relation = match &options.source_dir {
            Some(dir) => Some(create_source_view(&conn, dir, schema_dir.path())?),
            None => None,
        };
        Ok(Self {
            schema_dir,
            inner: Mutex::new(Inner {
                source_relation,
                conn,
                finished: FinishedQueries::default(),
                next_id: 1,
            }),
            options,
        })
    }

    /// Runs one statement now and returns what it produced; SQL errors are `QueryFailed`.
    pub fn execute(&self, sql: &str, params: &[QueryParam]) -> Result<ExecutedQuery, PortError> {
        let inner = self.inner.lock().unwrap();
        self.execute_locked(&inner, sql, params)
    }

    /// Points `transaction_history` at another Firehose folder (its files as they are now): a new
    /// delivery of the source without reopening the database.
    pub fn replace_source(&self, dir: &Path) -> Result<(), PortError> {
        let mut inner = self.inner.lock().unwrap();
        inner.source_relation = Some(create_source_view(
            &inner.conn,
            dir,
            self.schema_dir.path(),
        )?);
        Ok(())
    }

    /// Every row of a table, all columns as text, sorted: a stable dump for comparisons.
    pub fn dump_table(&self, table: &str) -> Result<ExecutedQuery, PortError> {
        if !table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(PortError::new(
                ErrorKind::InvalidInput,
                format!("not a table name: {table}"),
            ));
        }
        self.execute(&format!("SELECT * FROM {table} ORDER BY ALL"), &[])
    }

    /// Row count of a table.
    pub fn row_count(&self, table: &str) -> Result<u64, PortError> {
        let dump = self.execute(&format!("SELECT count(*) FROM {}", quote_ident(table)), &[])?;
        Ok(dump.rows[0][0]
            .as_deref()
            .unwrap_or("0")
            .parse()
            .unwrap_or(0))
    }

    fn execute_locked(
        &self,
        inner: &Inner,
        sql: &str,
        params: &[QueryParam],
    ) -> Result<ExecutedQuery, PortError> {
        let failed = |e: String| PortError::new(ErrorKind::QueryFailed, e);
        let statements = duckdb_trino::translate(sql).map_err(|e| failed(e.to_string()))?;
        let total_markers: usize = statements.iter().map(|s| count_parameter_markers(s)).sum();
        if total_markers != params.len() {
            return Err(failed(format!(
                "the query has {total_markers} parameter markers but {} values were bound",
                params.len()
            )));
        }
        let values: Vec<Value> = params.iter().map(to_value).collect();
        let conn = &inner.conn;
        let mut result = ExecutedQuery::default();
        for statement in &statements {
            let statement = &match &inner.source_relation {
                Some(relation) => with_source_relation(statement, relation),
                None => statement.clone(),
            };
            let bound = if count_parameter_markers(statement) > 0 {
                &values[..]
            } else {
                &[][..]
            };
            if self.options.check_merge_sources {
                check_merge_source(conn, statement, bound)?;
            }
            result = run_statement(conn, statement, bound).map_err(|e| failed(e.to_string()))?;
        }
        Ok(result)
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn to_value(p: &QueryParam) -> Value {
    match p {
        QueryParam::Text(s) => Value::Text(s.clone()),
        QueryParam::Date(d) => Value::Text(d.to_string()),
        QueryParam::Integer(i) => Value::BigInt(*i),
        QueryParam::Secret(s) => Value::Text(s.expose().to_string()),
    }
}

/// Whether a statement is a question (it returns rows and changes nothing by its kind).
pub fn is_query(statement: &str) -> bool {
    matches!(
        statement_keyword(statement).as_str(),
        "SELECT" | "WITH" | "VALUES" | "SHOW" | "DESCRIBE" | "TABLE" | "FROM"
    )
}

fn run_statement(
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
    // timestamp's fraction written out to its precision as Trino prints it.
    let digits: Vec<Option<usize>> = {
        let raw = conn.prepare(statement)?;
        (0..raw.column_count())
            .map(|i| timestamp_digits(raw.column_logical_type(i).id()))
            .collect()
    };
    let wrapped = format!("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({statement}) AS query_result");
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
fn check_merge_source(
    conn: &Connection,
    statement: &str,
    values: &[Value],
) -> Result<(), PortError> {
    let failed = |e: String| PortError::new(ErrorKind::QueryFailed, e);
    let Some(parts) = duckdb_trino::merge::split(statement).map_err(|e| failed(e.to_string()))?
    else {
        return Ok(());
    };
    if count_parameter_markers(parts.source) != values.len() {
        return Err(failed(
            "the local MERGE check needs every parameter marker inside the USING query".into(),
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

/// `transaction_history` locally: every Parquet file under the source folder read by column name
/// (`union_by_name`), together with an empty file that has every Glue column, so a column no file
/// has yet still reads (as NULL of its Glue type), as in Athena. Returns the `read_parquet`
/// relation; the `transaction_history` view is that relation too (ad-hoc queries).
///
/// Queries get the relation itself in place of the view (see [`with_source_relation`]): DuckDB
/// prunes hive partitions with an expression such as the ingestion window's
/// `CAST(__year || '-' || … AS date) BETWEEN …` only when the filter sits directly on
/// `read_parquet`, not through a view. That is Glue partition pruning for Athena.
fn create_source_view(
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
        "read_parquet([{}], hive_partitioning = true, union_by_name = true, hive_types = {{{hive_types}}})",
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
fn with_source_relation(statement: &str, relation: &str) -> String {
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

#[async_trait]
impl QueryEngine for DuckDbEngine {
    async fn start(&self, request: QueryRequest) -> Result<String, PortError> {
        let mut inner = self.inner.lock().unwrap();
        // As Athena: a start repeated with its ClientRequestToken returns the first execution.
        if let Some(existing) = request
            .client_request_token
            .as_ref()
            .and_then(|t| inner.finished.started_with(t))
        {
            return Ok(existing);
        }
        let id = format!("local-{:06}", inner.next_id);
        inner.next_id += 1;
        if let Some(token) = &request.client_request_token {
            inner.finished.remember_token(token, &id);
        }
        let started = Instant::now();
        let outcome = self.execute_locked(&inner, &request.sql, &request.params);
        let engine_millis = Some(started.elapsed().as_millis() as u64);
        let execution = match outcome {
            Ok(result) => Execution {
                status: QueryStatus {
                    state: QueryState::Succeeded,
                    reason: None,
                    failure_kind: None,
                    statistics: QueryStatistics {
                        rows_affected: result.rows_affected,
                        engine_millis,
                        bytes_scanned: None,
                    },
                },
                result,
            },
            Err(e) if e.kind == ErrorKind::QueryFailed => {
                tracing::debug!(query = %request.query_id, error = %e.message, "local query failed");
                Execution {
                    status: QueryStatus {
                        state: QueryState::Failed,
                        reason: Some(e.message),
                        failure_kind: Some(ErrorKind::QueryFailed),
                        statistics: QueryStatistics {
                            engine_millis,
                            ..Default::default()
                        },
                    },
                    result: ExecutedQuery::default(),
                }
            }
            Err(e) => return Err(e),
        };
        keep(&mut inner.finished, id.clone(), execution);
        Ok(id)
    }

    async fn status(&self, execution_id: &str) -> Result<QueryStatus, PortError> {
        self.inner.lock().unwrap().finished.status(execution_id)
    }

    async fn cancel(&self, execution_id: &str) -> Result<(), PortError> {
        // Local queries finish inside start(); a finished query stays as it ended, as in Athena.
        self.status(execution_id).await.map(|_| ())
    }

    async fn results(
        &self,
        execution_id: &str,
        next_token: Option<&str>,
    ) -> Result<ResultPage, PortError> {
        let inner = self.inner.lock().unwrap();
        inner.finished.results(execution_id, next_token)
    }
}

/// Keeps a finished execution.
fn keep(finished: &mut FinishedQueries, id: String, execution: Execution) {
    finished.insert(
        &id,
        execution.status,
        execution.result.columns,
        execution.result.rows,
    );
}

#[cfg(test)]
mod tests {
    use super::{with_fraction_digits, with_source_relation};

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
