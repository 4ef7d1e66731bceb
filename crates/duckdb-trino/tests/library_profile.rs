//! One behaviour whichever DuckDB is linked (`make … DUCKDB=prebuilt|bundled`): this binary runs on
//! the library it was built with, and pins what the layer promises of it (library.rs): the same
//! release and commit, the same usable extensions, nothing loaded or fetched because a query names
//! it, and UTC for `current_date`, `now()` and time-zone casts whatever the machine's zone is.

use std::collections::BTreeSet;
use std::process::Command;

use duckdb::Connection;
use duckdb_trino::library::{NEUTRALISED, SOURCE_ID, USED, VERSION};
use utc_time::CalendarDate;

fn layer() -> (Connection, duckdb_trino::LibraryProfile) {
    let c = Connection::open_in_memory().unwrap();
    let profile = duckdb_trino::install(&c).unwrap();
    (c, profile)
}

fn text(c: &Connection, sql: &str) -> String {
    c.query_row(&format!("SELECT CAST(({sql}) AS VARCHAR)"), [], |r| {
        r.get::<_, String>(0)
    })
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn loaded(c: &Connection) -> BTreeSet<String> {
    let mut s = c
        .prepare("SELECT extension_name FROM duckdb_extensions() WHERE loaded")
        .unwrap();
    s.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn the_linked_library_is_duckdb_2_0_0_with_the_extensions_its_build_promises() {
    let (c, profile) = layer();
    assert_eq!(
        (profile.version.as_str(), profile.source_id.as_str()),
        (VERSION, SOURCE_ID)
    );
    let used: BTreeSet<String> = USED.iter().map(|(n, _)| n.to_string()).collect();
    // The bundled build is exactly what we compile in; the prebuilt one has ICU besides, and the
    // layer neutralises it. Which build this binary links is its crate feature.
    let expected: BTreeSet<String> = if cfg!(feature = "bundled-duckdb") {
        used.clone()
    } else {
        used.iter().cloned().chain(["icu".to_string()]).collect()
    };
    assert_eq!(profile.loaded, expected);
    assert_eq!(profile.is_prebuilt(), !cfg!(feature = "bundled-duckdb"));
    assert!(NEUTRALISED.iter().all(|(n, _)| !used.contains(*n)));
    assert_eq!(loaded(&c), expected, "installing the layer loads nothing");
    eprintln!(
        "linked: DuckDB {} ({}), {} build, extensions {:?}",
        profile.version,
        profile.source_id,
        if profile.is_prebuilt() {
            "prebuilt"
        } else {
            "bundled"
        },
        profile.loaded
    );
}

#[test]
fn no_extension_is_loaded_or_fetched_because_a_query_names_one() {
    let (c, profile) = layer();
    for setting in ["autoinstall_known_extensions", "autoload_known_extensions"] {
        assert_eq!(text(&c, &format!("current_setting('{setting}')")), "false");
    }
    // httpfs (for an https:// path) and tpch are known to DuckDB's autoloader; the prebuilt library
    // would load, or download, them if the layer let it.
    for sql in [
        "SELECT count(*) FROM read_parquet('https://localhost:9/none.parquet')",
        "SELECT count(*) FROM tpch_answers()",
    ] {
        let err = c.execute_batch(sql).unwrap_err().to_string();
        assert!(
            err.contains("httpfs") || err.contains("tpch"),
            "{sql} failed, but not for want of its extension: {err}"
        );
    }
    assert_eq!(loaded(&c), profile.loaded);
}

#[test]
fn time_zone_syntax_is_refused_by_the_layer_on_either_build() {
    let err = duckdb_trino::translate("SELECT TIMESTAMP '2024-07-01 12:00' AT TIME ZONE 'UTC'")
        .unwrap_err()
        .to_string();
    assert!(err.contains("AT TIME ZONE"), "{err}");
}

/// What the layer answers for the time-dependent values, as one `|`-separated line. The machine's
/// zone must change none of it, and the first two must be today in UTC. (A `TIMESTAMP WITH TIME
/// ZONE` cast to a date is ICU's alone: the bundled build refuses it, and so does the layer's SQL
/// pass, which allows the clock only as `CAST(current_timestamp AS timestamp(p))`.)
const PROBES: [&str; 6] = [
    "current_date",
    "CAST(CAST(current_timestamp AS TIMESTAMP) AS DATE)",
    "right(CAST(get_current_timestamp() AS VARCHAR), 3)",
    "CAST(CAST('2024-07-01 23:30:00+00' AS TIMESTAMP WITH TIME ZONE) AS TIMESTAMP)",
    "CAST(CAST('2024-07-01 23:30:00+00' AS TIMESTAMP WITH TIME ZONE) AS VARCHAR)",
    "hour(at_timezone(TIMESTAMP '2024-07-01 23:30', 'Europe/London'))",
];
const PROBE_VARIABLE: &str = "DUCKDB_TRINO_ZONE_PROBE";

#[test]
#[ignore = "run by current_date_and_casts_are_utc_whatever_the_machine_zone, in a child process"]
fn zone_probe() {
    assert_eq!(std::env::var(PROBE_VARIABLE).as_deref(), Ok("1"));
    let (c, _) = layer();
    let answers: Vec<String> = PROBES.iter().map(|p| text(&c, p)).collect();
    println!("probe answers: {}", answers.join("|"));
}

#[test]
fn current_date_and_casts_are_utc_whatever_the_machine_zone() {
    // UTC+14 and UTC-12: at any instant one of them is on another date than UTC.
    for zone in ["Etc/GMT-14", "Etc/GMT+12", "Europe/London", "UTC"] {
        let before = CalendarDate::today_utc().to_string();
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["zone_probe", "--exact", "--ignored", "--nocapture"])
            .env(PROBE_VARIABLE, "1")
            .env("TZ", zone)
            .output()
            .unwrap();
        let after = CalendarDate::today_utc().to_string();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // Indented, so that the child's own result lines are not read as this binary's.
        let shown = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes)
                .lines()
                .map(|l| format!("  | {l}\n"))
                .collect::<String>()
        };
        assert!(
            out.status.success(),
            "{zone}: the probe failed:\n{}{}",
            shown(&out.stdout),
            shown(&out.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("probe answers: "))
            .unwrap_or_else(|| panic!("{zone}: no answers in {stdout}"));
        let answers: Vec<&str> = line.split('|').collect();
        for (probe, answer) in PROBES.iter().zip(&answers).take(2) {
            assert!(
                *answer == before || *answer == after,
                "{zone}: {probe} is {answer}, not today in UTC ({before})"
            );
        }
        assert_eq!(
            answers[2..],
            ["+00", "2024-07-01 23:30:00", "2024-07-01 23:30:00+00", "0"],
            "{zone}: {PROBES:?}"
        );
    }
}
