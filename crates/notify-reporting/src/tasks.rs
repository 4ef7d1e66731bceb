//! Task dispatch: each Lambda ARN of the ASL maps to the handler function the Lambda runs.

use async_trait::async_trait;
use reporting_handlers::{
    is_sync_request, poll_query, publish_metric, run_query, sync_saved_queries, write_report,
    PollPolicy, ReportPorts,
};
use serde_json::Value;
use state_machine::{TaskFailure, Tasks};

use crate::home::Opened;
use crate::machines::{
    GLUE_COLUMN_STATISTICS, POLL_QUERY, PUBLISH_METRIC, RUN_QUERY, WRITE_REPORT,
};

pub struct LocalTasks<'a> {
    pub home: &'a Opened,
    pub policy: PollPolicy,
    /// Fault injection: how many more run-query responses are lost after the query started (as a
    /// Lambda that timed out on its way back); the state machine's Retry starts it again.
    pub lost_responses: std::sync::Mutex<u32>,
}

#[async_trait]
impl Tasks for LocalTasks<'_> {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        let h = self.home;
        let progress = |p| serde_json::to_value(p).expect("progress serialises");
        let result = match resource {
            RUN_QUERY if is_sync_request(&input) => {
                sync_saved_queries(input, &h.saved_queries, &h.deployment).await
            }
            RUN_QUERY => {
                let started =
                    run_query(input, &h.engine, &h.parameters, &h.deployment, &self.policy)
                        .await
                        .map(progress);
                let mut lost = self.lost_responses.lock().unwrap();
                if started.is_ok() && *lost > 0 {
                    *lost -= 1;
                    return Err(TaskFailure {
                        error: "Lambda.ServiceException".into(),
                        cause: "the run-query response was lost after the query started (injected)"
                            .into(),
                    });
                }
                started
            }
            POLL_QUERY => poll_query(input, &h.engine, &self.policy)
                .await
                .map(progress),
            WRITE_REPORT => {
                let ports = ReportPorts {
                    engine: &h.engine,
                    objects: &h.objects,
                    parameters: &h.parameters,
                    deployment: &h.deployment,
                };
                write_report(input, &ports).await
            }
            GLUE_COLUMN_STATISTICS => column_statistics(h, &input).await,
            PUBLISH_METRIC => publish_metric(input, &h.engine, &h.metrics, &h.deployment)
                .await
                .map(|o| serde_json::to_value(o).expect("output serialises")),
            other => {
                return Err(TaskFailure {
                    error: "States.Runtime".into(),
                    cause: format!("no local handler for resource {other}"),
                })
            }
        };
        result.map_err(|e| TaskFailure {
            error: e.kind.error_type().to_string(),
            cause: e.message,
        })
    }

    /// A server's transient failure (Trino's `NO_NODES_AVAILABLE` while the coordinator still
    /// registers itself, a busy cluster) clears only with real time, so the Retry's delay is slept
    /// there; DuckDB's retryable failures are injected and its delays stay virtual.
    async fn pause_before_retry(&self, seconds: f64) {
        if self.home.engine.is_server() {
            tokio::time::sleep(std::time::Duration::from_secs_f64(seconds)).await;
        }
    }
}

/// Glue's startColumnStatisticsTaskRun, locally: `ANALYZE` the table (a catalog table only).
async fn column_statistics(
    h: &Opened,
    input: &Value,
) -> Result<Value, reporting_core::HandlerError> {
    let table = input
        .get("TableName")
        .and_then(Value::as_str)
        .filter(|t| reporting_core::catalog::table(t).is_some())
        .ok_or_else(|| {
            reporting_core::HandlerError::invalid(format!(
                "startColumnStatisticsTaskRun: TableName must be a staging table, not {}",
                input.get("TableName").unwrap_or(&Value::Null)
            ))
        })?;
    h.engine.analyze(table).await?;
    Ok(serde_json::json!({"ColumnStatisticsTaskRunId": format!("local-analyze-{table}")}))
}
