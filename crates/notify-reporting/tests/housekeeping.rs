//! Housekeeping through the real state machine: the file ledger pruned, every table (the ledger's
//! too) optimized and vacuumed, runs repeated
//! while the engine answers "more runs needed" (a bounded number of times), statistics started;
//! a table that still needs runs fails alone.

mod common;

use common::*;
use serde_json::{json, Value};

fn per_table(output: &Value, pass: &str) -> Vec<(String, u64)> {
    output[pass]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["table"].as_str().unwrap().to_string(),
                r["extraRuns"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{pass}: {r}")),
            )
        })
        .collect()
}

/// Every table housekeeping keeps: the staging tables, then ingestion's ledger tables.
fn housekept() -> Vec<String> {
    reporting_core::catalog::TABLES
        .iter()
        .map(|t| t.name)
        .chain(reporting_core::catalog::LEDGER_TABLES.iter().copied())
        .map(String::from)
        .collect()
}

#[tokio::test]
async fn every_table_is_compacted_vacuumed_and_analyzed() {
    let t = TestHome::new(&[]);
    t.run("setup", json!({})).await;
    let run = t.run("housekeeping", json!({})).await;
    let tables: Vec<(String, u64)> = housekept().into_iter().map(|t| (t, 0)).collect();
    assert_eq!(per_table(&run.output, "optimized"), tables);
    assert_eq!(per_table(&run.output, "vacuumed"), tables);
    assert_eq!(
        run.output["statistics"][0]["runId"],
        "local-analyze-request_item_status"
    );
    // The ledger's two prunes, then OPTIMIZE and VACUUM of every table.
    let ids: Vec<&str> = run.queries.iter().map(|q| q.query.as_str()).collect();
    assert_eq!(
        ids[..2],
        [
            "housekeeping/prune_ingestion_files",
            "housekeeping/prune_ingestion_file_claims"
        ]
    );
    assert_eq!(run.queries.len(), 2 + 2 * tables.len());
}

#[tokio::test]
async fn optimize_and_vacuum_run_again_while_more_runs_are_needed() {
    let t = TestHome::new(&[]);
    t.run("setup", json!({})).await;
    t.configure(|c| c.faults.more_runs_needed = 2);
    let run = t.run("housekeeping", json!({})).await;
    let n = housekept().len();
    for pass in ["optimized", "vacuumed"] {
        assert!(
            per_table(&run.output, pass)
                .iter()
                .all(|(_, extra)| *extra == 2),
            "{pass}: {:?}",
            per_table(&run.output, pass)
        );
    }
    // Three runs of each statement: two answered "more runs needed", the third finished; and
    // the ledger's two prunes.
    assert_eq!(run.queries.len(), 2 + 2 * n);
}

#[tokio::test]
async fn a_table_that_still_needs_runs_after_ten_fails_alone_and_the_run_names_it() {
    let t = TestHome::new(&[]);
    t.run("setup", json!({})).await;
    t.configure(|c| {
        c.faults.more_runs_needed = 10;
        c.faults.more_runs_table = Some("request_item_status".into());
    });
    let (outcome, events) = t.run_recorded("housekeeping", json!({})).await;
    let failure = outcome.expect_err("housekeeping should fail");
    assert_eq!(failure.error, "Query.MoreRunsNeeded");
    // It names the statement and table, Athena's answer, and how many tables failed.
    for part in [
        "1 of 9 tables failed OPTIMIZE and 1 failed VACUUM",
        "OPTIMIZE request_item_status still needed more runs after 10 runs",
        "VACUUM request_item_status still needed more runs after 10 runs",
        "ICEBERG_OPTIMIZE_MORE_RUNS_NEEDED",
    ] {
        assert!(failure.cause.contains(part), "{part}: {}", failure.cause);
    }
    // Every other table was optimised and vacuumed, and every table given statistics.
    let entered = |state: &str| {
        events
            .iter()
            .filter(
                |e| matches!(e, state_machine::Event::StateEntered { state: s, .. } if s == state),
            )
            .count()
    };
    let others = housekept().len() - 1;
    assert_eq!(entered("Optimize: Done"), others);
    assert_eq!(entered("Vacuum: Done"), others);
    assert_eq!(entered("Start Column Statistics"), housekept().len());
    // Nine "more runs" answers are fine.
    t.configure(|c| c.faults.more_runs_needed = 9);
    t.run("housekeeping", json!({})).await;
}
