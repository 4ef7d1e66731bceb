//! publish-metric: a finished watchdog query's rows become CloudWatch metrics.
//!
//! Every result page is read. Each row (clientid, campaignid, count) becomes one datum of the
//! check's metric in `Notify/Watchdog`, with dimensions environment (the short name), clientid and
//! campaignid, unit Count. A row that cannot be a datum (NULL clientid, NULL or non-numeric count)
//! is listed as rejected with its reason; the others are still published.
//!
//! Data go out in PutMetricData batches of [`BATCH_SIZE`]. When a batch fails with a retryable
//! error, the handler stops there and says where to resume (`nextRow`), so the state machine
//! publishes again from that batch, never from the start (no datum is sent twice).

use crate::contract::{PublishInput, PublishOutput, Rejected};
use reporting_core::config::Deployment;
use reporting_core::ports::{MetricDatum, Metrics, QueryEngine};
use reporting_core::watchdog::{self, WATCHDOG_NAMESPACE};
use reporting_core::HandlerError;

/// Data per PutMetricData call (the API accepts up to 1,000).
pub const BATCH_SIZE: usize = 1000;

/// A row as a datum, or why it cannot be one.
fn datum(metric: &str, environment: &str, row: &[Option<String>]) -> Result<MetricDatum, String> {
    let client = row
        .first()
        .cloned()
        .flatten()
        .filter(|c| !c.is_empty())
        .ok_or("clientid is NULL or empty")?;
    let campaign = row
        .get(1)
        .cloned()
        .flatten()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "N/A".to_string());
    let count = row.get(2).cloned().flatten().ok_or("count is NULL")?;
    let value: f64 = count
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| {
            format!(
                "count {:?} is not a number",
                count.chars().take(40).collect::<String>()
            )
        })?;
    // CloudWatch dimension values are 1 to 1024 characters.
    for (what, v) in [("clientid", &client), ("campaignid", &campaign)] {
        if v.chars().count() > 1024 {
            return Err(format!("{what} is longer than CloudWatch allows (1024)"));
        }
    }
    Ok(MetricDatum {
        namespace: WATCHDOG_NAMESPACE.to_string(),
        name: metric.to_string(),
        dimensions: vec![
            ("environment".into(), environment.to_string()),
            ("clientid".into(), client),
            ("campaignid".into(), campaign),
        ],
        value,
        unit: "Count".into(),
    })
}

pub async fn publish_metric(
    input: PublishInput,
    engine: &dyn QueryEngine,
    metrics: &dyn Metrics,
    deployment: &Deployment,
) -> Result<PublishOutput, HandlerError> {
    let check = watchdog::watchdog_check(&input.query).ok_or_else(|| {
        let known: Vec<_> = watchdog::WATCHDOG.iter().map(|c| c.query).collect();
        HandlerError::invalid(format!(
            "'{}' is not a watchdog query; known: {}",
            input.query.chars().take(80).collect::<String>(),
            known.join(", ")
        ))
    })?;
    let (_, rows) = crate::all_rows(engine, &input.query_execution_id).await?;
    let mut rejected = Vec::new();
    let mut data: Vec<(usize, MetricDatum)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        match datum(check.metric, &deployment.environment, row) {
            Ok(d) => data.push((i, d)),
            Err(reason) => rejected.push(Rejected { row: i, reason }),
        }
    }
    let mut output = PublishOutput {
        query: check.query.to_string(),
        query_execution_id: input.query_execution_id.clone(),
        metric: check.metric.to_string(),
        complete: true,
        next_row: rows.len(),
        published: input.published,
        interruptions: input.interruptions,
        rejected,
        error: None,
    };
    let pending: Vec<&(usize, MetricDatum)> =
        data.iter().filter(|(i, _)| *i >= input.next_row).collect();
    for batch in pending.chunks(BATCH_SIZE) {
        let first_row = batch[0].0;
        let datums: Vec<MetricDatum> = batch.iter().map(|(_, d)| d.clone()).collect();
        match metrics.put(datums).await {
            Ok(()) => output.published += batch.len(),
            Err(e) if e.kind.is_retryable() => {
                tracing::warn!(metric = check.metric, from_row = first_row, error = %e.message, "PutMetricData failed; the machine resumes from this batch");
                output.complete = false;
                output.next_row = first_row;
                output.interruptions += 1;
                output.error = Some(format!("{}: {}", e.kind.error_type(), e.message));
                return Ok(output);
            }
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(
        metric = check.metric,
        published = output.published,
        rejected = output.rejected.len(),
        "metrics published"
    );
    Ok(output)
}
