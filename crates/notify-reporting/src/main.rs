use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use notify_reporting::home::HomeConfig;
use notify_reporting::{by_hand, run_machine, EngineChoice, Home, RunError};
use reporting_core::CalendarDate;
use reporting_handlers::contract::DeliveryStatus;
use serde_json::Value;

/// notify-reporting, locally: the repository's state machines, handlers and SQL on embedded DuckDB.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// The local home folder (DuckDB file, object store, parameter and metrics files).
    #[arg(
        long,
        global = true,
        env = "NOTIFY_REPORTING_HOME",
        default_value = ".local"
    )]
    home: PathBuf,
    /// Where the staging tables live and the SQL runs: embedded DuckDB, or a Trino server with an
    /// Iceberg and a Hive catalog (`make trino-up` starts one; the engine Athena v3 is).
    #[arg(long, global = true, env = "NOTIFY_REPORTING_ENGINE", value_enum, default_value_t = EngineName::Duckdb)]
    engine: EngineName,
    /// The Trino server, with `--engine trino`.
    #[arg(long, global = true, env = "TRINO_URL", default_value = EngineChoice::DEFAULT_TRINO_URL)]
    trino_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EngineName {
    Duckdb,
    Trino,
}

#[derive(Subcommand)]
enum Command {
    /// Print the catalog as JSON: staging tables, views (and which are granted to Power BI),
    /// watchdog checks with their metrics and alarms, state machines. The deployment checks read it.
    Catalog,
    /// Write a synthetic transaction_history as Firehose Parquet (seeded, deterministic).
    ///
    /// Models NHS Notify traffic: clients send requests (batches) of request items; each item gets
    /// plans per channel (NHSAPP, EMAIL, SMS, LETTER) with fallbacks by ordernumber; statuses end
    /// DELIVERED, FAILED or SKIPPED, or get stuck. Capture is as messy as production: several rows
    /// per object, out-of-order and duplicate rows, equal timestamps, late arrivals in later
    /// partitions, fields NULL then set, columns that only exist from the middle day on, and a few
    /// hand-edited non-ISO completeddate values. NHS numbers come only from the never-issued 999
    /// range and are Modulus-11 valid. The same options always write the same rows.
    Generate {
        /// Folder to write `transaction_history/` into (replacing any earlier one there).
        /// Default: `<home>/source`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Last capture day, YYYY-MM-DD (UTC). Default: today.
        #[arg(long, value_parser = parse_date)]
        end: Option<CalendarDate>,
        /// Number of capture days ending at --end.
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// Request items created per day.
        #[arg(long, default_value_t = 400)]
        items_per_day: u32,
        /// Make the last this many days busier (national-scale windows over a quieter history).
        #[arg(long, default_value_t = 0)]
        recent_days: u32,
        /// Request items created per day in the last --recent-days days.
        #[arg(long, default_value_t = 0)]
        recent_items_per_day: u32,
        /// Number of clients; client 0 sends large batches and is configured as a batch client.
        #[arg(long, default_value_t = 4)]
        clients: u32,
        /// Random seed: the same seed and options give the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Run one of the repository's state machines locally (setup, ingestion).
    Run {
        /// The state machine: setup, ingestion, backfill, housekeeping, completed-comms-report or
        /// completed-batch-report.
        machine: String,
        /// The reference date of the ingestion window, YYYY-MM-DD (UTC). Default: today.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<CalendarDate>,
        /// The staging table to backfill (the backfill machine's `table`).
        #[arg(long)]
        table: Option<String>,
        /// The execution input, as JSON (what a schedule or the console would send).
        #[arg(long)]
        input: Option<String>,
        /// The Firehose Parquet folder read as transaction_history.
        /// Default: `<home>/source/transaction_history`.
        #[arg(long)]
        source: Option<PathBuf>,
    },
    /// List the catalog: every query with its workgroup, ingestion pass, parameters and the name
    /// it is saved under in Athena. `queries show NAME` prints one as Athena and DuckDB run it.
    Queries {
        #[command(subcommand)]
        show: Option<QueriesCommand>,
    },
    /// Run one read-only SQL statement against the local staging tables and views, with the
    /// `user` workgroup's rules: no writes or DDL, no transaction_history (as for Power BI), no
    /// file access.
    Query {
        /// The SQL (Athena dialect).
        sql: String,
        #[arg(long, value_enum, default_value = "table")]
        format: by_hand::Format,
    },
    /// Run ingestion for every window from --from to --to (YYYY-MM-DD, UTC), in order: one window a
    /// week, and the last one ending at --to. Re-running a backfill changes nothing.
    Backfill {
        #[arg(long, value_parser = parse_date)]
        from: CalendarDate,
        #[arg(long, value_parser = parse_date)]
        to: CalendarDate,
        /// The Firehose Parquet folder read as transaction_history.
        /// Default: `<home>/source/transaction_history`.
        #[arg(long)]
        source: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum QueriesCommand {
    /// Print a query (by catalog id or saved name) as Athena SQL and as the DuckDB SQL it becomes.
    Show { name: String },
}

/// One thread is enough: the local engine runs one query at a time.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Prints a run's failure; input refused before anything ran exits 2, a failed run 1.
fn failed(e: RunError) -> ExitCode {
    eprintln!("error: {e}");
    match e {
        RunError::InvalidInput(_) => ExitCode::from(2),
        _ => ExitCode::from(1),
    }
}

fn print_table_rows(table_rows: &[(String, u64)]) {
    println!("\n{:<56} {:>12}", "table", "rows");
    for (table, rows) in table_rows {
        println!("{table:<56} {rows:>12}");
    }
}

/// The catalog facts that deployment (the template and its checks) must agree with.
fn catalog_json() -> Value {
    use reporting_core::catalog::{TABLES, VIEWS};
    use reporting_core::watchdog::{AlarmRule, WATCHDOG, WATCHDOG_NAMESPACE};
    serde_json::json!({
        "tables": TABLES.iter().map(|t| t.name).collect::<Vec<_>>(),
        "views": VIEWS.iter().map(|v| serde_json::json!({"name": v.name, "powerBi": v.power_bi})).collect::<Vec<_>>(),
        "watchdog": {
            "namespace": WATCHDOG_NAMESPACE,
            "checks": WATCHDOG.iter().map(|c| {
                let (rule, threshold) = match c.alarm {
                    AlarmRule::AnySeriesAtLeastOne => ("anySeriesAtLeastOne", 1),
                    AlarmRule::SeriesAboveZeroAtLeast(n) => ("seriesAboveZeroAtLeast", n),
                };
                serde_json::json!({"query": c.query, "metric": c.metric, "alarmSuffix": c.alarm_suffix, "rule": rule, "threshold": threshold})
            }).collect::<Vec<_>>(),
        },
        "stateMachines": notify_reporting::machines::MACHINES.iter().map(|m| m.name).collect::<Vec<_>>(),
    })
}

/// What the watchdog alarms would say about the metrics of one run.
fn print_alarms(published: &[reporting_core::ports::MetricDatum]) {
    println!(
        "\n{:<30} {:>7} {:>7} {:>10}  alarm",
        "metric", "series", "max", "above 0"
    );
    for check in reporting_core::watchdog::WATCHDOG {
        let values: Vec<f64> = published
            .iter()
            .filter(|d| d.name == check.metric)
            .map(|d| d.value)
            .collect();
        let max = values.iter().cloned().fold(0.0, f64::max);
        let above = values.iter().filter(|v| **v > 0.0).count();
        println!(
            "{:<30} {:>7} {:>7} {:>10}  {}",
            check.metric,
            values.len(),
            max,
            above,
            if check.alarm.fires(&values) {
                "ALARM"
            } else {
                "OK"
            }
        );
    }
}

/// Puts a command-line flag into the execution input; the input may already say the same.
fn set_input_field(input: &mut Value, field: &str, value: String) -> Result<(), String> {
    let obj = input
        .as_object_mut()
        .ok_or("--input must be a JSON object")?;
    if obj.get(field).is_some_and(|v| v.as_str() != Some(&value)) {
        return Err(format!("the flag and the input's {field} disagree"));
    }
    obj.insert(field.into(), Value::String(value));
    Ok(())
}

/// The reports' default client lists (SSM in AWS): every client for the completed-communications
/// report, the batch clients for the batch report.
fn configure_report_clients(home: &Home, s: &synthetic_cdc::Summary) -> Result<(), String> {
    let deployment = home.deployment().map_err(|e| e.to_string())?;
    let parameters = reporting_local::ParameterFile::new(home.parameters_file());
    for (report, clients) in [
        ("completed-comms-report", &s.client_ids),
        ("completed-batch-report", &s.batch_client_ids),
    ] {
        let name = deployment.report_clients_parameter(report);
        let value = serde_json::to_string(clients).expect("strings serialise");
        parameters
            .set_text(&name, &value)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn parse_date(s: &str) -> Result<CalendarDate, String> {
    CalendarDate::parse(s).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let home = Home::new(&cli.home).on(match cli.engine {
        EngineName::Duckdb => EngineChoice::DuckDb,
        EngineName::Trino => EngineChoice::Trino {
            url: cli.trino_url.clone(),
        },
    });
    match cli.command {
        Command::Generate {
            out,
            end,
            days,
            items_per_day,
            recent_days,
            recent_items_per_day,
            clients,
            seed,
        } => {
            let into_home = out.is_none();
            let options = synthetic_cdc::Options {
                out: out.unwrap_or_else(|| home.source_root()),
                end: end.unwrap_or_else(CalendarDate::today_utc),
                days,
                items_per_day,
                recent_days,
                recent_items_per_day,
                clients,
                seed,
            };
            let started = Instant::now();
            match synthetic_cdc::generate(&options) {
                Ok(s) => {
                    println!(
                        "wrote {} rows ({} request items, {} plans) in {} files over {} partitions to {} in {:.1} s",
                        s.rows,
                        s.request_items,
                        s.plans,
                        s.files,
                        s.partitions,
                        options.out.join("transaction_history").display(),
                        started.elapsed().as_secs_f64()
                    );
                    if into_home {
                        let config = HomeConfig {
                            batch_client_ids: s.batch_client_ids.clone(),
                            sms_nudge_client_id: Some(s.sms_nudge_client_id.clone()),
                            email_filter_client_ids: s.email_filter_client_ids.clone(),
                            ..Default::default()
                        };
                        if let Err(e) = home
                            .write_config(&config)
                            .map_err(|e| e.to_string())
                            .and_then(|()| configure_report_clients(&home, &s))
                        {
                            eprintln!("error: {e}");
                            return ExitCode::from(1);
                        }
                        println!(
                            "batch clients configured in {}: {}",
                            home.config_file().display(),
                            s.batch_client_ids.join(", ")
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Queries { show: None } => {
            print!("{}", by_hand::list());
            ExitCode::SUCCESS
        }
        Command::Queries {
            show: Some(QueriesCommand::Show { name }),
        } => match by_hand::show(&home, &name) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Query { .. } if cli.engine == EngineName::Trino => {
            eprintln!("error: `query` reads the DuckDB home (read-only, as the user workgroup); on Trino, ask the server itself (its `user` rules are the server's)");
            ExitCode::from(2)
        }
        Command::Query { sql, format } => match by_hand::run_adhoc(&home, &sql, format) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Catalog => {
            println!(
                "{}",
                serde_json::to_string_pretty(&catalog_json()).expect("json")
            );
            ExitCode::SUCCESS
        }
        Command::Backfill { from, to, source } => {
            let source = source.unwrap_or_else(|| home.default_source());
            let runtime = runtime();
            let started = Instant::now();
            match runtime.block_on(notify_reporting::backfill(&home, &source, from, to, true)) {
                Ok(reports) => {
                    println!(
                        "backfill from {from} to {to}: {} windows in {:.2} s",
                        reports.len(),
                        started.elapsed().as_secs_f64()
                    );
                    if let Some(last) = reports.last() {
                        print_table_rows(&last.table_rows);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => failed(e),
            }
        }
        Command::Run {
            machine,
            as_of,
            table,
            input,
            source,
        } => {
            let mut input: Value = match input.as_deref().map(notify_reporting::run::parse_input) {
                None => Value::Object(Default::default()),
                Some(Ok(v)) => v,
                Some(Err(e)) => {
                    eprintln!("error: --input is not valid JSON: {e}");
                    return ExitCode::from(2);
                }
            };
            for (field, flag) in [("asOf", as_of.map(|d| d.to_string())), ("table", table)] {
                let Some(value) = flag else { continue };
                if let Err(e) = set_input_field(&mut input, field, value) {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
            let source = source.unwrap_or_else(|| home.default_source());
            let runtime = runtime();
            let started = Instant::now();
            eprintln!("running {machine} in {}", home.root.display());
            let metrics_file = reporting_local::MetricsFile::new(home.metrics_file());
            let metrics_before = metrics_file.read_all().map(|m| m.len()).unwrap_or(0);
            match runtime.block_on(run_machine(&home, &source, &machine, input, true)) {
                Ok(report) => {
                    println!(
                        "{machine} succeeded in {:.2} s ({} s of waits skipped)",
                        started.elapsed().as_secs_f64(),
                        report.virtual_seconds
                    );
                    if !report.queries.is_empty() {
                        println!("\n{:<56} {:>12} {:>10}", "query", "rows", "ms");
                        for q in &report.queries {
                            println!(
                                "{:<56} {:>12} {:>10}",
                                q.query,
                                q.rows_affected.map_or("-".into(), |r| r.to_string()),
                                q.engine_millis.map_or("-".into(), |m| m.to_string())
                            );
                        }
                    }
                    if machine == "watchdog" {
                        let published = metrics_file.read_all().unwrap_or_default();
                        print_alarms(published.get(metrics_before..).unwrap_or_default());
                    } else if machine.ends_with("-report") {
                        if report.deliveries.is_empty() {
                            println!("\nno reports: no clients, or nothing completed");
                        } else {
                            println!("\n{:<10} {:>8}  report", "status", "rows");
                            let bucket = home.objects().join("ingress");
                            for d in &report.deliveries {
                                let status = match d.status {
                                    DeliveryStatus::Created => "created",
                                    DeliveryStatus::Exists => "exists",
                                };
                                println!(
                                    "{status:<10} {:>8}  {}",
                                    d.rows.map_or("-".into(), |r| r.to_string()),
                                    bucket.join(&d.key).display()
                                );
                            }
                        }
                    } else {
                        print_table_rows(&report.table_rows);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => failed(e),
            }
        }
    }
}
