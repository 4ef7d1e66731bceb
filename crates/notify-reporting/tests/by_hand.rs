//! Operating by hand locally: `queries show` and ad-hoc `query` with the user workgroup's rules.

mod common;

use common::*;
use notify_reporting::by_hand::{run_adhoc, show, Format};
use serde_json::json;

async fn ingested() -> TestHome {
    let t = TestHome::new(&[]);
    t.write_source(&[
        item("I1", "2026-11-18T10:00:00Z", "2026-11-18", json!({"clientid": "C1", "status": "DELIVERED", "createddate": "2026-11-18T09:00:00.000Z"})),
        item("I2", "2026-11-18T11:00:00Z", "2026-11-18", json!({"clientid": "C1", "status": "FAILED", "createddate": "2026-11-18T09:30:00.000Z"})),
        item("I3", "2026-11-19T11:00:00Z", "2026-11-19", json!({"clientid": "C2", "status": "DELIVERED", "createddate": "2026-11-19T09:30:00.000Z"})),
    ]);
    t.setup_and_ingest("2026-11-20").await;
    t
}

const PER_CLIENT: &str =
    "SELECT clientid, count(*) AS items FROM request_item_status GROUP BY clientid ORDER BY clientid";

#[tokio::test]
async fn an_ad_hoc_question_answers_in_every_format() {
    let t = ingested().await;
    assert_eq!(
        run_adhoc(&t.home, PER_CLIENT, Format::Table).unwrap(),
        "clientid  items\n--------  -----\nC1        2\nC2        1\n(2 rows)\n"
    );
    assert_eq!(
        run_adhoc(&t.home, PER_CLIENT, Format::Csv).unwrap(),
        "\"clientid\",\"items\"\n\"C1\",\"2\"\n\"C2\",\"1\"\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&run_adhoc(&t.home, PER_CLIENT, Format::Json).unwrap()).unwrap();
    assert_eq!(
        json,
        json!([{"clientid": "C1", "items": "2"}, {"clientid": "C2", "items": "1"}])
    );
    // Views too, in Athena dialect (the Trino layer runs underneath).
    let answer = run_adhoc(
        &t.home,
        "SELECT day_of_week(DATE '2024-03-10') AS dow",
        Format::Csv,
    )
    .unwrap();
    assert_eq!(answer, "\"dow\"\n\"7\"\n");
}

#[tokio::test]
async fn writes_ddl_the_source_and_files_are_refused_and_nothing_changes() {
    let t = ingested().await;
    let before = t.dump_all();
    for (sql, says) in [
        ("DELETE FROM request_item_status", "DELETE refused"),
        ("DROP TABLE client_latest_name", "DROP refused"),
        (
            "INSERT INTO client_latest_name VALUES ('x', 'y', NULL)",
            "INSERT refused",
        ),
        ("COPY request_item_status TO 'out.csv'", "COPY refused"),
        ("CREATE TABLE t AS SELECT 1", "CREATE refused"),
        (
            "SELECT * FROM transaction_history",
            "transaction_history is not visible",
        ),
        (
            "SELECT * FROM read_csv('/etc/passwd')",
            "disabled by configuration",
        ),
        (
            "WITH x AS (SELECT 1) DELETE FROM client_latest_name",
            "syntax error",
        ),
    ] {
        let err = run_adhoc(&t.home, sql, Format::Table).unwrap_err();
        assert!(err.contains(says), "{sql}: {err}");
    }
    assert_eq!(t.dump_all(), before, "nothing changed");
    assert!(!t.dir.path().join("out.csv").exists());
}

#[test]
fn show_prints_the_athena_sql_and_what_duckdb_runs() {
    let t = TestHome::new(&["B1"]);
    let text = show(&t.home, "request_item_status_summary_batch").unwrap();
    let (athena, duckdb) = text.split_once("-- DuckDB SQL").expect("both sections");
    assert!(athena.contains("MERGE INTO request_item_status_summary_batch"));
    assert!(
        athena.contains("'B1'"),
        "rendered for this home's batch clients"
    );
    assert!(duckdb.contains("MERGE INTO request_item_status_summary_batch"));
    // Saved names and catalog ids both work; the hash key is neither a parameter nor a value.
    let by_id = show(&t.home, "ingestion/request_item_status").unwrap();
    assert_eq!(by_id, show(&t.home, "request_item_status").unwrap());
    assert!(by_id.contains("--   1 = HashKeyFingerprint"));
    assert!(!by_id.contains(KEY));
    let optimize = show(&t.home, "client_latest_name_optimize").unwrap();
    assert!(optimize.contains("OPTIMIZE client_latest_name REWRITE DATA USING BIN_PACK"));
    assert!(optimize.contains("CHECKPOINT"));
    let err = show(&t.home, "request_item_status; DROP").unwrap_err();
    assert!(err.contains("no query named"), "{err}");
}
