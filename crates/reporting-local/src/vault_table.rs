//! The hash key locally: a new key for a home, and the `hash_key` table over its vault file.

use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use duckdb::Connection;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::Secret;

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
