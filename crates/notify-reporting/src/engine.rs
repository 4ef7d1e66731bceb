//! The engine a local home runs on: embedded DuckDB (the default, nothing to install) or a Trino
//! server (the engine Athena v3 is; `make trino-up`, or any cluster with Iceberg and Hive catalogs).
//! The handlers see only the query-engine port; this type adds what the CLI itself asks an
//! engine (row counts, column statistics).

use std::time::Duration;

use async_trait::async_trait;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::{QueryEngine, QueryRequest, QueryStatus, ResultPage};
use reporting_local::DuckDbEngine;
use reporting_trino::TrinoEngine;

/// Which engine `--engine` chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineChoice {
    DuckDb,
    Trino { url: String },
}

impl EngineChoice {
    /// The URL `make trino-up` serves on.
    pub const DEFAULT_TRINO_URL: &'static str = "http://127.0.0.1:18080";
}

/// How long one query may run on Trino before it is cancelled (Athena's own limit is 30 minutes).
pub const TRINO_QUERY_TIMEOUT: Duration = Duration::from_secs(30 * 60);

// One per run, so the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub enum HomeEngine {
    DuckDb(DuckDbEngine),
    Trino(TrinoEngine),
}

impl HomeEngine {
    fn port(&self) -> &dyn QueryEngine {
        match self {
            HomeEngine::DuckDb(e) => e,
            HomeEngine::Trino(e) => e,
        }
    }

    /// Whether queries run on a server (where time passes between attempts), not in-process.
    pub fn is_server(&self) -> bool {
        matches!(self, HomeEngine::Trino(_))
    }

    /// Rows in a staging table (a catalog name; checked by the caller).
    pub async fn row_count(&self, table: &str) -> Result<u64, PortError> {
        match self {
            HomeEngine::DuckDb(e) => e.row_count(table),
            HomeEngine::Trino(e) => {
                let rows = e
                    .execute(&format!("SELECT count(*) FROM {table}"), &[])
                    .await?;
                rows.first()
                    .and_then(|r| r.first().cloned().flatten())
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| {
                        PortError::new(ErrorKind::Internal, format!("no row count for {table}"))
                    })
            }
        }
    }

    /// Glue's column statistics, locally: the engine's own ANALYZE of a staging table.
    pub async fn analyze(&self, table: &str) -> Result<(), PortError> {
        match self {
            HomeEngine::DuckDb(e) => e.execute(&format!("ANALYZE {table}"), &[]).map(|_| ()),
            HomeEngine::Trino(e) => e
                .execute(&format!("ANALYZE {table}"), &[])
                .await
                .map(|_| ()),
        }
    }
}

#[async_trait]
impl QueryEngine for HomeEngine {
    async fn start(&self, request: QueryRequest) -> Result<String, PortError> {
        self.port().start(request).await
    }
    async fn status(&self, execution_id: &str) -> Result<QueryStatus, PortError> {
        self.port().status(execution_id).await
    }
    async fn cancel(&self, execution_id: &str) -> Result<(), PortError> {
        self.port().cancel(execution_id).await
    }
    async fn results(
        &self,
        execution_id: &str,
        next_token: Option<&str>,
    ) -> Result<ResultPage, PortError> {
        self.port().results(execution_id, next_token).await
    }
}
