use reporting_core::catalog::{self, Purpose, Workgroup, PROBE_ROW_LIMIT};
use reporting_core::config::Deployment;
use reporting_core::error::ErrorKind;
use reporting_core::ports::{MetricDatum, Metrics, QueryEngine, QueryState};
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

/// The namespace of the ingestion's own metrics.
pub const INGESTION_NAMESPACE: &str = "Notify/Ingestion";
/// Bytes an ingestion run's query scanned (Athena's `DataScannedInBytes`), per query.
pub const BYTES_SCANNED: &str = "BytesScanned";

/// Publishes what a finished ingestion or backfill query scanned, where the engine reports it
/// (Athena and Trino do, DuckDB does not), as `Notify/Ingestion` `BytesScanned` by environment and
/// query: what incremental ingestion saves shows in CloudWatch. The query has succeeded whatever
/// happens here, so a failed put is logged and the poll still succeeds (rerunning a committed MERGE
/// to retry a metric would cost more than the metric is worth). A retried poll may publish twice:
/// the alarms and dashboards read Maximum or Average, not Sum.
pub async fn publish_bytes_scanned(
    progress: &QueryProgress,
    metrics: &dyn Metrics,
    deployment: &Deployment,
) {
    // Every query an ingestion or backfill run makes: the passes, and the ledger queries and the
    // probe around them (the ingestion workgroup's queries), so the run's whole bill shows.
    let ingests = catalog::query(&progress.query).is_some_and(|q| {
        matches!(q.purpose, Purpose::Ingestion { .. } | Purpose::Backfill)
            || (q.workgroup == Workgroup::Ingestion && q.id.starts_with("ingestion/"))
    });
    let Some(bytes) = progress.statistics.bytes_scanned else {
        return;
    };
    if progress.state != QueryState::Succeeded || !ingests {
        return;
    }
    let datum = MetricDatum {
        namespace: INGESTION_NAMESPACE.into(),
        name: BYTES_SCANNED.into(),
        dimensions: vec![
            ("environment".into(), deployment.environment.clone()),
            ("query".into(), progress.query.clone()),
        ],
        value: bytes as f64,
        unit: "Bytes".into(),
    };
    if let Err(e) = metrics.put(vec![datum]).await {
        tracing::warn!(query = %progress.query, error = %e, "could not publish BytesScanned");
    }
}

#[cfg(test)]
mod bytes_scanned_tests {
    use super::*;
    use reporting_core::error::PortError;
    use reporting_core::ports::QueryStatistics;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorded(Mutex<Vec<MetricDatum>>);

    #[async_trait::async_trait]
    impl Metrics for Recorded {
        async fn put(&self, data: Vec<MetricDatum>) -> Result<(), PortError> {
            self.0.lock().unwrap().extend(data);
            Ok(())
        }
    }

    fn finished(query: &str, bytes: Option<u64>, state: QueryState) -> QueryProgress {
        QueryProgress {
            query: query.into(),
            query_execution_id: "e".into(),
            state,
            poll_count: 3,
            wait_seconds: 0,
            waited_seconds: 14,
            statistics: QueryStatistics {
                bytes_scanned: bytes,
                ..Default::default()
            },
            rows: None,
        }
    }

    #[tokio::test]
    async fn a_finished_ingestion_query_publishes_what_it_scanned_and_nothing_else_does() {
        let metrics = Recorded::default();
        let deployment = Deployment::local();
        for progress in [
            finished(
                "ingestion/request_item_status",
                Some(1234),
                QueryState::Succeeded,
            ),
            finished(
                "backfill/request_item_status",
                Some(99),
                QueryState::Succeeded,
            ),
            finished("ingestion/request_item_status", None, QueryState::Succeeded),
            finished(
                "ingestion/request_item_status",
                Some(5),
                QueryState::Running,
            ),
            finished(
                "reports/completed_comms_report",
                Some(7),
                QueryState::Succeeded,
            ),
            finished("ingestion/watermarks", Some(8), QueryState::Succeeded),
            finished(
                "ingestion/earliest_created",
                Some(11),
                QueryState::Succeeded,
            ),
            finished(
                "ingestion/claim_source_files",
                Some(12),
                QueryState::Succeeded,
            ),
        ] {
            publish_bytes_scanned(&progress, &metrics, &deployment).await;
        }
        let put = metrics.0.into_inner().unwrap();
        for d in &put {
            assert_eq!(
                (d.namespace.as_str(), d.name.as_str(), d.unit.as_str()),
                (INGESTION_NAMESPACE, BYTES_SCANNED, "Bytes")
            );
            assert_eq!(d.dimensions[0], ("environment".into(), "local".into()));
        }
        let published: Vec<(&str, f64)> = put
            .iter()
            .map(|d| (d.dimensions[1].1.as_str(), d.value))
            .collect();
        assert_eq!(
            published,
            [
                ("ingestion/request_item_status", 1234.0),
                ("backfill/request_item_status", 99.0),
                ("ingestion/earliest_created", 11.0),
                ("ingestion/claim_source_files", 12.0)
            ]
        );
    }
}
