//! [`TrinoEngine`]: the query-engine port over Trino's client REST protocol.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::finished::FinishedQueries;
use reporting_core::ports::{
    QueryEngine, QueryParam, QueryRequest, QueryState, QueryStatistics, QueryStatus, ResultPage,
};
use reporting_core::sql_text::{count_parameter_markers, replace_word};
use reporting_core::CalendarDate;

use crate::protocol::{QueryError, QueryResults};
use crate::text::athena_text;
use crate::{classify, ddl};

/// How often a protocol request answered 429/502/503/504 is tried before the query fails.
const HTTP_ATTEMPTS: u32 = 8;

/// Where and as whom queries run: the server, and the session every statement gets.
#[derive(Clone, Debug)]
pub struct TrinoSession {
    /// e.g. `http://127.0.0.1:18080` (no trailing slash needed).
    pub url: String,
    pub user: String,
    /// The catalog of the staging tables (Iceberg), and their schema: Athena's database.
    pub catalog: String,
    pub schema: String,
    /// A query running longer than this is cancelled and fails as `Query.Timeout`.
    pub timeout: Duration,
    /// Pins `current_date` (tests, replays), as the DuckDB engine's `today` does: the server's
    /// clock cannot be set per session, so each `current_date` of a statement becomes this date
    /// literal before Trino sees it. A view created so keeps the date. `None` is the server's date.
    pub today: Option<CalendarDate>,
}

pub struct TrinoEngine {
    http: reqwest::Client,
    session: TrinoSession,
    /// Every execution's end, and the execution each ClientRequestToken started.
    finished: Mutex<FinishedQueries>,
}

/// What a finished statement left.
#[derive(Default)]
struct Outcome {
    id: String,
    columns: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
    update_count: Option<u64>,
    elapsed_millis: Option<u64>,
    /// What the query read from storage (physical input; processed input on an older server).
    scanned_bytes: Option<u64>,
    error: Option<QueryError>,
    timed_out: bool,
}

fn transport(url: &str, e: impl std::fmt::Display) -> PortError {
    PortError::new(ErrorKind::Transient, format!("Trino at {url}: {e}"))
}

impl TrinoEngine {
    pub fn new(session: TrinoSession) -> Result<Self, PortError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| transport(&session.url, e))?;
        Ok(Self {
            http,
            session,
            finished: Mutex::new(FinishedQueries::default()),
        })
    }

    pub fn session(&self) -> &TrinoSession {
        &self.session
    }

    /// Runs one statement of Trino SQL as written (no Athena text pass; parameters bound, never
    /// spliced) to its end and returns every row: for the engine's own statements (schemas, the
    /// source table); catalog SQL goes through [`QueryEngine::start`]. SQL errors are
    /// `Query.Failed` with Trino's message; transport failures are `Retryable`.
    pub async fn execute(
        &self,
        sql: &str,
        params: &[QueryParam],
    ) -> Result<Vec<Vec<Option<String>>>, PortError> {
        let outcome = self.run(vec![sql.to_string()], params, "adhoc").await?;
        match outcome.error {
            Some(e) => Err(PortError::new(
                classify(&e),
                format!("{}: {}", e.error_name, e.message),
            )),
            None => Ok(outcome.rows),
        }
    }

    /// The statement text Trino receives: with parameters, `EXECUTE IMMEDIATE '<sql>' USING v1, …`
    /// with each value a SQL literal as Athena's execution parameters are (the SQL itself is
    /// quoted as a string literal; the values are never put into it).
    fn statement_text(sql: &str, params: &[QueryParam]) -> String {
        if params.is_empty() {
            return sql.to_string();
        }
        let values: Vec<String> = params.iter().map(QueryParam::athena_literal).collect();
        format!(
            "EXECUTE IMMEDIATE '{}' USING {}",
            sql.replace('\'', "''"),
            values.join(", ")
        )
    }

    /// Runs Trino statements in order, stopping at the first that fails.
    async fn run(
        &self,
        statements: Vec<String>,
        params: &[QueryParam],
        tag: &str,
    ) -> Result<Outcome, PortError> {
        let markers: usize = statements.iter().map(|s| count_parameter_markers(s)).sum();
        if markers != params.len() {
            return Err(PortError::new(
                ErrorKind::QueryFailed,
                format!(
                    "the query has {markers} parameter markers but {} values were bound",
                    params.len()
                ),
            ));
        }
        let mut outcome = Outcome::default();
        for statement in &statements {
            let bound = if count_parameter_markers(statement) > 0 {
                params
            } else {
                &[]
            };
            let statement = match self.session.today {
                Some(day) => replace_word(statement, "current_date", &format!("DATE '{day}'")),
                None => statement.clone(),
            };
            outcome = self
                .run_statement(&Self::statement_text(&statement, bound), tag)
                .await?;
            if outcome.error.is_some() || outcome.timed_out {
                break;
            }
        }
        Ok(outcome)
    }

    async fn run_statement(&self, text: &str, tag: &str) -> Result<Outcome, PortError> {
        let url = format!("{}/v1/statement", self.session.url.trim_end_matches('/'));
        let started = Instant::now();
        let mut page = self
            .request(|| {
                self.http
                    .post(&url)
                    .header("X-Trino-User", &self.session.user)
                    // The home's schema names its queries in system.runtime.queries (`source`).
                    .header(
                        "X-Trino-Source",
                        format!("notify-reporting:{}", self.session.schema),
                    )
                    .header("X-Trino-Catalog", &self.session.catalog)
                    .header("X-Trino-Schema", &self.session.schema)
                    .header("X-Trino-Time-Zone", "UTC")
                    // Timestamps at their own precision (an Iceberg timestamp(6) with six digits),
                    // not rounded to milliseconds as for clients that predate parametric types.
                    .header("X-Trino-Client-Capabilities", "PARAMETRIC_DATETIME")
                    .header("X-Trino-Client-Tags", format!("workgroup={tag}"))
                    .body(text.to_string())
            })
            .await?;
        let mut outcome = Outcome {
            id: page.id.clone(),
            ..Default::default()
        };
        loop {
            if let (true, Some(columns)) = (outcome.columns.is_empty(), &page.columns) {
                outcome.columns = columns.iter().map(|c| c.name.clone()).collect();
            }
            if let Some(data) = page.data.take() {
                outcome.rows.extend(
                    data.iter()
                        .map(|row| row.iter().map(athena_text).collect::<Vec<_>>()),
                );
            }
            outcome.update_count = page.update_count.or(outcome.update_count);
            outcome.elapsed_millis = page.stats.elapsed_time_millis;
            outcome.scanned_bytes = page
                .stats
                .physical_input_bytes
                .or(page.stats.processed_bytes);
            if let Some(error) = page.error.take() {
                outcome.error = Some(error);
                return Ok(outcome);
            }
            let Some(next) = page.next_uri.clone() else {
                return Ok(outcome);
            };
            if started.elapsed() > self.session.timeout {
                // Cancel: DELETE the next URI; the query ends on the server too.
                let _ = self
                    .http
                    .delete(&next)
                    .header("X-Trino-User", &self.session.user)
                    .send()
                    .await;
                outcome.timed_out = true;
                return Ok(outcome);
            }
            page = self
                .request(|| {
                    self.http
                        .get(&next)
                        .header("X-Trino-User", &self.session.user)
                })
                .await?;
        }
    }

    /// Sends a protocol request, trying again (with a growing pause) while the server answers
    /// 429, 502, 503 or 504, as the protocol asks clients to.
    async fn request(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<QueryResults, PortError> {
        let url = &self.session.url;
        let mut pause = Duration::from_millis(50);
        let mut attempt = 1;
        loop {
            let response = build().send().await.map_err(|e| transport(url, e))?;
            let status = response.status();
            if matches!(status.as_u16(), 429 | 502 | 503 | 504) && attempt < HTTP_ATTEMPTS {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
                attempt += 1;
                continue;
            }
            if !status.is_success() {
                let body = response.text().await.unwrap_or_default();
                let kind = if status.as_u16() == 429 {
                    ErrorKind::Throttled
                } else if status.is_server_error() {
                    ErrorKind::Transient
                } else {
                    ErrorKind::Internal
                };
                return Err(PortError::new(
                    kind,
                    format!("Trino at {url} answered {status}: {}", body.trim()),
                ));
            }
            return response.json::<QueryResults>().await.map_err(|e| {
                PortError::new(
                    ErrorKind::Internal,
                    format!("Trino at {url}: an answer that is not the client protocol: {e}"),
                )
            });
        }
    }
}

#[async_trait]
impl QueryEngine for TrinoEngine {
    async fn start(&self, request: QueryRequest) -> Result<String, PortError> {
        if let Some(existing) = request
            .client_request_token
            .as_ref()
            .and_then(|t| self.finished.lock().unwrap().started_with(t))
        {
            return Ok(existing);
        }
        // Athena SQL: DDL and housekeeping through the text pass, everything else verbatim.
        let outcome = match ddl::translate(&request.sql) {
            Ok(statements) => {
                self.run(statements, &request.params, request.workgroup.name())
                    .await
            }
            Err(e) => Err(PortError::new(ErrorKind::QueryFailed, e.to_string())),
        };
        let outcome = match outcome {
            Ok(o) => o,
            // Refused before Trino saw it (a statement with no Trino form, a marker count that does
            // not match): a failed query, as Athena fails a query it cannot parse.
            Err(e) if e.kind == ErrorKind::QueryFailed => Outcome {
                id: format!("refused-{}", request.query_id.replace('/', "-")),
                error: Some(QueryError {
                    message: e.message,
                    error_name: "NOT_SUPPORTED".into(),
                    error_type: "USER_ERROR".into(),
                }),
                ..Default::default()
            },
            Err(e) => return Err(e),
        };
        let statistics = QueryStatistics {
            rows_affected: outcome.update_count.or(Some(outcome.rows.len() as u64)),
            engine_millis: outcome.elapsed_millis,
            bytes_scanned: outcome.scanned_bytes,
        };
        let status = match (&outcome.error, outcome.timed_out) {
            (Some(e), _) => QueryStatus {
                state: if classify(e) == ErrorKind::QueryCancelled {
                    QueryState::Cancelled
                } else {
                    QueryState::Failed
                },
                reason: Some(format!("{}: {}", e.error_name, e.message)),
                failure_kind: Some(classify(e)),
                statistics: QueryStatistics {
                    rows_affected: None,
                    ..statistics
                },
            },
            (None, true) => QueryStatus {
                state: QueryState::Failed,
                reason: Some(format!(
                    "{} ran longer than {} s and was cancelled",
                    request.query_id,
                    self.session.timeout.as_secs()
                )),
                failure_kind: Some(ErrorKind::QueryTimeout),
                statistics: QueryStatistics {
                    rows_affected: None,
                    ..statistics
                },
            },
            (None, false) => QueryStatus {
                state: QueryState::Succeeded,
                reason: None,
                failure_kind: None,
                statistics,
            },
        };
        if let Some(reason) = &status.reason {
            tracing::debug!(query = %request.query_id, %reason, "Trino query did not succeed");
        }
        let id = outcome.id.clone();
        let mut finished = self.finished.lock().unwrap();
        if let Some(token) = &request.client_request_token {
            finished.remember_token(token, &id);
        }
        finished.insert(&id, status, outcome.columns, outcome.rows);
        Ok(id)
    }

    async fn status(&self, execution_id: &str) -> Result<QueryStatus, PortError> {
        self.finished.lock().unwrap().status(execution_id)
    }

    async fn cancel(&self, execution_id: &str) -> Result<(), PortError> {
        // Queries finish (or are cancelled at the timeout) inside start(); a finished one stays
        // as it ended, as in Athena.
        self.status(execution_id).await.map(|_| ())
    }

    async fn results(
        &self,
        execution_id: &str,
        next_token: Option<&str>,
    ) -> Result<ResultPage, PortError> {
        self.finished
            .lock()
            .unwrap()
            .results(execution_id, next_token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_bound_after_using_and_the_sql_is_quoted_not_spliced() {
        let text = TrinoEngine::statement_text(
            "SELECT * FROM t WHERE c = ? AND d >= date(?) AND x = 'it''s'",
            &[
                QueryParam::Text("o'brien".into()),
                QueryParam::Date("2026-11-20".parse().unwrap()),
            ],
        );
        assert_eq!(
            text,
            "EXECUTE IMMEDIATE 'SELECT * FROM t WHERE c = ? AND d >= date(?) AND x = ''it''''s''' USING 'o''brien', '2026-11-20'"
        );
        assert_eq!(TrinoEngine::statement_text("SELECT 1", &[]), "SELECT 1");
    }
}
