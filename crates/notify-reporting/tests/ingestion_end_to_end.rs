//! Ingestion of a generated history, end to end through the real state machines.

mod common;

use common::*;
use reporting_core::CalendarDate;
use serde_json::json;
use synthetic_cdc::nhs_number;

const END: &str = "2026-11-20";

fn generate(t: &TestHome, days: u32, seed: u64) -> synthetic_cdc::Summary {
    synthetic_cdc::generate(&synthetic_cdc::Options {
        out: t.source_root.clone(),
        end: CalendarDate::parse(END).unwrap(),
        days,
        items_per_day: 120,
        clients: 3,
        seed,
        recent_days: 0,
        recent_items_per_day: 0,
    })
    .unwrap()
}

#[tokio::test]
async fn same_as_of_twice_leaves_every_table_byte_for_byte_equal() {
    let t = TestHome::new(&[]);
    let summary = generate(&t, 10, 5);
    let mut config = t.home.config().unwrap();
    config.batch_client_ids = summary.batch_client_ids.clone();
    t.home.write_config(&config).unwrap();
    let first = t.setup_and_ingest(END).await;
    let once = t.dump_all();
    for (table, rows) in &once {
        assert!(
            !rows.is_empty(),
            "{table} is empty after ingesting a generated history"
        );
    }
    // The ledger probe, the bound, then the 7 MERGEs; a window run neither claims nor marks files.
    assert_eq!(first.queries.len(), 9, "{:?}", first.queries);
    assert_eq!(first.queries[0].query, "ingestion/files_read");
    assert_eq!(first.queries[1].query, "ingestion/earliest_created");
    t.run("ingestion", json!({"asOf": END})).await;
    assert_eq!(t.dump_all(), once);
}

#[tokio::test]
async fn no_raw_nhs_number_reaches_a_staging_table() {
    let t = TestHome::new(&[]);
    generate(&t, 6, 9);
    t.setup_and_ingest(END).await;
    // Every NHS number the source holds, read straight from the Parquet files.
    let source = reporting_local::DuckDbEngine::open_in_memory(reporting_local::EngineOptions {
        source_dir: Some(t.source()),
        ..Default::default()
    })
    .unwrap();
    let numbers: Vec<String> = source
        .execute(
            "SELECT DISTINCT nhsnumber FROM transaction_history WHERE nhsnumber IS NOT NULL",
            &[],
        )
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect();
    assert!(numbers.len() > 100, "{}", numbers.len());
    let mut hashes = 0;
    for (table, rows) in t.dump_all() {
        for row in rows {
            for value in row.into_iter().flatten() {
                // No 10-character token that is a Modulus-11-valid number (GUID segments are 8, 4 or 12).
                for token in value.split(|c: char| !c.is_ascii_alphanumeric()) {
                    assert!(!nhs_number::is_valid(token), "{table} holds an NHS number");
                }
                assert!(
                    !numbers.iter().any(|n| value.contains(n.as_str())),
                    "{table} holds a source NHS number"
                );
            }
        }
    }
    for row in
        t.select("SELECT nhsnumberhash FROM request_item_status WHERE nhsnumberhash IS NOT NULL")
    {
        let h = row[0].clone().unwrap();
        assert_eq!(h.len(), 44, "{h}");
        assert!(
            h.ends_with('=') && !h.ends_with("=="),
            "32 bytes in padded Base64: {h}"
        );
        hashes += 1;
    }
    assert!(hashes > 100, "{hashes}");
}

#[tokio::test]
async fn the_sample_window_and_late_columns_are_handled() {
    let t = TestHome::new(&[]);
    generate(&t, 10, 3);
    t.setup_and_ingest(END).await;
    // Files before the schema change have no failedreasoncode column at all; later ones do.
    let with_code = t
        .select("SELECT count(*) FROM request_item_plan_status WHERE failedreasoncode IS NOT NULL");
    assert_ne!(with_code[0][0], s("0"));
    // Only items captured in the week up to END are in the projection; the history is 10 days.
    let oldest =
        t.select("SELECT CAST(min(CAST(createdtime AS DATE)) AS VARCHAR) FROM request_item_status");
    assert!(
        oldest[0][0].as_deref().unwrap() >= "2026-11-10",
        "{oldest:?}"
    );
}

#[test]
fn catch_up_walks_weekly_windows_ending_at_to() {
    let d = |s: &str| CalendarDate::parse(s).unwrap();
    let dates: Vec<String> = notify_reporting::catch_up_dates(d("2026-11-01"), d("2026-11-20"))
        .unwrap()
        .iter()
        .map(|x| x.to_string())
        .collect();
    assert_eq!(
        dates,
        ["2026-11-01", "2026-11-08", "2026-11-15", "2026-11-20"]
    );
    assert_eq!(
        notify_reporting::catch_up_dates(d("2026-11-20"), d("2026-11-20"))
            .unwrap()
            .len(),
        1
    );
    assert!(notify_reporting::catch_up_dates(d("2026-11-21"), d("2026-11-20")).is_err());
}

#[tokio::test]
async fn a_weekly_catch_up_equals_daily_scheduled_runs() {
    // 20 days of history; daily runs (as the schedule would) against one catch-up over the same days.
    let daily = TestHome::new(&[]);
    let summary = generate(&daily, 20, 11);
    let end = CalendarDate::parse(END).unwrap();
    let first = end.add_days(-19);
    daily.run("setup", json!({})).await;
    for n in 0..20 {
        daily
            .run("ingestion", json!({"asOf": first.add_days(n).to_string()}))
            .await;
    }
    let weekly = TestHome::new(&[]);
    generate(&weekly, 20, 11);
    weekly.run("setup", json!({})).await;
    let reports = notify_reporting::catch_up(&weekly.home, &weekly.source(), first, end, false)
        .await
        .unwrap();
    assert_eq!(reports.len(), 4);
    assert!(summary.rows > 1000);
    assert_eq!(weekly.dump_all(), daily.dump_all());
}

/// The source files the ledger holds, per pass-1 query: (query, file name) rows.
fn ledger(t: &TestHome) -> Vec<(String, String)> {
    t.select("SELECT query, path FROM ingestion_files ORDER BY query, path")
        .into_iter()
        .map(|r| {
            let path = r[1].clone().unwrap();
            (
                r[0].clone().unwrap(),
                path.rsplit('/').next().unwrap().to_string(),
            )
        })
        .collect()
}

/// Newer versions of `count` request items captured on `day`, one file of them, landed beside
/// the files already there (a delivery retried or re-driven into an old partition).
fn land_newer_versions(t: &TestHome, day: CalendarDate, count: usize, name: &str) -> usize {
    let rows = t.select(&format!(
        "SELECT requestitemid FROM request_item_status ORDER BY requestitemid LIMIT {count}"
    ));
    let ids: Vec<String> = rows.iter().map(|r| r[0].clone().unwrap()).collect();
    let newer = newer_versions(&ids, day, "LATE_NEWER_VERSION");
    synthetic_cdc::land_files(
        &t.source_root,
        &newer,
        CalendarDate::parse("2000-01-01").unwrap(),
        name,
    )
    .unwrap();
    newer.len()
}

/// A scheduled run (no input) reads each source file once: the first, with an empty ledger, reads
/// every file of the week window (as a window run for today would) and records them; the next
/// reads nothing. Then one file of newer versions lands in the capture day three days back, as a
/// retried or re-driven delivery does: the next scheduled run reads that file alone, and the
/// newer versions win, as they do in a window run. A run that fails after pass 2 records
/// nothing, through the real machine, so the run after it reads the file again.
#[tokio::test]
async fn a_scheduled_run_reads_each_file_once_and_a_late_file_in_an_old_day() {
    let today = CalendarDate::today_utc();
    let generate_to_today = |t: &TestHome| {
        synthetic_cdc::generate(&synthetic_cdc::Options {
            out: t.source_root.clone(),
            end: today,
            days: 10,
            items_per_day: 60,
            clients: 3,
            seed: 4,
            recent_days: 0,
            recent_items_per_day: 0,
        })
        .unwrap()
    };
    let (scheduled, window) = (TestHome::new(&[]), TestHome::new(&[]));
    for t in [&scheduled, &window] {
        generate_to_today(t);
        t.run("setup", json!({})).await;
    }
    let first = scheduled.run("ingestion", json!({})).await;
    let plan = &first.output["plan"];
    assert_eq!(plan["mode"], "incremental");
    let in_window = |name: &str| {
        (0..=7).any(|back| {
            let d = today.add_days(-back);
            name.contains(&format!(
                "__year={}/__month={}/__day={}/",
                d.year(),
                d.month(),
                d.day()
            ))
        })
    };
    let files: Vec<&str> = plan["sourceFiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        !files.is_empty() && files.iter().all(|f| in_window(f)),
        "{plan}"
    );
    let window_files = parquet_files(&scheduled.source())
        .into_iter()
        .filter(|(f, _)| in_window(&f.display().to_string()))
        .count();
    assert_eq!(
        files.len(),
        window_files,
        "every file of the window, once: {plan}"
    );
    assert_eq!(ledger(&scheduled).len(), 3 * files.len());
    // The day just before the window: its files, generated now, were written after the window's
    // first day began and no run has read them, so the plan counts them as lost to every run.
    let edge = today.add_days(-8);
    let edge_files = parquet_files(&synthetic_cdc::partition_dir(&scheduled.source(), edge)).len();
    assert!(edge_files > 0);
    assert_eq!(plan["lateFilesPastWindow"], edge_files, "{plan}");
    assert!(
        plan["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains(&format!("capture day {edge}"))),
        "{plan}"
    );
    window
        .run("ingestion", json!({"asOf": today.to_string()}))
        .await;
    assert_eq!(scheduled.dump_all(), window.dump_all());

    let nothing_new = scheduled.run("ingestion", json!({})).await;
    let plan = &nothing_new.output["plan"];
    assert!(plan["sourceFiles"].as_array().unwrap().is_empty(), "{plan}");
    assert!(plan["firstPass"].as_array().unwrap().is_empty(), "{plan}");
    assert_eq!(scheduled.dump_all(), window.dump_all());

    let three_days_back = today.add_days(-3);
    let newer = land_newer_versions(&scheduled, three_days_back, 5, "late-redrive");
    assert_eq!(
        land_newer_versions(&window, three_days_back, 5, "late-redrive"),
        newer
    );
    // A run that fails after pass 2 has committed: the ledger does not take the file.
    let before = ledger(&scheduled);
    scheduled.configure(|c| {
        c.faults.failing_query = Some("ingestion/mark_files_read".into());
    });
    let (error, cause) = scheduled.run_failure("ingestion", json!({})).await;
    assert!(
        cause.contains("ingestion/mark_files_read"),
        "{error}: {cause}"
    );
    assert_eq!(ledger(&scheduled), before);
    scheduled.configure(|c| c.faults.failing_query = None);
    let late = scheduled.run("ingestion", json!({})).await;
    let plan = &late.output["plan"];
    let files = plan["sourceFiles"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{plan}");
    assert!(
        files[0].as_str().unwrap().ends_with("late-redrive.parquet"),
        "{plan}"
    );
    let stale = scheduled
        .select("SELECT count(*) FROM request_item_status WHERE status = 'LATE_NEWER_VERSION'");
    assert_eq!(stale[0][0].as_deref(), Some(newer.to_string().as_str()));
    window
        .run("ingestion", json!({"asOf": today.to_string()}))
        .await;
    assert_eq!(scheduled.dump_all(), window.dump_all());
    assert_eq!(ledger(&scheduled).len(), before.len() + 3);

    // A window run by date reads whole days and leaves the ledger alone.
    let by_date = scheduled
        .run(
            "ingestion",
            json!({"mode": "window", "asOf": today.add_days(-1).to_string()}),
        )
        .await;
    assert!(by_date.output["plan"]["mark"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(ledger(&scheduled).len(), before.len() + 3);
}

/// A scheduled run whose listing finds no file in the window (a wrong source prefix or layout
/// lists nothing) succeeds, reads nothing, and says so in its plan: the note an operator reads,
/// and the log line the `empty-source-listing` alarm counts.
#[tokio::test]
async fn a_scheduled_run_that_lists_no_file_says_so() {
    let t = TestHome::new(&[]);
    t.run("setup", json!({})).await;
    let run = t.run("ingestion", json!({})).await;
    let plan = &run.output["plan"];
    assert!(plan["sourceFiles"].as_array().unwrap().is_empty(), "{plan}");
    assert!(
        plan["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("found no files")),
        "{plan}"
    );
}
