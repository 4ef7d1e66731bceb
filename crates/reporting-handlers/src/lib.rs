//! The handlers behind the Lambdas. Each takes its ports as arguments, so the same function runs in
//! AWS (Athena, SSM) and in the local runner (DuckDB, parameter file).
//!
//! The state machines drive a query as run-query → Wait → poll-query → … until it ends; both
//! handlers speak one JSON shape, [`QueryProgress`], which is also what the Wait state reads.

pub mod contract;
mod machine_input;
mod plan_ingestion;
mod poll_query;
mod publish_metric;
mod run_query;
mod sync_saved_queries;
mod write_report;

pub use contract::{handle, LambdaName, Ports, QueryProgress};
pub use machine_input::{check_machine_input, MACHINE_INPUTS};
pub use plan_ingestion::{
    check_run, earliest_created, list_window, plan_from, plan_ingestion, window_start,
    IngestionInput, IngestionMode, IngestionPlan, PlanIngestion, PlanIngestionAction,
    SourceListing, BOUND_QUERY, CLAIM_QUERY, FILES_READ_QUERY, MARK_QUERY,
};
pub use poll_query::{
    poll_query, publish_bytes_scanned, PollPolicy, BYTES_SCANNED, INGESTION_NAMESPACE,
};
pub use publish_metric::{publish_metric, BATCH_SIZE};
pub use run_query::{client_request_token, run_query};
pub use sync_saved_queries::sync_saved_queries;
pub use write_report::{
    client_ids, write_report, write_streamed, ReportPorts, ReportTarget, WrittenReport,
    BATCHES_PER_PAGE, REPORTS_NAMESPACE, REPORT_PART_BYTES, SKIPPED_BATCHES,
};

use reporting_core::ports::QueryEngine;
use reporting_core::HandlerError;

/// A finished query's columns and every row, across all result pages (Athena gives 1,000 rows a
/// page).
pub(crate) async fn all_rows(
    engine: &dyn QueryEngine,
    execution_id: &str,
) -> Result<(Vec<String>, Vec<Vec<Option<String>>>), HandlerError> {
    let mut columns = Vec::new();
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = engine.results(execution_id, token.as_deref()).await?;
        if columns.is_empty() {
            columns = page.columns;
        }
        rows.extend(page.rows);
        match page.next_token {
            Some(t) => token = Some(t),
            None => return Ok((columns, rows)),
        }
    }
}
