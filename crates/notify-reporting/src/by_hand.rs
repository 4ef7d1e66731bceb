//! Operating by hand, locally: the catalog as a list, one query as Athena and as DuckDB run it,
//! and ad-hoc read-only questions with the `user` workgroup's rules.

use reporting_core::catalog::{self, Purpose, Query, QUERIES};
use reporting_core::saved::{find_saved, saved_names};
use reporting_core::sql_text::statement_keyword;
use reporting_core::{render, CalendarDate};
use reporting_local::{is_query, DuckDbEngine, EngineOptions, ExecutedQuery};

use crate::Home;

/// Output format of `query`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

fn pass(q: &Query) -> String {
    match q.purpose {
        Purpose::Ingestion { pass } => pass.to_string(),
        _ => "-".into(),
    }
}

fn kind(q: &Query) -> &'static str {
    match q.purpose {
        Purpose::CreateTable => "table DDL",
        Purpose::Ingestion { .. } => "ingestion",
        Purpose::CreateView => "view",
        Purpose::Report => "report",
        Purpose::Probe => "probe",
        Purpose::Setup => "setup",
        Purpose::Ledger => "ledger",
        Purpose::Migration => "migration",
        Purpose::Housekeeping => "housekeeping",
        Purpose::Backfill => "backfill",
        Purpose::Watchdog => "watchdog",
        Purpose::AdHoc => "ad-hoc",
    }
}

/// `queries`: every catalog query with its workgroup, pass, parameters and saved-query name(s).
pub fn list() -> String {
    let mut rows = vec![[
        "query".to_string(),
        "kind".into(),
        "workgroup".into(),
        "pass".into(),
        "parameters".into(),
        "saved as".into(),
    ]];
    for q in QUERIES {
        let params: Vec<String> = q.params.iter().map(|p| format!("{p:?}")).collect();
        let names: Vec<String> = saved_names(q).into_iter().map(|(n, _)| n).collect();
        let names = match names.len() {
            0 => "-".to_string(),
            1..=2 => names.join(", "),
            n => format!("{} … ({n})", names[0]),
        };
        rows.push([
            q.id.to_string(),
            kind(q).into(),
            q.workgroup.name().into(),
            pass(q),
            if params.is_empty() {
                "-".into()
            } else {
                params.join(", ")
            },
            names,
        ]);
    }
    let table: Vec<Vec<Option<String>>> = rows[1..]
        .iter()
        .map(|r| r.iter().cloned().map(Some).collect())
        .collect();
    aligned(&rows[0], &table)
}

/// A query by catalog id (`ingestion/request_item_status`) or saved name (`request_item_status`,
/// `client_latest_name_optimize`), with the table a housekeeping query is for.
fn find(name: &str) -> Option<(&'static Query, Option<&'static str>)> {
    catalog::query(name)
        .map(|q| (q, None))
        .or_else(|| find_saved(name))
}

/// `queries show NAME`: the Athena SQL (rendered for this home's deployment) and the DuckDB SQL
/// the local engine runs for it.
pub fn show(home: &Home, name: &str) -> Result<String, String> {
    let (q, table) = find(name).ok_or_else(|| {
        format!(
            "no query named {name}; `notify-reporting queries` lists them (by id or saved name)"
        )
    })?;
    let deployment = home.deployment().map_err(|e| e.to_string())?;
    let athena = render::render_for_table(q.sql, &deployment, table)
        .map_err(|e| format!("{}: {e}", q.id))?;
    let duckdb = duckdb_trino::translate(&athena)
        .map_err(|e| format!("{}: the local layer cannot run it: {e}", q.id))?
        .join(";\n\n");
    let params: Vec<String> = q
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| format!("--   {} = {p:?}", i + 1))
        .collect();
    Ok(format!(
        "-- {id} ({kind}, workgroup {wg}{on})\n-- parameters (bound, never spliced):\n{params}\n\n\
         -- Athena (Trino) SQL, as saved and run in AWS:\n{athena}\n\n\
         -- DuckDB SQL, as the local engine runs it (the source relation replaces transaction_history):\n{duckdb}\n",
        id = q.id,
        kind = kind(q),
        wg = q.workgroup.name(),
        on = table.map(|t| format!(", table {t}")).unwrap_or_default(),
        params = if params.is_empty() {
            "--   none".into()
        } else {
            params.join("\n")
        },
    ))
}

/// `query "SQL"`: one read-only statement against the local staging tables and views, as Power BI
/// sees them through the `user` workgroup: no writes or DDL, no transaction_history, no files.
pub fn run_adhoc(home: &Home, sql: &str, format: Format) -> Result<String, String> {
    let statements = duckdb_trino::translate(sql).map_err(|e| e.to_string())?;
    let [statement] = statements.as_slice() else {
        return Err(format!(
            "one statement at a time, please ({} given)",
            statements.len()
        ));
    };
    if !is_query(statement) {
        return Err(format!(
            "{} refused: the user workgroup is read-only (SELECT, WITH, VALUES, SHOW, DESCRIBE). \
             Changes go through the state machines: `notify-reporting run …`",
            statement_keyword(statement)
        ));
    }
    if !home.database().exists() {
        return Err(format!(
            "no local database at {}: run `notify-reporting run setup` first",
            home.database().display()
        ));
    }
    let config = home.config().map_err(|e| e.to_string())?;
    let today = config
        .today
        .as_deref()
        .map(CalendarDate::parse)
        .transpose()
        .map_err(|e| format!("{}: today: {e}", home.config_file().display()))?;
    // No source: transaction_history is not visible, as for Power BI.
    let engine = DuckDbEngine::open(
        &home.database(),
        EngineOptions {
            source_dir: None,
            today,
            ..EngineOptions::default()
        },
    )
    .map_err(|e| e.to_string())?;
    // No file access from SQL (read_csv('/etc/…'), COPY), and no way to turn it back on.
    engine
        .execute(
            "SET enable_external_access = false; SET lock_configuration = true",
            &[],
        )
        .map_err(|e| e.to_string())?;
    // Whatever the statement does, nothing is kept.
    engine
        .execute("BEGIN TRANSACTION", &[])
        .map_err(|e| e.to_string())?;
    let result = engine.execute(sql, &[]);
    engine.execute("ROLLBACK", &[]).map_err(|e| e.to_string())?;
    let result = result.map_err(|e| {
        if e.message.contains("transaction_history") {
            "transaction_history is not visible in the user workgroup (as for Power BI): \
             query the staging tables and views"
                .to_string()
        } else {
            e.message
        }
    })?;
    Ok(formatted(&result, format))
}

fn formatted(result: &ExecutedQuery, format: Format) -> String {
    match format {
        Format::Csv => reporting_core::csv::athena_csv(&result.columns, &result.rows),
        Format::Json => {
            let rows: Vec<serde_json::Value> = result
                .rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        result
                            .columns
                            .iter()
                            .cloned()
                            .zip(r.iter().map(|v| {
                                v.clone()
                                    .map_or(serde_json::Value::Null, serde_json::Value::String)
                            }))
                            .collect(),
                    )
                })
                .collect();
            serde_json::to_string_pretty(&rows).expect("json") + "\n"
        }
        Format::Table => {
            let header: Vec<String> = result.columns.clone();
            let mut out = aligned(&header, &result.rows);
            out.push_str(&format!(
                "({} row{})\n",
                result.rows.len(),
                if result.rows.len() == 1 { "" } else { "s" }
            ));
            out
        }
    }
}

/// Columns padded to their widest value; NULL shown as `NULL`.
fn aligned<H: AsRef<str>>(header: &[H], rows: &[Vec<Option<String>>]) -> String {
    let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
    let mut widths: Vec<usize> = header.iter().map(|h| h.as_ref().chars().count()).collect();
    for r in rows {
        for (w, v) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell(v).chars().count());
        }
    }
    let line = |values: Vec<String>| {
        values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
            + "\n"
    };
    let mut out = line(header.iter().map(|h| h.as_ref().to_string()).collect());
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for r in rows {
        out.push_str(&line(r.iter().map(cell).collect()));
    }
    out
}
