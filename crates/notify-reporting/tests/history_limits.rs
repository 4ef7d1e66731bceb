//! Step Functions ends an execution whose history passes 25,000 events. The real ASL runs here
//! with Lambdas that answer as ours do (their typed requests parsed, real poll-query back-off)
//! and queries that take minutes, and the interpreter counts the events each execution would
//! record, the query loop's nested executions separately (each has its own history). Each
//! machine's largest realistic run must stay under 80% of the limit.
//!
//! Each query is one Task (about 6 events) in its caller's history, however long it runs; the
//! polls are in the query loop's own history. A completed-batch run records each page of up to
//! 500 batches as one nested execution (see docs/state-machines.md).

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
use state_machine::{History, Silent, TaskFailure, Tasks, HISTORY_EVENT_LIMIT};

/// Every query runs `seconds`; the engine learns the virtual time from the poll it is asked.
struct TimedEngine {
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
struct ModelLambdas {
    engine: TimedEngine,
    source: SourceListing,
    clients: usize,
    batches: usize,
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
            Request::RunQuery(RunQueryRequest::Start(start)) => json(&QueryProgress {
                query: start.request.query.clone(),
                query_execution_id: start.request.query,
                state: QueryState::Queued,
                poll_count: 0,
                wait_seconds: policy.first_wait_seconds,
                waited_seconds: 0,
                statistics: Default::default(),
                rows: None,
            }),
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

/// Runs `machine` with queries of `minutes` and the report shape given; its history.
async fn history(
    machine: &str,
    input: Value,
    minutes: u32,
    clients: usize,
    batches: usize,
) -> History {
    let dir = tempfile::tempdir().unwrap();
    let day = dir
        .path()
        .join("transaction_history/__year=2026/__month=11/__day=20");
    std::fs::create_dir_all(&day).unwrap();
    for f in 0..100 {
        std::fs::write(day.join(format!("f{f}.parquet")), b"").unwrap();
    }
    let lambdas = ModelLambdas {
        engine: TimedEngine {
            seconds: minutes * 60,
            now: Mutex::new(0),
        },
        source: notify_reporting::home::source_listing(
            &dir.path().join("transaction_history"),
            "s3://core/transaction_history".into(),
        ),
        clients,
        batches,
    };
    let def = machines::find(machine).unwrap();
    machines::load(def)
        .unwrap()
        .execute(
            "history",
            input,
            "2026-11-20T04:00:00.000Z",
            &lambdas,
            &Silent,
        )
        .await
        .unwrap_or_else(|e| panic!("{machine}: {e}"))
        .history
}

/// Under 80% of the limit: a run that grows a little still fits.
const CEILING: u64 = HISTORY_EVENT_LIMIT * 4 / 5;

#[tokio::test]
async fn each_machine_s_largest_realistic_run_stays_well_under_the_history_limit() {
    // Hour-long queries: the longest one poll-query waits for before giving up.
    for (machine, input) in [
        ("ingestion", json!({})),
        ("housekeeping", json!({})),
        ("watchdog", json!({"asOf": "2026-11-20"})),
        ("setup", json!({})),
    ] {
        let h = history(machine, input, 60, 1, 1).await;
        eprintln!(
            "{machine}: {} events, largest nested {}, {} nested executions",
            h.events, h.largest, h.child_executions
        );
        assert!(h.largest < CEILING, "{machine}: {h:?}");
        // The machine's own history no longer grows with query time.
        assert!(h.events < 600, "{machine}: {h:?}");
    }
    // 200 clients, each with a daily comms report.
    let h = history("completed-comms-report", json!({}), 5, 200, 0).await;
    eprintln!("completed-comms-report, 200 clients: {h:?}");
    assert!(h.largest < CEILING, "{h:?}");
}

#[tokio::test]
async fn a_batch_report_run_of_5000_batches_fits_and_query_time_adds_no_events() {
    let base = history("completed-batch-report", json!({}), 2, 1, 0).await;
    let page = history("completed-batch-report", json!({}), 2, 1, 500).await;
    // One full page: its batches are recorded in the page's own execution.
    let per_batch = page.largest as f64 / 500.0;
    eprintln!(
        "completed-batch-report: a page of 500 batches records {} events ({per_batch:.1} per batch); \
         the run itself {} (no batch: {})",
        page.largest, page.events, base.events
    );
    // Each batch's query is one Task in its page's history, whatever its length.
    let slow = history("completed-batch-report", json!({}), 30, 1, 500).await;
    assert_eq!(slow.largest, page.largest, "query time must not add events");
    for (clients, batches) in [(1, 5_000), (4, 2_000)] {
        let run = history("completed-batch-report", json!({}), 2, clients, batches).await;
        eprintln!("{clients} client(s) with {batches} batches each: {run:?}");
        assert!(
            run.largest < CEILING,
            "{clients} x {batches} batches: {run:?}"
        );
        assert!(
            run.events < 1_000,
            "the run's own history holds pages, not batches: {run:?}"
        );
    }
}
