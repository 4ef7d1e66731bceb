//! State transitions of the ingestion machine when its queries run 1, 10 and 60 minutes: the real
//! ASL, the real poll-query back-off, and the model Lambdas of tests/common, whose queries finish
//! after a set time. Step Functions bills per transition; the back-off keeps a long query cheap.

mod common;

use std::sync::Mutex;

use common::model_lambdas::ModelLambdas;
use notify_reporting::machines;
use serde_json::json;
use state_machine::{Event, Recorder};

/// The states entered by a scheduled ingestion run with one new source file, whose queries take
/// `minutes` each: the caller's and the query loop's executions together.
async fn transitions(minutes: u32) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let lambdas = ModelLambdas::new(dir.path(), minutes, 1, 0, 0);
    let recorder = Recorder(Mutex::new(Vec::new()));
    machines::load(machines::find("ingestion").unwrap())
        .unwrap()
        .execute(
            "bench",
            json!({}),
            "2026-11-20T04:00:00.000Z",
            &lambdas,
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
