//! Each prelude macro against the Trino answer recorded in shared/design/athena-sql-on-duckdb.md
//! (and a few more that follow from Trino's documentation).

use duckdb::Connection;

fn conn() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    duckdb_trino::install(&c).unwrap();
    c
}

fn text(c: &Connection, sql: &str) -> String {
    c.query_row(&format!("SELECT CAST(({sql}) AS VARCHAR)"), [], |r| {
        r.get::<_, Option<String>>(0)
    })
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
    .unwrap_or_else(|| "NULL".into())
}

fn fails(c: &Connection, sql: &str) -> String {
    match c.query_row(&format!("SELECT CAST(({sql}) AS VARCHAR)"), [], |r| {
        r.get::<_, Option<String>>(0)
    }) {
        Ok(v) => panic!("{sql} should fail but gave {v:?}"),
        Err(e) => e.to_string(),
    }
}

const KEY: &str = "dGVzdC1oYXNoLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=";

#[test]
fn nhs_number_hash_matches_the_athena_vectors() {
    let c = conn();
    let hash = |nhs: &str| {
        c.query_row(
            "SELECT to_base64(sha256(to_utf8(CAST(? AS varchar) || '.' || ?)))",
            [KEY, nhs],
            |r| r.get::<_, String>(0),
        )
        .unwrap()
    };
    assert_eq!(
        hash("9990000018"),
        "SndaD8zpfaP0++M//QO0wZmkIy+YRwJ2DW6Z8vRLbhY="
    );
    assert_eq!(
        hash("9990000026"),
        "AJppzG6c4usplfNpDp/+XBNhBV8dS84rD8eA8LUeG9g="
    );
    assert_eq!(text(&c, "octet_length(sha256(to_utf8('x')))"), "32");
    assert_eq!(
        text(&c, "to_base64(sha256(to_utf8(CAST(NULL AS varchar))))"),
        "NULL"
    );
}

#[test]
fn from_iso8601_timestamp_keeps_the_wall_clock_at_milliseconds() {
    let c = conn();
    assert_eq!(
        text(
            &c,
            "from_iso8601_timestamp('2024-03-05T10:11:12.345+01:00')"
        ),
        "2024-03-05 10:11:12.345"
    );
    assert_eq!(
        text(&c, "from_iso8601_timestamp('2024-03-05T10:11:12.345678Z')"),
        "2024-03-05 10:11:12.345"
    );
    assert_eq!(
        text(&c, "from_iso8601_timestamp('2024-03-05T10:11:12Z')"),
        "2024-03-05 10:11:12"
    );
    assert_eq!(
        text(&c, "from_iso8601_timestamp('2024-03-05T10:11:12-0500')"),
        "2024-03-05 10:11:12"
    );
    assert_eq!(
        text(&c, "from_iso8601_timestamp('2024-03-05')"),
        "2024-03-05 00:00:00"
    );
    assert_eq!(text(&c, "from_iso8601_timestamp(NULL)"), "NULL");
    assert!(fails(&c, "from_iso8601_timestamp('2024-03-05 10:11:12')").contains("ISO-8601"));
    assert!(fails(&c, "from_iso8601_timestamp('yesterday')").contains("ISO-8601"));
}

#[test]
fn date_add_has_trinos_three_argument_form_and_keeps_duckdbs() {
    let c = conn();
    assert_eq!(
        text(&c, "CAST(date_add('week', -1, DATE '2024-03-05') AS DATE)"),
        "2024-02-27"
    );
    assert_eq!(
        text(&c, "CAST(date_add('month', -1, DATE '2024-03-31') AS DATE)"),
        "2024-02-29"
    );
    assert_eq!(
        text(&c, "date_add('hour', 2, TIMESTAMP '2024-03-05 23:30:00')"),
        "2024-03-06 01:30:00"
    );
    assert_eq!(
        text(
            &c,
            "date_add('second', 90, TIMESTAMP '2024-03-05 00:00:00')"
        ),
        "2024-03-05 00:01:30"
    );
    assert_eq!(
        text(&c, "CAST(date_add('year', 1, DATE '2024-02-29') AS DATE)"),
        "2025-02-28"
    );
    assert_eq!(
        text(
            &c,
            "CAST(date_add(DATE '2024-01-01', INTERVAL 1 DAY) AS DATE)"
        ),
        "2024-01-02"
    );
    assert!(fails(&c, "date_add('fortnight', 1, DATE '2024-01-01')").contains("unsupported unit"));
}

#[test]
fn date_diff_counts_whole_elapsed_units() {
    let c = conn();
    assert_eq!(text(&c, "date_diff('second', TIMESTAMP '2024-01-01 00:00:00.900', TIMESTAMP '2024-01-01 00:00:01.100')"), "0");
    assert_eq!(
        text(
            &c,
            "date_diff('day', TIMESTAMP '2024-01-01 12:00', TIMESTAMP '2024-01-03 11:59')"
        ),
        "1"
    );
}

#[test]
fn iso_week_functions() {
    let c = conn();
    assert_eq!(text(&c, "day_of_week(DATE '2024-03-10')"), "7");
    assert_eq!(text(&c, "day_of_week(DATE '2024-03-11')"), "1");
    assert_eq!(text(&c, "dow(TIMESTAMP '2024-03-10 23:59:59')"), "7");
    assert_eq!(text(&c, "year_of_week(DATE '2024-12-30')"), "2025");
    assert_eq!(text(&c, "week_of_year(DATE '2024-12-30')"), "1");
}

#[test]
fn europe_london_without_icu() {
    let c = conn();
    assert_eq!(
        text(
            &c,
            "hour(at_timezone(TIMESTAMP '2024-07-01 12:00', 'Europe/London'))"
        ),
        "13"
    );
    assert_eq!(
        text(
            &c,
            "hour(at_timezone(TIMESTAMP '2024-01-15 12:00', 'Europe/London'))"
        ),
        "12"
    );
    // BST 2024 runs from 2024-03-31 01:00 UTC to 2024-10-27 01:00 UTC.
    assert_eq!(
        text(
            &c,
            "at_timezone(TIMESTAMP '2024-03-31 00:59:59', 'Europe/London')"
        ),
        "2024-03-31 00:59:59"
    );
    assert_eq!(
        text(
            &c,
            "at_timezone(TIMESTAMP '2024-03-31 01:00:00', 'Europe/London')"
        ),
        "2024-03-31 02:00:00"
    );
    assert_eq!(
        text(
            &c,
            "at_timezone(TIMESTAMP '2024-10-27 00:59:59', 'Europe/London')"
        ),
        "2024-10-27 01:59:59"
    );
    assert_eq!(
        text(
            &c,
            "at_timezone(TIMESTAMP '2024-10-27 01:00:00', 'Europe/London')"
        ),
        "2024-10-27 01:00:00"
    );
    assert_eq!(
        text(&c, "at_timezone(TIMESTAMP '2024-07-01 12:00', 'UTC')"),
        "2024-07-01 12:00:00"
    );
    assert!(fails(
        &c,
        "at_timezone(TIMESTAMP '2024-07-01 12:00', 'America/New_York')"
    )
    .contains("Europe/London"));
}

#[test]
fn europe_london_matches_the_published_bst_dates_every_quarter_hour_2024_to_2027() {
    // The published UK summer-time ranges (UTC), independent of the macro's last-Sunday rule.
    let c = conn();
    let mismatches: i64 = c
        .query_row(
            "WITH t AS (SELECT unnest(generate_series(TIMESTAMP '2024-01-01', TIMESTAMP '2027-12-31 23:45', INTERVAL 15 MINUTE)) AS ts),
             bst(s, e) AS (VALUES
               (TIMESTAMP '2024-03-31 01:00', TIMESTAMP '2024-10-27 01:00'),
               (TIMESTAMP '2025-03-30 01:00', TIMESTAMP '2025-10-26 01:00'),
               (TIMESTAMP '2026-03-29 01:00', TIMESTAMP '2026-10-25 01:00'),
               (TIMESTAMP '2027-03-28 01:00', TIMESTAMP '2027-10-31 01:00'))
             SELECT count(*) FROM t
             WHERE date_diff('minute', ts, at_timezone(ts, 'Europe/London'))
               <> CASE WHEN EXISTS (SELECT 1 FROM bst WHERE ts >= s AND ts < e) THEN 60 ELSE 0 END",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(mismatches, 0);
}

#[test]
fn unix_time_iso8601_percentile_and_element_at() {
    let c = conn();
    assert_eq!(
        text(&c, "to_unixtime(TIMESTAMP '1970-01-02 00:00:01.5')"),
        "86401.5"
    );
    assert_eq!(
        text(
            &c,
            "to_unixtime(TIMESTAMP '2026-11-21 10:00:00.250') - to_unixtime(TIMESTAMP '2026-11-21 10:00:00')"
        ),
        "0.25"
    );
    assert_eq!(
        text(&c, "to_iso8601(TIMESTAMP '2024-03-05 10:11:12.345')"),
        "2024-03-05T10:11:12.345"
    );
    assert_eq!(text(&c, "to_iso8601(DATE '2024-03-05')"), "2024-03-05");
    assert_eq!(
        text(
            &c,
            "(SELECT approx_percentile(x, 0.5) FROM range(101) t(x))"
        ),
        "50"
    );
    assert_eq!(text(&c, "element_at(['a', 'b', 'c'], 2)"), "b");
    assert_eq!(text(&c, "element_at(['a', 'b', 'c'], -1)"), "c");
    assert_eq!(text(&c, "element_at(MAP {'mba': 't1'}, 'mba')"), "t1");
    assert_eq!(
        text(&c, "element_at(MAP {'mba': 't1'}, 'synertec')"),
        "NULL"
    );
}

#[test]
fn current_date_is_utc_today_or_pinned() {
    let c = conn();
    let today = text(&c, "current_date");
    assert_eq!(today.len(), 10, "{today}");
    c.execute_batch("SET VARIABLE trino_current_date = DATE '2024-02-29'")
        .unwrap();
    assert_eq!(text(&c, "current_date"), "2024-02-29");
    assert_eq!(
        text(&c, "CAST(date_add('day', -1, current_date) AS DATE)"),
        "2024-02-28"
    );
}

#[test]
fn ingestion_shapes_run_on_duckdb() {
    let c = conn();
    // Unpadded Firehose partition values make a date, as in Trino.
    assert_eq!(text(&c, "CAST(CAST(2024 AS varchar) || '-' || CAST(3 AS varchar) || '-' || CAST(5 AS varchar) AS date)"), "2024-03-05");
    // The legacy template map: a struct to JSON to map, indexed by the lower-cased supplier.
    assert_eq!(
        text(&c, "element_at(CAST(CAST({'mba': 'tm', 'synertec': NULL} AS json) AS map(varchar, varchar)), lower('MBA'))"),
        "tm"
    );
    assert_eq!(text(&c, "contains(['NHSAPP', 'SMS'], 'SMS')"), "true");
    // Trino's array_join skips NULL elements.
    assert_eq!(
        text(&c, "array_join(['NHSAPP', NULL, 'SMS'], ',')"),
        "NHSAPP,SMS"
    );
    assert_eq!(text(&c, "array_join(CAST([] AS varchar[]), ',')"), "");
    assert_eq!(text(&c, "(SELECT (completed IS NULL) = (other IS NULL) FROM (SELECT NULL AS completed, 1 AS other) AS v)"), "false");
    assert_eq!(
        text(
            &c,
            "CASE WHEN contains(CAST(NULL AS varchar[]), 'SMS') THEN 1 ELSE 0 END"
        ),
        "0"
    );
    assert_eq!(
        text(&c, "starts_with('REQUEST_ITEM_PLAN#1', 'REQUEST_ITEM#')"),
        "false"
    );
    assert_eq!(
        text(
            &c,
            "(SELECT max_by(n, k) FROM (VALUES ('a', 1), ('b', 2)) v(n, k))"
        ),
        "b"
    );
}

#[test]
fn integers_divide_as_integers_in_the_wider_type() {
    let c = conn();
    assert_eq!(text(&c, "7 / 2"), "3");
    assert_eq!(text(&c, "-7 / 2"), "-3");
    assert_eq!(text(&c, "typeof(7 / 2)"), "INTEGER");
    assert_eq!(text(&c, "typeof(CAST(7 AS bigint) / 2)"), "BIGINT");
    // DuckDB's sum of bigints is a HUGEINT (Trino's a BIGINT): still integer division.
    assert_eq!(
        text(&c, "(SELECT sum(x) / count(*) FROM range(4) t(x))"),
        "1"
    );
    assert!(fails(&c, "7 / 0").contains("Division by zero"));
}

#[test]
fn a_decimal_quotient_keeps_the_larger_scale_rounded_half_up() {
    let c = conn();
    // Trino: bigint * 1.0 is decimal(21,1); decimal / decimal has the larger scale.
    assert_eq!(
        text(
            &c,
            "(CAST(79 AS bigint) * 1.0) / (CAST(32 AS bigint) * 1.0)"
        ),
        "2.5"
    );
    assert_eq!(text(&c, "(7 * 1.0) / (3 * 1.0)"), "2.3");
    // Half up, away from zero, decided exactly (0.15 is not a double).
    assert_eq!(text(&c, "(3 * 1.0) / (20 * 1.0)"), "0.2");
    assert_eq!(text(&c, "(-3 * 1.0) / (20 * 1.0)"), "-0.2");
    assert_eq!(text(&c, "(1 * 1.0) / (20 * 1.0)"), "0.1");
    assert_eq!(text(&c, "(1 * 1.0) / (21 * 1.0)"), "0.0");
    // bigint / decimal(5,1): seconds to hours at one decimal.
    assert_eq!(text(&c, "CAST(100 AS bigint) / 3600.0"), "0.0");
    assert_eq!(text(&c, "CAST(179 AS bigint) / 3600.0"), "0.0");
    assert_eq!(text(&c, "CAST(180 AS bigint) / 3600.0"), "0.1");
    assert_eq!(text(&c, "CAST(5400 AS bigint) / 3600.0"), "1.5");
    assert_eq!(text(&c, "CAST(-180 AS bigint) / 3600.0"), "-0.1");
    assert_eq!(text(&c, "7 / 2.50"), "2.80");
    assert_eq!(text(&c, "CAST(2 AS decimal(10,0)) / 3"), "1");
    assert_eq!(text(&c, "CAST(NULL AS bigint) / 3600.0"), "NULL");
    assert!(text(&c, "typeof(CAST(100 AS bigint) / 3600.0)").ends_with(",1)"));
    // Aggregates as operands: the rule is picked when the call is bound.
    assert_eq!(
        text(
            &c,
            "(SELECT (sum(x) * 1.0) / (count(*) * 1.0) FROM range(4) t(x))"
        ),
        "1.5"
    );
    assert!(fails(&c, "1.0 / 0").contains("Division by zero"));
    // A scale the layer cannot divide exactly is refused, not rounded.
    assert!(fails(&c, "CAST(1 AS decimal(20,11)) / 2").contains("scale 10 or less"));
}

#[test]
fn a_double_quotient_is_a_double_and_infinite_over_zero() {
    let c = conn();
    assert_eq!(text(&c, "CAST(7 AS double) / 2"), "3.5");
    assert_eq!(text(&c, "1.5 / CAST(2 AS double)"), "0.75");
    assert_eq!(text(&c, "typeof(7 * 1.0 / CAST(2 AS double))"), "DOUBLE");
    assert_eq!(text(&c, "CAST(1 AS double) / 0"), "inf");
    assert_eq!(text(&c, "CAST(-1 AS double) / 0"), "-inf");
    assert_eq!(text(&c, "CAST(0 AS double) / 0"), "nan");
    assert_eq!(
        text(&c, "typeof(CAST(1 AS real) / CAST(2 AS real))"),
        "FLOAT"
    );
}

#[test]
fn count_if_is_zero_when_no_condition_is_true() {
    let c = conn();
    let count = |rows: &str| {
        text(
            &c,
            &format!("(SELECT count_if(x) FROM (VALUES {rows}) t(x))"),
        )
    };
    assert_eq!(count("(true), (NULL), (false), (true)"), "2");
    assert_eq!(count("(CAST(NULL AS boolean))"), "0");
    assert_eq!(count("(false)"), "0");
    assert_eq!(
        text(
            &c,
            "(SELECT count_if(x) FROM (VALUES (true)) t(x) WHERE false)"
        ),
        "0"
    );
    assert_eq!(
        text(&c, "(SELECT typeof(count_if(x)) FROM (VALUES (true)) t(x))"),
        "BIGINT"
    );
}

#[test]
fn greatest_and_least_are_null_when_any_argument_is() {
    let c = conn();
    assert_eq!(
        text(&c, "greatest(TIMESTAMP '2000-01-01 00:00:00', NULL)"),
        "NULL"
    );
    assert_eq!(text(&c, "greatest(1, 3, 2)"), "3");
    assert_eq!(text(&c, "least(2, NULL, 1)"), "NULL");
    assert_eq!(text(&c, "least(2, 1)"), "1");
}

#[test]
fn split_part_past_the_end_is_null() {
    let c = conn();
    assert_eq!(text(&c, "split_part('a|b', '|', 2)"), "b");
    assert_eq!(text(&c, "split_part('a||c', '|', 2)"), "");
    assert_eq!(text(&c, "split_part('a', '|', 3)"), "NULL");
}

#[test]
fn sequences_of_integers_and_dates() {
    let c = conn();
    assert_eq!(text(&c, "sequence(1, 3)"), "[1, 2, 3]");
    assert_eq!(
        text(
            &c,
            "sequence(DATE '2023-12-31', DATE '2024-01-02', INTERVAL '1' DAY)"
        ),
        "[2023-12-31, 2024-01-01, 2024-01-02]"
    );
    assert!(fails(
        &c,
        "sequence(TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-01-02 00:00:00', INTERVAL '1' DAY)"
    )
    .contains("DATE sequences only"));
}

#[test]
fn tables_go_to_main_and_the_macros_still_win() {
    let c = conn();
    c.execute_batch("CREATE TABLE made_here (a integer)")
        .unwrap();
    assert_eq!(
        text(
            &c,
            "(SELECT table_schema FROM information_schema.tables WHERE table_name = 'made_here')"
        ),
        "main"
    );
    assert_eq!(text(&c, "day_of_week(DATE '2024-03-31')"), "7");
}
