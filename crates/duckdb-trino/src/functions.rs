//! The functions the layer gives Trino's meaning: the prelude's macros, and the DuckDB built-ins
//! whose meaning is Trino's for the arguments our SQL gives them. An SQL asset that calls any
//! other function fails a test (`every_sql_asset_calls_only_functions_the_layer_knows`) naming
//! the asset and the function: a new function is added here, with why it means what Trino's
//! means, or to the prelude, with a known-answer test (see `docs/engines.md`).

use std::collections::BTreeSet;

/// DuckDB built-ins with Trino's meaning for the arguments the SQL gives them, and why.
pub const SAME_AS_TRINO: &[(&str, &str)] = &[
    ("coalesce", "the first non-NULL argument"),
    ("contains", "membership of an array (Trino's only form); a miss in an array holding NULL is NULL in Trino and false here, which our SQL only tests in CASE WHEN, where both mean no"),
    ("count", "rows, or non-NULL values; DISTINCT alike"),
    ("date_trunc", "a timestamp truncated to the unit, still a timestamp"),
    ("day", "the day of the month of a date or timestamp"),
    ("hour", "the hour of a timestamp"),
    ("lag", "the standard window function"),
    ("length", "the characters of a varchar"),
    ("lower", "lower case"),
    ("max", "the largest non-NULL value"),
    ("max_by", "the value at the largest key; our keys are total (no ties), so no choice is arbitrary"),
    ("min", "the smallest non-NULL value"),
    ("month", "the month of a date or timestamp"),
    ("nullif", "NULL when both arguments are equal"),
    ("rank", "the standard window function"),
    ("round", "half away from zero, as Trino rounds a double"),
    ("row_number", "the standard window function"),
    ("starts_with", "a prefix test"),
    ("substr", "from a 1-based start, for an optional length"),
    ("sum", "the sum of non-NULL values (DuckDB widens integers to HUGEINT; equal below 2^63)"),
    ("to_base64", "standard base64 of bytes, padded"),
    ("to_hex", "upper-case hex of bytes (DuckDB's alias of hex; the known answers check it)"),
    ("unnest", "an array's elements as rows"),
    ("week", "the ISO 8601 week of the year (Trino's week_of_year)"),
    ("year", "the year of a date or timestamp"),
];

/// The functions the prelude defines (`CREATE OR REPLACE MACRO trino.<name>`), helpers
/// (`__name`) left out.
pub fn prelude_functions() -> BTreeSet<String> {
    crate::PRELUDE
        .lines()
        .filter_map(|l| l.trim().strip_prefix("CREATE OR REPLACE MACRO trino."))
        .filter_map(|rest| rest.split('(').next())
        .map(|name| name.trim_matches('"')) // the division operator's macro is trino."//"
        .filter(|name| !name.starts_with("__"))
        .map(str::to_string)
        .collect()
}

/// The functions `sql` calls that the layer does not know.
pub fn unknown_functions(sql: &str) -> Vec<String> {
    let prelude = prelude_functions();
    reporting_core::sql_text::called_functions(sql)
        .into_iter()
        .filter(|f| !prelude.contains(f) && !SAME_AS_TRINO.iter().any(|(name, _)| name == f))
        .collect()
}
