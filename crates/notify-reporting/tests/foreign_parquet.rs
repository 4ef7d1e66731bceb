//! The source as another Parquet writer leaves it. Every other test's source files are written by
//! DuckDB (synthetic_cdc); Firehose writes with parquet-mr. Here the same history is rewritten by
//! pyarrow, set up as parquet-mr writes by default (format 1.0 pages, dictionary encoding,
//! Snappy), and must ingest to the same tables as DuckDB's files, on both engines: the readers
//! meet an encoding they did not write.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use reporting_core::CalendarDate;
use serde_json::json;

/// The Python that has pyarrow (`make test` installs it in the tools' virtualenv).
fn python_with_pyarrow() -> PathBuf {
    test_services::tool_path("NOTIFY_PYARROW_PYTHON", "tools/deploy-venv/bin/python")
}

/// A week and a day of generated history up to `today`.
fn generate(t: &TestHome, today: CalendarDate) {
    synthetic_cdc::generate(&synthetic_cdc::Options {
        out: t.source_root.clone(),
        end: today,
        days: 9,
        items_per_day: 30,
        clients: 3,
        seed: 35,
        recent_days: 0,
        recent_items_per_day: 0,
    })
    .unwrap();
}

/// Rewrites every source file of `t` with pyarrow.
fn rewrite_with_pyarrow(t: &TestHome) {
    let python = python_with_pyarrow();
    let script = test_services::workspace_root().join("tools/rewrite_parquet.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&t.source_root)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (make test installs pyarrow; NOTIFY_PYARROW_PYTHON names another Python)",
                python.display()
            )
        });
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn files_another_writer_wrote_ingest_to_the_same_tables() {
    let today = CalendarDate::today_utc();
    let duckdb_written = TestHome::new(&[]);
    let pyarrow_written = TestHome::new(&[]);
    for t in [&duckdb_written, &pyarrow_written] {
        generate(t, today);
    }
    rewrite_with_pyarrow(&pyarrow_written);
    for t in [&duckdb_written, &pyarrow_written] {
        t.run("setup", json!({})).await;
        t.run("ingestion", json!({})).await;
    }
    let items = duckdb_written.select("SELECT count(*) FROM request_item_status");
    assert_ne!(items[0][0].as_deref(), Some("0"));
    assert_eq!(pyarrow_written.dump_all(), duckdb_written.dump_all());
    assert_eq!(pyarrow_written.views(), duckdb_written.views());
}

on_both_engines!(files_another_writer_wrote_ingest_to_the_same_tables);
