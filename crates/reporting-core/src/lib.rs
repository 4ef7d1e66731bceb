//! The shared vocabulary of notify-reporting.
//!
//! * [`ports`]: the four traits every home implements (query engine, object store, parameters, metrics).
//! * [`catalog`]: the single list of SQL assets under `sql/` and what each needs.
//! * [`binding`]: the one binder of a query's `?` slots.
//! * [`source_files`]: the source's files as the file ledger lists and binds them.
//! * [`watchdog`]: the watchdog's checks, metrics and alarms.
//! * [`render`]: placeholder rendering of those assets from deployment configuration.
//! * [`saved`]: the catalog as Athena saved (named) queries, and the sync plan that keeps them.
//! * [`date`]: strict calendar dates (the window's reference date is one).
//! * [`error`]: the error taxonomy that Lambdas report and state machines retry on.

pub mod binding;
pub mod catalog;
pub mod config;
pub mod csv;
pub mod error;
pub mod finished;
pub mod hash_key;
pub mod key_segment;
pub mod ports;
pub mod render;
pub mod saved;
pub mod secret;
pub mod source;
pub mod source_files;
pub mod sql_text;
pub mod token;
pub mod validate;
pub mod watchdog;

/// Dates live in `utc-time`, the one date and time module; re-exported under their old path.
pub use utc_time::{date, instant};

pub use date::CalendarDate;
pub use error::{ErrorKind, HandlerError};
pub use secret::Secret;
