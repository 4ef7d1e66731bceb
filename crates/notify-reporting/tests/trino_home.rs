//! The whole local home on Trino (test_services::Trino): setup, ingestion, both reports, the
//! watchdog and housekeeping through the same state machines, handlers and SQL, and the tables and
//! reports equal to the DuckDB home's on the same generated history and hash key.

mod common;

use std::path::Path;

use test_services::Trino;

/// Runs the CLI on a home; panics with its output unless it succeeds.
/// The CLI on `home`, on `engine` (its flags; none for DuckDB).
fn cli(home: &Path, engine: &[&str], args: &[&str]) -> String {
    common::cli(home, &[], &[engine, args].concat())
}

/// The `table rows` table a run prints: each staging table and its row count.
fn table_rows(output: &str) -> Vec<(String, u64)> {
    let lines: Vec<&str> = output.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.starts_with("table "))
        .expect("a table of rows");
    lines[start + 1..]
        .iter()
        .map_while(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [table, rows] => Some((table.to_string(), rows.parse().ok()?)),
            _ => None,
        })
        .collect()
}

/// Every file under a folder, by relative path, with its bytes.
fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = common::files_under(root)
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            (rel, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_whole_home_runs_on_trino_and_agrees_with_duckdb() {
    let trino = Trino::shared().unwrap_or_else(|e| panic!("{e}"));
    let on_trino = ["--engine", "trino", "--trino-url", trino.url()];
    let dir = tempfile::tempdir().unwrap();
    let (duck, tri) = (dir.path().join("duckdb"), dir.path().join("trino"));
    let generate = [
        "generate",
        "--days",
        "10",
        "--items-per-day",
        "60",
        "--clients",
        "3",
        "--seed",
        "7",
    ];
    cli(&duck, &[], &generate);
    cli(&tri, &[], &generate);
    // One hash key for both homes, so nhsnumberhash (and every report) can be compared.
    let key = reporting_local::random_hash_key().unwrap();
    for home in [&duck, &tri] {
        notify_reporting::Home::new(home)
            .set_hash_key(&key)
            .unwrap();
    }

    // Ending today, as the reports' and the watchdog's windows do: the CLI runs on the real date.
    // (The differential tests pin it, and compare every view, report and metric.)
    for (home, engine) in [(&duck, &[][..]), (&tri, &on_trino[..])] {
        cli(home, engine, &["run", "setup"]);
    }
    let ingested: Vec<Vec<(String, u64)>> = [(&duck, &[][..]), (&tri, &on_trino[..])]
        .into_iter()
        .map(|(home, engine)| table_rows(&cli(home, engine, &["run", "ingestion"])))
        .collect();
    assert_eq!(
        ingested[0], ingested[1],
        "rows per staging table, DuckDB then Trino"
    );
    assert_eq!(ingested[1].len(), 7, "{:?}", ingested[1]);
    assert!(
        ingested[1].iter().all(|(_, rows)| *rows > 0),
        "{:?}",
        ingested[1]
    );

    for (home, engine) in [(&duck, &[][..]), (&tri, &on_trino[..])] {
        cli(home, engine, &["run", "completed-comms-report"]);
        cli(home, engine, &["run", "completed-batch-report"]);
    }
    let (duck_reports, trino_reports) = (
        files(&duck.join("objects/ingress")),
        files(&tri.join("objects/ingress")),
    );
    assert!(!trino_reports.is_empty());
    assert_eq!(
        duck_reports.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        trino_reports.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for ((path, d), (_, t)) in duck_reports.iter().zip(&trino_reports) {
        assert!(
            d == t,
            "{path} differs:\nDuckDB:\n{}\nTrino:\n{}",
            String::from_utf8_lossy(d),
            String::from_utf8_lossy(t)
        );
    }

    let watchdog = cli(&tri, &on_trino, &["run", "watchdog"]);
    assert!(watchdog.contains("StuckRequestItemsCount"), "{watchdog}");
    let housekeeping = cli(&tri, &on_trino, &["run", "housekeeping"]);
    assert_eq!(
        table_rows(&housekeeping),
        ingested[1],
        "housekeeping keeps every row"
    );
}
