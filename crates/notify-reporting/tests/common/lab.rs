//! A fast bench for the ingestion properties: the catalog's SQL assets, rendered and bound as
//! run-query does, on one in-memory local engine, with the source as Firehose Parquet in memory
//! (`/dev/shm` where there is one). No home, no state machine, no database file, so a case costs
//! milliseconds and the long run can afford tens of thousands of them. The state machines that
//! run the same queries are covered by the end-to-end and known-answer tests.

use std::path::PathBuf;

use reporting_core::binding::{self, Bindings};
use reporting_core::catalog::{self, Purpose};
use reporting_core::config::Deployment;
use reporting_core::hash_key::{self, Fingerprint};
use reporting_core::ports::{QueryEngine, QueryRequest, QueryState};
use reporting_core::{render, CalendarDate, Secret};
use reporting_handlers::{list_window, plan_from, IngestionPlan, FILES_READ_QUERY};
use reporting_local::{DuckDbEngine, EngineOptions};
use reporting_trino::{TrinoEngine, TrinoLayout, TrinoSession};
use synthetic_cdc::CdcRow;

/// Every lab's `current_date` (the views' windows end there): the day after the properties' as-of.
pub const TODAY: &str = "2026-11-21";

/// Every staging table's rows, sorted, all columns as text, in catalog order.
pub use super::Tables;

pub struct Lab {
    engine: LabEngine,
    deployment: Deployment,
    /// The fingerprint of the lab's key, which its vault file holds.
    fingerprint: Fingerprint,
    root: tempfile::TempDir,
}

/// The lab's engine: embedded DuckDB, or Trino (test_services::Trino) in the `on_trino` tests,
/// which run a few cases of every property.
enum LabEngine {
    DuckDb(DuckDbEngine),
    Trino {
        engine: TrinoEngine,
        layout: TrinoLayout,
        runtime: tokio::runtime::Runtime,
    },
}

fn scratch() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::Builder::new().prefix("lab").tempdir_in(shm) {
            return dir;
        }
    }
    tempfile::tempdir().unwrap()
}

/// Whether the property running now is on Trino.
pub fn on_trino() -> bool {
    super::test_engine() == super::TestEngine::Trino
}

impl Lab {
    /// Empty staging tables, created by the catalog's DDL; `batch_clients` as the deployment's;
    /// on the engine of the test running now.
    pub fn new<S: AsRef<str>>(batch_clients: &[S], key: &str) -> Self {
        Self::on(super::test_engine(), batch_clients, key)
    }

    /// The same, on `engine`.
    pub fn on<S: AsRef<str>>(engine: super::TestEngine, batch_clients: &[S], key: &str) -> Self {
        let mut deployment = Deployment::local();
        deployment.batch_client_ids = batch_clients
            .iter()
            .map(|s| s.as_ref().to_string())
            .collect();
        Self::with(engine, deployment, key)
    }

    /// Empty staging tables on `engine` for `deployment` (its clients: batch, SMS nudge, email
    /// filter); its database and source are the lab's own.
    pub fn with(engine: super::TestEngine, mut deployment: Deployment, key: &str) -> Self {
        let root = scratch();
        // The key in a vault file the engines read as the hash_key table, as run-query leaves it.
        let vault = root.path().join("vault");
        std::fs::create_dir_all(&vault).unwrap();
        let key = Secret::new(key);
        std::fs::write(vault.join("hash_key"), hash_key::object_body(&key)).unwrap();
        let engine = if engine == super::TestEngine::Trino {
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let trino = test_services::Trino::shared().unwrap_or_else(|e| panic!("{e}"));
            let layout = TrinoLayout {
                schema: format!(
                    "lab_{}_{}",
                    std::process::id(),
                    N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                ),
                warehouse: root.path().join("warehouse"),
                source: root.path().join("transaction_history"),
                vault: vault.clone(),
            };
            deployment.source_table = layout.source_table();
            deployment.hash_key_table = Some(layout.hash_key_table());
            deployment.data_location = layout.data_location();
            deployment.database = layout.schema.clone();
            let engine = TrinoEngine::new(TrinoSession {
                url: trino.url().to_string(),
                user: "notify-reporting-lab".into(),
                catalog: reporting_trino::ICEBERG.into(),
                schema: layout.schema.clone(),
                timeout: std::time::Duration::from_secs(600),
                today: Some(CalendarDate::parse(TODAY).unwrap()),
            })
            .unwrap();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime
                .block_on(layout.prepare(&engine, catalog::SOURCE_SCHEMA))
                .unwrap();
            LabEngine::Trino {
                engine,
                layout,
                runtime,
            }
        } else {
            LabEngine::DuckDb(
                DuckDbEngine::open_in_memory(EngineOptions {
                    source_dir: None,
                    today: Some(CalendarDate::parse(TODAY).unwrap()),
                    hash_key_file: Some(vault.join("hash_key")),
                    ..EngineOptions::default()
                })
                .unwrap(),
            )
        };
        let lab = Self {
            engine,
            deployment,
            fingerprint: Fingerprint::of(&key),
            root,
        };
        for q in catalog::QUERIES
            .iter()
            .filter(|q| matches!(q.purpose, Purpose::CreateTable))
            .chain(catalog::query("setup/ingestion_files"))
            .chain(catalog::query("setup/ingestion_file_claims"))
        {
            lab.run(q, &Bindings::default());
        }
        lab.refresh_source(&[]);
        lab
    }

    /// Points the engine at the source folder as it is now. On Trino, the capture days in
    /// `unregistered` stay invisible to the table (their partitions not registered yet, as where
    /// the core account registers partitions with a job) though their files are there and listed;
    /// DuckDB has no partitions to register, and sees every file.
    fn refresh_source(&self, unregistered: &[CalendarDate]) {
        match &self.engine {
            LabEngine::DuckDb(e) => e.replace_source(&self.source()).unwrap(),
            LabEngine::Trino {
                engine,
                layout,
                runtime,
            } => runtime.block_on(async {
                layout
                    .prepare(engine, catalog::SOURCE_SCHEMA)
                    .await
                    .unwrap();
                for day in unregistered {
                    if !synthetic_cdc::partition_dir(&self.source(), *day).is_dir() {
                        continue;
                    }
                    engine
                        .execute(
                            &format!(
                                "CALL {}.system.unregister_partition('{}', 'transaction_history', \
                                 ARRAY['__year', '__month', '__day'], ARRAY['{}', '{}', '{}'])",
                                reporting_trino::HIVE,
                                layout.schema,
                                day.year(),
                                day.month(),
                                day.day()
                            ),
                            &[],
                        )
                        .await
                        .unwrap();
                }
            }),
        }
    }

    /// A staging table's column names, in order.
    pub fn columns(&self, table: &str) -> Vec<String> {
        let sql = match &self.engine {
            LabEngine::DuckDb(_) => format!("SELECT column_name FROM (DESCRIBE {table})"),
            LabEngine::Trino { layout, .. } => format!(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = '{}' \
                 AND table_name = '{table}' ORDER BY ordinal_position",
                layout.schema
            ),
        };
        self.select(&sql)
            .into_iter()
            .map(|r| r[0].clone().unwrap())
            .collect()
    }

    fn source(&self) -> PathBuf {
        self.root.path().join("transaction_history")
    }

    /// Replaces the source with `rows` (Parquet, files shuffled and split by `file_seed`; files
    /// captured before `late_columns_from` lack the late columns).
    pub fn deliver(&self, rows: &[CdcRow], file_seed: u64, late_columns_from: &str) {
        synthetic_cdc::write_parquet(
            self.root.path(),
            rows,
            CalendarDate::parse(late_columns_from).unwrap(),
            file_seed,
        )
        .unwrap();
        self.refresh_source(&[]);
    }

    /// Lands `rows` as new immutable files named `name` (one per capture day they fall in), beside
    /// the files already there, as Firehose delivers; the capture days in `unregistered` are not
    /// visible to the table yet (Trino).
    pub fn land(&self, rows: &[CdcRow], name: &str, unregistered: &[CalendarDate]) {
        if !rows.is_empty() {
            synthetic_cdc::land_files(
                self.root.path(),
                rows,
                CalendarDate::parse("2000-01-01").unwrap(),
                name,
            )
            .unwrap();
        }
        self.refresh_source(unregistered);
    }

    /// Both passes of ingestion for `as_of`, each query as run-query would bind it. Returns each
    /// query's id and the rows it wrote, as its engine reports them.
    pub fn ingest(&self, as_of: &str) -> Vec<(&'static str, Option<u64>)> {
        let as_of = CalendarDate::parse(as_of).unwrap();
        let mut written = Vec::new();
        for pass in [1, 2] {
            for q in catalog::ingestion_pass(pass) {
                written.push((q.id, self.run(q, &Bindings::window(as_of))));
            }
        }
        written
    }

    /// The plan of a scheduled run that started at `started_at`, from the ledger and the listing
    /// as they are now (nothing runs yet): for runs that overlap.
    pub fn plan_incremental(&self, started_at: &str) -> IngestionPlan {
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let today = CalendarDate::from_unix_millis(
            utc_time::instant::parse_iso_millis(started_at).unwrap(),
        );
        let probe = catalog::query(FILES_READ_QUERY).unwrap();
        let files_read = self
            .rows(probe, &Bindings::window(today))
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect();
        let engine_uri = match &self.engine {
            LabEngine::DuckDb(_) => self.source().to_string_lossy().to_string(),
            LabEngine::Trino { layout, .. } => layout.source_uri(),
        };
        let listing = notify_reporting::home::source_listing(&self.source(), engine_uri);
        let listed = super::blocking(list_window(&listing, today)).unwrap();
        let run = format!(
            "lab-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        plan_from(&Default::default(), started_at, &run, &files_read, &listed).unwrap()
    }

    /// The ingestion queries among the plan's steps `from..to` (no claim, no ledger write), with
    /// the plan's date: what a window run doing the same work at the same point commits.
    pub fn window_queries(
        plan: &IngestionPlan,
        from: usize,
        to: usize,
    ) -> Vec<(String, &'static str)> {
        plan.steps()
            .unwrap()
            .iter()
            .take(to)
            .skip(from)
            .filter(|(q, _)| matches!(q.purpose, Purpose::Ingestion { .. }))
            .map(|(q, _)| (plan.as_of.clone(), q.id))
            .collect()
    }

    /// Window runs' queries in the order given, each for its own date (week window, whole
    /// capture days): the window side of runs that fail part way or interleave.
    pub fn ingest_queries(&self, queries: &[(String, &'static str)]) {
        for (as_of, id) in queries {
            let as_of = CalendarDate::parse(as_of).unwrap();
            self.run(catalog::query(id).unwrap(), &Bindings::window(as_of));
        }
    }

    /// Runs the plan's steps `from..to` (claim, bound, pass 1, pass 2, mark, in the machine's
    /// order), binding the bound's answer into the passes as the machine does (a part that starts
    /// after the bound runs its passes unbounded, as a rerun from the console would).
    pub fn execute(&self, plan: &IngestionPlan, from: usize, to: usize) {
        let mut earliest_created = None;
        for (q, values) in plan.steps().unwrap().iter().take(to).skip(from) {
            if q.id == reporting_handlers::BOUND_QUERY {
                earliest_created =
                    Some(reporting_handlers::earliest_created(&self.rows(q, values)).unwrap());
                continue;
            }
            self.run(
                q,
                &Bindings {
                    earliest_created,
                    ..*values
                },
            );
        }
    }

    /// The file ledger: (query, file) rows, sorted.
    pub fn ledger(&self) -> Vec<(String, String)> {
        self.select("SELECT query, path FROM ingestion_files ORDER BY query, path")
            .into_iter()
            .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
            .collect()
    }

    /// A catalog query's rows, bound as run-query binds it.
    fn rows(&self, q: &catalog::Query, values: &Bindings) -> Vec<Vec<Option<String>>> {
        self.query(q, values).1
    }

    /// Runs one catalog query with `values` (and the lab's key's fingerprint); the rows it wrote (or
    /// returned), as its engine reports them.
    fn run(&self, q: &catalog::Query, values: &Bindings) -> Option<u64> {
        self.query(q, values).0
    }

    /// Runs one catalog query with `values` (and the lab's key's fingerprint), rendered and bound as run-query
    /// does: the rows it wrote, as its engine reports them, and the rows it returned.
    fn query(
        &self,
        q: &catalog::Query,
        values: &Bindings,
    ) -> (Option<u64>, Vec<Vec<Option<String>>>) {
        let sql = render::render(q.sql, &self.deployment).unwrap();
        let values = Bindings {
            hash_key_fingerprint: Some(&self.fingerprint),
            ..*values
        };
        let params = binding::bind(q, &values)
            .unwrap_or_else(|e| panic!("the lab runs setup and ingestion only: {e}"));
        match &self.engine {
            LabEngine::DuckDb(e) => {
                let done = e
                    .execute(&sql, &params)
                    .unwrap_or_else(|e| panic!("{}: {e}", q.id));
                (done.rows_affected, done.rows)
            }
            LabEngine::Trino {
                engine, runtime, ..
            } => runtime.block_on(async {
                let id = engine
                    .start(QueryRequest {
                        query_id: q.id.to_string(),
                        sql,
                        params,
                        workgroup: q.workgroup,
                        output_location: None,
                        client_request_token: None,
                    })
                    .await
                    .unwrap_or_else(|e| panic!("{}: {e}", q.id));
                let status = engine.status(&id).await.unwrap();
                assert_eq!(
                    status.state,
                    QueryState::Succeeded,
                    "{}: {:?}",
                    q.id,
                    status.reason
                );
                let mut rows = Vec::new();
                let mut token = None;
                loop {
                    let page = engine.results(&id, token.as_deref()).await.unwrap();
                    rows.extend(page.rows);
                    match page.next_token {
                        Some(t) => token = Some(t),
                        None => break (status.statistics.rows_affected, rows),
                    }
                }
            }),
        }
    }

    /// Creates every view, in the catalog's order.
    pub fn create_views(&self) {
        for q in catalog::QUERIES
            .iter()
            .filter(|q| matches!(q.purpose, Purpose::CreateView))
        {
            self.run(q, &Bindings::default());
        }
    }

    /// Every view's rows, sorted, in creation order (after [`Lab::create_views`]).
    pub fn views(&self) -> Tables {
        super::sorted_rows(catalog::VIEWS.iter().map(|v| v.name), |sql| {
            self.select(sql)
        })
    }

    /// Every staging table's rows, sorted.
    pub fn tables(&self) -> Tables {
        super::sorted_rows(catalog::TABLES.iter().map(|t| t.name), |sql| {
            self.select(sql)
        })
    }

    pub fn select(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match &self.engine {
            LabEngine::DuckDb(e) => {
                e.execute(sql, &[])
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .rows
            }
            LabEngine::Trino {
                engine, runtime, ..
            } => runtime
                .block_on(engine.execute(sql, &[]))
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }
}
