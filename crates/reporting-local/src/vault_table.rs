//! The hash key's table locally, and the query history: the two things a leak of the key would
//! pass through.

use std::io::{Read, Write};
use std::path::Path;

use base64::Engine as _;
use reporting_core::Secret;

use duckdb::Connection;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::{QueryParam, QueryRequest};
use serde::Serialize;

use crate::engine::engine_error;

/// A new hash key: the Base64 text of 32 random bytes, as Terraform's `random_bytes(32).base64`
/// and `make bootstrap` make one.
pub fn random_hash_key() -> Result<Secret, PortError> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| {
            PortError::new(
                ErrorKind::Internal,
                format!("no randomness for the hash key: {e}"),
            )
        })?;
    Ok(Secret::new(
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

/// `hash_key` (one column, `hashkey`): the vault object read as Athena reads a Hive text table,
/// one row per line. The statement names the file, never its content.
pub(crate) fn create_hash_key_view(conn: &Connection, file: &Path) -> Result<(), PortError> {
    let path = file.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP VIEW hash_key AS SELECT hashkey FROM read_csv('{path}', \
         header = false, auto_detect = false, quote = '', escape = '', columns = {{'hashkey': 'VARCHAR'}})"
    ))
    .map_err(engine_error)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_new_key_is_valid_and_its_own() {
        let first = random_hash_key().unwrap();
        reporting_core::validate::hash_key(first.expose()).unwrap();
        assert_ne!(random_hash_key().unwrap(), first);
    }
}
