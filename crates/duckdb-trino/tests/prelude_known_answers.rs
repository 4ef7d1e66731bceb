//! The prelude against Trino's own answers. `known_answers.tsv` holds each query of the SQL forms
//! the project uses with the text Trino 476 gives for it (notify-reporting's
//! `trino_known_answers.rs` runs every line on Trino); here every line runs on DuckDB with the
//! prelude and must give the same value. Only rendering may differ: Trino writes a double as
//! 3.5E0, a timestamp's fraction as .000 and type names in lower case.
//!
//! The tests below the shared ones are DuckDB's side alone, where no Trino answer can be the
//! test: failures the prelude raises (with its own messages), DuckDB's own `date_add` form kept
//! working, a decimal quotient's DuckDB type (precision 38 where Trino's is smaller), the hash
//! with bound parameters, the pinned `current_date`, the summer-time sweep written with DuckDB's
//! `generate_series`, and where tables go. They are not Trino's answers.

use duckdb::Connection;

fn conn() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    duckdb_trino::install(&c).unwrap();
    c
}

fn text(c: &Connection, sql: &str) -> String {
    try_text(c, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn try_text(c: &Connection, sql: &str) -> duckdb::Result<String> {
    c.query_row(&format!("SELECT CAST(({sql}) AS VARCHAR)"), [], |r| {
        r.get::<_, Option<String>>(0)
    })
    .map(|v| v.unwrap_or_else(|| "NULL".into()))
}

fn fails(c: &Connection, sql: &str) -> String {
    match c.query_row(&format!("SELECT CAST(({sql}) AS VARCHAR)"), [], |r| {
        r.get::<_, Option<String>>(0)
    }) {
        Ok(v) => panic!("{sql} should fail but gave {v:?}"),
        Err(e) => e.to_string(),
    }
}

/// Every line of known_answers.tsv: the query and Trino's answer.
fn known_answers() -> Vec<(String, String)> {
    include_str!("known_answers.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (sql, answer) = l.split_once('\t').expect("query<TAB>answer");
            (sql.to_string(), answer.to_string())
        })
        .collect()
}

/// A value as both engines write it, for the rendering alone: a number (3.5E0, 3.5, Infinity,
/// inf) as Rust writes the double; a timestamp without trailing zeros in its fraction; a type
/// name in lower case (DuckDB's FLOAT is Trino's real).
fn rendered(v: &str) -> String {
    let number = v.replace("Infinity", "inf").replace("NaN", "nan");
    let is_number = number
        .trim_start_matches('-')
        .chars()
        .all(|c| c.is_ascii_digit() || ".E-".contains(c))
        || ["inf", "-inf", "nan"].contains(&number.as_str());
    if is_number && !number.is_empty() {
        if let Ok(x) = number.parse::<f64>() {
            return if x.is_nan() {
                "nan".into()
            } else {
                format!("{x:?}")
            };
        }
    }
    let timestamp = v.len() >= 19
        && v.as_bytes()[4] == b'-'
        && v.as_bytes()[10] == b' '
        && v.as_bytes()[13] == b':'
        && v[19..].chars().all(|c| c.is_ascii_digit() || c == '.');
    if timestamp {
        return match v.split_once('.') {
            Some((whole, fraction)) if fraction.trim_end_matches('0').is_empty() => whole.into(),
            Some((whole, fraction)) => format!("{whole}.{}", fraction.trim_end_matches('0')),
            None => v.to_string(),
        };
    }
    if v.chars()
        .all(|c| c.is_ascii_uppercase() || "(),0123456789".contains(c))
        && !v.is_empty()
    {
        let lower = v.to_lowercase();
        return if lower == "float" {
            "real".into()
        } else {
            lower
        };
    }
    v.to_string()
}

#[test]
fn duckdb_gives_every_answer_trino_gives() {
    let c = conn();
    let answers = known_answers();
    assert!(answers.len() > 70, "{}", answers.len());
    let differ: Vec<String> = answers
        .iter()
        .filter_map(|(sql, trino)| match try_text(&c, sql) {
            Ok(duckdb) => (rendered(&duckdb) != rendered(trino))
                .then(|| format!("{sql}\n  Trino: {trino}\n  DuckDB: {duckdb}")),
            Err(e) => Some(format!("{sql}\n  Trino: {trino}\n  DuckDB fails: {e}")),
        })
        .collect();
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn only_rendering_is_allowed_to_differ() {
    for (trino, duckdb) in [
        ("3.5E0", "3.5"),
        ("8.64015E4", "86401.5"),
        ("Infinity", "inf"),
        ("NaN", "nan"),
        ("2024-03-05 10:11:12.000", "2024-03-05 10:11:12"),
        ("2024-03-05 10:11:12.340", "2024-03-05 10:11:12.34"),
        ("real", "FLOAT"),
    ] {
        assert_eq!(rendered(trino), rendered(duckdb), "{trino}");
    }
    for (trino, duckdb) in [
        ("3.5E0", "3.4"),
        ("2024-03-05 10:11:12.001", "2024-03-05 10:11:12"),
        ("integer", "BIGINT"),
        ("", "NULL"),
    ] {
        assert_ne!(rendered(trino), rendered(duckdb), "{trino}");
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
}

#[test]
fn from_iso8601_timestamp_keeps_the_wall_clock_at_milliseconds() {
    let c = conn();
    assert!(fails(&c, "from_iso8601_timestamp('2024-03-05 10:11:12')").contains("ISO-8601"));
    assert!(fails(&c, "from_iso8601_timestamp('yesterday')").contains("ISO-8601"));
}

#[test]
fn date_add_has_trinos_three_argument_form_and_keeps_duckdbs() {
    let c = conn();
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
fn europe_london_without_icu() {
    let c = conn();
    // BST 2024 runs from 2024-03-31 01:00 UTC to 2024-10-27 01:00 UTC.
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
fn dividing_an_integer_by_zero_fails() {
    let c = conn();
    assert!(fails(&c, "7 / 0").contains("Division by zero"));
}

#[test]
fn a_decimal_quotient_keeps_the_larger_scale_rounded_half_up() {
    let c = conn();
    // Trino: bigint * 1.0 is decimal(21,1); decimal / decimal has the larger scale.
    // Half up, away from zero, decided exactly (0.15 is not a double).
    // bigint / decimal(5,1): seconds to hours at one decimal.
    assert!(text(&c, "typeof(CAST(100 AS bigint) / 3600.0)").ends_with(",1)"));
    assert!(fails(&c, "1.0 / 0").contains("Division by zero"));
    // A scale the layer cannot divide exactly is refused, not rounded.
    assert!(fails(&c, "CAST(1 AS decimal(20,11)) / 2").contains("scale 10 or less"));
}

#[test]
fn a_timestamp_sequence_is_refused() {
    let c = conn();
    assert!(!fails(
        &c,
        "sequence(TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-01-02 00:00:00')"
    )
    .is_empty());
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
}
