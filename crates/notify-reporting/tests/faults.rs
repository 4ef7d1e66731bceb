//! Faults injected into the local engine and stores, under the real state machines: retryable
//! faults are survived, fatal ones fail the execution with a clear cause, and a re-run after any
//! failure converges to exactly the tables and reports of a clean run.

mod common;

use common::*;
use notify_reporting::home::Faults;
use notify_reporting::{run_machine, RunError};
use serde_json::{json, Value};

const AS_OF: &str = "2026-11-20";

type Snapshot = (
    Vec<(String, Vec<Vec<Option<String>>>)>,
    Vec<(String, String)>,
);

/// A home with a small synthetic history and the given faults.
fn home(faults: Faults) -> TestHome {
    let t = TestHome::new(&[]);
    let summary = synthetic_cdc::generate(&synthetic_cdc::Options {
        out: t.source_root.clone(),
        end: reporting_core::CalendarDate::parse(AS_OF).unwrap(),
        days: 4,
        items_per_day: 60,
        clients: 2,
        seed: 3,
        recent_days: 0,
        recent_items_per_day: 0,
    })
    .unwrap();
    t.configure(|c| {
        c.batch_client_ids = summary.batch_client_ids.clone();
        c.faults = faults;
    });
    let clients: Vec<&str> = summary.client_ids.iter().map(String::as_str).collect();
    t.set_report_clients("completed-comms-report", &clients);
    t
}

/// The whole day's work: setup, ingestion, the completed-comms report.
const STEPS: &[(&str, &str)] = &[
    ("setup", "{}"),
    ("ingestion", r#"{"asOf": "2026-11-20"}"#),
    (
        "completed-comms-report",
        r#"{"completedDate": "2026-11-19"}"#,
    ),
];

async fn run_all(t: &TestHome) -> Result<(), RunError> {
    for (machine, input) in STEPS {
        let input: Value = serde_json::from_str(input).unwrap();
        run_machine(&t.home, &t.source(), machine, input, false).await?;
    }
    Ok(())
}

fn snapshot(t: &TestHome) -> Snapshot {
    (t.dump_all(), t.ingress())
}

async fn clean() -> Snapshot {
    let t = home(Faults::default());
    run_all(&t).await.unwrap();
    let s = snapshot(&t);
    assert!(!s.1.is_empty(), "the clean run writes reports");
    assert!(
        s.0.iter().all(|(_, rows)| !rows.is_empty()),
        "and fills every table"
    );
    s
}

/// Runs everything under `faults`; then, with the faults gone, again. Returns the first outcome.
async fn with_faults_then_again(faults: Faults) -> (Result<(), RunError>, Snapshot) {
    let t = home(faults);
    let first = run_all(&t).await;
    t.configure(|c| c.faults = Faults::default());
    run_all(&t).await.unwrap();
    (first, snapshot(&t))
}

fn failed(outcome: Result<(), RunError>) -> (String, String) {
    match outcome {
        Err(RunError::Failed { error, cause }) => (error, cause),
        other => panic!("expected a failed execution, got {other:?}"),
    }
}

#[tokio::test]
async fn throttled_query_starts_are_retried() {
    let clean = clean().await;
    let (first, after) = with_faults_then_again(Faults {
        throttled_starts: 4,
        ..Default::default()
    })
    .await;
    first.expect("four throttles are within the Retry's five attempts");
    assert_eq!(after, clean);
}

#[tokio::test]
async fn lost_commit_races_are_rerun_up_to_three_times() {
    let clean = clean().await;
    let (first, after) = with_faults_then_again(Faults {
        commit_conflicts: 3,
        ..Default::default()
    })
    .await;
    first.expect("three conflicts on one MERGE are rerun");
    assert_eq!(after, clean);

    let (first, after) = with_faults_then_again(Faults {
        commit_conflicts: 4,
        ..Default::default()
    })
    .await;
    let (error, cause) = failed(first);
    assert_eq!(error, "Retryable.CommitConflict");
    assert!(cause.starts_with("Failed again after 3 reruns"), "{cause}");
    assert_eq!(after, clean);
}

#[tokio::test]
async fn a_failing_query_fails_the_run_by_name_and_a_rerun_converges() {
    let clean = clean().await;
    let (first, after) = with_faults_then_again(Faults {
        failing_query: Some("ingestion/request_item_plan_status".into()),
        ..Default::default()
    })
    .await;
    let (error, cause) = failed(first);
    assert_eq!(error, "Query.Failed");
    assert!(
        cause.contains("ingestion/request_item_plan_status") && cause.contains("SYNTAX_ERROR"),
        "{cause}"
    );
    assert_eq!(after, clean);
}

#[tokio::test]
async fn a_report_lost_between_query_and_delivery_is_delivered_by_the_next_run() {
    let clean = clean().await;
    let t = home(Faults {
        failing_puts: 1,
        ..Default::default()
    });
    let (error, cause) = failed(run_all(&t).await);
    // The first client's delivery failed; the other client's report was still delivered, and
    // the run fails at its end naming the client that failed and why.
    assert_eq!(error, "Report.ClientsFailed");
    let delivered = t.ingress();
    assert_eq!(delivered.len(), clean.1.len() - 1, "{delivered:?}");
    let failed_client = clean
        .1
        .iter()
        .map(|(key, _)| key.split('/').nth(1).unwrap().to_string())
        .find(|client| {
            !delivered
                .iter()
                .any(|(key, _)| key.contains(client.as_str()))
        })
        .unwrap();
    assert!(
        cause.contains(&format!("failed for 1 of {} clients", clean.1.len()))
            && cause.contains(&format!("{failed_client} (Internal.Error: "))
            && cause.contains("the writer died"),
        "{cause}"
    );
    t.configure(|c| c.faults = Faults::default());
    run_all(&t).await.unwrap();
    // Nothing half-written, nothing twice.
    assert_eq!(snapshot(&t), clean);
}

#[tokio::test]
async fn query_failures_that_may_pass_are_rerun_with_a_new_token() {
    let clean = clean().await;
    let (first, after) = with_faults_then_again(Faults {
        retryable_failures: 3,
        ..Default::default()
    })
    .await;
    first.expect("three failures of the first query are rerun");
    assert_eq!(after, clean);

    let (first, after) = with_faults_then_again(Faults {
        retryable_failures: 4,
        ..Default::default()
    })
    .await;
    let (error, cause) = failed(first);
    assert_eq!(error, "Retryable.QueryFailed");
    assert!(
        cause.starts_with("Failed again after 3 reruns")
            && cause.contains("setup/unexpected_columns"),
        "the cause names the query (setup's first): {cause}"
    );
    assert_eq!(after, clean);
}

#[tokio::test]
async fn housekeeping_reruns_lost_commit_races() {
    let clean = clean().await;
    let t = home(Faults::default());
    run_all(&t).await.unwrap();
    t.configure(|c| {
        c.faults = Faults {
            commit_conflicts: 3,
            ..Default::default()
        }
    });
    t.run("housekeeping", json!({})).await;
    assert_eq!(snapshot(&t), clean);
    t.configure(|c| {
        c.faults = Faults {
            commit_conflicts: 4,
            ..Default::default()
        }
    });
    let (error, cause) = t.run_failure("housekeeping", json!({})).await;
    assert_eq!(error, "Retryable.CommitConflict");
    // The first query housekeeping runs, the ledger's prune, takes the four conflicts.
    assert!(
        cause.contains("housekeeping/prune_ingestion_files"),
        "{cause}"
    );
}

/// Local runs are processes; a second one while the first holds the database fails clearly and
/// changes nothing.
#[tokio::test]
async fn a_second_writer_fails_clearly_while_one_holds_the_database() {
    let t = home(Faults::default());
    t.run("setup", json!({})).await;
    let holder = t.engine();
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_notify-reporting"))
        .args([
            "--home",
            t.home.root.to_str().unwrap(),
            "run",
            "ingestion",
            "--as-of",
            AS_OF,
        ])
        .arg("--source")
        .arg(t.source())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success());
    assert!(stderr.contains("another run is using"), "{stderr}");
    drop(holder);
    assert!(t.dump_all().iter().all(|(_, rows)| rows.is_empty()));
    t.run("ingestion", json!({"asOf": AS_OF})).await;
}

/// A start whose response is lost is retried with the same request token: the engine hands back
/// the execution already started, so no query runs twice.
#[tokio::test]
async fn a_start_retried_after_a_lost_response_does_not_run_the_query_twice() {
    let clean = clean().await;
    let t = home(Faults {
        lost_responses: 2,
        ..Default::default()
    });
    run_all(&t).await.expect("lost responses are retried");
    assert_eq!(snapshot(&t), clean);
    // In each run the first start's response (the watermark probe's) is lost twice; its retries
    // name the same execution, so the probe is execution 1, the bound 2 and the passes 3, 4, ...
    // with none in between.
    let run = t.run("ingestion", json!({"asOf": AS_OF})).await;
    let ids: Vec<&str> = ["firstPass", "secondPass"]
        .iter()
        .flat_map(|pass| run.output[*pass].as_array().unwrap())
        .map(|q| q["queryExecutionId"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (3..=9).map(|n| format!("local-{n:06}")).collect();
    assert_eq!(ids, expected);
    assert_eq!(
        run.output["bound"][0]["queryExecutionId"].as_str(),
        Some("local-000002")
    );
}
