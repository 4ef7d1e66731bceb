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
    // The watermark probe, then the 7 MERGEs; a window run moves no watermark.
    assert_eq!(first.queries.len(), 8, "{:?}", first.queries);
    assert_eq!(first.queries[0].query, "ingestion/watermarks");
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

/// A scheduled run (no input) is incremental: the first finds no watermark and reads the week
/// window, as a window run for today would, and moves the watermarks; the next reads only the
/// capture days after them; a window run reads and moves nothing of theirs.
#[tokio::test]
async fn a_scheduled_run_is_incremental_from_the_watermarks() {
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
    assert!(
        plan["notes"][0]
            .as_str()
            .unwrap()
            .contains("no watermark yet"),
        "{plan}"
    );
    let week_start = today.add_days(-7).to_string();
    for read in plan["firstPass"].as_array().unwrap() {
        assert_eq!(read["firstCaptureDay"], week_start.as_str(), "{plan}");
    }
    let moved_to = plan["advance"][0]["completeThrough"].as_str().unwrap();
    let marks = |t: &TestHome| {
        t.select("SELECT query, CAST(completethrough AS varchar) FROM ingestion_watermarks ORDER BY query")
    };
    let expected: Vec<Vec<Option<String>>> = [
        "ingestion/client_latest_name",
        "ingestion/request_item_plan_status",
        "ingestion/request_item_status",
    ]
    .iter()
    .map(|q| vec![Some(q.to_string()), Some(moved_to.to_string())])
    .collect();
    assert_eq!(marks(&scheduled), expected);
    window
        .run("ingestion", json!({"asOf": today.to_string()}))
        .await;
    assert_eq!(scheduled.dump_all(), window.dump_all());

    let second = scheduled
        .run("ingestion", json!({"mode": "incremental"}))
        .await;
    let after_mark = CalendarDate::parse(moved_to)
        .unwrap()
        .add_days(1)
        .to_string();
    for read in second.output["plan"]["firstPass"].as_array().unwrap() {
        assert_eq!(read["firstCaptureDay"], after_mark.as_str());
    }
    assert_eq!(scheduled.dump_all(), window.dump_all());
    assert_eq!(marks(&scheduled), expected);

    let by_date = scheduled
        .run(
            "ingestion",
            json!({"mode": "window", "asOf": today.add_days(-1).to_string()}),
        )
        .await;
    assert!(by_date.output["plan"]["advance"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(marks(&scheduled), expected);
}
