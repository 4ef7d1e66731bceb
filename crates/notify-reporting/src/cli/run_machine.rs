use std::path::PathBuf;
use std::time::Instant;

use reporting_core::CalendarDate;
use reporting_handlers::contract::DeliveryStatus;
use serde_json::Value;

use super::{parse_date, print_table_rows, runtime, CliError, Context};

/// Run one of the repository's state machines locally.
#[derive(clap::Args)]
pub struct RunCommand {
    /// The state machine: setup, ingestion, backfill, housekeeping, watchdog,
    /// completed-comms-report or completed-batch-report.
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
}

impl RunCommand {
    pub fn run(self, context: &Context) -> Result<(), CliError> {
        let home = &context.home;
        let machine = self.machine.as_str();
        let mut input: Value = match self.input.as_deref().map(crate::run::parse_input) {
            None => Value::Object(Default::default()),
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                return Err(CliError::Refused(format!("--input is not valid JSON: {e}")))
            }
        };
        for (field, flag) in [
            ("asOf", self.as_of.map(|d| d.to_string())),
            ("table", self.table),
        ] {
            let Some(value) = flag else { continue };
            set_input_field(&mut input, field, value).map_err(CliError::Refused)?;
        }
        let source = self.source.unwrap_or_else(|| home.default_source());
        let started = Instant::now();
        eprintln!("running {machine} in {}", home.root.display());
        let metrics_file = reporting_local::MetricsFile::new(home.metrics_file());
        let metrics_before = metrics_file.read_all().map(|m| m.len()).unwrap_or(0);
        let report = runtime().block_on(crate::run_machine(home, &source, machine, input, true))?;
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
                println!("\n{:<18} {:>8}  report", "status", "rows");
                let bucket = home.objects().join("ingress");
                for d in &report.deliveries {
                    let status = match d.status {
                        DeliveryStatus::Created => "delivered",
                        // An earlier run delivered it; this run left it as it was.
                        DeliveryStatus::Exists => "already delivered",
                    };
                    println!(
                        "{status:<18} {:>8}  {}",
                        d.rows.map_or("-".into(), |r| r.to_string()),
                        bucket.join(&d.key).display()
                    );
                }
            }
        } else {
            print_table_rows(&report.table_rows);
        }
        Ok(())
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
