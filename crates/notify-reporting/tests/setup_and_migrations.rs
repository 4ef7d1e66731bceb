//! Setup's lifecycle through the real state machine: fresh, repeated, migrating an old schema,
//! stopping at a failed migration and resuming; and every view on the default sample.

mod common;

use common::*;
use notify_reporting::{run_machine, RunError};
use serde_json::json;

/// Every staging column as (table, position, column, type), and the ledger's ids and kinds.
fn schema(t: &TestHome) -> Vec<Vec<Option<String>>> {
    t.select(
        "SELECT table_name, ordinal_position, column_name, data_type FROM information_schema.columns \
         WHERE table_schema = 'main' ORDER BY ALL",
    )
}

fn ledger(t: &TestHome) -> Vec<Vec<Option<String>>> {
    t.select("SELECT id, query, how FROM schema_migrations ORDER BY id")
}

fn views(t: &TestHome) -> Vec<Vec<Option<String>>> {
    t.select(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW' ORDER BY 1",
    )
}

#[tokio::test]
async fn a_second_setup_changes_nothing() {
    let t = TestHome::new(&[]);
    let first = t.run("setup", json!({})).await;
    assert_eq!(first.output["migrationsApplied"], json!([]));
    let (schema_1, ledger_1, views_1) = (schema(&t), ledger(&t), views(&t));
    // A fresh database is created at the latest schema: every migration is baseline.
    assert_eq!(
        ledger_1,
        vec![
            vec![
                s("0001"),
                s("migrations/0001_request_item_status_failedreasoncode"),
                s("baseline")
            ],
            vec![
                s("0002"),
                s("migrations/0002_request_item_plan_status_failedreasoncode"),
                s("baseline")
            ],
        ]
    );
    assert_eq!(views_1.len(), reporting_core::catalog::VIEWS.len());
    let second = t.run("setup", json!({})).await;
    assert_eq!(second.output["migrationsApplied"], json!([]));
    assert_eq!(schema(&t), schema_1);
    assert_eq!(ledger(&t), ledger_1);
    assert_eq!(views(&t), views_1);
}

/// The two projections as they were before failedreasoncode, with one row each.
const OLD_SCHEMA: &str = "
CREATE TABLE request_item_status (clientid varchar, campaignid varchar, sendinggroupid varchar, sendinggroupidversion varchar, sendinggroupname varchar, sendinggroupcreatedtime timestamp, requestitemrefid varchar, requestitemid varchar, requestrefid varchar, requestid varchar, nhsnumberhash varchar, createdtime timestamp, completedtime timestamp, completedcommunicationtypes varchar[], failedcommunicationtypes varchar[], status varchar, failedreason varchar, patientodscode varchar, billingref varchar, \"timestamp\" bigint);
CREATE TABLE request_item_plan_status (clientid varchar, campaignid varchar, sendinggroupid varchar, sendinggroupidversion varchar, requestitemrefid varchar, requestitemid varchar, requestrefid varchar, requestid varchar, requestitemplanid varchar, communicationtype varchar, supplier varchar, createdtime timestamp, completedtime timestamp, sendtime timestamp, status varchar, failedreason varchar, contactdetailsource varchar, channeltype varchar, ordernumber integer, recipientcontactid varchar, templateid varchar, specificationid varchar, specificationbillingid varchar, messagelength integer, messagelengthunits varchar, senderodscode varchar, \"timestamp\" bigint);
INSERT INTO request_item_status (clientid, requestitemid, status) VALUES ('C1', 'I1', 'DELIVERED');
INSERT INTO request_item_plan_status (clientid, requestitemid, requestitemplanid, status) VALUES ('C1', 'I1', 'P1', 'DELIVERED')
";

#[tokio::test]
async fn an_old_database_migrated_equals_a_fresh_one_and_keeps_its_rows() {
    let fresh = TestHome::new(&[]);
    fresh.run("setup", json!({})).await;

    let old = TestHome::new(&[]);
    old.exec(OLD_SCHEMA);
    let run = old.run("setup", json!({})).await;
    assert_eq!(
        run.output["migrationsApplied"],
        json!([
            {"id": "0001", "query": "migrations/0001_request_item_status_failedreasoncode"},
            {"id": "0002", "query": "migrations/0002_request_item_plan_status_failedreasoncode"},
        ])
    );
    // The table DDLs are exactly what the migrations make of the old tables.
    assert_eq!(schema(&old), schema(&fresh));
    assert_eq!(
        ledger(&old)
            .iter()
            .map(|r| r[2].clone())
            .collect::<Vec<_>>(),
        vec![s("applied"), s("applied")]
    );
    assert_eq!(
        old.select("SELECT requestitemid, status, failedreasoncode FROM request_item_status"),
        vec![vec![s("I1"), s("DELIVERED"), None]]
    );
    // And it ingests like any other.
    let again = old.run("setup", json!({})).await;
    assert_eq!(again.output["migrationsApplied"], json!([]));
}

#[tokio::test]
async fn a_failed_migration_stops_setup_by_name_and_the_next_run_resumes() {
    let t = TestHome::new(&[]);
    t.exec(OLD_SCHEMA);
    // The second migration's ALTER fails in the engine (as Athena fails one on a locked table).
    t.configure(|c| {
        c.faults.failing_query =
            Some("migrations/0002_request_item_plan_status_failedreasoncode".into())
    });
    let failure = match run_machine(&t.home, &t.source(), "setup", json!({}), false).await {
        Err(RunError::Failed { error, cause }) => (error, cause),
        other => panic!("setup should fail: {:?}", other.map(|r| r.output)),
    };
    assert_eq!(failure.0, "Query.Failed");
    assert!(
        failure
            .1
            .contains("migrations/0002_request_item_plan_status_failedreasoncode"),
        "{}",
        failure.1
    );
    // 0001 went through and is recorded; 0002 is not.
    assert_eq!(ledger(&t).len(), 1);
    assert_eq!(ledger(&t)[0][0], s("0001"));

    // With the fault gone, the next run applies 0002 only.
    t.configure(|c| c.faults = Default::default());
    let run = t.run("setup", json!({})).await;
    assert_eq!(
        run.output["migrationsApplied"],
        json!([{"id": "0002", "query": "migrations/0002_request_item_plan_status_failedreasoncode"}])
    );
    assert_eq!(ledger(&t).len(), 2);
}

#[tokio::test]
async fn every_view_returns_rows_on_the_default_sample() {
    let t = TestHome::new(&[]);
    let summary = synthetic_cdc::generate(&synthetic_cdc::Options {
        out: t.source_root.clone(),
        end: reporting_core::CalendarDate::today_utc(),
        days: 14,
        items_per_day: 400,
        clients: 4,
        seed: 1,
        recent_days: 0,
        recent_items_per_day: 0,
    })
    .unwrap();
    t.configure(|c| {
        c.batch_client_ids = summary.batch_client_ids.clone();
        c.sms_nudge_client_id = Some(summary.sms_nudge_client_id.clone());
        c.email_filter_client_ids = summary.email_filter_client_ids.clone();
    });
    t.setup_and_ingest(&reporting_core::CalendarDate::today_utc().to_string())
        .await;
    for view in reporting_core::catalog::VIEWS {
        let rows = t.select(&format!("SELECT count(*) FROM {}", view.name));
        let n: u64 = rows[0][0].as_deref().unwrap().parse().unwrap();
        assert!(n > 0, "{} is empty on the default sample", view.name);
    }
    // The email filter hides something for the configured client, and only for it.
    let hidden = t.select(
        "SELECT DISTINCT clientid FROM request_item_status_summary_all \
         EXCEPT SELECT DISTINCT clientid FROM request_item_status_summary_all_email_filter",
    );
    assert!(hidden.is_empty(), "a whole client disappeared: {hidden:?}");
    let counts = t.select(
        "SELECT (SELECT count(*) FROM request_item_status_summary_all) - (SELECT count(*) FROM request_item_status_summary_all_email_filter)",
    );
    assert_ne!(counts[0][0], s("0"));
}

/// The home's saved queries, as (name, workgroup, sql).
fn saved(t: &TestHome) -> Vec<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(t.home.saved_queries_file()).unwrap()).unwrap()
}

#[tokio::test]
async fn setup_keeps_the_saved_queries_equal_to_the_catalog_and_leaves_operators_own() {
    let t = TestHome::new(&["batch-client"]);
    let first = t.run("setup", json!({})).await;
    let wanted = reporting_core::saved::saved_queries(&t.home.deployment().unwrap()).unwrap();
    assert_eq!(
        first.output["savedQueries"]["created"]
            .as_array()
            .unwrap()
            .len(),
        wanted.len()
    );
    let stored = saved(&t);
    assert_eq!(stored.len(), wanted.len());
    for (s, w) in stored.iter().zip(&wanted) {
        assert_eq!(s["name"], json!(w.name));
        assert_eq!(s["workgroup"], json!(w.workgroup.name()));
        assert_eq!(s["sql"], json!(w.sql));
    }
    // The key is never saved: the hash query's one secret-shaped parameter is the fingerprint.
    let key = common::KEY;
    let text = std::fs::read_to_string(t.home.saved_queries_file()).unwrap();
    assert!(!text.contains(key), "the hash key is never saved");
    let status = stored
        .iter()
        .find(|s| s["name"] == "request_item_status")
        .unwrap();
    assert!(status["description"]
        .as_str()
        .unwrap()
        .contains("1 = the pinned hash key fingerprint"));
    assert!(status["sql"].as_str().unwrap().contains("FROM hash_key k"));

    // An operator's own query, a managed query that was retired, and a stale managed one.
    let mut edited = saved(&t);
    edited[0]["sql"] = json!("SELECT 'stale'");
    let mut retired = edited[1].clone();
    retired["id"] = json!("saved-9001");
    retired["name"] = json!("a_retired_query");
    edited.push(retired);
    edited.push(
        json!({"id": "saved-9002", "name": "pds_cleared_failures", "workgroup": "user",
        "description": "ad hoc", "sql": "SELECT 1"}),
    );
    std::fs::write(
        t.home.saved_queries_file(),
        serde_json::to_string(&edited).unwrap(),
    )
    .unwrap();
    let second = t.run("setup", json!({})).await;
    assert_eq!(second.output["savedQueries"]["created"], json!([]));
    assert_eq!(
        second.output["savedQueries"]["updated"],
        json!([wanted[0].name])
    );
    assert_eq!(second.output["savedQueries"]["deleted"], json!(1));
    let after = saved(&t);
    assert_eq!(after.len(), wanted.len() + 1);
    assert!(after.iter().any(|s| s["name"] == "pds_cleared_failures"));
    assert!(!after.iter().any(|s| s["name"] == "a_retired_query"));
    assert_eq!(after[0]["sql"], json!(wanted[0].sql));
    // A third run changes nothing.
    let third = t.run("setup", json!({})).await;
    assert_eq!(
        third.output["savedQueries"]["unchanged"],
        json!(wanted.len())
    );
}

/// What `notify-reporting run setup` prints: every step by its own name. The saved-query sync is
/// run-query's task without a query, and once printed `started ?`.
#[test]
fn every_setup_step_prints_its_own_name() {
    let t = TestHome::new(&[]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_notify-reporting"))
        .arg("--home")
        .arg(&t.home.root)
        .args(["run", "setup"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let steps: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("  started") || l.starts_with("  done"))
        .collect();
    assert!(steps.len() > 20, "{stderr}");
    for line in &steps {
        assert!(!line.contains('?'), "a step without a name: {line:?}");
    }
    assert!(
        steps.iter().any(
            |l| l.starts_with("  done      Sync Saved Queries (") && l.ends_with(" unchanged)")
        ),
        "{stderr}"
    );
}
