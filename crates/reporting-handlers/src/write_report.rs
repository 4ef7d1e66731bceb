//! write-report: everything the report state machines need besides running queries.
//!
//! - `plan`: validates the execution input and resolves its defaults (clients from SSM).
//! - `read-date`: the date a finished `reports/yesterday` query returned.
//! - `batches`: every (requestId, requestRefId) a finished `reports/completed_batches` returned,
//!   across all result pages, each checked before it can become part of an S3 key.
//! - `find`: whether a report already exists at its final key.
//! - `deliver`: writes a finished report query's result, as Athena's CSV, to its final key in the
//!   ingress bucket, page by page in bounded memory: one PUT when it fits in a part, a multipart
//!   upload otherwise (either way S3 shows the object whole or not at all), then checks it landed.
//!
//! A report's final key is deterministic, so existence is checked on that exact key: a stray or
//! half-written object under the prefix (Athena's `.metadata`, say) never blocks a later run.

use std::collections::BTreeSet;

use crate::contract::{
    Batch, BatchesFound, BatchesRequest, ClientOutcome, Delivered, DeliveryStatus, FoundReport,
    PlanRequest, PlannedReport, RejectedBatch, Report, ReportRunInput, ReportSummary,
    ReportTargetFields, SummariseRequest, WriteReportRequest, WriteReportResponse,
};
use reporting_core::config::Deployment;
use reporting_core::error::ErrorKind;
use reporting_core::key_segment;
use reporting_core::ports::{
    MetricDatum, Metrics, ObjectInfo, ObjectStore, Parameters, QueryEngine, UploadedPart,
};
use reporting_core::{csv, validate, CalendarDate, HandlerError};

/// Where one report goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportTarget {
    CompletedComms {
        client_id: String,
        completed_date: CalendarDate,
    },
    CompletedBatch {
        client_id: String,
        request_id: String,
        request_ref_id: String,
    },
}

impl ReportTarget {
    /// The final object key in the ingress bucket, under the prefix the core account reads.
    pub fn key(&self) -> String {
        match self {
            ReportTarget::CompletedComms {
                client_id,
                completed_date,
            } => format!(
                "completed_comms_report/{client_id}/{completed_date}/completed_comms_report_{client_id}_{completed_date}.csv"
            ),
            ReportTarget::CompletedBatch {
                client_id,
                request_id,
                request_ref_id,
            } => {
                // Batch ids are the clients' own: each is one key segment (key_segment), so an
                // id of the identifier set keys as it always has and any other still has a key.
                let (request_id, request_ref_id) =
                    (key_segment::encode(request_id), key_segment::encode(request_ref_id));
                format!(
                    "completed_batch_report/{client_id}/{request_id}/{request_ref_id}/completed_batch_report_{request_id}.csv"
                )
            }
        }
    }
}

fn date(field: &str, value: &str) -> Result<CalendarDate, HandlerError> {
    CalendarDate::parse(value).map_err(|e| HandlerError::invalid(format!("{field}: {e}")))
}

fn identifier(field: &str, value: &str) -> Result<String, HandlerError> {
    validate::identifier(field, value).map_err(|e| HandlerError::invalid(e.to_string()))?;
    Ok(value.to_string())
}

/// A list of client ids, each a valid identifier; duplicates are reported once, in the order
/// first given.
pub fn client_ids(what: &str, ids: &[String]) -> Result<Vec<String>, HandlerError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let id = identifier(&format!("{what}[{i}]"), id)?;
        if seen.insert(id.clone()) {
            out.push(id);
        }
    }
    Ok(out)
}

/// A field the report needs.
fn required<'a>(
    report: Report,
    field: &str,
    value: &'a Option<String>,
) -> Result<&'a str, HandlerError> {
    value
        .as_deref()
        .ok_or_else(|| HandlerError::invalid(format!("{} needs {field}", report.name())))
}

/// A field the report does not take.
fn refused(report: Report, field: &str, value: &Option<impl Sized>) -> Result<(), HandlerError> {
    match value {
        Some(_) => Err(HandlerError::invalid(format!(
            "{} takes no {field}; it accepts: {}",
            report.name(),
            report.input_fields().join(", ")
        ))),
        None => Ok(()),
    }
}

/// Where a report goes, each part checked before it can become part of an S3 key.
fn target(fields: &ReportTargetFields) -> Result<ReportTarget, HandlerError> {
    let report = fields.report;
    let client_id = identifier("clientId", &fields.client_id)?;
    Ok(match report {
        Report::CompletedComms => {
            refused(report, "requestId", &fields.request_id)?;
            refused(report, "requestRefId", &fields.request_ref_id)?;
            ReportTarget::CompletedComms {
                client_id,
                completed_date: date(
                    "completedDate",
                    required(report, "completedDate", &fields.completed_date)?,
                )?,
            }
        }
        Report::CompletedBatch => {
            refused(report, "completedDate", &fields.completed_date)?;
            batch_target(
                client_id,
                required(report, "requestId", &fields.request_id)?,
                required(report, "requestRefId", &fields.request_ref_id)?,
            )
            .map_err(HandlerError::invalid)?
        }
    })
}

/// A batch's report target, or why the batch cannot have one: an empty id, or a key longer
/// than S3 allows. Nothing else stops a batch (its ids are encoded into the key).
fn batch_target(
    client_id: String,
    request_id: &str,
    request_ref_id: &str,
) -> Result<ReportTarget, String> {
    validate::batch_id("requestId", request_id)
        .and_then(|_| validate::batch_id("requestRefId", request_ref_id))
        .map_err(|e| e.to_string())?;
    let target = ReportTarget::CompletedBatch {
        client_id,
        request_id: request_id.to_string(),
        request_ref_id: request_ref_id.to_string(),
    };
    let bytes = target.key().len();
    if bytes > key_segment::MAX_KEY_BYTES {
        return Err(format!(
            "requestId and requestRefId make a report key of {bytes} bytes; S3 allows {}",
            key_segment::MAX_KEY_BYTES
        ));
    }
    Ok(target)
}

/// The ports write-report works through.
pub struct ReportPorts<'a> {
    pub engine: &'a dyn QueryEngine,
    pub objects: &'a dyn ObjectStore,
    pub parameters: &'a dyn Parameters,
    pub deployment: &'a Deployment,
    /// `Notify/Reports` `SkippedBatches`: one datum per batch that cannot be reported.
    pub metrics: &'a dyn Metrics,
}

/// The namespace and metric of batches the batch report had to skip (an alarm watches it).
pub const REPORTS_NAMESPACE: &str = "Notify/Reports";
pub const SKIPPED_BATCHES: &str = "SkippedBatches";

pub async fn write_report(
    request: WriteReportRequest,
    ports: &ReportPorts<'_>,
) -> Result<WriteReportResponse, HandlerError> {
    match request {
        WriteReportRequest::Plan(PlanRequest { report, input }) => plan(report, input, ports)
            .await
            .map(WriteReportResponse::Planned),
        WriteReportRequest::ReadDate(query) => read_date(&query.query_execution_id, ports)
            .await
            .map(WriteReportResponse::Date),
        WriteReportRequest::Batches(request) => batches(&request, ports)
            .await
            .map(WriteReportResponse::Batches),
        WriteReportRequest::Find(fields) => {
            let target = target(&fields)?;
            let found = existing_report(ports, &target).await?;
            Ok(WriteReportResponse::Found(FoundReport {
                exists: found.is_some(),
                key: found.map_or_else(|| target.key(), |o| o.key),
            }))
        }
        WriteReportRequest::Deliver(request) => {
            let target = target(&request.target)?;
            deliver(&target, &request.query_execution_id, ports)
                .await
                .map(WriteReportResponse::Delivered)
        }
        WriteReportRequest::Summarise(request) => {
            Ok(WriteReportResponse::Summary(summarise(&request)))
        }
    }
}

/// At most this much of one client's cause goes into the run's cause (Step Functions keeps
/// 32,768 characters of a cause; one client's stack of reasons must not crowd out the others).
const CAUSE_PER_CLIENT: usize = 400;

/// Which clients failed, and one cause that names each with its error and cause.
pub fn summarise(request: &SummariseRequest) -> ReportSummary {
    let failed: Vec<&ClientOutcome> = request
        .clients
        .iter()
        .filter(|c| c.status == "failed")
        .collect();
    let cause = (!failed.is_empty()).then(|| {
        let each: Vec<String> = failed
            .iter()
            .map(|c| {
                // A query's failure arrives as the query loop's (a nested execution's): its own
                // error and cause, "after N reruns" included, are what the client is told.
                let failure = state_machine::ExecutionFailure {
                    error: c.error.clone().unwrap_or_else(|| "error".into()),
                    cause: c.cause.clone().unwrap_or_else(|| "no cause given".into()),
                }
                .root_cause();
                let why: String = failure.cause.chars().take(CAUSE_PER_CLIENT).collect();
                format!("{} ({}: {why})", c.client_id, failure.error)
            })
            .collect();
        format!(
            "{} failed for {} of {} clients; the others' reports were delivered. {}",
            request.report.name(),
            failed.len(),
            request.clients.len(),
            each.join("; ")
        )
    });
    ReportSummary {
        clients: request.clients.len(),
        failed_clients: failed.iter().map(|c| c.client_id.clone()).collect(),
        cause,
    }
}

/// Validates a report execution's input and fills in its defaults: the client list from SSM when
/// none is given, and `completedDate: null` when the machine is to ask `reports/yesterday`.
async fn plan(
    report: Report,
    input: ReportRunInput,
    ports: &ReportPorts<'_>,
) -> Result<PlannedReport, HandlerError> {
    let completed_date = match report {
        Report::CompletedComms => input
            .completed_date
            .as_deref()
            .map(|d| date("completedDate", d).map(|d| d.to_string()))
            .transpose()?,
        Report::CompletedBatch => {
            refused(report, "completedDate", &input.completed_date)?;
            None
        }
    };
    let client_ids = match &input.client_ids {
        Some(ids) => client_ids("clientIds", ids)?,
        None => {
            let name = ports.deployment.report_clients_parameter(report.name());
            let text = ports.parameters.get_text(&name).await?.ok_or_else(|| {
                HandlerError::new(
                    ErrorKind::ConfigMissing,
                    format!("the parameter {name} (a JSON array of client ids) does not exist"),
                )
            })?;
            let ids: Vec<String> = serde_json::from_str(&text).map_err(|e| {
                HandlerError::new(
                    ErrorKind::ConfigMissing,
                    format!("{name} is not a JSON array of client id strings: {e}"),
                )
            })?;
            client_ids(&name, &ids)
                .map_err(|e| HandlerError::new(ErrorKind::ConfigMissing, e.message()))?
        }
    };
    Ok(PlannedReport {
        client_ids,
        completed_date,
    })
}

async fn read_date(execution_id: &str, ports: &ReportPorts<'_>) -> Result<String, HandlerError> {
    let page = ports.engine.results(execution_id, None).await?;
    let value = page
        .rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .ok_or_else(|| {
            HandlerError::new(ErrorKind::Internal, "reports/yesterday returned no date")
        })?;
    let day = CalendarDate::parse(&value).map_err(|e| {
        HandlerError::new(
            ErrorKind::Internal,
            format!("reports/yesterday returned {value:?}: {e}"),
        )
    })?;
    Ok(day.to_string())
}

/// A batch that cannot name a key, logged and listed; never echoed whole (it may be hostile).
fn refuse(
    request_id: &Option<String>,
    request_ref_id: &Option<String>,
    reason: String,
) -> RejectedBatch {
    let shown = |v: &Option<String>| v.as_ref().map(|s| s.chars().take(40).collect::<String>());
    tracing::warn!(reason = %reason, "a completed batch cannot be named as an S3 key; skipped");
    RejectedBatch {
        request_id: shown(request_id),
        request_ref_id: shown(request_ref_id),
        reason,
    }
}

/// At most this many batches in one page: a page's reports run inline in one execution of
/// `batch-reports.asl.json`, about 22 history events each.
pub const BATCHES_PER_PAGE: usize = 500;
/// At most this many bytes of batch ids in one page, well under a state's 256 KiB.
pub const PAGE_BYTES: usize = 96 * 1024;

/// Splits batches into pages: at most [`BATCHES_PER_PAGE`] and [`PAGE_BYTES`] each, in order, so
/// the same rows always give the same pages.
fn pages(batches: Vec<Batch>) -> Vec<Vec<Batch>> {
    let mut pages: Vec<Vec<Batch>> = Vec::new();
    let mut bytes = 0;
    for batch in batches {
        // The ids and the JSON around them.
        let size = batch.request_id.len() + batch.request_ref_id.len() + 40;
        match pages.last_mut() {
            Some(page) if page.len() < BATCHES_PER_PAGE && bytes + size <= PAGE_BYTES => {
                page.push(batch);
                bytes += size;
            }
            _ => {
                pages.push(vec![batch]);
                bytes = size;
            }
        }
    }
    pages
}

async fn batches(
    request: &BatchesRequest,
    ports: &ReportPorts<'_>,
) -> Result<BatchesFound, HandlerError> {
    let client_id = identifier("clientId", &request.client_id)?;
    let (_, rows) = crate::all_rows(ports.engine, &request.query_execution_id).await?;
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for row in rows {
        let (request_id, request_ref_id) = (
            row.first().cloned().flatten(),
            row.get(1).cloned().flatten(),
        );
        let target = match (&request_id, &request_ref_id) {
            (Some(r), Some(f)) => batch_target(client_id.clone(), r, f),
            _ => Err("requestId or requestRefId is NULL".to_string()),
        };
        match target {
            Ok(_) => accepted.push(Batch {
                request_id: request_id.expect("a target has ids"),
                request_ref_id: request_ref_id.expect("a target has ids"),
            }),
            Err(reason) => rejected.push((request_id, request_ref_id, reason)),
        }
    }
    let count = accepted.len();
    let mut pages = pages(accepted);
    let total = pages.len();
    if let Some(page) = request.page {
        // A page of the count the machine already made: its batches only.
        if page >= total {
            return Err(HandlerError::invalid(format!(
                "page: {page} is past the last page of {total} for client {client_id}"
            )));
        }
        return Ok(BatchesFound {
            count,
            pages: total,
            batches: pages.swap_remove(page),
            rejected: vec![],
        });
    }
    let rejected: Vec<RejectedBatch> = rejected
        .into_iter()
        .map(|(r, f, reason)| refuse(&r, &f, reason))
        .collect();
    if !rejected.is_empty() {
        // Never skipped in silence: one datum per batch, and an alarm on any.
        let datum = MetricDatum {
            namespace: REPORTS_NAMESPACE.to_string(),
            name: SKIPPED_BATCHES.to_string(),
            dimensions: vec![
                ("environment".into(), ports.deployment.environment.clone()),
                ("clientid".into(), client_id.clone()),
            ],
            value: 1.0,
            unit: "Count".into(),
        };
        ports.metrics.put(vec![datum; rejected.len()]).await?;
    }
    Ok(BatchesFound {
        count,
        pages: total,
        batches: vec![],
        rejected,
    })
}

/// The report already delivered for a target, if any: ours at the final key, or the one the
/// running system (the one this replaces) left at the same prefix: Athena's own
/// `<QueryExecutionId>.csv` with its `<QueryExecutionId>.csv.metadata` beside it, the CSV whole
/// (Athena ends every row, the header too, with a newline). So at the cutover the consumer never
/// gets two reports for one client and day. A lone CSV, a lone metadata file or a cut-off CSV is
/// what a run that half-failed leaves; it does not count.
async fn existing_report(
    ports: &ReportPorts<'_>,
    target: &ReportTarget,
) -> Result<Option<ObjectInfo>, HandlerError> {
    let bucket = ingress(ports)?;
    let key = target.key();
    let prefix = &key[..=key.rfind('/').expect("a report key has a prefix")];
    let listed = ports.objects.list(bucket, prefix).await?;
    if let Some(ours) = listed.iter().find(|o| o.key == key) {
        return Ok(Some(ours.clone()));
    }
    let names: BTreeSet<&str> = listed.iter().map(|o| o.key.as_str()).collect();
    let mut athena: Vec<&ObjectInfo> = listed
        .iter()
        .filter(|o| {
            let name = &o.key[prefix.len()..];
            !name.contains('/')
                && name.ends_with(".csv")
                && names.contains(format!("{}.metadata", o.key).as_str())
        })
        .collect();
    athena.sort_by(|a, b| a.key.cmp(&b.key));
    for candidate in athena {
        // Its last byte only: a report may be gigabytes.
        let whole = ports
            .objects
            .tail(bucket, &candidate.key, 1)
            .await?
            .is_some_and(|body| body.ends_with(b"\n"));
        if whole {
            return Ok(Some(candidate.clone()));
        }
    }
    Ok(None)
}

async fn object_size(ports: &ReportPorts<'_>, key: &str) -> Result<Option<u64>, HandlerError> {
    let bucket = ingress(ports)?;
    Ok(ports
        .objects
        .list(bucket, key)
        .await?
        .into_iter()
        .find(|o| o.key == key)
        .map(|o| o.size))
}

fn ingress<'a>(ports: &'a ReportPorts<'_>) -> Result<&'a str, HandlerError> {
    let bucket = ports.deployment.ingress_bucket.as_str();
    if bucket.is_empty() {
        return Err(HandlerError::new(
            ErrorKind::ConfigMissing,
            "INGRESS_BUCKET is not set; write-report has nowhere to deliver",
        ));
    }
    Ok(bucket)
}

async fn deliver(
    target: &ReportTarget,
    execution_id: &str,
    ports: &ReportPorts<'_>,
) -> Result<Delivered, HandlerError> {
    let bucket = ingress(ports)?;
    let key = target.key();
    if let Some(found) = existing_report(ports, target).await? {
        return Ok(Delivered {
            status: DeliveryStatus::Exists,
            bucket: bucket.to_string(),
            key: found.key,
            rows: None,
            bytes: found.size,
        });
    }
    let written = write_streamed(
        ports.engine,
        ports.objects,
        execution_id,
        bucket,
        &key,
        REPORT_PART_BYTES,
    )
    .await?;
    let (rows, bytes) = (written.rows, written.bytes);
    match object_size(ports, &key).await? {
        Some(size) if size == bytes => {}
        landed => {
            return Err(HandlerError::new(
                ErrorKind::Transient,
                format!("report {key} did not land whole: wrote {bytes} bytes, found {landed:?}"),
            ))
        }
    }
    tracing::info!(key = %key, rows, bytes, parts = written.parts, "report delivered");
    Ok(Delivered {
        status: DeliveryStatus::Created,
        bucket: bucket.to_string(),
        key,
        rows: Some(rows),
        bytes,
    })
}

/// How much of a report is held before it goes to S3 as one part of a multipart upload (S3 wants
/// every part but the last to be at least 5 MiB). A report that fits is one PUT.
pub const REPORT_PART_BYTES: usize = 8 * 1024 * 1024;

/// What a streamed report came to.
#[derive(Debug, PartialEq, Eq)]
pub struct WrittenReport {
    pub rows: usize,
    pub bytes: u64,
    /// Multipart parts (0: one PUT).
    pub parts: usize,
}

/// Holds at most one part of a report, and the multipart upload it goes to once there is more
/// than one part's worth.
struct ReportWriter<'a> {
    objects: &'a dyn ObjectStore,
    bucket: &'a str,
    key: &'a str,
    part_bytes: usize,
    buffer: String,
    upload: Option<String>,
    parts: Vec<UploadedPart>,
    bytes: u64,
}

impl ReportWriter<'_> {
    async fn ship_part(&mut self) -> Result<(), HandlerError> {
        let upload = match &self.upload {
            Some(id) => id.clone(),
            None => {
                let id = self.objects.start_upload(self.bucket, self.key).await?;
                self.upload = Some(id.clone());
                id
            }
        };
        let body = std::mem::take(&mut self.buffer).into_bytes();
        self.bytes += body.len() as u64;
        let number = self.parts.len() as i32 + 1;
        let part = self
            .objects
            .upload_part(self.bucket, self.key, &upload, number, body)
            .await?;
        self.parts.push(part);
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), HandlerError> {
        match self.upload.clone() {
            None => {
                let body = std::mem::take(&mut self.buffer).into_bytes();
                self.bytes += body.len() as u64;
                self.objects.put(self.bucket, self.key, body).await?;
            }
            Some(upload) => {
                if !self.buffer.is_empty() {
                    self.ship_part().await?;
                }
                self.objects
                    .complete_upload(self.bucket, self.key, &upload, &self.parts)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Writes a finished query's result to `bucket`/`key` as Athena's CSV, a result page at a time:
/// memory holds one page and at most `part_bytes` of CSV, whatever the report's size. A failure
/// part way aborts the upload, so nothing (not half a report) is left at the key.
pub async fn write_streamed(
    engine: &dyn QueryEngine,
    objects: &dyn ObjectStore,
    execution_id: &str,
    bucket: &str,
    key: &str,
    part_bytes: usize,
) -> Result<WrittenReport, HandlerError> {
    let mut writer = ReportWriter {
        objects,
        bucket,
        key,
        part_bytes,
        buffer: String::new(),
        upload: None,
        parts: Vec::new(),
        bytes: 0,
    };
    let mut rows = 0;
    let outcome: Result<(), HandlerError> = async {
        let mut token: Option<String> = None;
        let mut header = false;
        loop {
            let page = engine.results(execution_id, token.as_deref()).await?;
            if !header {
                csv::push_row(
                    &mut writer.buffer,
                    page.columns.iter().map(|c| Some(c.as_str())),
                );
                header = true;
            }
            for row in &page.rows {
                csv::push_row(&mut writer.buffer, row.iter().map(|v| v.as_deref()));
                rows += 1;
                if writer.buffer.len() >= writer.part_bytes {
                    writer.ship_part().await?;
                }
            }
            match page.next_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        writer.finish().await
    }
    .await;
    if let Err(e) = outcome {
        if let Some(upload) = &writer.upload {
            // Best effort: the bucket's lifecycle aborts what this cannot.
            if let Err(abort) = objects.abort_upload(bucket, key, upload).await {
                tracing::warn!(key, error = %abort.message, "could not abort the report's upload");
            }
        }
        return Err(e);
    }
    Ok(WrittenReport {
        rows,
        bytes: writer.bytes,
        parts: writer.parts.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_each_failed_client_with_its_error() {
        let request: SummariseRequest = serde_json::from_value(serde_json::json!({
            "report": "completed-comms-report",
            "clients": [
                {"clientId": "a", "status": "delivered", "key": "k", "rows": 3, "bytes": 10},
                {"clientId": "b", "status": "failed", "error": "Query.Failed", "cause": "query reports/x failed: SYNTAX_ERROR"},
                {"clientId": "c", "status": "exists", "key": "k2"},
                {"clientId": "d", "status": "failed", "error": "Retryable.QueryFailed", "cause": "y".repeat(1000)}
            ]
        }))
        .unwrap();
        let summary = summarise(&request);
        assert_eq!(summary.clients, 4);
        assert_eq!(summary.failed_clients, ["b", "d"]);
        let cause = summary.cause.unwrap();
        assert!(
            cause.starts_with("completed-comms-report failed for 2 of 4 clients"),
            "{cause}"
        );
        assert!(
            cause.contains("b (Query.Failed: query reports/x failed: SYNTAX_ERROR)"),
            "{cause}"
        );
        assert!(cause.contains("d (Retryable.QueryFailed: "), "{cause}");
        // A query that failed in the query loop: the loop's error and cause, not the nesting.
        let nested: SummariseRequest = serde_json::from_value(serde_json::json!({
            "report": "completed-batch-report",
            "clients": [{"clientId": "e", "status": "failed", "error": "States.TaskFailed",
                "cause": serde_json::json!({"ExecutionArn": "arn:q:1", "Status": "FAILED", "Error": "Retryable.CommitConflict",
                    "Cause": "Failed again after 3 reruns with a new request token: ICEBERG_COMMIT_ERROR"}).to_string()}]
        }))
        .unwrap();
        let cause = summarise(&nested).cause.unwrap();
        assert!(
            cause.contains("e (Retryable.CommitConflict: Failed again after 3 reruns"),
            "{cause}"
        );
        assert!(
            cause.len() < 700,
            "one client's cause is cut short: {}",
            cause.len()
        );

        let fine = SummariseRequest {
            report: Report::CompletedBatch,
            clients: vec![],
        };
        assert_eq!(summarise(&fine).cause, None);
    }
}
