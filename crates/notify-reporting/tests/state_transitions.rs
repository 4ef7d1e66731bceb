//! State transitions of the ingestion machine when its queries run 1, 10 and 60 minutes: the real
//! ASL, the real poll-query back-off, and an engine whose queries finish after a set time. Step
//! Functions bills per transition; the back-off keeps a long query cheap.

use std::sync::Mutex;

use async_trait::async_trait;
use reporting_core::error::PortError;
use reporting_core::ports::{
    QueryEngine, QueryRequest, QueryState, QueryStatistics, QueryStatus, ResultPage,
};
use reporting_handlers::{plan_ingestion, poll_query, PollPolicy, QueryProgress, SourceListing};
use serde_json::{json, Value};
use state_machine::{Event, Recorder, StateMachine, TaskFailure, Tasks};

/// Every query takes `seconds`; the engine learns the virtual time from the poll it is asked.
struct SlowEngine {
    seconds: u32,
    now: Mutex<u32>,
}

#[async_trait]
impl QueryEngine for SlowEngine {
    async fn start(&self, _: QueryRequest) -> Result<String, PortError> {
        unimplemented!()
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
        // The bound's answer (the execution ids are the query ids here), or the ledger probe's:
        // no file read yet.
        Ok(if execution == reporting_handlers::BOUND_QUERY {
            ResultPage {
                columns: vec!["earliestcreated".into()],
                rows: vec![vec![Some("2026-11-19".into())]],
                next_token: None,
            }
        } else {
            ResultPage {
                columns: vec!["path".into()],
                rows: vec![],
                next_token: None,
            }
        })
    }
}

struct SlowTasks {
    engine: SlowEngine,
    /// A source with one new file today, so the run claims, reads and marks.
    source: SourceListing,
}

#[async_trait]
impl Tasks for SlowTasks {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        let policy = PollPolicy::default();
        if resource == "run-query" && input["action"] == "plan-ingestion" {
            let request = serde_json::from_value(input).unwrap();
            let plan = plan_ingestion(&request, &self.engine, Some(&self.source), "local")
                .await
                .unwrap();
            assert_eq!(plan.source_files.len(), 1, "{:?}", plan.notes);
            return Ok(serde_json::to_value(plan).unwrap());
        }
        if resource == "run-query" && input.get("action").is_some() {
            // The machine's input check (the real one is tested with the handlers).
            return Ok(serde_json::json!({"machine": "ingestion"}));
        }
        if resource == "run-query" {
            return Ok(serde_json::to_value(QueryProgress {
                query: input["request"]["query"].as_str().unwrap().to_string(),
                query_execution_id: input["request"]["query"].as_str().unwrap().to_string(),
                state: QueryState::Queued,
                poll_count: 0,
                wait_seconds: policy.first_wait_seconds,
                waited_seconds: 0,
                statistics: Default::default(),
                rows: None,
            })
            .unwrap());
        }
        // The query has run for the waits so far (each query starts its clock at zero).
        let progress: QueryProgress = serde_json::from_value(input).unwrap();
        *self.engine.now.lock().unwrap() = progress.waited_seconds + progress.wait_seconds;
        poll_query(progress, &self.engine, &policy)
            .await
            .map(|p| serde_json::to_value(p).unwrap())
            .map_err(|e| TaskFailure {
                error: e.kind().error_type().into(),
                cause: e.message().to_string(),
            })
    }
}

async fn transitions(minutes: u32) -> usize {
    let asl = include_str!("../../../statemachines/ingestion.asl.json");
    let substitutions = [
        ("RunQueryFunctionArn", "run-query"),
        ("PollQueryFunctionArn", "poll-query"),
        ("QueryStateMachineArn", "query"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let query_loop = include_str!("../../../statemachines/query.asl.json");
    let query_loop = StateMachine::load("query", query_loop, &substitutions).unwrap();
    let mut machine = StateMachine::load("ingestion", asl, &substitutions).unwrap();
    machine.nest("query", &query_loop);
    let dir = tempfile::tempdir().unwrap();
    let day = dir
        .path()
        .join("transaction_history/__year=2026/__month=11/__day=20");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::write(day.join("f.parquet"), b"").unwrap();
    let tasks = SlowTasks {
        engine: SlowEngine {
            seconds: minutes * 60,
            now: Mutex::new(0),
        },
        source: notify_reporting::home::source_listing(
            &dir.path().join("transaction_history"),
            "s3://core/transaction_history".into(),
        ),
    };
    let recorder = Recorder(Mutex::new(Vec::new()));
    machine
        .execute(
            "bench",
            json!({}),
            "2026-11-20T04:00:00.000Z",
            &tasks,
            &recorder,
        )
        .await
        .unwrap();
    let events = recorder.0.lock().unwrap();
    events
        .iter()
        .filter(|e| matches!(e, Event::StateEntered { .. }))
        .count()
}

#[tokio::test]
async fn long_queries_cost_few_transitions() {
    let mut rows = Vec::new();
    for minutes in [1, 10, 60] {
        let total = transitions(minutes).await;
        rows.push((minutes, total));
    }
    // A scheduled (incremental) run with a new file: the ledger probe, the claim, the bound, the 7
    // MERGEs and the ledger write.
    const QUERIES: f64 = 11.0;
    eprintln!("ingestion run (11 queries): minutes per query -> state transitions");
    for (m, t) in &rows {
        eprintln!(
            "{m:>4} min -> {t:>5} transitions ({:.1} per query)",
            *t as f64 / QUERIES
        );
    }
    // Waits of 2, 4, 8, 16, then 30 s: an hour-long query is polled about 123 times (three
    // transitions each: Wait, Poll, Choice), where a fixed 2 s poll would take 1,800.
    let per_query = |t: usize| (t as f64 - QUERIES) / QUERIES;
    assert!(per_query(rows[0].1) <= 20.0, "{rows:?}");
    assert!(per_query(rows[2].1) <= 3.0 * 130.0, "{rows:?}");
    assert!(rows[0].1 < rows[1].1 && rows[1].1 < rows[2].1, "{rows:?}");
}
