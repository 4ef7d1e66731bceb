use async_trait::async_trait;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use aws_sdk_athena::Client;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::{
    QueryEngine, QueryRequest, QueryState, QueryStatistics, QueryStatus, ResultPage,
};

use crate::classify::{query_failure, sdk_error};

/// Where Athena calls go: the client, the Glue database queries run in (e.g.
/// `nhs-notify-prod-reporting-database`), and the workgroup names, `<prefix>-<workgroup>` (e.g.
/// `nhs-notify-prod-reporting-ingestion`). Shared by the query engine and the saved queries.
#[derive(Clone, Debug)]
pub(crate) struct AthenaScope {
    pub(crate) client: Client,
    pub(crate) database: String,
    workgroup_prefix: String,
}

impl AthenaScope {
    pub(crate) fn new(
        client: Client,
        database: impl Into<String>,
        workgroup_prefix: impl Into<String>,
    ) -> Self {
        Self {
            client,
            database: database.into(),
            workgroup_prefix: workgroup_prefix.into(),
        }
    }

    pub(crate) fn workgroup(&self, w: reporting_core::catalog::Workgroup) -> String {
        format!("{}-{}", self.workgroup_prefix, w.name())
    }
}

/// Athena (engine v3) as the query engine.
#[derive(Clone, Debug)]
pub struct AthenaEngine {
    scope: AthenaScope,
}

impl AthenaEngine {
    pub fn new(
        client: Client,
        database: impl Into<String>,
        workgroup_prefix: impl Into<String>,
    ) -> Self {
        Self {
            scope: AthenaScope::new(client, database, workgroup_prefix),
        }
    }

    /// The saved (named) queries of the same database and workgroups, on the same client.
    pub fn saved_queries(&self) -> crate::AthenaSavedQueries {
        crate::AthenaSavedQueries::in_scope(self.scope.clone())
    }
}

#[async_trait]
impl QueryEngine for AthenaEngine {
    async fn start(&self, request: QueryRequest) -> Result<String, PortError> {
        let mut call = self
            .scope
            .client
            .start_query_execution()
            .query_string(&request.sql)
            .work_group(self.scope.workgroup(request.workgroup))
            .query_execution_context(
                QueryExecutionContext::builder()
                    .database(&self.scope.database)
                    .build(),
            );
        for p in &request.params {
            call = call.execution_parameters(p.athena_literal());
        }
        if let Some(location) = &request.output_location {
            call = call.result_configuration(
                ResultConfiguration::builder()
                    .output_location(location)
                    .build(),
            );
        }
        if let Some(token) = &request.client_request_token {
            call = call.client_request_token(token);
        }
        let out = call
            .send()
            .await
            .map_err(|e| sdk_error("StartQueryExecution", e))?;
        out.query_execution_id.ok_or_else(|| {
            PortError::new(ErrorKind::Transient, "StartQueryExecution returned no id")
        })
    }

    async fn status(&self, execution_id: &str) -> Result<QueryStatus, PortError> {
        let out = self
            .scope
            .client
            .get_query_execution()
            .query_execution_id(execution_id)
            .send()
            .await
            .map_err(|e| sdk_error("GetQueryExecution", e))?;
        let execution = out.query_execution.ok_or_else(|| {
            PortError::new(ErrorKind::Transient, "GetQueryExecution returned nothing")
        })?;
        let status = execution.status.as_ref();
        let state = match status.and_then(|s| s.state.as_ref()) {
            Some(QueryExecutionState::Queued) | None => QueryState::Queued,
            Some(QueryExecutionState::Running) => QueryState::Running,
            Some(QueryExecutionState::Succeeded) => QueryState::Succeeded,
            Some(QueryExecutionState::Failed) => QueryState::Failed,
            Some(QueryExecutionState::Cancelled) => QueryState::Cancelled,
            Some(other) => {
                return Err(PortError::new(
                    ErrorKind::Internal,
                    format!("unknown Athena state {other:?}"),
                ))
            }
        };
        let reason = status.and_then(|s| s.state_change_reason.clone());
        let retryable = status
            .and_then(|s| s.athena_error.as_ref())
            .is_some_and(|e| e.retryable);
        let stats = execution.statistics.as_ref();
        Ok(QueryStatus {
            state,
            failure_kind: (state == QueryState::Failed)
                .then(|| query_failure(reason.as_deref().unwrap_or(""), retryable)),
            reason,
            statistics: QueryStatistics {
                rows_affected: None,
                engine_millis: stats
                    .and_then(|s| s.engine_execution_time_in_millis)
                    .map(|m| m.max(0) as u64),
                bytes_scanned: stats
                    .and_then(|s| s.data_scanned_in_bytes)
                    .map(|b| b.max(0) as u64),
            },
        })
    }

    async fn cancel(&self, execution_id: &str) -> Result<(), PortError> {
        self.scope
            .client
            .stop_query_execution()
            .query_execution_id(execution_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("StopQueryExecution", e))
    }

    async fn results(
        &self,
        execution_id: &str,
        next_token: Option<&str>,
    ) -> Result<ResultPage, PortError> {
        let out = self
            .scope
            .client
            .get_query_results()
            .query_execution_id(execution_id)
            .set_next_token(next_token.map(String::from))
            .send()
            .await
            .map_err(|e| sdk_error("GetQueryResults", e))?;
        let Some(set) = out.result_set else {
            return Ok(ResultPage {
                next_token: out.next_token,
                ..Default::default()
            });
        };
        let columns: Vec<String> = set
            .result_set_metadata
            .and_then(|m| m.column_info)
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.name)
            .collect();
        let mut rows: Vec<Vec<Option<String>>> = set
            .rows
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                r.data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| d.var_char_value)
                    .collect()
            })
            .collect();
        // The first page of a SELECT starts with the header row.
        if next_token.is_none()
            && rows.first().is_some_and(|r| {
                r.iter()
                    .map(|v| v.as_deref())
                    .eq(columns.iter().map(|c| Some(c.as_str())))
            })
        {
            rows.remove(0);
        }
        Ok(ResultPage {
            columns,
            rows,
            next_token: out.next_token,
        })
    }
}
