//! Task dispatch: each Lambda ARN of the ASL maps to the handler function the Lambda runs.

use async_trait::async_trait;
use reporting_handlers::{poll_query, run_query, PollPolicy};
use serde_json::Value;
use state_machine::{TaskFailure, Tasks};

use crate::home::Opened;
use crate::machines::{POLL_QUERY, RUN_QUERY};

pub struct LocalTasks<'a> {
    pub home: &'a Opened,
    pub policy: PollPolicy,
}

#[async_trait]
impl Tasks for LocalTasks<'_> {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        let h = self.home;
        let result = match resource {
            RUN_QUERY => {
                run_query(input, &h.engine, &h.parameters, &h.deployment, &self.policy).await
            }
            POLL_QUERY => poll_query(input, &h.engine, &self.policy).await,
            other => {
                return Err(TaskFailure {
                    error: "States.Runtime".into(),
                    cause: format!("no local handler for resource {other}"),
                })
            }
        };
        result
            .map(|progress| serde_json::to_value(progress).expect("progress serialises"))
            .map_err(|e| TaskFailure {
                error: e.kind.error_type().to_string(),
                cause: e.message,
            })
    }
}
