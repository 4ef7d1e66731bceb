//! The compatibility layer that runs the project's Athena (Trino) SQL on embedded DuckDB.
//!
//! Two parts (docs/engines.md says what each engine gets and why):
//! * [`PRELUDE`]: macros giving Trino semantics (raw-digest `sha256`, 3-argument `date_add`,
//!   `from_iso8601_timestamp`, ISO `day_of_week`, Europe/London without ICU, …), installed on every
//!   connection by [`install`].
//! * [`translate`]: a short text pass over DDL (Iceberg clauses dropped, Hive types to DuckDB types,
//!   `ADD COLUMNS`, `OPTIMIZE`). DML passes through untouched: the macros do the work.
//!
//! A statement the layer cannot run is an error, never a silent difference.

pub mod ddl;
pub mod functions;
pub mod library;
pub mod merge;
mod scan;

pub use ddl::{duckdb_type, translate};
pub use library::LibraryProfile;
pub use merge::MergeParts;

/// Trino-semantics macros; run on every new connection.
pub const PRELUDE: &str = include_str!("prelude.sql");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompatError {
    #[error("the local engine cannot run this statement: {0}")]
    Unsupported(String),
    #[error("malformed SQL: {0}")]
    Malformed(String),
    #[error("the linked DuckDB library: {0}")]
    Library(String),
}

/// Makes a connection the layer's: checks and pins the linked library ([`library::pin`]), then
/// installs the prelude.
pub fn install(conn: &duckdb::Connection) -> Result<LibraryProfile, CompatError> {
    let profile = library::pin(conn)?;
    conn.execute_batch(PRELUDE)
        .map_err(|e| CompatError::Library(format!("the prelude did not install: {e}")))?;
    Ok(profile)
}
