//! Task dispatch: each Lambda's local resource goes to the one dispatcher the Lambdas use
//! (`reporting_handlers::handle`), with the home's ports; Glue's column statistics become
//! `ANALYZE`. Faults that belong to the trip between a state machine and a Lambda wrap this port
//! ([`LosingStartedResponses`]).

use async_trait::async_trait;
use reporting_handlers::{handle, LambdaName, PollPolicy, Ports, QueryProgress};
use serde_json::Value;
use state_machine::{TaskFailure, Tasks};

use crate::home::Opened;
use crate::machines::{lambda_of, GLUE_COLUMN_STATISTICS};

pub struct LocalTasks<'a> {
    pub home: &'a Opened,
    pub policy: PollPolicy,
}

impl LocalTasks<'_> {
    fn ports(&self) -> Ports<'_> {
        let h = self.home;
        Ports {
            engine: &h.engine,
            parameters: &h.parameters,
            deployment: &h.deployment,
            policy: &self.policy,
            saved_queries: Some(&h.saved_queries),
            objects: Some(&h.objects),
            metrics: Some(&h.metrics),
            source: h.source.as_ref(),
            vault: Some(&h.objects),
        }
    }
}

#[async_trait]
impl Tasks for LocalTasks<'_> {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        let result = if resource == GLUE_COLUMN_STATISTICS {
            column_statistics(self.home, &input).await
        } else if let Some(lambda) = lambda_of(resource) {
            handle(lambda, input, &self.ports()).await
        } else {
            return Err(TaskFailure {
                error: "States.Runtime".into(),
                cause: format!("no local handler for resource {resource}"),
            });
        };
        result.map_err(|e| TaskFailure {
            error: e.kind().error_type().to_string(),
            cause: e.message().to_string(),
        })
    }

    /// A server's transient failure (Trino's `NO_NODES_AVAILABLE` while the coordinator still
    /// registers itself, a busy cluster) clears only with real time, so the Retry's delay is slept
    /// there; DuckDB's retryable failures are injected and its delays stay virtual.
    async fn pause_before_retry(&self, seconds: f64) {
        if self.home.engine.inner.is_server() {
            tokio::time::sleep(std::time::Duration::from_secs_f64(seconds)).await;
        }
    }
}

/// Fault injection around any tasks port: the next `lost` responses of run-query that started a
/// query are lost on their way back (a Lambda that timed out after starting it), as
/// `Lambda.ServiceException`; the state machine's Retry starts the query again.
pub struct LosingStartedResponses<T> {
    pub inner: T,
    pub lost: std::sync::Mutex<u32>,
}

#[async_trait]
impl<T: Tasks> Tasks for LosingStartedResponses<T> {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        let output = self.inner.invoke(resource, input).await?;
        let started = lambda_of(resource) == Some(LambdaName::RunQuery)
            && serde_json::from_value::<QueryProgress>(output.clone()).is_ok();
        let mut lost = self.lost.lock().unwrap();
        if started && *lost > 0 {
            *lost -= 1;
            return Err(TaskFailure {
                error: "Lambda.ServiceException".into(),
                cause: "the run-query response was lost after the query started (injected)".into(),
            });
        }
        Ok(output)
    }

    async fn pause_before_retry(&self, seconds: f64) {
        self.inner.pause_before_retry(seconds).await
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
        .filter(|t| reporting_core::catalog::is_housekept(t))
        .ok_or_else(|| {
            reporting_core::HandlerError::invalid(format!(
                "startColumnStatisticsTaskRun: TableName must be a staging table, not {}",
                input.get("TableName").unwrap_or(&Value::Null)
            ))
        })?;
    h.engine.inner.analyze(table).await?;
    Ok(serde_json::json!({"ColumnStatisticsTaskRunId": format!("local-analyze-{table}")}))
}
