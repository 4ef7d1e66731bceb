use reporting_core::catalog::{self, Purpose, PROBE_ROW_LIMIT};
use reporting_core::error::ErrorKind;
use reporting_core::ports::{QueryEngine, QueryState};
use reporting_core::HandlerError;

use crate::contract::QueryProgress;

/// How a query is waited for: growing waits up to a cap, so a long query costs few transitions,
/// and a bound after which it is cancelled as timed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollPolicy {
    pub first_wait_seconds: u32,
    pub max_wait_seconds: u32,
    pub timeout_seconds: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            first_wait_seconds: 2,
            max_wait_seconds: 30,
            timeout_seconds: 3600,
        }
    }
}

/// Looks at a query once. Returns the progress with the next wait while it runs, the final
/// statistics when it succeeded, and a typed error when it failed, was cancelled or timed out.
pub async fn poll_query(
    mut progress: QueryProgress,
    engine: &dyn QueryEngine,
    policy: &PollPolicy,
) -> Result<QueryProgress, HandlerError> {
    let status = engine.status(&progress.query_execution_id).await?;
    let waited = progress
        .waited_seconds
        .saturating_add(progress.wait_seconds);
    let what = format!(
        "query {} (execution {})",
        progress.query, progress.query_execution_id
    );
    match status.state {
        QueryState::Succeeded => {
            tracing::info!(query = %progress.query, execution_id = %progress.query_execution_id, statistics = ?status.statistics, "query succeeded");
            progress.state = QueryState::Succeeded;
            progress.statistics = status.statistics;
            progress.waited_seconds = waited;
            progress.wait_seconds = 0;
            if catalog::query(&progress.query).is_some_and(|q| q.purpose == Purpose::Probe) {
                progress.rows = Some(probe_rows(engine, &progress).await?);
            }
            Ok(progress)
        }
        QueryState::Failed => {
            // The execution is over. A passing reason (throttled or transient inside the engine)
            // is a rerun of the query, never a retry of this poll of a dead execution.
            let kind = match status.failure_kind.unwrap_or(ErrorKind::QueryFailed) {
                ErrorKind::Throttled | ErrorKind::Transient => ErrorKind::QueryRetryable,
                kind => kind,
            };
            Err(HandlerError::new(
                kind,
                format!(
                    "{what} failed: {}",
                    status.reason.unwrap_or_else(|| "no reason given".into())
                ),
            ))
        }
        QueryState::Cancelled => Err(HandlerError::new(
            ErrorKind::QueryCancelled,
            format!(
                "{what} was cancelled: {}",
                status.reason.unwrap_or_else(|| "no reason given".into())
            ),
        )),
        QueryState::Queued | QueryState::Running => {
            if waited >= policy.timeout_seconds {
                engine.cancel(&progress.query_execution_id).await?;
                return Err(HandlerError::new(
                    ErrorKind::QueryTimeout,
                    format!(
                        "{what} was still {:?} after {waited} s and was cancelled",
                        status.state
                    ),
                ));
            }
            progress.state = status.state;
            progress.poll_count += 1;
            progress.waited_seconds = waited;
            progress.wait_seconds = next_wait(policy, progress.poll_count)
                .min(policy.timeout_seconds - waited)
                .max(1);
            Ok(progress)
        }
    }
}

/// A probe's rows as objects by column name; more than the limit is an error, not a truncation.
async fn probe_rows(
    engine: &dyn QueryEngine,
    progress: &QueryProgress,
) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, HandlerError> {
    let page = engine.results(&progress.query_execution_id, None).await?;
    if page.next_token.is_some() || page.rows.len() > PROBE_ROW_LIMIT {
        return Err(HandlerError::new(
            ErrorKind::Internal,
            format!(
                "probe {} returned more than {PROBE_ROW_LIMIT} rows",
                progress.query
            ),
        ));
    }
    Ok(page
        .rows
        .into_iter()
        .map(|row| {
            page.columns
                .iter()
                .cloned()
                .zip(
                    row.into_iter()
                        .map(|v| v.map_or(serde_json::Value::Null, serde_json::Value::String)),
                )
                .collect()
        })
        .collect())
}

fn next_wait(policy: &PollPolicy, poll_count: u32) -> u32 {
    let doubled = policy
        .first_wait_seconds
        .saturating_mul(1u32.checked_shl(poll_count).unwrap_or(u32::MAX));
    doubled.min(policy.max_wait_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_to_the_cap() {
        let p = PollPolicy::default();
        let waits: Vec<_> = (0..8).map(|n| next_wait(&p, n)).collect();
        assert_eq!(waits, [2, 4, 8, 16, 30, 30, 30, 30]);
        assert_eq!(next_wait(&p, 40), 30);
    }
}
