//! The handlers behind the Lambdas. Each takes its ports as arguments, so the same function runs in
//! AWS (Athena, SSM) and in the local runner (DuckDB, parameter file).
//!
//! The state machines drive a query as run-query → Wait → poll-query → … until it ends; both
//! handlers speak one JSON shape, [`QueryProgress`], which is also what the Wait state reads.

mod poll_query;
mod publish_metric;
mod run_query;
mod sync_saved_queries;
mod write_report;

pub use poll_query::{poll_query, PollPolicy};
pub use publish_metric::{publish_metric, PublishInput, PublishOutput, Rejected, BATCH_SIZE};
pub use run_query::{client_request_token, run_query, RunQueryInput};
pub use sync_saved_queries::{is_sync_request, sync_saved_queries, SYNC_SAVED_QUERIES};
pub use write_report::{client_ids, write_report, Report, ReportPorts, ReportTarget};

use reporting_core::ports::{QueryState, QueryStatistics};
use reporting_core::HandlerError;
use serde::{Deserialize, Serialize};

/// A query in flight, as carried in state-machine data between run-query, Wait and poll-query.
/// It never holds a parameter value (the hash key in particular), only ids and progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryProgress {
    /// The catalog id, e.g. `ingestion/request_item_status`.
    pub query: String,
    pub query_execution_id: String,
    pub state: QueryState,
    /// How many times poll-query has looked.
    pub poll_count: u32,
    /// How long the state machine should wait before the next poll.
    pub wait_seconds: u32,
    /// Seconds waited so far (sum of the waits), for the timeout.
    pub waited_seconds: u32,
    #[serde(default)]
    pub statistics: QueryStatistics,
    /// The result rows of a finished probe (a small metadata query; see `Purpose::Probe`), by
    /// column name. Never present for any other query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
}

/// Parses a handler's JSON input, turning serde's complaint into a clear `Input.Invalid`.
pub fn parse_input<T: serde::de::DeserializeOwned>(
    what: &str,
    input: serde_json::Value,
) -> Result<T, HandlerError> {
    serde_json::from_value(input).map_err(|e| HandlerError::invalid(format!("{what} input: {e}")))
}
