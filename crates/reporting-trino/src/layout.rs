//! A local home's place on a Trino server: one schema name in two catalogs. The Iceberg catalog's
//! schema holds the staging tables and views (Athena's database); the Hive catalog's holds
//! `transaction_history` over the home's Firehose Parquet folder (the core account's Glue table).

use std::path::{Path, PathBuf};

use reporting_core::error::{ErrorKind, PortError};

use crate::ddl::hive_source_table;
use crate::TrinoEngine;

/// The catalog of the staging tables, and the one of the source.
pub const ICEBERG: &str = "iceberg";
pub const HIVE: &str = "hive";
/// The source's Hive partition columns (INTEGER in Glue), in the Firehose layout's order.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrinoLayout {
    /// The schema name in both catalogs, e.g. `reporting_1a2b3c4d`.
    pub schema: String,
    /// The folder of the Iceberg tables (`${data_location}`), absolute.
    pub warehouse: PathBuf,
    /// The Firehose Parquet folder (`__year=Y/__month=M/__day=D/*.parquet`), absolute.
    pub source: PathBuf,
    /// The folder of the hash key's vault object, absolute: `hash_key` is a text table over it.
    pub vault: PathBuf,
}

fn local_uri(path: &Path) -> String {
    format!("local://{}", path.display())
}

impl TrinoLayout {
    /// What `${source_table}` renders to.
    pub fn source_table(&self) -> String {
        format!("{HIVE}.{}.transaction_history", self.schema)
    }

    /// What `${hash_key_table}` renders to: the Hive text table over the vault folder.
    pub fn hash_key_table(&self) -> String {
        format!("{HIVE}.{}.hash_key", self.schema)
    }

    /// The source folder as Trino spells it in `"$path"` (`local:///abs/folder`).
    pub fn source_uri(&self) -> String {
        local_uri(&self.source)
    }

    /// What `${data_location}` renders to: the staging tables' base location.
    pub fn data_location(&self) -> String {
        local_uri(&self.warehouse)
    }

    /// Creates both schemas and the vault's table if missing, then (if the source folder exists) the source table over
    /// it, anew each time so it follows the folder (an external table: dropping it leaves every
    /// file), and registers the partitions the folder has now.
    pub async fn prepare(&self, engine: &TrinoEngine, glue_ddl: &str) -> Result<(), PortError> {
        let schema = &self.schema;
        std::fs::create_dir_all(&self.warehouse).map_err(|e| {
            PortError::new(
                ErrorKind::Internal,
                format!("{}: {e}", self.warehouse.display()),
            )
        })?;
        engine
            .execute(
                &format!(
                    "CREATE SCHEMA IF NOT EXISTS {ICEBERG}.{schema} WITH (location = '{}')",
                    self.data_location()
                ),
                &[],
            )
            .await?;
        engine
            .execute(
                &format!(
                    "CREATE SCHEMA IF NOT EXISTS {HIVE}.{schema} WITH (location = '{}')",
                    local_uri(&self.warehouse.join("hive"))
                ),
                &[],
            )
            .await?;
        // The vault's table: its folder, never its content, is in the statement.
        std::fs::create_dir_all(&self.vault).map_err(|e| {
            PortError::new(
                ErrorKind::Internal,
                format!("{}: {e}", self.vault.display()),
            )
        })?;
        engine
            .execute(
                &format!(
                    "CREATE TABLE IF NOT EXISTS {} (hashkey varchar) WITH (external_location = '{}', format = 'TEXTFILE')",
                    self.hash_key_table(),
                    local_uri(&self.vault)
                ),
                &[],
            )
            .await?;
        if !self.source.is_dir() {
            return Ok(());
        }
        engine
            .execute(
                &format!("DROP TABLE IF EXISTS {}", self.source_table()),
                &[],
            )
            .await?;
        let ddl = hive_source_table(
            glue_ddl,
            &self.source_table(),
            &self.source_uri(),
            reporting_core::source::PARTITION_COLUMNS,
        )
        .map_err(|e| PortError::new(ErrorKind::Internal, e.to_string()))?;
        engine.execute(&ddl, &[]).await?;
        engine
            .execute(
                &format!("CALL {HIVE}.system.sync_partition_metadata('{schema}', 'transaction_history', 'FULL')"),
                &[],
            )
            .await?;
        Ok(())
    }
}
