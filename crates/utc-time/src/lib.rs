//! Dates and times, written and read in one place.
//!
//! * [`date`]: strict proleptic-Gregorian calendar dates (`YYYY-MM-DD`), the window's reference
//!   date among them.
//! * [`instant`]: UTC instants as epoch milliseconds, and their text as Step Functions writes it
//!   (`YYYY-MM-DDThh:mm:ss.fffZ`).

pub mod date;
pub mod instant;

pub use date::{CalendarDate, DateError};
