//! A local home folder: everything one local deployment keeps.
//!
//! ```text
//! <home>/reporting.duckdb     the staging tables (DuckDB)
//! <home>/objects/<bucket>/…   the object store (S3)
//! <home>/objects/vault/hash-key/hash_key  this home's random hash key (the vault object)
//! <home>/parameters.json      the parameter store (SSM)
//! <home>/query-history.jsonl  every query started, text and parameters (Athena's history)
//! <home>/metrics.jsonl        published metrics (CloudWatch)
//! <home>/config.json          deployment settings (what Terraform variables are in AWS)
//! <home>/saved-queries.json   Athena saved (named) queries, kept by setup
//! <home>/source/transaction_history/__year=…/  the source (Firehose Parquet)
//! ```

use std::path::{Path, PathBuf};

use reporting_core::config::{ConfigError, Deployment};
use reporting_core::date::DateError;
use reporting_core::error::PortError;
use reporting_core::hash_key::{self, Fingerprint};
use reporting_core::source_files::SourceLocation;
use reporting_core::{CalendarDate, Secret};
use reporting_handlers::SourceListing;
use reporting_local::faults::{EngineFaults, FailingPuts, FaultyEngine, ThrottledMetrics};
use reporting_local::{
    DirectoryStore, DuckDbEngine, EngineOptions, MetricsFile, ParameterFile, SavedQueryFile,
};
use reporting_trino::{TrinoEngine, TrinoLayout, TrinoSession};
use serde::{Deserialize, Serialize};

use crate::engine::{EngineChoice, HomeEngine, TRINO_QUERY_TIMEOUT};

/// Settings of a local deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HomeConfig {
    /// Clients whose aggregates also go into the `_batch` tables.
    #[serde(default)]
    pub batch_client_ids: Vec<String>,
    /// The SMS-nudge client (its SMS are billed to the originating client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_nudge_client_id: Option<String>,
    /// Clients whose email-only sending groups the email-filter view hides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub email_filter_client_ids: Vec<String>,
    /// Faults the local engine injects (for tests and drills).
    #[serde(default, skip_serializing_if = "Faults::is_none")]
    pub faults: Faults,
    /// Pins the engine's `current_date` (`YYYY-MM-DD`), for tests and replays; unset is today (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub today: Option<String>,
    /// The running system's tables, for verify-cutover: a schema of the home's database (DuckDB)
    /// or of its Trino catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_database: Option<String>,
    /// The fingerprint of the one hash key this home hashes with (the stack's
    /// HashKeyFingerprint): pinned when the home makes its key, or by `Home::set_hash_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_key_fingerprint: Option<String>,
}

/// Faults a local home injects, as AWS would produce them, by wrapping its ports
/// (`reporting_local::faults`), on DuckDB and Trino alike.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Faults {
    /// Each OPTIMIZE and VACUUM first answers "more runs needed" this many times.
    #[serde(default)]
    pub more_runs_needed: u32,
    /// Only this table's OPTIMIZE and VACUUM need more runs; absent, every table's do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_runs_table: Option<String>,
    /// The first this many metric puts of a run are throttled.
    #[serde(default)]
    pub metrics_throttled: u32,
    /// The first this many query starts of a run are throttled.
    #[serde(default)]
    pub throttled_starts: u32,
    /// The first this many writes (MERGE, INSERT, OPTIMIZE, VACUUM) of a run lose an Iceberg
    /// commit race.
    #[serde(default)]
    pub commit_conflicts: u32,
    /// The first this many queries of a run fail inside the engine with a reason that may pass.
    #[serde(default)]
    pub retryable_failures: u32,
    /// This catalog query fails as a SQL error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_query: Option<String>,
    /// The first this many run-query responses of a run are lost after the query started.
    #[serde(default)]
    pub lost_responses: u32,
    /// The first this many object writes of a run fail (a report lost between query and delivery).
    #[serde(default)]
    pub failing_puts: u32,
}

impl Faults {
    fn is_none(&self) -> bool {
        *self == Faults::default()
    }
}

#[derive(Clone, Debug)]
pub struct Home {
    pub root: PathBuf,
    /// DuckDB in `reporting.duckdb` (the default), or a Trino server.
    pub engine: EngineChoice,
}

impl Home {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            engine: EngineChoice::DuckDb,
        }
    }

    /// The same home with its tables on another engine.
    pub fn on(self, engine: EngineChoice) -> Self {
        Self { engine, ..self }
    }

    /// The home's schema on a Trino server (in both catalogs): `reporting_` and a hash of the
    /// home's absolute path, so homes sharing a server never share tables.
    pub fn trino_schema(&self) -> String {
        let path = std::path::absolute(&self.root).unwrap_or_else(|_| self.root.clone());
        // FNV-1a: stable across runs and builds (std's hasher is not).
        let hash = path
            .to_string_lossy()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        format!("reporting_{:08x}", hash as u32)
    }

    /// Where this home's tables and source are on Trino.
    pub fn trino_layout(&self, source: &Path) -> TrinoLayout {
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        TrinoLayout {
            schema: self.trino_schema(),
            warehouse: absolute(&self.root.join("warehouse")),
            source: absolute(source),
            vault: absolute(&self.vault_dir()),
        }
    }
    pub fn database(&self) -> PathBuf {
        self.root.join("reporting.duckdb")
    }
    pub fn objects(&self) -> PathBuf {
        self.root.join("objects")
    }
    /// The vault object: the hash key, read by the engine as the `hash_key` table.
    pub fn vault_file(&self) -> PathBuf {
        self.vault_dir().join("hash_key")
    }
    fn vault_dir(&self) -> PathBuf {
        let object = Deployment::local()
            .hash_key_object
            .expect("the local deployment has a vault object");
        let key_dir = object.key.rsplit_once('/').map_or("", |(dir, _)| dir);
        self.objects().join(object.bucket).join(key_dir)
    }
    pub fn query_history_file(&self) -> PathBuf {
        self.root.join("query-history.jsonl")
    }
    pub fn parameters_file(&self) -> PathBuf {
        self.root.join("parameters.json")
    }
    pub fn metrics_file(&self) -> PathBuf {
        self.root.join("metrics.jsonl")
    }
    /// Athena's saved (named) queries, kept by setup.
    pub fn saved_queries_file(&self) -> PathBuf {
        self.root.join("saved-queries.json")
    }
    pub fn config_file(&self) -> PathBuf {
        self.root.join("config.json")
    }
    /// Where `generate` writes by default; `transaction_history/` goes inside.
    pub fn source_root(&self) -> PathBuf {
        self.root.join("source")
    }
    pub fn default_source(&self) -> PathBuf {
        self.source_root().join("transaction_history")
    }

    pub fn config(&self) -> Result<HomeConfig, HomeError> {
        let path = self.config_file();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                serde_json::from_str(&text).map_err(|source| HomeError::ConfigJson { path, source })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HomeConfig::default()),
            Err(source) => Err(HomeError::Io { path, source }),
        }
    }

    pub fn write_config(&self, config: &HomeConfig) -> Result<(), HomeError> {
        std::fs::create_dir_all(&self.root).map_err(|source| HomeError::Io {
            path: self.root.clone(),
            source,
        })?;
        let text = serde_json::to_string_pretty(config).expect("config serialises");
        std::fs::write(self.config_file(), text + "\n").map_err(|source| HomeError::Io {
            path: self.config_file(),
            source,
        })
    }

    pub fn deployment(&self) -> Result<Deployment, HomeError> {
        self.deployment_of(self.config()?)
    }

    /// The deployment a configuration describes (checked: it is rendered into SQL). On Trino the
    /// source is the Hive catalog's table, the tables live in the home's `warehouse/` folder and
    /// the database is the home's schema.
    fn deployment_of(&self, config: HomeConfig) -> Result<Deployment, HomeError> {
        let mut deployment = Deployment {
            batch_client_ids: config.batch_client_ids,
            sms_nudge_client_id: config.sms_nudge_client_id,
            email_filter_client_ids: config.email_filter_client_ids,
            reference_database: config.reference_database,
            hash_key_fingerprint: config
                .hash_key_fingerprint
                .as_deref()
                .map(|f| {
                    Fingerprint::parse(f).map_err(|e| HomeError::Config {
                        path: self.config_file(),
                        source: ConfigError::Location {
                            variable: "hashKeyFingerprint",
                            reason: e.to_string(),
                        },
                    })
                })
                .transpose()?,
            ..Deployment::local()
        };
        if let EngineChoice::Trino { .. } = self.engine {
            let layout = self.trino_layout(&self.default_source());
            deployment.source_table = layout.source_table();
            deployment.hash_key_table = Some(layout.hash_key_table());
            deployment.data_location = layout.data_location();
            deployment.database = layout.schema;
        }
        deployment.validate().map_err(|source| HomeError::Config {
            path: self.config_file(),
            source,
        })?;
        Ok(deployment)
    }

    /// Opens the home's adapters, creating the folder and this home's hash key on first use.
    pub async fn open(&self, source: &Path) -> Result<Opened, HomeError> {
        let config = self.config()?;
        let deployment = self.deployment_of(config.clone())?;
        let today = self.today_of(&config)?;
        std::fs::create_dir_all(self.objects()).map_err(|source| HomeError::Io {
            path: self.objects(),
            source,
        })?;
        let parameters = ParameterFile::new(self.parameters_file());
        let deployment = self.ensure_hash_key(&parameters, deployment).await?;
        let engine = match &self.engine {
            EngineChoice::DuckDb => HomeEngine::DuckDb(self.open_duckdb(source, today)?),
            EngineChoice::Trino { url } => {
                HomeEngine::Trino(self.open_trino(url, source, today).await?)
            }
        };
        let faults = &config.faults;
        let source_uri = match &self.engine {
            EngineChoice::DuckDb => source.to_string_lossy().trim_end_matches('/').to_string(),
            EngineChoice::Trino { .. } => self.trino_layout(source).source_uri(),
        };
        Ok(Opened {
            source: Some(source_listing(source, source_uri)),
            engine: FaultyEngine::new(
                engine,
                EngineFaults {
                    more_runs_needed: faults.more_runs_needed,
                    more_runs_table: faults.more_runs_table.clone(),
                    throttled_starts: faults.throttled_starts,
                    commit_conflicts: faults.commit_conflicts,
                    retryable_failures: faults.retryable_failures,
                    failing_query: faults.failing_query.clone(),
                },
            ),
            parameters,
            objects: FailingPuts::new(DirectoryStore::new(self.objects()), faults.failing_puts),
            metrics: ThrottledMetrics::new(
                MetricsFile::new(self.metrics_file()),
                faults.metrics_throttled,
            ),
            saved_queries: SavedQueryFile::new(self.saved_queries_file()),
            deployment,
        })
    }

    /// The `current_date` the home pins (`today` in `config.json`), if it pins one.
    pub fn today(&self) -> Result<Option<CalendarDate>, HomeError> {
        self.today_of(&self.config()?)
    }

    fn today_of(&self, config: &HomeConfig) -> Result<Option<CalendarDate>, HomeError> {
        config
            .today
            .as_deref()
            .map(|t| {
                CalendarDate::parse(t).map_err(|source| HomeError::Today {
                    path: self.config_file(),
                    source,
                })
            })
            .transpose()
    }

    /// The home's schema on the Trino server at `url`, as its queries see it (`today` pinned if
    /// set). Nothing is created: [`Home::open`] prepares the schemas and the source table.
    pub fn trino_engine(
        &self,
        url: &str,
        today: Option<CalendarDate>,
    ) -> Result<TrinoEngine, HomeError> {
        TrinoEngine::new(TrinoSession {
            url: url.to_string(),
            user: "notify-reporting".into(),
            catalog: reporting_trino::ICEBERG.into(),
            schema: self.trino_schema(),
            timeout: TRINO_QUERY_TIMEOUT,
            today,
        })
        .map_err(HomeError::Engine)
    }

    /// This home's hash key, made on first use (no vault, no pin): the key of an older home (kept
    /// in its parameter file) moved into the vault, or a new random one; either is pinned. A vault
    /// or a pin already there is left as it is (run-query checks the one against the other).
    async fn ensure_hash_key(
        &self,
        parameters: &ParameterFile,
        deployment: Deployment,
    ) -> Result<Deployment, HomeError> {
        // A home whose key is pinned keeps that pin: a vault lost since fails closed, never a
        // new key that would hash every NHS number differently.
        if self.vault_file().exists() || deployment.hash_key_fingerprint.is_some() {
            return Ok(deployment);
        }
        let legacy = format!("/{}/hash-key", deployment.csi);
        let key = match parameters.secret(&legacy).map_err(HomeError::HashKey)? {
            Some(key) => key,
            None => reporting_local::random_hash_key().map_err(HomeError::HashKey)?,
        };
        self.set_hash_key(&key)?;
        parameters.remove(&legacy).map_err(HomeError::HashKey)?;
        self.deployment()
    }

    /// Puts `key` in this home's vault and pins its fingerprint (what `make bootstrap` and the
    /// stack parameter HashKeyFingerprint do in AWS).
    pub fn set_hash_key(&self, key: &Secret) -> Result<(), HomeError> {
        let io = |path: PathBuf| move |source| HomeError::Io { path, source };
        std::fs::create_dir_all(self.vault_dir()).map_err(io(self.vault_dir()))?;
        write_private(&self.vault_file(), &hash_key::object_body(key))
            .map_err(io(self.vault_file()))?;
        let mut config = self.config()?;
        config.hash_key_fingerprint = Some(Fingerprint::of(key).as_str().to_string());
        self.write_config(&config)
    }

    /// A Trino server with this home's schemas and source table ready, with `today` pinned if set.
    async fn open_trino(
        &self,
        url: &str,
        source: &Path,
        today: Option<CalendarDate>,
    ) -> Result<TrinoEngine, HomeError> {
        let layout = self.trino_layout(source);
        let engine = self.trino_engine(url, today)?;
        layout
            .prepare(&engine, reporting_core::catalog::SOURCE_SCHEMA)
            .await
            .map_err(|source| HomeError::TrinoUnreachable {
                url: url.to_string(),
                source,
            })?;
        Ok(engine)
    }

    fn open_duckdb(
        &self,
        source: &Path,
        today: Option<CalendarDate>,
    ) -> Result<DuckDbEngine, HomeError> {
        DuckDbEngine::open(
            &self.database(),
            EngineOptions {
                source_dir: Some(source.to_path_buf()),
                today,
                hash_key_file: Some(self.vault_file()),
                query_history: Some(self.query_history_file()),
                ..Default::default()
            },
        )
        .map_err(|source| {
            if source.kind == reporting_core::ErrorKind::Throttled {
                HomeError::DatabaseBusy {
                    database: self.database(),
                    source,
                }
            } else {
                HomeError::Engine(source)
            }
        })
    }
}

/// Why a home could not be read or opened; each names the file, folder or server.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    ConfigJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: {source}", path.display())]
    Config { path: PathBuf, source: ConfigError },
    #[error("{}: today: {source}", path.display())]
    Today { path: PathBuf, source: DateError },
    #[error("the home's hash key: {0}")]
    HashKey(#[source] PortError),
    #[error("{source}\nhint: is a Trino server at {url}? `make trino-up` starts one there (or pass --trino-url)")]
    TrinoUnreachable { url: String, source: PortError },
    #[error(
        "another run is using {} (DuckDB allows one writer at a time); try again when it has finished\n({})",
        database.display(),
        source.message
    )]
    DatabaseBusy {
        database: PathBuf,
        source: PortError,
    },
    #[error(transparent)]
    Engine(PortError),
}

/// A home's adapters, ready for the handlers.
pub struct Opened {
    /// The home's engine, behind the faults its configuration asks for (none: as it is).
    pub engine: FaultyEngine<HomeEngine>,
    pub parameters: ParameterFile,
    pub objects: FailingPuts<DirectoryStore>,
    pub metrics: ThrottledMetrics<MetricsFile>,
    pub saved_queries: SavedQueryFile,
    pub deployment: Deployment,
    /// The source folder as ingestion's plan lists it (S3 in AWS), named as the engine names
    /// its files in `"$path"`.
    pub source: Option<SourceListing>,
}

/// The source folder `source` as an object store lists it (its parent is the store, its own name
/// the bucket), each file named `<engine_uri>/<path under the folder>`.
pub fn source_listing(source: &Path, engine_uri: String) -> SourceListing {
    let parent = source
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let bucket = source
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    SourceListing {
        store: Box::new(DirectoryStore::new(parent)),
        location: SourceLocation {
            bucket,
            prefix: String::new(),
            engine_uri,
        },
    }
}

/// Writes a file only its owner may read (the vault object).
fn write_private(path: &Path, body: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?
        .write_all(body)
}
