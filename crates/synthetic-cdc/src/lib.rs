//! Synthetic `transaction_history`: what Firehose writes for NHS Notify's DynamoDB table, in the
//! layout `transaction_history/__year=Y/__month=M/__day=D/part-N.parquet`, seeded and deterministic.
//!
//! Traffic: requests (batches) of request items for a few clients; each item gets plans per
//! channel (NHSAPP, EMAIL, SMS, LETTER) with fallbacks ordered by `ordernumber`; statuses move
//! through their lifecycles to DELIVERED, FAILED or SKIPPED, or get stuck. Every change is one
//! row, and capture is messy as in production: out of order, duplicated, equal timestamps, late
//! arrivals in later partitions, fields NULL then set, columns that only exist from a given day,
//! and a few hand-edited non-ISO `completeddate` values. NHS numbers come from the 999 range.

mod model;
pub mod nhs_number;
pub mod rng;
mod write;

use std::path::PathBuf;

use reporting_core::CalendarDate;

pub use model::{
    generate_into, generate_rows, schema_change_day, CdcRow, Facts, Generated, RowSink,
    LATE_COLUMNS,
};
pub use write::{land_files, partition_dir, split_day_by_hour, write_parquet, ParquetSpool};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// The folder that will hold `transaction_history/`.
    pub out: PathBuf,
    /// The last capture day (inclusive).
    pub end: CalendarDate,
    /// How many capture days, ending at `end`.
    pub days: u32,
    /// Request items created per day.
    pub items_per_day: u32,
    /// The last this many days are busier: `recent_items_per_day` items a day (national scale
    /// for the ingestion window without generating a year of it). 0: no busier period.
    pub recent_days: u32,
    pub recent_items_per_day: u32,
    pub clients: u32,
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub rows: u64,
    pub files: u64,
    pub request_items: u64,
    pub plans: u64,
    pub partitions: u64,
    /// The clients that send large batches (to configure as batch clients).
    pub batch_client_ids: Vec<String>,
    /// Every client of the history.
    pub client_ids: Vec<String>,
    /// The SMS-nudge client (to configure as such).
    pub sms_nudge_client_id: String,
    /// A client with an email-only sending group (to configure as an email-filter client).
    pub email_filter_client_ids: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("invalid options: {0}")]
    Options(String),
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
}

/// Generates and writes the whole history.
pub fn generate(options: &Options) -> Result<Summary, GenerateError> {
    if options.days == 0 || options.days > 3660 {
        return Err(GenerateError::Options(
            "--days must be between 1 and 3660".into(),
        ));
    }
    if options.clients == 0 || options.clients > 1000 {
        return Err(GenerateError::Options(
            "--clients must be between 1 and 1000".into(),
        ));
    }
    for (flag, n) in [
        ("--items-per-day", options.items_per_day),
        ("--recent-items-per-day", options.recent_items_per_day),
    ] {
        if n > 5_000_000 || (n == 0 && flag == "--items-per-day") {
            return Err(GenerateError::Options(format!(
                "{flag} must be between 1 and 5000000"
            )));
        }
    }
    if options.recent_days > options.days {
        return Err(GenerateError::Options(
            "--recent-days cannot exceed --days".into(),
        ));
    }
    if options.recent_days > 0 && options.recent_items_per_day == 0 {
        return Err(GenerateError::Options(
            "--recent-days needs --recent-items-per-day".into(),
        ));
    }
    let mut spool = ParquetSpool::new(&options.out, schema_change_day(options))?;
    let facts = match generate_into(options, &mut spool) {
        Ok(facts) => facts,
        Err(e) => {
            spool.abandon();
            return Err(e);
        }
    };
    let (files, partitions) = spool.finish()?;
    Ok(Summary {
        rows: facts.rows,
        files,
        request_items: facts.request_items,
        plans: facts.plans,
        partitions,
        batch_client_ids: facts.batch_client_ids,
        client_ids: facts.client_ids,
        sms_nudge_client_id: facts.sms_nudge_client_id,
        email_filter_client_ids: facts.email_filter_client_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            out: std::env::temp_dir().join("synthetic-cdc-never-written"),
            end: CalendarDate::parse("2026-11-20").unwrap(),
            days: 10,
            items_per_day: 10,
            recent_days: 0,
            recent_items_per_day: 0,
            clients: 2,
            seed: 1,
        }
    }

    #[test]
    fn bad_sizes_are_refused_by_flag_before_anything_is_written() {
        for (options, says) in [
            (
                Options {
                    recent_days: 11,
                    recent_items_per_day: 5,
                    ..options()
                },
                "--recent-days cannot exceed --days",
            ),
            (
                Options {
                    recent_days: 3,
                    ..options()
                },
                "--recent-days needs --recent-items-per-day",
            ),
            (
                Options {
                    recent_days: 3,
                    recent_items_per_day: 5_000_001,
                    ..options()
                },
                "--recent-items-per-day must be between 1 and 5000000",
            ),
            (
                Options {
                    items_per_day: 0,
                    ..options()
                },
                "--items-per-day must be between 1 and 5000000",
            ),
        ] {
            let err = generate(&options).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
            assert!(!options.out.exists(), "nothing written");
        }
    }
}
