//! The DDL text pass: Athena/Iceberg DDL into DuckDB DDL. DML is returned unchanged.

use std::sync::LazyLock;

use regex::Regex;
use reporting_core::sql_text::{split_top_level, strip_leading_comments};

use crate::scan::{mask, matching, matching_paren};
use crate::CompatError;

static OPTIMIZE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)^OPTIMIZE\s+[\w.]+\s+REWRITE\s+DATA\s+USING\s+BIN_PACK\s*(WHERE\s.*)?;?\s*$")
        .unwrap()
});
static VACUUM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^VACUUM\s+[\w.]+\s*;?\s*$").unwrap());
static ADD_COLUMNS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^ALTER\s+TABLE\s+([\w.]+)\s+ADD\s+COLUMNS\s*\(").unwrap());
static LOCATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)\bLOCATION\s+'[^']*'").unwrap());
static CLAUSE_WITH_PARENS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)\b(PARTITIONED\s+BY|TBLPROPERTIES)\s*\(").unwrap());
/// Time-zone syntax: only the prebuilt library (with ICU) has a meaning for it (library.rs).
static TIME_ZONE_SYNTAX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(AT\s+TIME\s+ZONE|WITH\s+TIME\s+ZONE|TIMESTAMPTZ)\b").unwrap()
});
/// The SQL keywords that make a `TIMESTAMP WITH TIME ZONE` (on DuckDB, of the machine's zone where
/// ICU is linked).
static CLOCK_KEYWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(current_timestamp|localtimestamp|current_time|localtime)\b").unwrap()
});
/// The one use of the clock both builds read alike: `CAST(current_timestamp AS timestamp…)`.
static CAST_BEFORE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\bCAST\s*\(\s*$").unwrap());
static AS_TIMESTAMP_AFTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s+AS\s+timestamp\b").unwrap());
static COMPLEX_TYPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(array|map|struct)\s*<").unwrap());

/// Translates one statement into the DuckDB statements that do the same locally.
pub fn translate(sql: &str) -> Result<Vec<String>, CompatError> {
    let body = strip_leading_comments(sql)
        .trim()
        .trim_end_matches(';')
        .trim_end();
    let head: String = body
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase();
    refuse_time_zones(body)?;
    if head.starts_with("CREATE TABLE") || head.starts_with("CREATE EXTERNAL TABLE") {
        return Ok(vec![create_table(body)?]);
    }
    if head.starts_with("ALTER TABLE") {
        return alter_table(body);
    }
    if OPTIMIZE.is_match(body) {
        return Ok(vec!["CHECKPOINT".to_string()]);
    }
    if VACUUM.is_match(body) {
        // Iceberg snapshot expiry; DuckDB keeps no snapshots, so there is nothing to expire.
        return Ok(vec!["CHECKPOINT".to_string()]);
    }
    for athena_only in [
        "MSCK",
        "SHOW CREATE",
        "UNLOAD",
        "CREATE DATABASE",
        "CREATE EXTERNAL",
    ] {
        if head.starts_with(athena_only) {
            return Err(CompatError::Unsupported(format!(
                "{athena_only} … has no local equivalent"
            )));
        }
    }
    Ok(vec![body.to_string()])
}

/// Refuses what only one DuckDB build can run (library.rs), so the two cannot differ on our SQL:
/// * time-zone syntax: without ICU (the bundled build) DuckDB cannot run it; with ICU (the
///   prebuilt one) it would follow the machine's zone;
/// * the clock but as `CAST(current_timestamp AS timestamp(p))`: `current_timestamp` is a
///   `TIMESTAMP WITH TIME ZONE`, which DuckDB with ICU can cast to a date, a time or text, and
///   DuckDB without ICU only to a timestamp, which both do alike in UTC (ICU's zone is pinned).
fn refuse_time_zones(body: &str) -> Result<(), CompatError> {
    let masked = mask(body);
    if let Some(m) = TIME_ZONE_SYNTAX.find(&masked) {
        return Err(CompatError::Unsupported(format!(
            "{} (time zones exist in one DuckDB build and not the other; use the prelude's \
             at_timezone(t, zone))",
            &body[m.range()]
        )));
    }
    for m in CLOCK_KEYWORD.find_iter(&masked) {
        let cast_to_timestamp = m.as_str().eq_ignore_ascii_case("current_timestamp")
            && CAST_BEFORE.is_match(&masked[..m.start()])
            && AS_TIMESTAMP_AFTER.is_match(&masked[m.end()..]);
        if !cast_to_timestamp {
            return Err(CompatError::Unsupported(format!(
                "{} other than in CAST(current_timestamp AS timestamp(p)) (its time zone exists in \
                 one DuckDB build and not the other)",
                &body[m.range()]
            )));
        }
    }
    Ok(())
}

fn create_table(sql: &str) -> Result<String, CompatError> {
    let mut text = sql.replace("CREATE EXTERNAL TABLE", "CREATE TABLE");
    // Drop the Iceberg/Hive clauses whose argument is a parenthesised list.
    while let Some(m) = CLAUSE_WITH_PARENS.find(&mask(&text)) {
        let open = m.end() - 1;
        let close = matching_paren(&mask(&text), open).ok_or_else(|| {
            CompatError::Malformed(format!("unbalanced parentheses after {}", m.as_str()))
        })?;
        text.replace_range(m.start()..=close, "");
    }
    if let Some(m) = LOCATION.find(&text) {
        text.replace_range(m.range(), "");
    }
    for unsupported in [
        "STORED AS",
        "ROW FORMAT",
        "CLUSTERED BY",
        "WITH SERDEPROPERTIES",
    ] {
        if mask(&text).to_ascii_uppercase().contains(unsupported) {
            return Err(CompatError::Unsupported(format!(
                "CREATE TABLE … {unsupported}"
            )));
        }
    }
    Ok(types(&text.replace('`', "\""))?.trim_end().to_string())
}

fn alter_table(sql: &str) -> Result<Vec<String>, CompatError> {
    let Some(caps) = ADD_COLUMNS.captures(sql) else {
        return Err(CompatError::Unsupported(
            "ALTER TABLE other than ADD COLUMNS".into(),
        ));
    };
    let table = &caps[1];
    let open = caps.get(0).unwrap().end() - 1;
    let masked = mask(sql);
    let close = matching_paren(&masked, open)
        .ok_or_else(|| CompatError::Malformed("unbalanced ADD COLUMNS".into()))?;
    let columns = split_top_level(&sql[open + 1..close], ',');
    columns
        .into_iter()
        .map(|col| {
            let col = types(col.trim())?.replace('`', "\"");
            Ok(format!(
                "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {col}"
            ))
        })
        .collect()
}

/// Rewrites Hive complex types (`array<T>`, `map<K,V>`, `struct<a:T,…>`) into DuckDB types.
fn types(text: &str) -> Result<String, CompatError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(m) = COMPLEX_TYPE.find(rest) {
        out.push_str(&rest[..m.start()]);
        let (ty, used) = parse_type(&rest[m.start()..])?;
        out.push_str(&ty);
        rest = &rest[m.start() + used..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The DuckDB type of one Hive type (`array<string>` is `string[]`; `struct<a:int>` is
/// `STRUCT("a" int)`).
pub fn duckdb_type(hive: &str) -> Result<String, CompatError> {
    let (ty, used) = parse_type(hive)?;
    if !hive[used..].trim().is_empty() {
        return Err(CompatError::Malformed(format!(
            "'{hive}' is more than one type"
        )));
    }
    Ok(ty)
}

/// Parses one Hive type at the start of `s`; returns the DuckDB type and the bytes consumed.
fn parse_type(s: &str) -> Result<(String, usize), CompatError> {
    let trimmed = s.trim_start();
    let lead = s.len() - trimmed.len();
    let word_len = trimmed
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(trimmed.len());
    let word = &trimmed[..word_len];
    let after = &trimmed[word_len..];
    let after_trim = after.trim_start();
    if !after_trim.starts_with('<') {
        // A simple type, possibly with a (precision) suffix.
        let mut len = word_len;
        if after_trim.starts_with('(') {
            let close = after
                .find(')')
                .ok_or_else(|| CompatError::Malformed(format!("unclosed ( in type {word}")))?;
            len = word_len + close + 1;
        }
        return Ok((trimmed[..len].to_string(), lead + len));
    }
    let open = word_len + (after.len() - after_trim.len());
    let close = matching(trimmed, open, b'<', b'>')
        .ok_or_else(|| CompatError::Malformed(format!("unclosed < in {word}<…>")))?;
    let inner = &trimmed[open + 1..close];
    let parts = split_top_level(inner, ',');
    let ty = match word.to_ascii_lowercase().as_str() {
        "array" => {
            let [elem] = parts.as_slice() else {
                return Err(CompatError::Malformed("array<> takes one type".into()));
            };
            format!("{}[]", parse_type(elem)?.0)
        }
        "map" => {
            let [k, v] = parts.as_slice() else {
                return Err(CompatError::Malformed("map<> takes two types".into()));
            };
            format!("MAP({}, {})", parse_type(k)?.0, parse_type(v)?.0)
        }
        "struct" => {
            let fields = parts
                .iter()
                .map(|f| {
                    let (name, ty) = f.split_once(':').ok_or_else(|| {
                        CompatError::Malformed(format!("struct field without ':' in {f}"))
                    })?;
                    let name = name.trim().trim_matches('`');
                    Ok(format!("\"{name}\" {}", parse_type(ty)?.0))
                })
                .collect::<Result<Vec<_>, CompatError>>()?;
            format!("STRUCT({})", fields.join(", "))
        }
        other => return Err(CompatError::Unsupported(format!("type {other}<…>"))),
    };
    Ok((ty, lead + close + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zone_syntax_is_refused_on_both_builds_naming_it() {
        // Time-zone syntax, and the clock other than as a timestamp.
        for (sql, named) in [
            (
                "SELECT t AT TIME ZONE 'Europe/London' FROM x",
                "AT TIME ZONE",
            ),
            (
                "SELECT CAST(t AS timestamp(3)\n with time  zone) FROM x",
                "with time  zone",
            ),
            ("SELECT t::TIMESTAMPTZ FROM x", "TIMESTAMPTZ"),
            (
                "SELECT CAST(current_timestamp AS date)",
                "current_timestamp",
            ),
            ("SELECT current_timestamp", "current_timestamp"),
            (
                "SELECT CAST(localtimestamp AS timestamp(6))",
                "localtimestamp",
            ),
            ("SELECT current_time", "current_time"),
        ] {
            match translate(sql) {
                Err(CompatError::Unsupported(m)) => assert!(m.starts_with(named), "{m}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
        let allowed =
            "UPDATE t SET a = CAST( CURRENT_TIMESTAMP\n AS timestamp(6)), b = 'current_time'";
        assert_eq!(translate(allowed).unwrap(), vec![allowed]);
        // In a literal, a comment or a longer name it is not syntax.
        let harmless = "SELECT 'at time zone' AS a, at_timezone(t, 'UTC') AS timestamptz_x -- with time zone\nFROM x";
        assert_eq!(translate(harmless).unwrap(), vec![harmless]);
    }

    #[test]
    fn iceberg_create_table_loses_its_athena_clauses() {
        let sql = "-- c\nCREATE TABLE IF NOT EXISTS t (\n  a string,\n  `timestamp` bigint,\n  l array<string>\n)\nPARTITIONED BY (bucket(32, a), month(b))\nLOCATION 's3://x/t'\nTBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET')";
        let out = translate(sql).unwrap();
        assert_eq!(out, vec!["CREATE TABLE IF NOT EXISTS t (\n  a string,\n  \"timestamp\" bigint,\n  l string[]\n)"]);
    }

    #[test]
    fn nested_hive_types_become_duckdb_types() {
        assert_eq!(
            types("x struct<timestamp:bigint>, y map<string,array<int>>, z struct<s:struct<a:string,b:string>>").unwrap(),
            "x STRUCT(\"timestamp\" bigint), y MAP(string, int[]), z STRUCT(\"s\" STRUCT(\"a\" string, \"b\" string))"
        );
    }

    #[test]
    fn add_columns_becomes_one_idempotent_statement_per_column() {
        let out = translate("ALTER TABLE request_item_status ADD COLUMNS (failedreasoncode string, x array<string>)").unwrap();
        assert_eq!(
            out,
            vec![
                "ALTER TABLE request_item_status ADD COLUMN IF NOT EXISTS failedreasoncode string",
                "ALTER TABLE request_item_status ADD COLUMN IF NOT EXISTS x string[]"
            ]
        );
    }

    #[test]
    fn housekeeping_maps_to_checkpoint_and_unknown_ddl_is_refused() {
        assert_eq!(
            translate("OPTIMIZE request_item_status REWRITE DATA USING BIN_PACK").unwrap(),
            vec!["CHECKPOINT"]
        );
        assert_eq!(
            translate("VACUUM request_item_status").unwrap(),
            vec!["CHECKPOINT"]
        );
        assert!(translate("ALTER TABLE t SET TBLPROPERTIES ('a'='b')").is_err());
        assert!(translate("MSCK REPAIR TABLE t").is_err());
        assert!(translate("CREATE TABLE t (a string) STORED AS PARQUET").is_err());
    }

    #[test]
    fn dml_passes_through() {
        let sql = "SELECT array_join(x, ',') FROM t WHERE y = 'array<string>'";
        assert_eq!(translate(sql).unwrap(), vec![sql]);
    }
}
