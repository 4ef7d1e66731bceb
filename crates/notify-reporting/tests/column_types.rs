//! The column types a Power BI user (and every other reader) sees, per staging table and view, as
//! `sql/column_types.tsv` records them: the types Athena's engine (Trino) gives the SQL as
//! written, the running system's expressions included (a decimal quotient stays a decimal). On
//! Trino they must be exactly those; on DuckDB each must be the DuckDB type the layer gives for
//! it (docs/engines.md), so that both engines' values are written at the same type.
//!
//! After a deliberate change of a column's type: `NOTIFY_BLESS_COLUMN_TYPES=1` writes the file
//! from Trino's answer, for review in the diff.

mod common;

use common::*;
use serde_json::json;

const CONTRACT: &str = include_str!("../../../sql/column_types.tsv");
const CONTRACT_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sql/column_types.tsv");

/// (relation, column, type), in catalog order (tables, then views in creation order), columns in
/// their order.
type Columns = Vec<(String, String, String)>;

fn contract() -> Columns {
    CONTRACT
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(
                f.len(),
                3,
                "sql/column_types.tsv: {l:?} is not relation, column, type"
            );
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect()
}

/// Every staging table's and view's columns as the home's engine describes them.
fn described(t: &TestHome) -> Columns {
    let schema = t.home.deployment().unwrap().database;
    let relations = reporting_core::catalog::TABLES
        .iter()
        .map(|t| t.name)
        .chain(reporting_core::catalog::VIEWS.iter().map(|v| v.name));
    relations
        .flat_map(|relation| {
            let rows = t.select(&format!(
                "SELECT column_name, data_type FROM information_schema.columns \
                 WHERE table_schema = '{schema}' AND table_name = '{relation}' \
                 ORDER BY ordinal_position"
            ));
            assert!(!rows.is_empty(), "{relation}: no columns described");
            rows.into_iter().map(move |r| {
                (
                    relation.to_string(),
                    r[0].clone().unwrap(),
                    r[1].clone().unwrap(),
                )
            })
        })
        .collect()
}

/// Whether DuckDB's type of a column is the one the layer gives for Trino's type.
fn duckdb_gives(trino: &str, duckdb: &str) -> bool {
    let decimal_scale = |t: &str, prefix: &str| {
        t.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(')'))
            .and_then(|r| r.split(',').nth(1))
            .map(|s| s.trim().to_string())
    };
    match trino {
        "varchar" => duckdb == "VARCHAR",
        t if t.starts_with("varchar(") => duckdb == "VARCHAR",
        "bigint" => duckdb == "BIGINT" || duckdb == "HUGEINT", // sum: equal below 2^63
        "integer" => duckdb == "INTEGER",
        "double" => duckdb == "DOUBLE",
        "boolean" => duckdb == "BOOLEAN",
        "date" => duckdb == "DATE",
        // DuckDB's TIMESTAMP holds microseconds; the adapter writes the fraction at Trino's precision.
        "timestamp(3)" | "timestamp(6)" => duckdb == "TIMESTAMP",
        "array(varchar)" => duckdb == "VARCHAR[]",
        // The scale is Trino's; DuckDB's quotient has precision 38 (docs/engines.md, Division).
        t if t.starts_with("decimal(") => {
            decimal_scale(t, "decimal(").is_some()
                && decimal_scale(t, "decimal(") == decimal_scale(duckdb, "DECIMAL(")
        }
        _ => false,
    }
}

async fn every_column_has_the_type_athena_gives() {
    let t = TestHome::new(&["B"]);
    t.configure(|c| {
        c.sms_nudge_client_id = Some("NUDGE".into());
        c.email_filter_client_ids = vec!["E".into()];
    });
    t.run("setup", json!({})).await;
    let got = described(&t);
    let expected = contract();
    if test_engine() == TestEngine::Trino && std::env::var_os("NOTIFY_BLESS_COLUMN_TYPES").is_some()
    {
        let mut text = String::from(
            "# relation\tcolumn\ttype: what Trino (Athena's engine) describes; checked by crates/notify-reporting/tests/column_types.rs\n",
        );
        for (relation, column, ty) in &got {
            text.push_str(&format!("{relation}\t{column}\t{ty}\n"));
        }
        std::fs::write(CONTRACT_PATH, text).unwrap();
        return;
    }
    let names = |c: &Columns| {
        c.iter()
            .map(|(r, c, _)| format!("{r}.{c}"))
            .collect::<Vec<_>>()
    };
    let (have, want) = (names(&got), names(&expected));
    if have != want {
        let missing: Vec<&String> = want.iter().filter(|n| !have.contains(n)).collect();
        let extra: Vec<&String> = have.iter().filter(|n| !want.contains(n)).collect();
        panic!(
            "the columns are not sql/column_types.tsv's (in order):\n  missing: {missing:?}\n  not listed: {extra:?}"
        );
    }
    let wrong: Vec<String> = got
        .iter()
        .zip(&expected)
        .filter(|((_, _, have), (_, _, want))| match test_engine() {
            TestEngine::Trino => have != want,
            TestEngine::DuckDb => !duckdb_gives(want, have),
        })
        .map(|((r, c, have), (_, _, want))| format!("{r}.{c}: {have}, where Athena gives {want}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The running system's columns, written by hand from its DDL and view definitions.
const RUNNING_SYSTEM: &str = include_str!("../../../docs/running-system-columns.tsv");

/// Whether Trino's type of a column is what the running system fixes: a Hive DDL type as Athena
/// describes it on an Iceberg table, a view's fixed type, or "?" (anything).
fn running_system_gives(documented: &str, trino: &str) -> bool {
    let decimal = |t: &str| -> Option<(String, String)> {
        let inner = t.strip_prefix("decimal(")?.strip_suffix(')')?;
        let (precision, scale) = inner.split_once(',')?;
        Some((precision.trim().to_string(), scale.trim().to_string()))
    };
    match documented {
        "?" => true,
        "string" => trino == "varchar",
        "int" => trino == "integer",
        "bigint" => trino == "bigint",
        "double" => trino == "double",
        "date" => trino == "date",
        // Athena's Iceberg timestamps hold microseconds.
        "timestamp" => trino == "timestamp(6)",
        "array<string>" => trino == "array(varchar)",
        d => match (decimal(d), decimal(trino)) {
            (Some((p, s)), Some((tp, ts))) => (p == "?" || p == tp) && (s == "?" || s == ts),
            _ => false,
        },
    }
}

/// sql/column_types.tsv (Trino's answer, blessed from Trino) against the running system's
/// columns written down by hand (docs/running-system-columns.tsv): the same relations and columns
/// in the same order (names compare as Trino folds them, to lower case), each of the type the
/// running system gives. Without it the blessed file would only ever be compared with Trino
/// itself, and a column renamed, dropped, reordered or retyped in the SQL would be blessed along.
#[test]
fn the_recorded_types_are_the_running_systems() {
    let documented: Columns = RUNNING_SYSTEM
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "docs/running-system-columns.tsv: {l:?}");
            (f[0].to_string(), f[1].to_lowercase(), f[2].to_string())
        })
        .collect();
    let recorded = contract();
    let names = |c: &Columns| {
        c.iter()
            .map(|(r, c, _)| format!("{r}.{c}"))
            .collect::<Vec<_>>()
    };
    let (want, have) = (names(&documented), names(&recorded));
    let missing: Vec<&String> = want.iter().filter(|n| !have.contains(n)).collect();
    let extra: Vec<&String> = have.iter().filter(|n| !want.contains(n)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "sql/column_types.tsv against the running system's columns:\n  missing: {missing:?}\n  not the running system's: {extra:?}"
    );
    let moved: Vec<String> = want
        .iter()
        .zip(&have)
        .filter(|(w, h)| w != h)
        .map(|(w, h)| format!("{h} where the running system has {w}"))
        .collect();
    assert!(
        moved.is_empty(),
        "columns out of order:\n{}",
        moved.join("\n")
    );
    let wrong: Vec<String> = documented
        .iter()
        .zip(&recorded)
        .filter(|((_, _, d), (_, _, t))| !running_system_gives(d, t))
        .map(|((r, c, d), (_, _, t))| format!("{r}.{c}: {t}, where the running system gives {d}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The mapping refuses what the running system would not give: a planted wrong type of each kind.
#[test]
fn the_running_system_mapping_refuses_other_types() {
    for (documented, trino) in [
        ("string", "varchar(10)"),
        ("int", "bigint"),
        ("timestamp", "timestamp(3)"),
        ("timestamp", "timestamp(6) with time zone"),
        ("array<string>", "array(varchar(3))"),
        ("date", "timestamp(6)"),
        ("decimal(?,1)", "decimal(38,2)"),
        ("decimal(?,1)", "double"),
        ("double", "decimal(38,1)"),
    ] {
        assert!(
            !running_system_gives(documented, trino),
            "{documented} accepted {trino}"
        );
    }
    assert!(running_system_gives("decimal(?,1)", "decimal(21,1)"));
    assert!(running_system_gives("?", "bigint"));
}

on_both_engines!(every_column_has_the_type_athena_gives);
