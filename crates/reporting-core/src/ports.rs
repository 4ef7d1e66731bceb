//! The ports (query engine, object store, parameters, metrics, saved queries). Handlers are written against these traits; `reporting-aws` and
//! `reporting-local` implement them. No AWS type appears here.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::catalog::Workgroup;
use crate::error::PortError;
use crate::CalendarDate;

/// A typed query parameter, bound positionally to the `?` markers of a SQL asset. Each engine
/// renders it its own way (Athena: SQL-literal text; DuckDB: a bound value). Never spliced.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryParam {
    Text(String),
    Date(CalendarDate),
    Integer(i64),
}

impl QueryParam {
    /// The value as Athena's execution parameters and Trino's `EXECUTE … USING` take it: SQL-literal
    /// text, strings and dates quoted with inner quotes doubled, integers as digits. A date is a
    /// quoted string, as Athena binds it: the SQL says where it is a date.
    pub fn athena_literal(&self) -> String {
        let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
        match self {
            QueryParam::Text(s) => quote(s),
            QueryParam::Date(d) => quote(&d.to_string()),
            QueryParam::Integer(i) => i.to_string(),
        }
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct QueryRequest {
    /// The catalog id of the query (for logs and errors), e.g. `ingestion/request_item_status`.
    pub query_id: String,
    /// Rendered SQL (placeholders substituted), still in Athena dialect.
    pub sql: String,
    pub params: Vec<QueryParam>,
    pub workgroup: Workgroup,
    /// Where results go (Athena `OutputLocation`); `None` uses the workgroup's default.
    pub output_location: Option<String>,
    /// Idempotency token: a retried start with the same token does not run the query twice.
    pub client_request_token: Option<String>,
}

/// The engine's view of a query's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QueryState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl QueryState {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            QueryState::Succeeded | QueryState::Failed | QueryState::Cancelled
        )
    }
}

/// Figures an engine reports about a query; any may be unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryStatistics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_affected: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_millis: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_scanned: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QueryStatus {
    pub state: QueryState,
    /// Athena's `StateChangeReason` (or the local engine's error) when failed or cancelled.
    pub reason: Option<String>,
    /// The classification of a failure (a commit conflict is retryable, a SQL error is not).
    pub failure_kind: Option<crate::ErrorKind>,
    pub statistics: QueryStatistics,
}

/// One page of a query's result set. Values are text as Athena returns them; NULL is `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultPage {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    pub next_token: Option<String>,
}

/// Rows a result page holds at most, as Athena's GetQueryResults hands them out.
pub const RESULT_PAGE_ROWS: usize = 1000;

impl ResultPage {
    /// The page of a finished result that `next_token` names, for engines that keep the whole
    /// result and hand it out in pages: a token is the offset of the page's first row.
    pub fn of(
        columns: &[String],
        rows: &[Vec<Option<String>>],
        next_token: Option<&str>,
    ) -> Result<ResultPage, PortError> {
        let start: usize = match next_token {
            None => 0,
            Some(t) => t.parse().map_err(|_| {
                PortError::new(
                    crate::ErrorKind::InvalidInput,
                    format!("bad page token {t}"),
                )
            })?,
        };
        let end = (start + RESULT_PAGE_ROWS).min(rows.len());
        Ok(ResultPage {
            columns: columns.to_vec(),
            rows: rows.get(start..end).unwrap_or_default().to_vec(),
            next_token: (end < rows.len()).then(|| end.to_string()),
        })
    }
}

#[async_trait]
pub trait QueryEngine: Send + Sync {
    /// Starts a query and returns its execution id.
    async fn start(&self, request: QueryRequest) -> Result<String, PortError>;
    async fn status(&self, execution_id: &str) -> Result<QueryStatus, PortError>;
    async fn cancel(&self, execution_id: &str) -> Result<(), PortError>;
    async fn results(
        &self,
        execution_id: &str,
        next_token: Option<&str>,
    ) -> Result<ResultPage, PortError>;
}

/// An object in a bucket, named by bucket and key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// When the object was written (S3's LastModified; a file's modification time), epoch
    /// milliseconds, where the store says. For a multipart upload S3 gives when it began, so it
    /// says roughly when a file landed, never whether a reader could see it yet.
    pub last_modified_millis: Option<i64>,
}

/// One uploaded part of a multipart upload: its number (from 1) and the store's tag for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedPart {
    pub number: i32,
    pub tag: String,
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    async fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), PortError>;
    async fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, PortError>;
    async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, PortError>;
    async fn delete(&self, bucket: &str, key: &str) -> Result<(), PortError>;

    /// The last `bytes` bytes of an object (S3: a ranged GET), `None` when it does not exist.
    /// Stores that can read a range override this; the default reads the whole object.
    async fn tail(
        &self,
        bucket: &str,
        key: &str,
        bytes: u64,
    ) -> Result<Option<Vec<u8>>, PortError> {
        Ok(self.get(bucket, key).await?.map(|body| {
            let from = body.len().saturating_sub(bytes as usize);
            body[from..].to_vec()
        }))
    }

    /// Begins a multipart upload of `key` (S3's CreateMultipartUpload): an object written part by
    /// part, in bounded memory, that appears whole at [`ObjectStore::complete_upload`] or never.
    async fn start_upload(&self, bucket: &str, key: &str) -> Result<String, PortError> {
        let _ = (bucket, key);
        Err(no_multipart())
    }
    /// Uploads part `number` (from 1; every part but the last at least 5 MiB, as S3 requires).
    async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        number: i32,
        body: Vec<u8>,
    ) -> Result<UploadedPart, PortError> {
        let _ = (bucket, key, upload, number, body);
        Err(no_multipart())
    }
    /// Makes the object of the parts, in order.
    async fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        parts: &[UploadedPart],
    ) -> Result<(), PortError> {
        let _ = (bucket, key, upload, parts);
        Err(no_multipart())
    }
    /// Drops an unfinished upload and its parts.
    async fn abort_upload(&self, bucket: &str, key: &str, upload: &str) -> Result<(), PortError> {
        let _ = (bucket, key, upload);
        Err(no_multipart())
    }
}

fn no_multipart() -> PortError {
    PortError::new(
        crate::ErrorKind::Internal,
        "this object store has no multipart uploads",
    )
}

#[async_trait]
pub trait Parameters: Send + Sync {
    /// A plain String parameter, `None` when it does not exist. Nothing here decrypts: no
    /// function reads a SecureString (the hash key lives in its vault object).
    async fn get_text(&self, name: &str) -> Result<Option<String>, PortError>;
}

/// One metric data point (CloudWatch PutMetricData shape, at the time of the call).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricDatum {
    pub namespace: String,
    pub name: String,
    pub dimensions: Vec<(String, String)>,
    pub value: f64,
    /// The CloudWatch unit, e.g. `Count`.
    pub unit: String,
}

#[async_trait]
pub trait Metrics: Send + Sync {
    async fn put(&self, data: Vec<MetricDatum>) -> Result<(), PortError>;
}

/// A query as it should be saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedQuery {
    /// The Athena name, as the existing system names them: the table for ingestion,
    /// `<table>_backfill`, `<table>_optimize` / `<table>_vacuum`, the file name for reports and
    /// watchdog checks.
    pub name: String,
    pub workgroup: Workgroup,
    pub description: String,
    /// Rendered for the deployment; parameters stay `?` markers (the hash key never appears).
    pub sql: String,
}

/// A saved query as the store holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingSavedQuery {
    pub id: String,
    pub name: String,
    pub workgroup: Workgroup,
    pub description: String,
    pub sql: String,
}

/// Saved (named) queries in the deployment's workgroups: the Athena console's list locally too.
#[async_trait]
pub trait SavedQueryStore: Send + Sync {
    /// Every saved query of every workgroup of the deployment (managed or not).
    async fn list(&self) -> Result<Vec<ExistingSavedQuery>, PortError>;
    async fn create(&self, query: &SavedQuery) -> Result<(), PortError>;
    async fn update(&self, id: &str, query: &SavedQuery) -> Result<(), PortError>;
    async fn delete(&self, id: &str) -> Result<(), PortError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_render_as_sql_literals() {
        assert_eq!(
            QueryParam::Text("o'brien".into()).athena_literal(),
            "'o''brien'"
        );
        assert_eq!(
            QueryParam::Date("2026-11-25".parse().unwrap()).athena_literal(),
            "'2026-11-25'"
        );
        assert_eq!(QueryParam::Integer(-3).athena_literal(), "-3");
    }
}
