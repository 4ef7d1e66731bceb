//! The measuring half of `make bench` (tools/bench.py drives it, one process per phase, so each
//! phase's peak RSS is its own). Every phase prints one JSON object on stdout.
//!
//! - `ingest`: both ingestion passes for one `asOf`, each catalog query rendered and bound as
//!   run-query binds it, on the local engine (no state machine: its waits are virtual and its
//!   Lambdas cost milliseconds; this is the engine's time). Per query: seconds, rows, and the
//!   bytes the process read while it ran (`rchar` in /proc/self/io: with an in-memory database
//!   that is the Parquet read, what Athena bills as data scanned).
//! - `scan-floor`: the least any ingestion must do: read every column the ingestion reads of
//!   every version in the window, once, and group the versions by object key (count, latest
//!   timestamp, a digest of the rows, so no column can be skipped), with no MERGE.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};
use notify_reporting::Home;
use reporting_core::binding::{self, Bindings};
use reporting_core::catalog::{self, Param, Purpose};
use reporting_core::hash_key::{self, Fingerprint};
use reporting_core::ports::QueryParam;
use reporting_core::{render, CalendarDate, Secret};
use reporting_local::{DuckDbEngine, EngineOptions};
use serde_json::json;

/// A synthetic key: the bench data is synthetic too.
const BENCH_HASH_KEY: &str = "YmVuY2gtaGFzaC1rZXktbm90LWEtcmVhbC1rZXktMDA=";

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Engine {
    /// The Firehose folder (`transaction_history`).
    #[arg(long)]
    source: PathBuf,
    /// DuckDB database file; none: in memory.
    #[arg(long)]
    db: Option<PathBuf>,
    /// DuckDB memory limit, e.g. 3GB.
    #[arg(long)]
    memory_limit: Option<String>,
    #[arg(long)]
    threads: Option<u32>,
    /// Write DuckDB's profile (EXPLAIN ANALYZE tree) of each query into this folder.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// A DuckDB setting for the experiment, NAME=VALUE (repeatable), e.g.
    /// disabled_optimizers=top_n_window_elimination.
    #[arg(long = "setting")]
    settings: Vec<String>,
}

#[derive(Subcommand)]
enum Command {
    Ingest {
        #[command(flatten)]
        engine: Engine,
        /// The home whose configuration (batch clients, nudge client) renders the SQL.
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        as_of: String,
    },
    ScanFloor {
        #[command(flatten)]
        engine: Engine,
        #[arg(long)]
        as_of: String,
    },
    /// The steady-state day: a cold incremental run (an empty file ledger: every file of the week window) just
    /// after midnight of `--day`, then the 13 scheduled runs of that day (01:00, 04:00, 08:00 to
    /// 18:00 UTC) while the day's data lands hour by hour, then 01:00 the next day. The source is
    /// built in `--work` from `--history` (hard links), with the day's files split by hour.
    SteadyDay {
        #[command(flatten)]
        engine: Engine,
        #[arg(long)]
        home: PathBuf,
        /// The Firehose folder holding the history (the day's partition included).
        #[arg(long)]
        history: PathBuf,
        /// The steady-state day (its partition must be in the history).
        #[arg(long)]
        day: String,
        /// Scratch folder: the hour files and the source the runs read.
        #[arg(long)]
        work: PathBuf,
    },
    /// Splits one capture day of a Firehose folder into one file per hour of change time, in
    /// `--out` (`hour-HH-*.parquet`): a day that lands hour by hour, for the Trino bench.
    SplitDay {
        /// The Firehose folder holding the day's partition.
        #[arg(long)]
        history: PathBuf,
        #[arg(long)]
        day: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Runs one statement (investigations: profile it with --profile).
    Sql {
        #[command(flatten)]
        engine: Engine,
        sql: String,
    },
    /// write-report's delivery of a report of `--bytes` (default 1 GiB) as Athena's CSV into a
    /// folder as S3, from a synthetic result read page by page: rows, parts, seconds, peak RSS.
    Report {
        #[arg(long, default_value_t = 1 << 30)]
        bytes: u64,
        /// The folder the report is written to (it is deleted afterwards).
        #[arg(long)]
        dir: PathBuf,
    },
}

/// A finished report query's result, made up page by page as Athena hands it out: the
/// completed-comms columns, rows of about 300 bytes, as many as make `bytes` of CSV.
struct SyntheticReport {
    rows: u64,
}

const REPORT_COLUMNS: [&str; 8] = [
    "requestid",
    "requestrefid",
    "requestitemid",
    "requestitemrefid",
    "requestitemcompletedtime",
    "sendinggroupid",
    "requestitemstatus",
    "requestitemplanid",
];

fn report_row(i: u64) -> Vec<Option<String>> {
    vec![
        Some(format!("request-{:012}-{:020}", i / 1000, i)),
        Some(format!("ref-{i:030}")),
        Some(format!("item-{i:030}-aaaaaaaaaaaaaaaa")),
        Some(format!("itemref-{i:030}")),
        Some("2026-11-20T09:00:00.123Z".to_string()),
        Some("sending-group-0123456789abcdef".to_string()),
        (!i.is_multiple_of(5)).then(|| "DELIVERED".to_string()),
        Some(format!("plan-{i:030}-bbbbbbbbbbbbbbbb")),
    ]
}

#[async_trait::async_trait]
impl reporting_core::ports::QueryEngine for SyntheticReport {
    async fn start(
        &self,
        _: reporting_core::ports::QueryRequest,
    ) -> Result<String, reporting_core::error::PortError> {
        Ok("synthetic".into())
    }
    async fn status(
        &self,
        _: &str,
    ) -> Result<reporting_core::ports::QueryStatus, reporting_core::error::PortError> {
        unimplemented!("the report is finished")
    }
    async fn cancel(&self, _: &str) -> Result<(), reporting_core::error::PortError> {
        Ok(())
    }
    async fn results(
        &self,
        _: &str,
        token: Option<&str>,
    ) -> Result<reporting_core::ports::ResultPage, reporting_core::error::PortError> {
        let start: u64 = token.map_or(0, |t| t.parse().unwrap_or(0));
        let end = (start + reporting_core::ports::RESULT_PAGE_ROWS as u64).min(self.rows);
        Ok(reporting_core::ports::ResultPage {
            columns: REPORT_COLUMNS.iter().map(|c| c.to_string()).collect(),
            rows: (start..end).map(report_row).collect(),
            next_token: (end < self.rows).then(|| end.to_string()),
        })
    }
}

fn report(bytes: u64, dir: &Path) -> Result<serde_json::Value, String> {
    let mut sample = String::new();
    reporting_core::csv::push_row(&mut sample, report_row(1).iter().map(|v| v.as_deref()));
    let rows = bytes / sample.len() as u64 + 1;
    let engine = SyntheticReport { rows };
    let store = reporting_local::DirectoryStore::new(dir);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    reset_peak_rss();
    let before = peak_rss();
    let t = Instant::now();
    let written = runtime
        .block_on(reporting_handlers::write_streamed(
            &engine,
            &store,
            "synthetic",
            "ingress",
            "completed_comms_report/client/2026-11-20.csv",
            reporting_handlers::REPORT_PART_BYTES,
        ))
        .map_err(|e| e.to_string())?;
    let seconds = t.elapsed().as_secs_f64();
    let peak = peak_rss();
    let on_disk =
        std::fs::metadata(dir.join("ingress/completed_comms_report/client/2026-11-20.csv"))
            .map_err(|e| io(dir, e))?
            .len();
    let _ = std::fs::remove_dir_all(dir);
    Ok(json!({
        "rows": written.rows,
        "bytes": written.bytes,
        "bytesOnDisk": on_disk,
        "parts": written.parts,
        "partBytes": reporting_handlers::REPORT_PART_BYTES,
        "seconds": seconds,
        "peakRssBytesBefore": before,
        "peakRssBytes": peak,
    }))
}

/// Bytes this process has read through read(2)-like calls so far.
fn read_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|l| l.strip_prefix("rchar: ").map(|v| v.trim().parse().ok()))
                .flatten()
        })
        .unwrap_or(0)
}

/// The bench key's vault file (in the temporary folder, this process's own), read as `hash_key`.
fn bench_vault() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!(
        "notify-reporting-bench-vault-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let file = dir.join("hash_key");
    let key = Secret::new(BENCH_HASH_KEY);
    std::fs::write(&file, hash_key::object_body(&key)).map_err(|e| io(&file, e))?;
    Ok(file)
}

/// The bench key's fingerprint, which the ingestion queries bind.
fn bench_fingerprint() -> Fingerprint {
    Fingerprint::of(&Secret::new(BENCH_HASH_KEY))
}

fn open(engine: &Engine) -> Result<DuckDbEngine, String> {
    let options = EngineOptions {
        source_dir: Some(engine.source.clone()),
        hash_key_file: Some(bench_vault()?),
        // The uniqueness check is a local test guard (Athena's multiple-match error); it runs
        // each MERGE's source a second time and is not part of what Athena runs.
        check_merge_sources: false,
        memory_limit: engine.memory_limit.clone(),
        threads: engine.threads,
        ..EngineOptions::default()
    };
    let opened = match &engine.db {
        Some(path) => DuckDbEngine::open(path, options),
        None => DuckDbEngine::open_in_memory(options),
    }
    .map_err(|e| e.to_string())?;
    for setting in &engine.settings {
        let (name, value) = setting
            .split_once('=')
            .ok_or_else(|| format!("--setting {setting}: expected NAME=VALUE"))?;
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("--setting {setting}: not a setting name"));
        }
        opened
            .execute(
                &format!("SET {name} = '{}'", value.replace('\'', "''")),
                &[],
            )
            .map_err(|e| format!("--setting {setting}: {e}"))?;
    }
    Ok(opened)
}

fn profile_to(engine: &DuckDbEngine, dir: Option<&Path>, name: &str) -> Result<(), String> {
    let Some(dir) = dir else { return Ok(()) };
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let file = dir.join(format!("{}.txt", name.replace('/', "__")));
    engine
        .execute(
            &format!(
                "PRAGMA enable_profiling = 'query_tree_optimizer'; PRAGMA profiling_output = '{}'",
                file.to_string_lossy().replace('\'', "''")
            ),
            &[],
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn table_exists(engine: &DuckDbEngine, table: &str) -> Result<bool, String> {
    let r = engine
        .execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            &[QueryParam::Text(table.into())],
        )
        .map_err(|e| e.to_string())?;
    Ok(r.rows[0][0].as_deref() != Some("0"))
}

fn ingest(engine_args: &Engine, home: &Path, as_of: &str) -> Result<serde_json::Value, String> {
    let as_of = CalendarDate::parse(as_of).map_err(|e| e.to_string())?;
    let deployment = Home::new(home).deployment().map_err(|e| e.to_string())?;
    let engine = open(engine_args)?;
    for q in catalog::QUERIES
        .iter()
        .filter(|q| matches!(q.purpose, Purpose::CreateTable))
    {
        if !table_exists(&engine, q.table)? {
            let sql = render::render(q.sql, &deployment).map_err(|e| e.to_string())?;
            engine
                .execute(&sql, &[])
                .map_err(|e| format!("{}: {e}", q.id))?;
        }
    }
    let mut queries = Vec::new();
    let started = Instant::now();
    for pass in [1, 2] {
        for q in catalog::ingestion_pass(pass) {
            let sql = render::render(q.sql, &deployment).map_err(|e| e.to_string())?;
            let fingerprint = bench_fingerprint();
            let values = Bindings {
                hash_key_fingerprint: Some(&fingerprint),
                ..Bindings::window(as_of)
            };
            let params = binding::bind(q, &values).map_err(|e| e.to_string())?;
            profile_to(&engine, engine_args.profile.as_deref(), q.id)?;
            let (t, bytes) = (Instant::now(), read_bytes());
            let result = engine
                .execute(&sql, &params)
                .map_err(|e| format!("{}: {e}", q.id))?;
            queries.push(json!({
                "query": q.id,
                "pass": pass,
                "seconds": t.elapsed().as_secs_f64(),
                "rows": result.rows_affected,
                "readBytes": read_bytes() - bytes,
            }));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let tables: Vec<_> = catalog::TABLES
        .iter()
        .map(|t| Ok(json!({"table": t.name, "rows": engine.row_count(t.name).map_err(|e| e.to_string())?})))
        .collect::<Result<_, String>>()?;
    Ok(json!({"seconds": seconds, "queries": queries, "tables": tables}))
}

/// The peak resident set since the last reset, in bytes (`VmHWM`).
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Resets the peak resident set (Linux: `5` to clear_refs), so each run's peak is its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn io(path: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", path.display())
}

/// Hard links every file of `from` under `to`, keeping the relative paths; skips `except`.
fn link_tree(from: &Path, to: &Path, except: &Path) -> Result<(), String> {
    for entry in std::fs::read_dir(from).map_err(|e| io(from, e))? {
        let entry = entry.map_err(|e| io(from, e))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src == except {
            continue;
        }
        if src.is_dir() {
            std::fs::create_dir_all(&dst).map_err(|e| io(&dst, e))?;
            link_tree(&src, &dst, except)?;
        } else {
            std::fs::hard_link(&src, &dst).map_err(|e| io(&dst, e))?;
        }
    }
    Ok(())
}

/// The day's hour files, as (hour, path).
fn split_day(history: &Path, day: &str, out: &Path) -> Result<serde_json::Value, String> {
    let day = CalendarDate::parse(day).map_err(|e| e.to_string())?;
    let hours = synthetic_cdc::split_day_by_hour(&synthetic_cdc::partition_dir(history, day), out)
        .map_err(|e| e.to_string())?;
    Ok(json!(hours
        .iter()
        .map(|(h, p)| json!({"hour": h, "path": p}))
        .collect::<Vec<_>>()))
}

/// The scheduled ingestion's hours (UTC, as in winter): 13 runs a day.
const SCHEDULE_HOURS: [u32; 13] = [1, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];

fn steady_day(
    engine_args: &Engine,
    home: &Path,
    history: &Path,
    day: &str,
    work: &Path,
) -> Result<serde_json::Value, String> {
    use reporting_handlers::{list_window, plan_from, FILES_READ_QUERY};
    let day = CalendarDate::parse(day).map_err(|e| e.to_string())?;
    let deployment = Home::new(home).deployment().map_err(|e| e.to_string())?;
    // The day's data, one file per hour of change time (made once).
    let hours_dir = work.join(format!("hours-{day}"));
    let mut hours: Vec<(u32, PathBuf)> = Vec::new();
    if hours_dir.is_dir() {
        for entry in std::fs::read_dir(&hours_dir).map_err(|e| io(&hours_dir, e))? {
            let path = entry.map_err(|e| io(&hours_dir, e))?.path();
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if let Some(h) = name
                .strip_prefix("hour-")
                .and_then(|n| n.get(..2))
                .and_then(|h| h.parse().ok())
            {
                hours.push((h, path));
            }
        }
        hours.sort();
    }
    if hours.is_empty() {
        hours = synthetic_cdc::split_day_by_hour(
            &synthetic_cdc::partition_dir(history, day),
            &hours_dir,
        )
        .map_err(|e| e.to_string())?;
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let day_bytes: u64 = hours.iter().map(|(_, p)| size(p)).sum();
    // The source the runs read: the history without the day, which then lands hour by hour.
    let source = work.join("steady-source");
    if source.exists() {
        std::fs::remove_dir_all(&source).map_err(|e| io(&source, e))?;
    }
    std::fs::create_dir_all(&source).map_err(|e| io(&source, e))?;
    link_tree(
        history,
        &source,
        &synthetic_cdc::partition_dir(history, day),
    )?;
    let landed = synthetic_cdc::partition_dir(&source, day);
    std::fs::create_dir_all(&landed).map_err(|e| io(&landed, e))?;

    let engine = open(&Engine {
        source: source.clone(),
        ..engine_args.clone()
    })?;
    for q in catalog::QUERIES
        .iter()
        .filter(|q| matches!(q.purpose, Purpose::CreateTable))
        .chain(catalog::query("setup/ingestion_files"))
        .chain(catalog::query("setup/ingestion_file_claims"))
    {
        let sql = render::render(q.sql, &deployment).map_err(|e| e.to_string())?;
        engine
            .execute(&sql, &[])
            .map_err(|e| format!("{}: {e}", q.id))?;
    }
    let fingerprint = bench_fingerprint();
    let ledger = catalog::query(FILES_READ_QUERY).expect("the catalog's ledger probe");
    let listing =
        notify_reporting::home::source_listing(&source, source.to_string_lossy().to_string());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let run = |at_millis: i64| -> Result<serde_json::Value, String> {
        engine.replace_source(&source).map_err(|e| e.to_string())?;
        reset_peak_rss();
        let (t, bytes) = (Instant::now(), read_bytes());
        // As the ingestion machine plans: the ledger's rows, the window's listing, the plan.
        let today = CalendarDate::from_unix_millis(at_millis);
        let read = engine
            .execute(
                &render::render(ledger.sql, &deployment).map_err(|e| e.to_string())?,
                &binding::bind(ledger, &Bindings::window(today)).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
        let files_read = read
            .rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect();
        let listed = runtime
            .block_on(list_window(&listing, today))
            .map_err(|e| e.to_string())?;
        let plan = plan_from(
            &Default::default(),
            &utc_time::instant::iso_millis(at_millis),
            &format!("bench-{at_millis}"),
            &files_read,
            &listed,
        )
        .map_err(|e| e.to_string())?;
        let mut queries = Vec::new();
        let mut earliest_created = None;
        for (q, values) in plan.steps().map_err(|e| e.to_string())? {
            let sql = render::render(q.sql, &deployment).map_err(|e| e.to_string())?;
            let params = binding::bind(
                q,
                &Bindings {
                    hash_key_fingerprint: Some(&fingerprint),
                    earliest_created,
                    ..values
                },
            )
            .map_err(|e| e.to_string())?;
            let (qt, qb) = (Instant::now(), read_bytes());
            if q.id == reporting_handlers::BOUND_QUERY {
                // The machine binds the probe's answer into both passes.
                let answer = engine
                    .execute(&sql, &params)
                    .map_err(|e| format!("{}: {e}", q.id))?;
                earliest_created = Some(
                    reporting_handlers::earliest_created(&answer.rows)
                        .map_err(|e| e.message().to_string())?,
                );
            } else {
                engine
                    .execute(&sql, &params)
                    .map_err(|e| format!("{}: {e}", q.id))?;
            }
            queries.push(json!({"query": q.id, "seconds": qt.elapsed().as_secs_f64(), "readBytes": read_bytes() - qb}));
        }
        Ok(json!({
            "startedAt": utc_time::instant::iso_millis(at_millis),
            "seconds": t.elapsed().as_secs_f64(),
            "readBytes": read_bytes() - bytes,
            "peakRss": peak_rss(),
            "filesRead": plan.source_files.len(),
            "notes": plan.notes,
            "queries": queries,
        }))
    };
    let midnight = day.to_days() * 86_400_000;
    let hour = 3_600_000i64;
    // Cold: an empty ledger, so every file of the window; the day has not begun to land.
    let cold = run(midnight + hour / 2)?;
    let mut runs = Vec::new();
    let mut landed_hours = 0usize;
    for h in SCHEDULE_HOURS {
        // What Firehose has delivered by h:00: every hour before it.
        for (hr, file) in hours.iter().filter(|(hr, _)| *hr < h) {
            let to = landed.join(file.file_name().unwrap_or_default());
            if !to.exists() {
                std::fs::hard_link(file, &to).map_err(|e| io(&to, e))?;
                landed_hours = landed_hours.max(*hr as usize + 1);
            }
        }
        let mut r = run(midnight + i64::from(h) * hour)?;
        r["dayBytesLanded"] = json!(std::fs::read_dir(&landed)
            .map_err(|e| io(&landed, e))?
            .filter_map(|e| e.ok())
            .map(|e| size(&e.path()))
            .sum::<u64>());
        runs.push(r);
    }
    for (_, file) in &hours {
        let to = landed.join(file.file_name().unwrap_or_default());
        if !to.exists() {
            std::fs::hard_link(file, &to).map_err(|e| io(&to, e))?;
        }
    }
    let next = run(midnight + 25 * hour)?;
    Ok(json!({
        "day": day.to_string(),
        "dayBytes": day_bytes,
        "dayFiles": hours.len(),
        "landedHours": landed_hours,
        "cold": cold,
        "runs": runs,
        "nextDay": next,
    }))
}

/// Every source column the ingestion reads: the file columns but `pk` and `$classification`.
fn floor_columns() -> String {
    reporting_core::source::file_columns()
        .iter()
        .map(|c| c.name)
        .filter(|name| !matches!(*name, "pk" | "$classification"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn scan_floor(engine_args: &Engine, as_of: &str) -> Result<serde_json::Value, String> {
    let as_of = CalendarDate::parse(as_of).map_err(|e| e.to_string())?;
    let engine = open(engine_args)?;
    // The same window predicate as the ingestion queries, so the same partitions are pruned.
    let floor_columns = floor_columns();
    let sql = format!(
        "SELECT count(*) AS objects, sum(versions) AS versions, bit_xor(digest) AS checksum FROM ( \
           SELECT sk, count(*) AS versions, max(\"$classification\".\"timestamp\") AS latest, \
                  bit_xor(hash({floor_columns})) AS digest \
           FROM transaction_history \
           WHERE CAST(CAST(__year AS varchar) || '-' || CAST(__month AS varchar) || '-' || CAST(__day AS varchar) AS date) \
             BETWEEN CAST(? AS date) AND CAST(? AS date) \
           GROUP BY sk) AS objects"
    );
    profile_to(&engine, engine_args.profile.as_deref(), "scan_floor")?;
    let first = Param::WeekBeforeAsOf.date_for(as_of).expect("a date slot");
    let (t, bytes) = (Instant::now(), read_bytes());
    let r = engine
        .execute(&sql, &[QueryParam::Date(first), QueryParam::Date(as_of)])
        .map_err(|e| e.to_string())?;
    let number = |i: usize| {
        r.rows[0][i]
            .as_deref()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(json!({
        "seconds": t.elapsed().as_secs_f64(),
        "readBytes": read_bytes() - bytes,
        "objects": number(0),
        "versions": number(1),
    }))
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Ingest {
            engine,
            home,
            as_of,
        } => ingest(engine, home, as_of),
        Command::ScanFloor { engine, as_of } => scan_floor(engine, as_of),
        Command::SteadyDay {
            engine,
            home,
            history,
            day,
            work,
        } => steady_day(engine, home, history, day, work),
        Command::Report { bytes, dir } => report(*bytes, dir),
        Command::SplitDay { history, day, out } => split_day(history, day, out),
        Command::Sql { engine, sql } => open(engine).and_then(|e| {
            profile_to(&e, engine.profile.as_deref(), "sql")?;
            let t = Instant::now();
            let r = e.execute(sql, &[]).map_err(|e| e.to_string())?;
            Ok(json!({"seconds": t.elapsed().as_secs_f64(), "rows": r.rows.iter().take(20).collect::<Vec<_>>()}))
        }),
    };
    match result {
        Ok(v) => {
            println!("{v}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
