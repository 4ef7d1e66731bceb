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

pub use model::{generate_rows, schema_change_day, CdcRow, LATE_COLUMNS};
pub use write::write_parquet;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// The folder that will hold `transaction_history/`.
    pub out: PathBuf,
    /// The last capture day (inclusive).
    pub end: CalendarDate,
    /// How many capture days, ending at `end`.
    pub days: u32,
    /// Request items created per day (on average).
    pub items_per_day: u32,
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
    if options.items_per_day == 0 || options.items_per_day > 5_000_000 {
        return Err(GenerateError::Options(
            "--items-per-day must be between 1 and 5000000".into(),
        ));
    }
    let generated = generate_rows(options);
    let mut summary = write_parquet(
        &options.out,
        &generated.rows,
        schema_change_day(options),
        options.seed,
    )?;
    summary.request_items = generated.request_items;
    summary.plans = generated.plans;
    summary.batch_client_ids = generated.batch_client_ids;
    summary.client_ids = generated.client_ids;
    summary.sms_nudge_client_id = generated.sms_nudge_client_id;
    summary.email_filter_client_ids = generated.email_filter_client_ids;
    Ok(summary)
}
