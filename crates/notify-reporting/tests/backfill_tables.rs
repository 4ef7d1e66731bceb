//! `run backfill --table T`: a table rebuilt from all the history there is, by its own ingestion
//! query with the window opened; the ingestion contract still holds.

mod common;

use common::*;
use notify_reporting::{run_machine, RunError};
use serde_json::json;

const AS_OF: &str = "2026-11-20";

fn history() -> Vec<synthetic_cdc::CdcRow> {
    vec![
        // Long before the week's window, with a hand-edited (non-ISO) completion time.
        item(
            "OLD",
            "2026-09-01T10:00:00",
            "2026-09-01",
            json!({"status": "ENRICHED", "createddate": "2026-09-01T09:00:00.000Z"}),
        ),
        item(
            "OLD",
            "2026-09-01T10:00:03",
            "2026-09-02",
            json!({"status": "DELIVERED", "createddate": "2026-09-01T09:00:00.000Z", "completeddate": "2026-09-01 10:00:03.250", "completedcommunicationtypes": ["SMS"]}),
        ),
        // In the window.
        item(
            "NEW",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"status": "FAILED", "createddate": "2026-11-18T09:00:00.000Z", "completeddate": "2026-11-18T10:00:00.000Z"}),
        ),
        plan(
            "NEWP",
            "NEW",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"status": "FAILED", "createddate": "2026-11-18T09:00:00.000Z", "completeddate": "2026-11-18T10:00:00.000Z", "communicationtype": "EMAIL"}),
        ),
    ]
}

fn items(t: &TestHome) -> Vec<Vec<Option<String>>> {
    t.select("SELECT requestitemid, status, CAST(completedtime AS varchar) FROM request_item_status ORDER BY 1")
}

#[tokio::test]
async fn a_backfill_takes_all_history_and_changes_nothing_the_second_time() {
    let t = TestHome::new(&[]);
    t.write_source(&history());
    t.setup_and_ingest(AS_OF).await;
    assert_eq!(
        items(&t),
        vec![vec![s("NEW"), s("FAILED"), s("2026-11-18 10:00:00")]]
    );

    t.run(
        "backfill",
        json!({"table": "request_item_status", "asOf": AS_OF}),
    )
    .await;
    let backfilled = items(&t);
    assert_eq!(
        backfilled,
        vec![
            vec![s("NEW"), s("FAILED"), s("2026-11-18 10:00:00")],
            vec![s("OLD"), s("DELIVERED"), s("2026-09-01 10:00:03.25")],
        ]
    );
    let all = t.dump_all();
    t.run(
        "backfill",
        json!({"table": "request_item_status", "asOf": AS_OF}),
    )
    .await;
    t.run("ingestion", json!({"asOf": AS_OF})).await;
    // The aggregates saw OLD only if a backfill of theirs ran: the month window left it out.
    assert_eq!(t.dump_all(), all);
    t.run(
        "backfill",
        json!({"table": "request_item_status_summary", "asOf": AS_OF}),
    )
    .await;
    assert_eq!(
        t.select("SELECT CAST(createddate AS varchar), requestedcount, deliveredcount FROM request_item_status_summary ORDER BY 1"),
        vec![
            vec![s("2026-09-01"), s("1"), s("1")],
            vec![s("2026-11-18"), s("1"), s("0")],
        ]
    );
}

#[tokio::test]
async fn a_table_outside_the_catalog_is_refused() {
    let t = TestHome::new(&[]);
    t.write_source(&history());
    t.run("setup", json!({})).await;
    for table in [
        "nope",
        "request_item_status; DROP TABLE x",
        "../request_item_status",
    ] {
        match run_machine(
            &t.home,
            &t.source(),
            "backfill",
            json!({"table": table}),
            false,
        )
        .await
        {
            // Refused by the machine's input check (the CLI makes it before opening the home;
            // in AWS the machine's first Task makes it), naming the tables there are.
            Err(RunError::InvalidInput(message)) => {
                assert!(message.contains("is not a staging table"), "{message}");
                assert!(message.contains("request_item_status"), "{message}");
            }
            other => panic!("{table}: {:?}", other.map(|r| r.output)),
        }
    }
    assert!(items(&t).is_empty());
}
