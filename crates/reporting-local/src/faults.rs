//! Faults as AWS produces them, injected by wrapping a port: the real adapters have no fault
//! branches. A local home wraps its engine (DuckDB or Trino alike), object store and metrics sink
//! in these when its `config.json` asks for faults, for tests and drills.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::{
    MetricDatum, Metrics, ObjectInfo, ObjectStore, QueryEngine, QueryRequest, QueryState,
    QueryStatistics, QueryStatus, ResultPage, UploadedPart,
};
use reporting_core::sql_text::leading_words;

/// What a [`FaultyEngine`] injects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineFaults {
    /// Each OPTIMIZE and each VACUUM of a table first fails this many times with Athena's "more
    /// runs needed" answer, as a large Iceberg table does.
    pub more_runs_needed: u32,
    /// Only this table's OPTIMIZE and VACUUM need more runs (`more_runs_needed`); absent, every
    /// table's do.
    pub more_runs_table: Option<String>,
    /// The first this many query starts are throttled (Athena's TooManyRequestsException).
    pub throttled_starts: u32,
    /// The first this many writes (MERGE, INSERT, OPTIMIZE, VACUUM, …) fail with
    /// ICEBERG_COMMIT_ERROR.
    pub commit_conflicts: u32,
    /// The first this many queries fail inside the engine with a reason that may pass (Athena's
    /// retryable flag): the execution is over and must be started again.
    pub retryable_failures: u32,
    /// This catalog query always fails as a SQL error.
    pub failing_query: Option<String>,
}

impl EngineFaults {
    pub fn is_none(&self) -> bool {
        *self == EngineFaults::default()
    }
}

#[derive(Default)]
struct Given {
    throttles: u32,
    conflicts: u32,
    retryable: u32,
    /// "More runs needed" answers so far, by statement (`OPTIMIZE t`, `VACUUM t`).
    partial_runs: HashMap<String, u32>,
    /// The executions this wrapper failed, by id.
    failed: HashMap<String, QueryStatus>,
    /// The failed execution each ClientRequestToken started (a repeated start returns it, as
    /// Athena returns the first execution of a token).
    by_token: HashMap<String, String>,
    next_id: u64,
}

/// A query engine that fails as configured and otherwise is `inner`.
pub struct FaultyEngine<E> {
    pub inner: E,
    faults: EngineFaults,
    given: Mutex<Given>,
}

impl<E> FaultyEngine<E> {
    pub fn new(inner: E, faults: EngineFaults) -> Self {
        Self {
            inner,
            faults,
            given: Mutex::new(Given::default()),
        }
    }
}

/// `OPTIMIZE <table>` or `VACUUM <table>` when the statement is one.
fn housekeeping_statement(sql: &str) -> Option<String> {
    match leading_words(sql, 2).as_slice() {
        [verb, table]
            if verb.eq_ignore_ascii_case("OPTIMIZE") || verb.eq_ignore_ascii_case("VACUUM") =>
        {
            Some(format!("{} {table}", verb.to_ascii_uppercase()))
        }
        _ => None,
    }
}

/// A statement that commits to an Iceberg table, and so can lose a commit race.
fn is_write(sql: &str) -> bool {
    leading_words(sql, 1).first().is_some_and(|w| {
        ["MERGE", "INSERT", "UPDATE", "DELETE", "OPTIMIZE", "VACUUM"]
            .iter()
            .any(|verb| w.eq_ignore_ascii_case(verb))
    })
}

impl<E> FaultyEngine<E> {
    /// The failure this start gets, if any (counting it).
    fn failure(&self, given: &mut Given, request: &QueryRequest) -> Option<(ErrorKind, String)> {
        if self.faults.failing_query.as_deref() == Some(&request.query_id) {
            return Some((
                ErrorKind::QueryFailed,
                format!("SYNTAX_ERROR: {} fails (injected)", request.query_id),
            ));
        }
        if given.retryable < self.faults.retryable_failures {
            given.retryable += 1;
            return Some((
                ErrorKind::Transient,
                format!(
                    "GENERIC_INTERNAL_ERROR: the query failed for a reason that may pass (injected, {} of {})",
                    given.retryable, self.faults.retryable_failures
                ),
            ));
        }
        if is_write(&request.sql) && given.conflicts < self.faults.commit_conflicts {
            given.conflicts += 1;
            return Some((
                ErrorKind::CommitConflict,
                format!(
                    "ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update to table (injected, {} of {})",
                    given.conflicts, self.faults.commit_conflicts
                ),
            ));
        }
        let statement = housekeeping_statement(&request.sql)?;
        if let Some(table) = &self.faults.more_runs_table {
            let named = statement.rsplit([' ', '.']).next().unwrap_or_default();
            if !named.trim_matches('"').eq_ignore_ascii_case(table) {
                return None;
            }
        }
        let runs = given.partial_runs.entry(statement.clone()).or_insert(0);
        if *runs >= self.faults.more_runs_needed {
            return None;
        }
        *runs += 1;
        let code = if statement.starts_with("OPTIMIZE") {
            "ICEBERG_OPTIMIZE_MORE_RUNS_NEEDED"
        } else {
            "ICEBERG_VACUUM_MORE_RUNS_NEEDED"
        };
        Some((
            ErrorKind::MoreRunsNeeded,
            format!(
                "{code}: {statement} needs more runs (injected, {runs} of {})",
                self.faults.more_runs_needed
            ),
        ))
    }
}

#[async_trait]
impl<E: QueryEngine> QueryEngine for FaultyEngine<E> {
    async fn start(&self, request: QueryRequest) -> Result<String, PortError> {
        {
            let mut given = self.given.lock().unwrap();
            if let Some(id) = request
                .client_request_token
                .as_ref()
                .and_then(|t| given.by_token.get(t))
            {
                return Ok(id.clone());
            }
            if given.throttles < self.faults.throttled_starts {
                given.throttles += 1;
                return Err(PortError::new(
                    ErrorKind::Throttled,
                    format!(
                        "TooManyRequestsException: Rate exceeded (injected, {} of {})",
                        given.throttles, self.faults.throttled_starts
                    ),
                ));
            }
            if let Some((kind, reason)) = self.failure(&mut given, &request) {
                given.next_id += 1;
                let id = format!("injected-{:06}", given.next_id);
                if let Some(token) = &request.client_request_token {
                    given.by_token.insert(token.clone(), id.clone());
                }
                given.failed.insert(
                    id.clone(),
                    QueryStatus {
                        state: QueryState::Failed,
                        reason: Some(reason),
                        failure_kind: Some(kind),
                        statistics: QueryStatistics::default(),
                    },
                );
                return Ok(id);
            }
        }
        self.inner.start(request).await
    }

    async fn status(&self, execution_id: &str) -> Result<QueryStatus, PortError> {
        let failed = self.given.lock().unwrap().failed.get(execution_id).cloned();
        match failed {
            Some(status) => Ok(status),
            None => self.inner.status(execution_id).await,
        }
    }

    async fn cancel(&self, execution_id: &str) -> Result<(), PortError> {
        if self.given.lock().unwrap().failed.contains_key(execution_id) {
            return Ok(());
        }
        self.inner.cancel(execution_id).await
    }

    async fn results(
        &self,
        execution_id: &str,
        next_token: Option<&str>,
    ) -> Result<ResultPage, PortError> {
        if self.given.lock().unwrap().failed.contains_key(execution_id) {
            return Err(PortError::new(
                ErrorKind::InvalidInput,
                format!("execution {execution_id} failed; it has no results"),
            ));
        }
        self.inner.results(execution_id, next_token).await
    }
}

/// An object store whose first `puts` writes fail (a report lost between query and delivery): a
/// whole-object put, or a multipart upload's completion.
pub struct FailingPuts<S> {
    pub inner: S,
    remaining: Mutex<u32>,
}

impl<S> FailingPuts<S> {
    pub fn new(inner: S, puts: u32) -> Self {
        Self {
            inner,
            remaining: Mutex::new(puts),
        }
    }

    fn injected(&self, call: &str, bucket: &str, key: &str) -> Result<(), PortError> {
        let mut remaining = self.remaining.lock().unwrap();
        if *remaining > 0 {
            *remaining -= 1;
            return Err(PortError::new(
                ErrorKind::Internal,
                format!("{call} {bucket}/{key}: the writer died (injected)"),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl<S: ObjectStore> ObjectStore for FailingPuts<S> {
    async fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), PortError> {
        self.injected("PutObject", bucket, key)?;
        self.inner.put(bucket, key, body).await
    }
    async fn tail(
        &self,
        bucket: &str,
        key: &str,
        bytes: u64,
    ) -> Result<Option<Vec<u8>>, PortError> {
        self.inner.tail(bucket, key, bytes).await
    }
    async fn start_upload(&self, bucket: &str, key: &str) -> Result<String, PortError> {
        self.inner.start_upload(bucket, key).await
    }
    async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        number: i32,
        body: Vec<u8>,
    ) -> Result<UploadedPart, PortError> {
        self.inner
            .upload_part(bucket, key, upload, number, body)
            .await
    }
    async fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        parts: &[UploadedPart],
    ) -> Result<(), PortError> {
        self.injected("CompleteMultipartUpload", bucket, key)?;
        self.inner.complete_upload(bucket, key, upload, parts).await
    }
    async fn abort_upload(&self, bucket: &str, key: &str, upload: &str) -> Result<(), PortError> {
        self.inner.abort_upload(bucket, key, upload).await
    }
    async fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        self.inner.get(bucket, key).await
    }
    async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, PortError> {
        self.inner.list(bucket, prefix).await
    }
    async fn delete(&self, bucket: &str, key: &str) -> Result<(), PortError> {
        self.inner.delete(bucket, key).await
    }
}

/// A metrics sink whose first `calls` puts are throttled.
pub struct ThrottledMetrics<M> {
    pub inner: M,
    remaining: Mutex<u32>,
}

impl<M> ThrottledMetrics<M> {
    pub fn new(inner: M, calls: u32) -> Self {
        Self {
            inner,
            remaining: Mutex::new(calls),
        }
    }
}

#[async_trait]
impl<M: Metrics> Metrics for ThrottledMetrics<M> {
    async fn put(&self, data: Vec<MetricDatum>) -> Result<(), PortError> {
        {
            let mut remaining = self.remaining.lock().unwrap();
            if *remaining > 0 {
                *remaining -= 1;
                return Err(PortError::new(
                    ErrorKind::Throttled,
                    "PutMetricData: Rate exceeded (injected)",
                ));
            }
        }
        self.inner.put(data).await
    }
}
