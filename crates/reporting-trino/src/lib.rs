//! Trino behind the query-engine port.
//!
//! Athena engine v3 is Trino, so the same SQL assets run here verbatim: DML, views, reports and the
//! watchdog as they are, parameters bound as Athena binds them (SQL-literal values after `USING`),
//! only DDL and housekeeping through the text pass in [`ddl`]. The server is reached over Trino's
//! client REST protocol ([`protocol`]): `POST /v1/statement`, then every `nextUri` until there is
//! none; a query that runs past the engine's timeout is cancelled with `DELETE` on its `nextUri`.
//!
//! Queries run to completion inside [`TrinoEngine`]'s `start` (the protocol needs a client that keeps
//! reading, and the local runner polls with virtual waits), so `status` and `results` read what the
//! run kept.

pub mod ddl;
mod engine;
mod failure;
mod layout;
pub mod protocol;
mod text;

pub use engine::{TrinoEngine, TrinoSession};
pub use failure::classify;
pub use layout::{TrinoLayout, HIVE, ICEBERG};
pub use text::athena_text;
