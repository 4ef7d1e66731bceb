//! The local engine's query history: each started query's text and parameters, one JSON line
//! each, as Athena keeps `QueryString` and `ExecutionParameters`. What a leak of the hash key into
//! a query would show up in.

use std::io::Write;
use std::path::Path;

use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::{QueryParam, QueryRequest};
use serde::Serialize;

use crate::engine::engine_error;

/// One query as the history keeps it: Athena's `QueryString` and `ExecutionParameters`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HistoryEntry<'a> {
    query_execution_id: &'a str,
    query_id: &'a str,
    query_string: &'a str,
    execution_parameters: Vec<String>,
}

/// Appends one started query to the history file.
pub(crate) fn record_query(
    history: &Path,
    execution_id: &str,
    request: &QueryRequest,
) -> Result<(), PortError> {
    let entry = HistoryEntry {
        query_execution_id: execution_id,
        query_id: &request.query_id,
        query_string: &request.sql,
        execution_parameters: request
            .params
            .iter()
            .map(QueryParam::athena_literal)
            .collect(),
    };
    let line = serde_json::to_string(&entry).map_err(engine_error)? + "\n";
    let fail = |e: std::io::Error| {
        PortError::new(ErrorKind::Internal, format!("{}: {e}", history.display()))
    };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(history)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .map_err(fail)
}
