use std::path::PathBuf;
use std::time::Instant;

use reporting_core::CalendarDate;

use super::{parse_date, CliError, Context};
use crate::home::HomeConfig;
use crate::Home;

/// Write a synthetic transaction_history as Firehose Parquet (seeded, deterministic).
///
/// Models NHS Notify traffic: clients send requests (batches) of request items; each item gets
/// plans per channel (NHSAPP, EMAIL, SMS, LETTER) with fallbacks by ordernumber; statuses end
/// DELIVERED, FAILED or SKIPPED, or get stuck. Capture is as messy as production: several rows
/// per object, out-of-order and duplicate rows, equal timestamps, late arrivals in later
/// partitions, fields NULL then set, columns that only exist from the middle day on, and a few
/// hand-edited non-ISO completeddate values. NHS numbers come only from the never-issued 999
/// range and are Modulus-11 valid. The same options always write the same rows.
#[derive(clap::Args)]
pub struct GenerateCommand {
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
}

impl GenerateCommand {
    pub fn run(self, context: &Context) -> Result<(), CliError> {
        let home = &context.home;
        let into_home = self.out.is_none();
        let options = synthetic_cdc::Options {
            out: self.out.unwrap_or_else(|| home.source_root()),
            end: self.end.unwrap_or_else(CalendarDate::today_utc),
            days: self.days,
            items_per_day: self.items_per_day,
            recent_days: self.recent_days,
            recent_items_per_day: self.recent_items_per_day,
            clients: self.clients,
            seed: self.seed,
        };
        let started = Instant::now();
        let s = synthetic_cdc::generate(&options).map_err(|e| CliError::Refused(e.to_string()))?;
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
            home.write_config(&config)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            configure_report_clients(home, &s).map_err(CliError::Failed)?;
            println!(
                "batch clients configured in {}: {}",
                home.config_file().display(),
                s.batch_client_ids.join(", ")
            );
        }
        Ok(())
    }
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
