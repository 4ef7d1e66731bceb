//! The four Lambdas (and Glue) of the deployment as a model: each request parsed as the real
//! Lambda parses it, queries that take a set time under the real poll-query back-off, and answers
//! shaped as the real handlers' for a report run of a given size. For counting what the real ASL
//! costs in state transitions and history events, without an engine.

use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use notify_reporting::machines;
use reporting_core::error::PortError;
use reporting_core::ports::{
    QueryEngine, QueryRequest, QueryState, QueryStatistics, QueryStatus, ResultPage,
};
use reporting_handlers::contract::{
    self, Batch, BatchesFound, Delivered, DeliveryStatus, FoundReport, PlannedReport,
    PublishOutput, ReportSummary, Request, RunQueryRequest, WriteReportRequest,
};
use reporting_handlers::{plan_ingestion, poll_query, PollPolicy, QueryProgress, SourceListing};
use serde_json::{json, Value};
use state_machine::{TaskFailure, Tasks};

/// Every query runs `seconds`; the engine learns the virtual time from the poll it is asked.
pub struct TimedEngine {
    seconds: u32,
    now: Mutex<u32>,
}

#[async_trait]
impl QueryEngine for TimedEngine {
    async fn start(&self, _: QueryRequest) -> Result<String, PortError> {
        unimplemented!("run-query is answered directly")
    }
    async fn status(&self, _: &str) -> Result<QueryStatus, PortError> {
        let done = *self.now.lock().unwrap() >= self.seconds;
        Ok(QueryStatus {
            state: if done {
                QueryState::Succeeded
            } else {
                QueryState::Running
            },
            reason: None,
            failure_kind: None,
            statistics: QueryStatistics::default(),
        })
    }
    async fn cancel(&self, _: &str) -> Result<(), PortError> {
        Ok(())
    }
    async fn results(&self, execution: &str, _: Option<&str>) -> Result<ResultPage, PortError> {
        // The ingestion bound's answer; every other probe answers with no row.
        Ok(if execution == reporting_handlers::BOUND_QUERY {
            ResultPage {
                columns: vec!["earliestcreated".into()],
                rows: vec![vec![Some("2026-11-19".into())]],
                next_token: None,
            }
        } else {
            ResultPage {
                columns: vec!["x".into()],
                rows: vec![],
                next_token: None,
            }
        })
    }
}

/// The four Lambdas and Glue, answering as the real ones do for a run of `clients` clients with
/// `batches` completed batches each.
pub struct ModelLambdas {
    engine: TimedEngine,
    source: SourceListing,
    clients: usize,
    batches: usize,
}

impl ModelLambdas {
    /// Queries of `minutes` each; `files` new source files captured on 2026-11-20, written
    /// (empty) under `dir`; a report run of `clients` clients with `batches` completed batches
    /// each.
    pub fn new(dir: &Path, minutes: u32, files: usize, clients: usize, batches: usize) -> Self {
        let root = dir.join("transaction_history");
        let day = root.join("__year=2026/__month=11/__day=20");
        std::fs::create_dir_all(&day).unwrap();
        for f in 0..files {
            std::fs::write(day.join(format!("f{f}.parquet")), b"").unwrap();
        }
        ModelLambdas {
            engine: TimedEngine {
                seconds: minutes * 60,
                now: Mutex::new(0),
            },
            source: notify_reporting::home::source_listing(
                &root,
                "s3://core/transaction_history".into(),
            ),
            clients,
            batches,
        }
    }
}

fn failure(e: reporting_core::HandlerError) -> TaskFailure {
    TaskFailure {
        error: e.kind().error_type().into(),
        cause: e.message().to_string(),
    }
}

#[async_trait]
impl Tasks for ModelLambdas {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        if resource == machines::GLUE_COLUMN_STATISTICS {
            return Ok(json!({"ColumnStatisticsTaskRunId": "run"}));
        }
        let lambda = machines::lambda_of(resource).expect("a Lambda of ours");
        let policy = PollPolicy::default();
        let request = contract::parse(lambda, input).map_err(failure)?;
        Ok(match request {
            // The execution id is the query's id, so the engine knows a probe by it.
            Request::RunQuery(RunQueryRequest::Start(start)) => json(&QueryProgress::started(
                &start.request.query,
                &start.request.query,
                &policy,
            )),
            Request::RunQuery(RunQueryRequest::PlanIngestion(plan)) => json(
                &plan_ingestion(&plan, &self.engine, Some(&self.source), "local")
                    .await
                    .map_err(failure)?,
            ),
            Request::RunQuery(RunQueryRequest::CheckInput(_)) => json!({}),
            Request::RunQuery(RunQueryRequest::Sync(_)) => json!({"created": [], "updated": []}),
            Request::PollQuery(progress) => {
                // Each query starts its clock at zero: it has run for the waits so far.
                *self.engine.now.lock().unwrap() = progress.waited_seconds + progress.wait_seconds;
                json(
                    &poll_query(*progress, &self.engine, &policy)
                        .await
                        .map_err(failure)?,
                )
            }
            Request::WriteReport(WriteReportRequest::Plan(_)) => json(&PlannedReport {
                client_ids: (0..self.clients).map(|c| format!("C{c}")).collect(),
                completed_date: Some("2026-11-19".into()),
            }),
            Request::WriteReport(WriteReportRequest::ReadDate(_)) => json(&"2026-11-19"),
            Request::WriteReport(WriteReportRequest::Batches(b)) => {
                let per_page = reporting_handlers::BATCHES_PER_PAGE;
                let pages = self.batches.div_ceil(per_page);
                let batches = match b.page {
                    None => vec![],
                    Some(p) => (p * per_page..((p + 1) * per_page).min(self.batches))
                        .map(|b| Batch {
                            request_id: format!("R{b}"),
                            request_ref_id: format!("F{b}"),
                        })
                        .collect(),
                };
                json(&BatchesFound {
                    count: self.batches,
                    pages,
                    batches,
                    rejected: vec![],
                })
            }
            Request::WriteReport(WriteReportRequest::Find(target)) => json(&FoundReport {
                key: format!("{}/report.csv", target.client_id),
                exists: false,
            }),
            Request::WriteReport(WriteReportRequest::Deliver(d)) => json(&Delivered {
                status: DeliveryStatus::Created,
                bucket: "ingress".into(),
                key: format!("{}/report.csv", d.target.client_id),
                rows: Some(10),
                bytes: 100,
            }),
            Request::WriteReport(WriteReportRequest::Summarise(s)) => json(&ReportSummary {
                clients: s.clients.len(),
                failed_clients: vec![],
                cause: None,
            }),
            Request::PublishMetric(p) => json(&PublishOutput {
                query: p.query.clone(),
                query_execution_id: p.query_execution_id,
                metric: "M".into(),
                complete: true,
                next_row: 0,
                published: 10,
                interruptions: 0,
                rejected: vec![],
                error: None,
            }),
        })
    }
}

/// A response as the JSON the state machine receives.
fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}
