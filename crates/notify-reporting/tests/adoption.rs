//! Taking over the running system's database (issue 20): setup on its tables changes nothing but
//! the missing columns and the ledger, stops before any write on a column it does not expect, and
//! our ingestion over tables the running system left (its `''` dimensions, its first-come ties,
//! rows whose source has expired) loses nothing and converges on what ours alone gives. On DuckDB
//! and on Trino.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use reporting_core::catalog::{self, TableKind};
use serde_json::json;

/// Every column of the staging tables and the ledger: (table, column), sorted.
fn columns(t: &TestHome) -> BTreeSet<(String, String)> {
    // The home's schema, as `information_schema` names it.
    let schema = t.home.deployment().unwrap().database;
    t.select(&format!(
        "SELECT table_name, column_name FROM information_schema.columns \
         WHERE table_schema = '{schema}' AND table_name IN ({}, 'schema_migrations')",
        catalog::TABLES
            .iter()
            .map(|t| format!("'{}'", t.name))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .into_iter()
    .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
    .collect()
}

fn ledger(t: &TestHome) -> Vec<Vec<Option<String>>> {
    t.select("SELECT id, how FROM schema_migrations ORDER BY id")
}

/// Rows of `table` in the columns given (the columns both sides share), sorted.
fn rows_in(t: &TestHome, table: &str, cols: &[&str]) -> Vec<Vec<Option<String>>> {
    let list = cols
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut rows = t.select(&format!("SELECT {list} FROM {table}"));
    rows.sort();
    rows
}

/// Our columns of each table, in DDL order, but the one migration the running system's
/// `request_item_status` lacks in the environments that never ran it by hand.
fn running_system_columns(table: &str) -> Vec<&'static str> {
    catalog::table_columns()
        .filter(|(t, c)| {
            *t == table && !(table == "request_item_status" && *c == "failedreasoncode")
        })
        .map(|(_, c)| c)
        .collect()
}

/// The running system's tables, empty: its DDL, which is ours without `failedreasoncode` (added
/// in production by a hand-run ALTER, which some environments never ran), with `edit` applied to
/// each table's; no ledger.
fn running_system_database_edited(t: &TestHome, edit: impl Fn(&str, String) -> String) {
    let deployment = t.home.deployment().unwrap();
    for table in catalog::TABLES {
        let ddl = catalog::query(&format!("tables/{}", table.name))
            .unwrap()
            .sql;
        let ddl = reporting_core::render::render(ddl, &deployment).unwrap();
        let ddl = if table.name == "request_item_status" {
            let without = ddl.replace(",\n  failedreasoncode string\n", "\n");
            assert_ne!(without, ddl, "the DDL still declares failedreasoncode last");
            without
        } else {
            ddl
        };
        t.exec_athena(&edit(table.name, ddl));
    }
}

/// The running system's tables with its rows.
fn running_system_database(t: &TestHome) {
    running_system_database_edited(t, |_, ddl| ddl);
    // The templateid dimension it added to the plan summaries and took out of its SQL: the
    // columns stayed, and our setup and ingestion adopt them as they are.
    for table in [
        "request_item_plan_completed_summary",
        "request_item_plan_completed_summary_batch",
    ] {
        t.exec_athena(&format!(
            "ALTER TABLE {table} ADD COLUMNS (templateid string)"
        ));
    }
    t.exec(RUNNING_SYSTEM_ROWS);
}

/// Rows as the running system writes them: an aggregate dimension it stored as `''` where ours
/// stores NULL, projections whose first-come version won a timestamp tie, a client name from an
/// older item, and rows whose source has long expired from `transaction_history`.
const RUNNING_SYSTEM_ROWS: &str = "
INSERT INTO request_item_status (clientid, requestitemid, requestid, status, createdtime, completedtime, completedcommunicationtypes, \"timestamp\") VALUES
 ('client-a', 'EXPIRED-1', 'R-OLD', 'DELIVERED', TIMESTAMP '2026-06-01 09:00:00', TIMESTAMP '2026-06-01 09:05:00', ARRAY['EMAIL'], 1780304700000),
 ('client-a', 'EXPIRED-2', 'R-OLD', 'FAILED', TIMESTAMP '2026-06-01 09:00:00', TIMESTAMP '2026-06-01 09:07:00', NULL, 1780304820000),
 ('client-a', 'NEWER-IN-SOURCE', 'R-1', 'ENRICHED', TIMESTAMP '2026-11-15 09:00:00', NULL, NULL, 1794733200000),
 ('client-a', 'TIE', 'R-1', 'ENRICHED', TIMESTAMP '2026-11-16 10:00:00', NULL, NULL, 1794823200000);
INSERT INTO request_item_plan_status (clientid, requestitemid, requestitemplanid, communicationtype, supplier, status, createdtime, completedtime, \"timestamp\") VALUES
 ('client-a', 'EXPIRED-1', 'P-EXPIRED-1', 'EMAIL', 'GOVUK', 'DELIVERED', TIMESTAMP '2026-06-01 09:00:00', TIMESTAMP '2026-06-01 09:05:00', 1780304700000),
 ('client-a', 'TIE', 'P-TIE', 'EMAIL', 'GOVUK', 'SENDING', TIMESTAMP '2026-11-16 10:00:00', NULL, 1794823200000);
INSERT INTO client_latest_name (clientid, clientname, createdtime) VALUES
 ('client-a', 'Client A (old name)', TIMESTAMP '2026-06-01 09:00:00'),
 ('client-gone', 'A client long gone', TIMESTAMP '2025-01-01 00:00:00');
INSERT INTO request_item_status_summary (clientid, campaignid, sendinggroupid, sendinggroupidversion, createddate, requestedcount, deliveredcount, failedcount, completedcount, outstandingcount, nhsappdeliveredcount, emaildeliveredcount, smsdeliveredcount, letterdeliveredcount, nhsappfailedcount, emailfailedcount, smsfailedcount, letterfailedcount) VALUES
 ('client-a', '', '', '', DATE '2026-06-01', 2, 1, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0),
 ('client-a', '', '', '', DATE '2026-11-15', 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);
INSERT INTO request_item_status_summary_batch (clientid, campaignid, sendinggroupid, sendinggroupidversion, requestrefid, requestid, createddate, requestedcount, deliveredcount, failedcount, completedcount, outstandingcount, nhsappdeliveredcount, emaildeliveredcount, smsdeliveredcount, letterdeliveredcount, nhsappfailedcount, emailfailedcount, smsfailedcount, letterfailedcount) VALUES
 ('client-a', '', '', '', '', 'R-OLD', DATE '2026-06-01', 2, 1, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0),
 ('client-a', '', '', '', '', 'R-1', DATE '2026-11-15', 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);
INSERT INTO request_item_plan_completed_summary (clientid, campaignid, sendinggroupid, sendinggroupidversion, communicationtype, supplier, createddate, completeddate, status, failedreason, contactdetailsource, channeltype, requestitemcount) VALUES
 ('client-a', '', '', '', 'EMAIL', 'GOVUK', DATE '2026-06-01', DATE '2026-06-01', 'DELIVERED', '', '', '', 1),
 ('client-a', '', '', '', 'EMAIL', 'GOVUK', DATE '2026-11-16', DATE '2026-11-16', 'DELIVERED', '', '', '', 1);
INSERT INTO request_item_plan_completed_summary_batch (clientid, campaignid, sendinggroupid, sendinggroupidversion, requestrefid, requestid, communicationtype, supplier, createddate, completeddate, status, failedreason, contactdetailsource, channeltype, requestitemcount) VALUES
 ('client-a', '', '', '', '', 'R-OLD', 'EMAIL', 'GOVUK', DATE '2026-06-01', DATE '2026-06-01', 'DELIVERED', '', '', '', 1)
";

/// What is still in `transaction_history`: the objects above that are not expired, at their
/// latest versions (one a timestamp tie the running system resolved first-come), and more.
fn source_still_there() -> Vec<synthetic_cdc::CdcRow> {
    let done = |status: &str, at: &str| {
        json!({"status": status, "requestid": "R-1", "clientname": "Client A",
               "createddate": format!("{}T09:00:00.000Z", &at[..10]),
               "completeddate": format!("{at}.000Z"), "completedcommunicationtypes": ["EMAIL"],
               "nhsnumber": "9990001112"})
    };
    let open = |status: &str, day: &str| {
        json!({"status": status, "requestid": "R-1", "clientname": "Client A",
               "createddate": format!("{day}T09:00:00.000Z"), "nhsnumber": "9990001113"})
    };
    let plan_done = |at: &str| {
        json!({"status": "DELIVERED", "communicationtype": "EMAIL", "supplier": "GOVUK", "requestid": "R-1",
               "createddate": format!("{}T09:00:00.000Z", &at[..10]), "completeddate": format!("{at}.000Z")})
    };
    vec![
        // The running system has an older version; a newer one is in the window.
        item(
            "NEWER-IN-SOURCE",
            "2026-11-15T09:10:00",
            "2026-11-15",
            done("DELIVERED", "2026-11-15T09:10:00"),
        ),
        // Two versions at one timestamp: the running system kept the one that came first.
        item(
            "TIE",
            "2026-11-16T10:00:00",
            "2026-11-16",
            open("ENRICHED", "2026-11-16"),
        ),
        item(
            "TIE",
            "2026-11-16T10:00:00",
            "2026-11-17",
            done("DELIVERED", "2026-11-16T10:00:00"),
        ),
        plan(
            "P-TIE",
            "TIE",
            "2026-11-16T10:00:00",
            "2026-11-16",
            json!({"status": "SENDING", "communicationtype": "EMAIL", "supplier": "GOVUK", "createddate": "2026-11-16T09:00:00.000Z"}),
        ),
        plan(
            "P-TIE",
            "TIE",
            "2026-11-16T10:00:00",
            "2026-11-17",
            plan_done("2026-11-16T10:00:00"),
        ),
        // New to both: one in the first windows, one only in the later window.
        item(
            "FRESH",
            "2026-11-18T11:00:00",
            "2026-11-18",
            done("FAILED", "2026-11-18T11:00:00"),
        ),
        item(
            "LATE",
            "2026-11-25T08:00:00",
            "2026-11-25",
            open("PENDING_ENRICHMENT", "2026-11-25"),
        ),
    ]
}

/// Each table's rows by key ('' and NULL one value, as the aggregate MERGE matches them), with
/// every value in the same form.
fn by_key(
    table: &catalog::Table,
    cols: &[&str],
    rows: Vec<Vec<Option<String>>>,
) -> BTreeMap<Vec<Option<String>>, Vec<Vec<Option<String>>>> {
    let key_at: Vec<usize> = table
        .key
        .iter()
        .map(|k| cols.iter().position(|c| c == k).unwrap())
        .collect();
    let mut out: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for row in rows {
        let row: Vec<Option<String>> = row
            .into_iter()
            .map(|v| v.filter(|s| !(s.is_empty() && table.kind == TableKind::Aggregation)))
            .collect();
        let key = key_at.iter().map(|&i| row[i].clone()).collect();
        out.entry(key).or_default().push(row);
    }
    out
}

async fn setup_on_the_running_systems_tables_adds_only_the_missing_columns_and_the_ledger() {
    let t = TestHome::new(&["client-a"]);
    running_system_database(&t);
    let columns_before = columns(&t);
    let rows_before: Vec<_> = catalog::TABLES
        .iter()
        .map(|table| rows_in(&t, table.name, &running_system_columns(table.name)))
        .collect();

    let run = t.run("setup", json!({})).await;

    // The one missing column was added (by its migration), and the ledger made.
    assert_eq!(
        run.output["migrationsApplied"],
        json!([{"id": "0001", "query": "migrations/0001_request_item_status_failedreasoncode"}])
    );
    let added: BTreeSet<_> = columns(&t).difference(&columns_before).cloned().collect();
    let ledger_columns: BTreeSet<_> = ["id", "query", "how", "recordedat"]
        .iter()
        .map(|c| ("schema_migrations".to_string(), c.to_string()))
        .collect();
    let mut expected_added = ledger_columns;
    expected_added.insert(("request_item_status".into(), "failedreasoncode".into()));
    assert_eq!(added, expected_added);
    assert!(columns_before.is_subset(&columns(&t)), "a column went away");
    assert_eq!(
        ledger(&t),
        vec![
            vec![s("0001"), s("applied")],
            vec![s("0002"), s("baseline")]
        ]
    );

    // Every row is as it was, value for value; the new column is NULL.
    for (table, before) in catalog::TABLES.iter().zip(&rows_before) {
        assert!(!before.is_empty(), "{}: the fixture has rows", table.name);
        assert_eq!(
            &rows_in(&t, table.name, &running_system_columns(table.name)),
            before,
            "{}",
            table.name
        );
    }
    assert_eq!(
        t.select("SELECT count(*) FROM request_item_status WHERE failedreasoncode IS NOT NULL"),
        vec![vec![s("0")]]
    );

    // And again: nothing more.
    let again = t.run("setup", json!({})).await;
    assert_eq!(again.output["migrationsApplied"], json!([]));
    assert_eq!(ledger(&t).len(), 2);
}

async fn a_column_setup_does_not_expect_stops_it_before_any_write() {
    let t = TestHome::new(&[]);
    // A column of the running system's client_latest_name that ours lacks, and one it lacks.
    running_system_database_edited(&t, |table, ddl| match table {
        "client_latest_name" => ddl.replace("createdtime timestamp", "legacyflag string"),
        _ => ddl,
    });
    t.exec_athena("ALTER TABLE request_item_plan_status ADD COLUMNS (channelhint string)");
    // templateid, which the running system left on its plan summaries, is adopted, not refused.
    t.exec_athena(
        "ALTER TABLE request_item_plan_completed_summary ADD COLUMNS (templateid string)",
    );
    t.exec(RUNNING_SYSTEM_ROWS.split(";\n").next().unwrap());
    let columns_before = columns(&t);
    let rows_before = rows_in(
        &t,
        "request_item_status",
        &running_system_columns("request_item_status"),
    );

    let (error, cause) = t.run_failure("setup", json!({})).await;

    assert_eq!(error, "Setup.UnexpectedColumns");
    for named in [
        r#""tablename":"client_latest_name","columnname":"createdtime","problem":"missing""#,
        r#""tablename":"client_latest_name","columnname":"legacyflag","problem":"unexpected""#,
        r#""tablename":"request_item_plan_status","columnname":"channelhint","problem":"unexpected""#,
    ] {
        assert!(cause.contains(named), "{named} in {cause}");
    }
    // failedreasoncode is missing too, but a migration adds it: not a problem.
    assert!(!cause.contains("failedreasoncode"), "{cause}");
    assert!(!cause.contains("templateid"), "{cause}");
    // Nothing was written: no ledger, no migration, the same rows.
    assert_eq!(columns(&t), columns_before);
    assert!(!columns(&t).iter().any(|(t, _)| t == "schema_migrations"));
    assert_eq!(
        rows_in(
            &t,
            "request_item_status",
            &running_system_columns("request_item_status")
        ),
        rows_before
    );
}

async fn our_ingestion_over_the_running_systems_tables_loses_nothing_and_converges_on_ours() {
    let adopted = TestHome::new(&["client-a"]);
    running_system_database(&adopted);
    adopted.run("setup", json!({})).await;
    let ours = TestHome::new(&["client-a"]);
    ours.run("setup", json!({})).await;
    let before: Vec<_> = catalog::TABLES
        .iter()
        .map(|table| {
            let cols: Vec<&str> = catalog::table_columns()
                .filter(|(t, _)| *t == table.name)
                .map(|(_, c)| c)
                .collect();
            by_key(table, &cols, rows_in(&adopted, table.name, &cols))
        })
        .collect();

    // Overlapping windows, then a later one: the same runs on both homes.
    for home in [&adopted, &ours] {
        home.write_source(&source_still_there());
        for as_of in ["2026-11-20", "2026-11-22", "2026-11-29"] {
            home.run("ingestion", json!({"asOf": as_of})).await;
        }
    }

    let mut contested = 0;
    for (table, before) in catalog::TABLES.iter().zip(before) {
        let cols: Vec<&str> = catalog::table_columns()
            .filter(|(t, _)| *t == table.name)
            .map(|(_, c)| c)
            .collect();
        let after = by_key(table, &cols, rows_in(&adopted, table.name, &cols));
        let alone = by_key(table, &cols, rows_in(&ours, table.name, &cols));
        // No duplicate keys.
        for (key, rows) in &after {
            assert_eq!(rows.len(), 1, "{}: key {key:?} has {rows:?}", table.name);
        }
        // Nothing removed.
        for key in before.keys() {
            assert!(after.contains_key(key), "{}: {key:?} went away", table.name);
        }
        // What our ingestion alone gives, and every row only the running system had, untouched.
        let mut expected = alone.clone();
        for (key, rows) in &before {
            if !alone.contains_key(key) {
                expected.insert(key.clone(), rows.clone());
            } else {
                contested += 1;
            }
        }
        assert_eq!(after, expected, "{}", table.name);
        assert!(!alone.is_empty(), "{}: ours alone has rows", table.name);
    }
    // The fixture does contest: the running system's rows met ours on 7 keys: 2 items, 1 plan,
    // 1 client, and a '' group in three aggregates (the batch plan summary's is June's, expired).
    assert_eq!(contested, 7);
    assert_eq!(
        adopted.select(
            "SELECT requestitemid, status FROM request_item_status \
             WHERE requestitemid IN ('TIE', 'NEWER-IN-SOURCE', 'EXPIRED-1') ORDER BY 1"
        ),
        vec![
            vec![s("EXPIRED-1"), s("DELIVERED")],
            vec![s("NEWER-IN-SOURCE"), s("DELIVERED")],
            vec![s("TIE"), s("DELIVERED")],
        ]
    );
}

on_both_engines!(
    setup_on_the_running_systems_tables_adds_only_the_missing_columns_and_the_ledger,
    a_column_setup_does_not_expect_stops_it_before_any_write,
    our_ingestion_over_the_running_systems_tables_loses_nothing_and_converges_on_ours,
);
