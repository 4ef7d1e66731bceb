//! Step Functions ends an execution whose history passes 25,000 events. The real ASL runs here
//! with Lambdas that answer as ours do (their typed requests parsed, real poll-query back-off)
//! and queries that take minutes, and the interpreter counts the events each execution would
//! record, the query loop's nested executions separately (each has its own history). Each
//! machine's largest realistic run must stay under 80% of the limit.
//!
//! Each query is one Task (about 6 events) in its caller's history, however long it runs; the
//! polls are in the query loop's own history. A completed-batch run records each page of up to
//! 500 batches as one nested execution (see docs/state-machines.md).

mod common;

use common::model_lambdas::ModelLambdas;
use notify_reporting::machines;
use serde_json::{json, Value};
use state_machine::{History, Silent, HISTORY_EVENT_LIMIT};

/// Runs `machine` with queries of `minutes` and the report shape given; its history.
async fn history(
    machine: &str,
    input: Value,
    minutes: u32,
    clients: usize,
    batches: usize,
) -> History {
    let dir = tempfile::tempdir().unwrap();
    let lambdas = ModelLambdas::new(dir.path(), minutes, 100, clients, batches);
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
