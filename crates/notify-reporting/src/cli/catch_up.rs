use std::path::PathBuf;
use std::time::Instant;

use reporting_core::CalendarDate;

use super::{parse_date, print_table_rows, runtime, CliError, Context};

/// Catch ingestion up: run the ingestion machine for every window from --from to --to
/// (YYYY-MM-DD, UTC), in order, one window a week and the last one ending at --to, as missed
/// schedules would have. Re-running changes nothing. (Rebuilding one table from all history is
/// the `backfill` state machine: `run backfill --table …`.)
#[derive(clap::Args)]
pub struct CatchUpCommand {
    #[arg(long, value_parser = parse_date)]
    from: CalendarDate,
    #[arg(long, value_parser = parse_date)]
    to: CalendarDate,
    /// The Firehose Parquet folder read as transaction_history.
    /// Default: `<home>/source/transaction_history`.
    #[arg(long)]
    source: Option<PathBuf>,
}

impl CatchUpCommand {
    pub fn run(self, context: &Context) -> Result<(), CliError> {
        let home = &context.home;
        let source = self.source.unwrap_or_else(|| home.default_source());
        let started = Instant::now();
        let reports =
            runtime().block_on(crate::catch_up(home, &source, self.from, self.to, true))?;
        println!(
            "catch-up from {} to {}: {} windows in {:.2} s",
            self.from,
            self.to,
            reports.len(),
            started.elapsed().as_secs_f64()
        );
        if let Some(last) = reports.last() {
            print_table_rows(&last.table_rows);
        }
        Ok(())
    }
}
