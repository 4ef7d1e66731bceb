//! The Trino text pass for the two kinds of SQL asset Athena spells its own way: Iceberg DDL and
//! housekeeping. Everything else (DML, views, reports, watchdog) reaches Trino verbatim.
//!
//! | Athena | Trino |
//! |---|---|
//! | `CREATE TABLE … (c string, …) PARTITIONED BY (bucket(32, a), month(b)) LOCATION '…' TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')` | `CREATE TABLE … (c varchar, …) WITH (format = 'PARQUET', partitioning = ARRAY['bucket(a, 32)', 'month(b)'], location = '…')` (ZSTD is the catalog's codec) |
//! | `ALTER TABLE t ADD COLUMNS (c string, …)` | `ALTER TABLE t ADD COLUMN IF NOT EXISTS c varchar`, one per column |
//! | `OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE …]` | `ALTER TABLE t EXECUTE optimize [WHERE …]` |
//! | `VACUUM t` | `ALTER TABLE t EXECUTE expire_snapshots(retention_threshold => '7d')`, then `remove_orphan_files` likewise |
//!
//! A clause, property or type this pass does not know fails loudly ([`DdlError`]); nothing is
//! dropped silently.

use std::sync::LazyLock;

use regex::Regex;
use reporting_core::sql_text::{split_top_level, strip_leading_comments};

/// Why a statement could not be given Trino's meaning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DdlError {
    #[error("Athena DDL has no Trino form here: {0}")]
    Unsupported(String),
    #[error("malformed Athena DDL: {0}")]
    Malformed(String),
}

/// What Trino's Iceberg snapshot expiry and orphan-file removal keep: Trino's own minimum (7 days;
/// Athena's VACUUM defaults to 5), so the same statement runs on any Trino cluster.
pub const RETENTION: &str = "7d";

static CREATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)^CREATE\s+(EXTERNAL\s+)?TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([\w.`]+)\s*\(")
        .unwrap()
});
static ADD_COLUMNS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^ALTER\s+TABLE\s+([\w.]+)\s+ADD\s+COLUMNS\s*\(").unwrap());
static OPTIMIZE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)^OPTIMIZE\s+([\w.]+)\s+REWRITE\s+DATA\s+USING\s+BIN_PACK\s*(WHERE\s.*)?$")
        .unwrap()
});
static VACUUM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?is)^VACUUM\s+([\w.]+)$").unwrap());
static PARTITIONED_BY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^PARTITIONED\s+BY\s*\(").unwrap());
static LOCATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^LOCATION\s+'((?:[^']|'')*)'").unwrap());
static TBLPROPERTIES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^TBLPROPERTIES\s*\(").unwrap());
static TRANSFORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(bucket|truncate)\s*\(\s*(\d+)\s*,\s*(\w+)\s*\)$|^(year|month|day|hour)\s*\(\s*(\w+)\s*\)$|^(\w+)$").unwrap()
});

/// Translates one statement into the Trino statements that do the same.
pub fn translate(sql: &str) -> Result<Vec<String>, DdlError> {
    let body = strip_leading_comments(sql)
        .trim()
        .trim_end_matches(';')
        .trim_end();
    if let Some(caps) = CREATE.captures(body) {
        if caps.get(1).is_some() {
            return Err(DdlError::Unsupported(
                "CREATE EXTERNAL TABLE (the source is the Hive catalog's)".into(),
            ));
        }
        return Ok(vec![create_table(body, &caps)?]);
    }
    if let Some(caps) = ADD_COLUMNS.captures(body) {
        let open = caps.get(0).unwrap().end() - 1;
        let close = closing(body, open, b'(', b')')?;
        if !body[close + 1..].trim().is_empty() {
            return Err(DdlError::Malformed(format!(
                "text after ADD COLUMNS (…): {}",
                &body[close + 1..]
            )));
        }
        return split_top_level(&body[open + 1..close], ',')
            .into_iter()
            .map(|c| {
                Ok(format!(
                    "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {}",
                    &caps[1],
                    column(c)?
                ))
            })
            .collect();
    }
    if let Some(caps) = OPTIMIZE.captures(body) {
        let filter = caps
            .get(2)
            .map_or(String::new(), |w| format!(" {}", w.as_str().trim()));
        return Ok(vec![format!(
            "ALTER TABLE {} EXECUTE optimize{filter}",
            &caps[1]
        )]);
    }
    if let Some(caps) = VACUUM.captures(body) {
        let t = &caps[1];
        return Ok(vec![
            format!(
                "ALTER TABLE {t} EXECUTE expire_snapshots(retention_threshold => '{RETENTION}')"
            ),
            format!(
                "ALTER TABLE {t} EXECUTE remove_orphan_files(retention_threshold => '{RETENTION}')"
            ),
        ]);
    }
    let head: String = body
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase();
    for athena_only in ["MSCK REPAIR", "ALTER TABLE", "CREATE DATABASE", "UNLOAD"] {
        if head.starts_with(athena_only) {
            return Err(DdlError::Unsupported(format!("{athena_only} …")));
        }
    }
    Ok(vec![body.to_string()])
}

fn create_table(body: &str, caps: &regex::Captures<'_>) -> Result<String, DdlError> {
    let name = caps[3].replace('`', "\"");
    let if_not_exists = if caps.get(2).is_some() {
        "IF NOT EXISTS "
    } else {
        ""
    };
    let (columns, close) = column_list(body, caps)?;
    let mut properties = vec!["format = 'PARQUET'".to_string()];
    let mut rest = body[close + 1..].trim_start();
    while !rest.is_empty() {
        if let Some(m) = PARTITIONED_BY.find(rest) {
            let end = closing(rest, m.end() - 1, b'(', b')')?;
            let fields = split_top_level(&rest[m.end()..end], ',')
                .into_iter()
                .map(partition_field)
                .collect::<Result<Vec<_>, _>>()?;
            properties.push(format!("partitioning = ARRAY[{}]", fields.join(", ")));
            rest = rest[end + 1..].trim_start();
        } else if let Some(c) = LOCATION.captures(rest) {
            properties.push(format!("location = '{}'", &c[1]));
            rest = rest[c.get(0).unwrap().end()..].trim_start();
        } else if let Some(m) = TBLPROPERTIES.find(rest) {
            let end = closing(rest, m.end() - 1, b'(', b')')?;
            for pair in split_top_level(&rest[m.end()..end], ',') {
                table_property(pair)?;
            }
            rest = rest[end + 1..].trim_start();
        } else {
            return Err(DdlError::Unsupported(format!(
                "CREATE TABLE clause {}",
                rest.lines().next().unwrap_or(rest)
            )));
        }
    }
    Ok(format!(
        "CREATE TABLE {if_not_exists}{name} (\n  {}\n)\nWITH ({})",
        columns.join(",\n  "),
        properties.join(", ")
    ))
}

/// The Glue table `transaction_history` (sql/source) as a Hive table of Trino's over a Firehose
/// Parquet folder: the same columns in Trino's types, read by name, partitioned by its last
/// `partitions` columns (`__year`, `__month`, `__day`).
pub fn hive_source_table(
    glue_ddl: &str,
    qualified_name: &str,
    location: &str,
    partitions: &[&str],
) -> Result<String, DdlError> {
    let body = strip_leading_comments(glue_ddl)
        .trim()
        .trim_end_matches(';')
        .trim_end();
    let caps = CREATE.captures(body).ok_or_else(|| {
        DdlError::Malformed("the source schema must be CREATE TABLE name (…)".into())
    })?;
    let (columns, _) = column_list(body, &caps)?;
    let tail: Vec<String> = partitions.iter().map(|p| format!("\"{p}\" ")).collect();
    let last = &columns[columns.len().saturating_sub(partitions.len())..];
    if last.len() != partitions.len()
        || !last
            .iter()
            .zip(&tail)
            .all(|(c, p)| c.starts_with(p.as_str()))
    {
        return Err(DdlError::Malformed(format!(
            "the source schema must end with its partition columns {partitions:?}"
        )));
    }
    let partitioned: Vec<String> = partitions.iter().map(|p| format!("'{p}'")).collect();
    Ok(format!(
        "CREATE TABLE {qualified_name} (\n  {}\n)\nWITH (format = 'PARQUET', external_location = '{}', partitioned_by = ARRAY[{}])",
        columns.join(",\n  "),
        location.replace('\'', "''"),
        partitioned.join(", ")
    ))
}

/// The columns of a `CREATE TABLE name (…)` in Trino's spelling, and where their list closes.
fn column_list(body: &str, caps: &regex::Captures<'_>) -> Result<(Vec<String>, usize), DdlError> {
    let open = caps.get(0).unwrap().end() - 1;
    let close = closing(body, open, b'(', b')')?;
    let columns = split_top_level(&body[open + 1..close], ',')
        .into_iter()
        .map(column)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((columns, close))
}

/// Athena's table properties: only what Trino's Iceberg tables give the same way is accepted.
fn table_property(pair: &str) -> Result<(), DdlError> {
    let (key, value) = pair
        .split_once('=')
        .map(|(k, v)| {
            (
                k.trim().trim_matches('\'').to_ascii_lowercase(),
                v.trim().trim_matches('\'').to_ascii_uppercase(),
            )
        })
        .ok_or_else(|| DdlError::Malformed(format!("table property without '=': {pair}")))?;
    match (key.as_str(), value.as_str()) {
        ("table_type", "ICEBERG") | ("format", "PARQUET") => Ok(()),
        // The local Trino's Iceberg catalog writes ZSTD (tools/trino); Trino has no per-table codec.
        ("write_compression", "ZSTD") => Ok(()),
        _ => Err(DdlError::Unsupported(format!(
            "table property '{key}'='{value}'"
        ))),
    }
}

/// `name type` with the Hive type in Trino's spelling.
fn column(text: &str) -> Result<String, DdlError> {
    let text = text.trim();
    let (name, ty) = if let Some(quoted) = text.strip_prefix('`') {
        let end = quoted
            .find('`')
            .ok_or_else(|| DdlError::Malformed(format!("unclosed ` in {text}")))?;
        (&quoted[..end], &quoted[end + 1..])
    } else {
        text.split_once(char::is_whitespace)
            .ok_or_else(|| DdlError::Malformed(format!("column without a type: {text}")))?
    };
    Ok(format!(
        "\"{}\" {}",
        name.replace('"', "\"\""),
        trino_type(ty.trim())?
    ))
}

/// A Hive type (`string`, `int`, `timestamp`, `array<T>`, `map<K,V>`, `struct<a:T,…>`, …) in Trino's
/// spelling. Iceberg timestamps are microseconds, as Athena's are.
pub fn trino_type(hive: &str) -> Result<String, DdlError> {
    let hive = hive.trim();
    let lower = hive.to_ascii_lowercase();
    if let Some(open) = lower.find('<') {
        if !lower.ends_with('>') {
            return Err(DdlError::Malformed(format!("type {hive}")));
        }
        let inner = &hive[open + 1..hive.len() - 1];
        let parts = split_top_level(inner, ',');
        return match (&lower[..open], parts.as_slice()) {
            ("array", [elem]) => Ok(format!("array({})", trino_type(elem)?)),
            ("map", [k, v]) => Ok(format!("map({}, {})", trino_type(k)?, trino_type(v)?)),
            ("struct", fields) => {
                let fields = fields
                    .iter()
                    .map(|f| {
                        let (name, ty) = f.split_once(':').ok_or_else(|| {
                            DdlError::Malformed(format!("struct field without ':' in {f}"))
                        })?;
                        Ok(format!(
                            "\"{}\" {}",
                            name.trim().trim_matches('`'),
                            trino_type(ty)?
                        ))
                    })
                    .collect::<Result<Vec<_>, DdlError>>()?;
                Ok(format!("row({})", fields.join(", ")))
            }
            _ => Err(DdlError::Unsupported(format!("type {hive}"))),
        };
    }
    Ok(match lower.as_str() {
        "string" => "varchar".into(),
        "int" | "integer" => "integer".into(),
        "bigint" | "double" | "boolean" | "date" | "real" => lower,
        "float" => "real".into(),
        "timestamp" => "timestamp(6)".into(),
        t if t.starts_with("decimal(") || t.starts_with("varchar(") => lower,
        _ => return Err(DdlError::Unsupported(format!("type {hive}"))),
    })
}

/// Athena's partition transform (`bucket(32, a)`, `month(b)`, `c`) as a Trino partitioning string.
fn partition_field(field: &str) -> Result<String, DdlError> {
    let field = field.trim();
    let caps = TRANSFORM
        .captures(field)
        .ok_or_else(|| DdlError::Unsupported(format!("partition transform {field}")))?;
    Ok(
        if let (Some(f), Some(n), Some(c)) = (caps.get(1), caps.get(2), caps.get(3)) {
            format!(
                "'{}({}, {})'",
                f.as_str().to_ascii_lowercase(),
                c.as_str(),
                n.as_str()
            )
        } else if let (Some(f), Some(c)) = (caps.get(4), caps.get(5)) {
            format!("'{}({})'", f.as_str().to_ascii_lowercase(), c.as_str())
        } else {
            format!("'{}'", &caps[6])
        },
    )
}

/// The index of the bracket closing the one at `open`, skipping quoted text.
fn closing(text: &str, open: usize, open_char: u8, close_char: u8) -> Result<usize, DdlError> {
    let bytes = text.as_bytes();
    let (mut depth, mut quote) = (0i32, None::<u8>);
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"' | b'`') => quote = Some(b),
            (None, b) if b == open_char => depth += 1,
            (None, b) if b == close_char => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => {}
        }
    }
    Err(DdlError::Malformed(format!(
        "unbalanced {} in {}",
        open_char as char,
        text.lines().next().unwrap_or("")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn athena_iceberg_ddl_becomes_trino_ddl() {
        let sql = "-- c\nCREATE TABLE IF NOT EXISTS request_item_status (\n  clientid string,\n  `timestamp` bigint,\n  createdtime timestamp,\n  l array<string>,\n  n int\n)\nPARTITIONED BY (bucket(32, clientid), month(createdtime))\nLOCATION 's3://bucket/data/request_item_status'\nTBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')";
        assert_eq!(
            translate(sql).unwrap(),
            vec!["CREATE TABLE IF NOT EXISTS request_item_status (\n  \"clientid\" varchar,\n  \"timestamp\" bigint,\n  \"createdtime\" timestamp(6),\n  \"l\" array(varchar),\n  \"n\" integer\n)\nWITH (format = 'PARQUET', partitioning = ARRAY['bucket(clientid, 32)', 'month(createdtime)'], location = 's3://bucket/data/request_item_status')"]
        );
    }

    #[test]
    fn nested_types_take_trinos_spelling() {
        assert_eq!(
            trino_type("struct<suppliers:struct<mba:string,nhsapp:string>>").unwrap(),
            "row(\"suppliers\" row(\"mba\" varchar, \"nhsapp\" varchar))"
        );
        assert_eq!(
            trino_type("map<string,array<int>>").unwrap(),
            "map(varchar, array(integer))"
        );
        assert_eq!(trino_type("decimal(38,1)").unwrap(), "decimal(38,1)");
    }

    #[test]
    fn migrations_and_housekeeping_take_trinos_form() {
        assert_eq!(
            translate("ALTER TABLE request_item_status ADD COLUMNS (failedreasoncode string, x array<string>)").unwrap(),
            vec![
                "ALTER TABLE request_item_status ADD COLUMN IF NOT EXISTS \"failedreasoncode\" varchar",
                "ALTER TABLE request_item_status ADD COLUMN IF NOT EXISTS \"x\" array(varchar)",
            ]
        );
        assert_eq!(
            translate("-- why\nOPTIMIZE t REWRITE DATA USING BIN_PACK").unwrap(),
            vec!["ALTER TABLE t EXECUTE optimize"]
        );
        assert_eq!(
            translate("OPTIMIZE t REWRITE DATA USING BIN_PACK WHERE d > DATE '2026-01-01'")
                .unwrap(),
            vec!["ALTER TABLE t EXECUTE optimize WHERE d > DATE '2026-01-01'"]
        );
        assert_eq!(
            translate("VACUUM t").unwrap(),
            vec![
                "ALTER TABLE t EXECUTE expire_snapshots(retention_threshold => '7d')",
                "ALTER TABLE t EXECUTE remove_orphan_files(retention_threshold => '7d')",
            ]
        );
    }

    #[test]
    fn what_has_no_trino_meaning_here_fails_loudly() {
        for sql in [
            "CREATE TABLE t (a string) STORED AS PARQUET",
            "CREATE TABLE t (a string) TBLPROPERTIES ('table_type'='ICEBERG', 'vacuum_max_snapshot_age_seconds'='60')",
            "CREATE TABLE t (a uniontype<int,string>)",
            "CREATE EXTERNAL TABLE t (a string) LOCATION 's3://x'",
            "CREATE TABLE t (a string) PARTITIONED BY (void(a))",
            "ALTER TABLE t SET TBLPROPERTIES ('a'='b')",
            "MSCK REPAIR TABLE t",
        ] {
            assert!(translate(sql).is_err(), "{sql}");
        }
    }

    #[test]
    fn the_glue_source_becomes_a_hive_table_over_the_parquet_folder() {
        let glue = "-- the core account's table\nCREATE TABLE transaction_history (\n  `$classification` struct<timestamp:bigint>,\n  pk string,\n  l array<string>,\n  __year int,\n  __month int,\n  __day int\n)";
        assert_eq!(
            hive_source_table(glue, "hive.s.transaction_history", "local:///src", &["__year", "__month", "__day"]).unwrap(),
            "CREATE TABLE hive.s.transaction_history (\n  \"$classification\" row(\"timestamp\" bigint),\n  \"pk\" varchar,\n  \"l\" array(varchar),\n  \"__year\" integer,\n  \"__month\" integer,\n  \"__day\" integer\n)\nWITH (format = 'PARQUET', external_location = 'local:///src', partitioned_by = ARRAY['__year', '__month', '__day'])"
        );
        assert!(hive_source_table("CREATE TABLE t (a string)", "t", "x", &["__year"]).is_err());
    }

    #[test]
    fn dml_reaches_trino_verbatim() {
        let sql = "MERGE INTO t USING s ON (t.k = s.k) WHEN MATCHED THEN UPDATE SET v = s.v";
        assert_eq!(translate(sql).unwrap(), vec![sql]);
        let q = "SELECT 'VACUUM t' AS x";
        assert_eq!(translate(q).unwrap(), vec![q]);
    }
}
