//! Every function an SQL asset calls is one the layer gives Trino's meaning: a prelude macro (each
//! with known answers in `prelude_known_answers.rs`) or a DuckDB built-in listed with why it
//! already means what Trino's means. Anything else fails here, before it can differ silently.

use duckdb::Connection;
use duckdb_trino::functions::{prelude_functions, unknown_functions, SAME_AS_TRINO};
use reporting_core::catalog::{Purpose, QUERIES};

#[test]
fn every_sql_asset_calls_only_functions_the_layer_knows() {
    // Table DDL goes through the DDL text pass (its `bucket(16, id)` is a partition transform).
    let unknown: Vec<String> = QUERIES
        .iter()
        .filter(|q| q.purpose != Purpose::CreateTable)
        .flat_map(|q| {
            unknown_functions(q.sql)
                .into_iter()
                .map(move |f| format!("sql/{}.sql calls {f}()", q.id))
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "functions the DuckDB layer does not know (add a prelude macro with known answers, or list \
         the built-in in duckdb_trino::functions::SAME_AS_TRINO with why it means Trino's):\n{}",
        unknown.join("\n")
    );
}

#[test]
fn every_sql_asset_passes_the_layer_text_pass() {
    // Among others, its refusal of what only one DuckDB build can run (time-zone syntax, the clock
    // other than as a timestamp): an asset refused here would differ between the two builds.
    let refused: Vec<String> = QUERIES
        .iter()
        .filter_map(|q| {
            duckdb_trino::translate(q.sql)
                .err()
                .map(|e| format!("sql/{}.sql: {e}", q.id))
        })
        .collect();
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}

#[test]
fn an_unknown_function_is_named() {
    assert_eq!(
        unknown_functions(
            "SELECT format_datetime(t, 'yyyy'), count(*), date_add('day', 1, t) FROM x"
        ),
        ["format_datetime"]
    );
}

/// Listed built-ins that DuckDB's grammar handles itself (no `duckdb_functions()` row).
const SPECIAL_FORMS: [&str; 1] = ["coalesce"];

/// Whether DuckDB's catalog has a function `name` in a schema matching `schema` (LIKE).
fn defined(c: &Connection, schema: &str, name: &str) -> bool {
    c.query_row(
        "SELECT count(*) > 0 FROM duckdb_functions() WHERE schema_name LIKE ? AND function_name = ?",
        [schema, name],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn every_listed_function_exists_and_none_is_listed_twice() {
    let c = Connection::open_in_memory().unwrap();
    duckdb_trino::install(&c).unwrap();
    let prelude = prelude_functions();
    assert!(
        prelude.contains("sha256") && prelude.contains("date_add"),
        "{prelude:?}"
    );
    let mut missing = Vec::new();
    for (name, why) in SAME_AS_TRINO {
        assert!(!why.is_empty());
        assert!(
            !prelude.contains(*name),
            "{name} is a prelude macro and listed as built-in"
        );
        if !defined(&c, "%", name) {
            missing.push(*name);
        }
    }
    // DuckDB parses these as operators of its grammar, not catalog functions.
    assert_eq!(missing, SPECIAL_FORMS, "listed, but not DuckDB functions");
    for name in &prelude {
        assert!(
            defined(&c, "trino", name),
            "the prelude does not define trino.{name}"
        );
    }
    let mut names: Vec<&str> = SAME_AS_TRINO.iter().map(|(n, _)| *n).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), SAME_AS_TRINO.len());
}
