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
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::finished::FinishedQueries;
use reporting_core::ports::{
    QueryEngine, QueryParam, QueryRequest, QueryState, QueryStatistics, QueryStatus, ResultPage,
};
use reporting_core::sql_text::count_parameter_markers;

use crate::source_folder::{create_source_view, with_source_relation};
use crate::statement::{check_merge_source, run_statement, to_value};

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
    /// The hash key's vault object, read as the `hash_key` table (Athena's table over the vault
    /// object in S3); `None`, or a file not there yet: no such table.
    pub hash_key_file: Option<PathBuf>,
    /// Where each started query's text and parameters are appended, one JSON line each, as
    /// Athena keeps a query history (`QueryString`, `ExecutionParameters`); `None`: kept nowhere.
    pub query_history: Option<PathBuf>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            source_dir: None,
            check_merge_sources: true,
            today: None,
            memory_limit: None,
            threads: None,
            hash_key_file: None,
            query_history: None,
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

pub(crate) fn engine_error(e: impl std::fmt::Display) -> PortError {
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
        if let Some(file) = options.hash_key_file.as_deref().filter(|f| f.is_file()) {
            crate::vault_table::create_hash_key_view(&conn, file)?;
        }
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
        if let Some(history) = &self.options.query_history {
            crate::query_history::record_query(history, &id, &request)?;
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
