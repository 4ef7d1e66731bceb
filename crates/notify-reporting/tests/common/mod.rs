//! Test support: hand-built histories written as Firehose Parquet, and runs of the real state
//! machines in a temporary home, on DuckDB or on Trino ([`on_both_engines!`]).

#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};

use notify_reporting::engine::EngineChoice;
use notify_reporting::{run_machine, Home, RunReport};
use reporting_core::config::Deployment;
use reporting_core::CalendarDate;
use reporting_local::{DuckDbEngine, EngineOptions, ParameterFile};
pub mod lab;
pub mod model_lambdas;

/// The engine a test's homes run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestEngine {
    DuckDb,
    /// test_services::Trino: `TRINO_URL`, or a server this test binary starts.
    Trino,
}

tokio::task_local! {
    static ENGINE: TestEngine;
}

std::thread_local! {
    static THREAD_ENGINE: std::cell::Cell<Option<TestEngine>> = const { std::cell::Cell::new(None) };
}

/// Runs an async test with its homes on `engine`.
pub async fn on_engine<F: Future<Output = ()>>(engine: TestEngine, test: F) {
    ENGINE.scope(engine, test).await
}

/// Runs a synchronous test (a property) with its labs on `engine`.
pub fn on_engine_sync(engine: TestEngine, test: impl FnOnce()) {
    THREAD_ENGINE.with(|e| e.set(Some(engine)));
    test();
}

/// The engine of the test running now (DuckDB outside [`on_engine`] and [`on_engine_sync`]).
pub fn test_engine() -> TestEngine {
    ENGINE
        .try_with(|e| *e)
        .ok()
        .or_else(|| THREAD_ENGINE.with(|e| e.get()))
        .unwrap_or(TestEngine::DuckDb)
}

/// Makes each listed `async fn` (or, after `sync:`, each plain `fn`) a test on both engines:
/// `on_duckdb::<name>` and `on_trino::<name>`. The known answers are Athena's, so they hold on
/// Trino as written.
#[macro_export]
macro_rules! on_both_engines {
    (sync: $($name:ident),* $(,)?) => {
        mod on_duckdb {
            $(
                #[test]
                fn $name() {
                    $crate::common::on_engine_sync($crate::common::TestEngine::DuckDb, super::$name)
                }
            )*
        }
        mod on_trino {
            $(
                #[test]
                fn $name() {
                    $crate::common::on_engine_sync($crate::common::TestEngine::Trino, super::$name)
                }
            )*
        }
    };
    ($($name:ident),* $(,)?) => {
        mod on_duckdb {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::common::on_engine($crate::common::TestEngine::DuckDb, super::$name()).await
                }
            )*
        }
        mod on_trino {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::common::on_engine($crate::common::TestEngine::Trino, super::$name()).await
                }
            )*
        }
    };
}

/// Runs `work` to its end on a thread of its own (test helpers are synchronous; the Trino adapter
/// is async, and a test's runtime cannot be blocked from inside).
pub fn blocking<T: Send>(work: impl Future<Output = T> + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(work)
            })
            .join()
            .unwrap()
    })
}

use serde_json::{json, Map, Value};
use synthetic_cdc::CdcRow;

/// Every file under a folder, in no particular order.
pub fn files_under(root: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Every Parquet file under a folder, with its size.
pub fn parquet_files(root: &std::path::Path) -> Vec<(PathBuf, u64)> {
    files_under(root)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .map(|p| {
            let size = std::fs::metadata(&p).unwrap().len();
            (p, size)
        })
        .collect()
}

/// A newer version (timestamp 2100-01-01) of each request item in `ids`, with `status` and
/// nothing else, captured on `day`: what a late or re-driven file of newer versions holds.
pub fn newer_versions(ids: &[String], day: CalendarDate, status: &str) -> Vec<CdcRow> {
    ids.iter()
        .map(|id| {
            let mut fields = Map::new();
            fields.insert(
                "$classification".into(),
                json!({"timestamp": 4_102_444_800_000i64}),
            );
            fields.insert("pk".into(), json!(format!("REQUEST_ITEM#{id}")));
            fields.insert("sk".into(), json!(format!("REQUEST_ITEM#{id}")));
            fields.insert("requestitemid".into(), json!(id));
            fields.insert("status".into(), json!(status));
            CdcRow {
                capture_day: day,
                fields,
            }
        })
        .collect()
}

pub const KEY: &str = "dGVzdC1oYXNoLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=";

pub struct TestHome {
    pub dir: tempfile::TempDir,
    pub home: Home,
    pub source_root: PathBuf,
}

impl TestHome {
    /// A home with the known test hash key and, optionally, batch clients.
    pub fn new(batch_clients: &[&str]) -> Self {
        Self::with_key(batch_clients, KEY)
    }

    /// A home whose hash key is `key`.
    pub fn with_key(batch_clients: &[&str], key: &str) -> Self {
        let config = notify_reporting::home::HomeConfig {
            batch_client_ids: batch_clients.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        Self::on(test_engine(), &config, key)
    }

    /// A home on `engine` with `config` and the hash key `key`.
    pub fn on(engine: TestEngine, config: &notify_reporting::home::HomeConfig, key: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("home")).on(match engine {
            TestEngine::DuckDb => EngineChoice::DuckDb,
            TestEngine::Trino => EngineChoice::Trino {
                url: test_services::Trino::shared()
                    .unwrap_or_else(|e| panic!("{e}"))
                    .url()
                    .to_string(),
            },
        });
        home.write_config(config).unwrap();
        home.set_hash_key(&reporting_core::Secret::new(key))
            .unwrap();
        let source_root = dir.path().join("source");
        std::fs::create_dir_all(source_root.join("transaction_history")).unwrap();
        Self {
            dir,
            home,
            source_root,
        }
    }

    /// Pins the engine's `current_date` for every later run in this home.
    pub fn pin_today(&self, day: &str) {
        let mut config = self.home.config().unwrap();
        config.today = Some(day.to_string());
        self.home.write_config(&config).unwrap();
    }

    /// Changes the home's configuration (clients for batch tables, nudges, the email filter).
    pub fn configure(&self, change: impl FnOnce(&mut notify_reporting::home::HomeConfig)) {
        let mut config = self.home.config().unwrap();
        change(&mut config);
        self.home.write_config(&config).unwrap();
    }

    /// Runs statements on the home's database (test data straight into staging tables).
    pub fn exec(&self, sql: &str) {
        for statement in sql.split(";\n").filter(|s| !s.trim().is_empty()) {
            self.select(statement);
        }
    }

    /// Runs Athena statements (its DDL included) on the home's engine, given each engine's meaning
    /// as run-query gives it: DuckDB's layer translates inside the engine, Trino's DDL pass here.
    pub fn exec_athena(&self, sql: &str) {
        let statements = sql.split(";\n").filter(|s| !s.trim().is_empty());
        match &self.home.engine {
            EngineChoice::DuckDb => statements.for_each(|statement| {
                self.select(statement);
            }),
            EngineChoice::Trino { url } => {
                // The home's schemas, as a run makes them (a table may come before any run), once.
                let engine = self.home.trino_engine(url, None).unwrap();
                blocking(
                    self.home
                        .trino_layout(&self.source())
                        .prepare(&engine, reporting_core::catalog::SOURCE_SCHEMA),
                )
                .unwrap();
                for statement in statements {
                    for trino in reporting_trino::ddl::translate(statement)
                        .unwrap_or_else(|e| panic!("{statement}: {e}"))
                    {
                        self.select(&trino);
                    }
                }
            }
        }
    }

    /// Sets a report's default client list (the SSM String parameter, a JSON array).
    pub fn set_report_clients(&self, report: &str, clients: &[&str]) {
        ParameterFile::new(self.home.parameters_file())
            .set_text(
                &Deployment::local().report_clients_parameter(report),
                &serde_json::to_string(clients).unwrap(),
            )
            .unwrap();
    }

    /// Every object under the local ingress bucket: (key, text).
    pub fn ingress(&self) -> Vec<(String, String)> {
        let root = self.home.objects().join("ingress");
        let mut out = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let key = p.strip_prefix(&root).unwrap().to_string_lossy().to_string();
                    out.push((key, std::fs::read_to_string(&p).unwrap_or_default()));
                }
            }
        }
        out.sort();
        out
    }

    pub fn source(&self) -> PathBuf {
        self.source_root.join("transaction_history")
    }

    /// Replaces the source with these rows (all columns present in every file).
    pub fn write_source(&self, rows: &[CdcRow]) {
        self.deliver(rows, 7, "2000-01-01");
    }

    /// Replaces the source with `rows` (Parquet, files shuffled and split by `file_seed`; files
    /// captured before `late_columns_from` lack the late columns).
    pub fn deliver(&self, rows: &[CdcRow], file_seed: u64, late_columns_from: &str) {
        synthetic_cdc::write_parquet(
            &self.source_root,
            rows,
            CalendarDate::parse(late_columns_from).unwrap(),
            file_seed,
        )
        .unwrap();
    }

    pub async fn run(&self, machine: &str, input: Value) -> RunReport {
        run_machine(&self.home, &self.source(), machine, input, false)
            .await
            .unwrap_or_else(|e| panic!("{machine}: {e}"))
    }

    /// Runs a machine that is to fail; its error and cause.
    pub async fn run_failure(&self, machine: &str, input: Value) -> (String, String) {
        match run_machine(&self.home, &self.source(), machine, input, false).await {
            Err(notify_reporting::RunError::Failed { error, cause }) => (error, cause),
            other => panic!("{machine}: expected a failed execution, got {other:?}"),
        }
    }

    /// Runs a machine through the interpreter itself: its outcome (a failure as the machine
    /// raised it, nested executions unwrapped) and every event, nested executions' included.
    pub async fn run_recorded(
        &self,
        machine: &str,
        input: Value,
    ) -> (
        Result<state_machine::Execution, state_machine::ExecutionFailure>,
        Vec<state_machine::Event>,
    ) {
        let opened = self.home.open(&self.source()).await.unwrap();
        let tasks = notify_reporting::tasks::LocalTasks {
            home: &opened,
            policy: Default::default(),
        };
        let recorder = state_machine::Recorder(Default::default());
        let def = notify_reporting::machines::find(machine).unwrap();
        let outcome = notify_reporting::machines::load(def)
            .unwrap()
            .execute(
                &format!("recorded-{machine}"),
                input,
                &notify_reporting::run::now_iso(),
                &tasks,
                &recorder,
            )
            .await
            .map_err(|f| f.root_cause());
        (outcome, recorder.0.into_inner().unwrap())
    }

    pub async fn setup_and_ingest(&self, as_of: &str) -> RunReport {
        self.run("setup", json!({})).await;
        self.run("ingestion", json!({"asOf": as_of})).await
    }

    /// The home's DuckDB database, with its pinned `current_date` if it has one.
    pub fn engine(&self) -> DuckDbEngine {
        assert_eq!(self.home.engine, EngineChoice::DuckDb, "a DuckDB home");
        DuckDbEngine::open(
            &self.home.database(),
            EngineOptions {
                today: self.home.today().unwrap(),
                ..Default::default()
            },
        )
        .unwrap()
    }

    /// One statement of the engine's SQL on the home's tables; every row, values as text.
    pub fn select(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match &self.home.engine {
            EngineChoice::DuckDb => {
                self.engine()
                    .execute(sql, &[])
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .rows
            }
            EngineChoice::Trino { url } => {
                let engine = self
                    .home
                    .trino_engine(url, self.home.today().unwrap())
                    .unwrap();
                blocking(engine.execute(sql, &[])).unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
        }
    }

    /// Every staging table's rows, sorted, in catalog order.
    pub fn dump_all(&self) -> Tables {
        sorted_rows(
            reporting_core::catalog::TABLES.iter().map(|t| t.name),
            |sql| self.select(sql),
        )
    }

    /// Every view's rows, sorted, in creation order.
    pub fn views(&self) -> Tables {
        sorted_rows(
            reporting_core::catalog::VIEWS.iter().map(|v| v.name),
            |sql| self.select(sql),
        )
    }

    /// Every metric the watchdog published, by (metric, client, campaign), and the batches each
    /// client's batch report set aside (`SkippedBatches`, summed, by (metric, client, "")); each
    /// checked to be a count of this environment. (Ingestion's own `Notify/Ingestion` bytes
    /// scanned, which only engines that report it publish, are [`TestHome::bytes_scanned`].)
    pub fn metrics(&self) -> Metrics {
        let mut metrics = Metrics::new();
        let data = reporting_local::MetricsFile::new(self.home.metrics_file())
            .read_all()
            .unwrap();
        for d in data {
            if d.namespace == reporting_handlers::INGESTION_NAMESPACE {
                continue;
            }
            assert_eq!(d.unit, "Count");
            assert_eq!(
                d.dimensions[0],
                ("environment".to_string(), "local".to_string())
            );
            match d.namespace.as_str() {
                // One datum per batch a report set aside: counted per client.
                reporting_handlers::REPORTS_NAMESPACE => {
                    assert_eq!(d.name, reporting_handlers::SKIPPED_BATCHES);
                    let key = (d.name, d.dimensions[1].1.clone(), String::new());
                    *metrics.entry(key).or_default() += d.value;
                }
                namespace => {
                    assert_eq!(namespace, reporting_core::watchdog::WATCHDOG_NAMESPACE);
                    let key = (d.name, d.dimensions[1].1.clone(), d.dimensions[2].1.clone());
                    metrics.insert(key, d.value);
                }
            }
        }
        metrics
    }

    /// The `Notify/Ingestion` `BytesScanned` data poll-query published, as (query, bytes), in
    /// order; each checked to be this environment's.
    pub fn bytes_scanned(&self) -> Vec<(String, f64)> {
        reporting_local::MetricsFile::new(self.home.metrics_file())
            .read_all()
            .unwrap()
            .into_iter()
            .filter(|d| d.namespace == reporting_handlers::INGESTION_NAMESPACE)
            .map(|d| {
                assert_eq!(
                    (d.name.as_str(), d.unit.as_str()),
                    ("BytesScanned", "Bytes")
                );
                assert_eq!(
                    d.dimensions[0],
                    ("environment".to_string(), "local".to_string())
                );
                (d.dimensions[1].1.clone(), d.value)
            })
            .collect()
    }
}

/// Rows by relation name: a table's or view's every row as text (NULL as None).
pub type Tables = Vec<(String, Vec<Vec<Option<String>>>)>;

/// Published metric values by (metric, client, campaign).
pub type Metrics = std::collections::BTreeMap<(String, String, String), f64>;

/// Each relation's rows (`SELECT *` through `select`), sorted, in the order given.
pub fn sorted_rows<'n>(
    names: impl Iterator<Item = &'n str>,
    select: impl Fn(&str) -> Vec<Vec<Option<String>>>,
) -> Tables {
    names
        .map(|name| {
            let mut rows = select(&format!("SELECT * FROM {name}"));
            rows.sort();
            (name.to_string(), rows)
        })
        .collect()
}

pub fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// Epoch milliseconds of a UTC instant `YYYY-MM-DDThh:mm:ss` (the `Z` may be left out).
pub fn ms(iso: &str) -> i64 {
    let utc = format!("{}Z", iso.trim_end_matches('Z'));
    utc_time::instant::parse_iso_millis(&utc).unwrap_or_else(|| panic!("not an instant: {iso}"))
}

/// One REQUEST_ITEM# version.
pub fn item(id: &str, ts: &str, captured: &str, fields: Value) -> CdcRow {
    row(
        &format!("REQUEST_ITEM#{id}"),
        ts,
        captured,
        json!({"requestitemid": id}),
        fields,
    )
}

/// One REQUEST_ITEM_PLAN# version.
pub fn plan(id: &str, item: &str, ts: &str, captured: &str, fields: Value) -> CdcRow {
    row(
        &format!("REQUEST_ITEM_PLAN#{id}"),
        ts,
        captured,
        json!({"requestitemplanid": id, "requestitemid": item}),
        fields,
    )
}

fn row(sk: &str, ts: &str, captured: &str, ids: Value, fields: Value) -> CdcRow {
    let mut map = Map::new();
    map.insert("sk".into(), json!(sk));
    map.insert("$classification".into(), json!({"timestamp": ms(ts)}));
    map.insert("clientid".into(), json!("client-a"));
    for (k, v) in ids
        .as_object()
        .unwrap()
        .iter()
        .chain(fields.as_object().unwrap())
    {
        map.insert(k.clone(), v.clone());
    }
    CdcRow {
        capture_day: CalendarDate::parse(captured).unwrap(),
        fields: map,
    }
}

/// What the CLI prints (stdout, then stderr) running `args` on the home at `home` with the
/// environment `env`; panics, with that text, unless it succeeds.
pub fn cli(home: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_notify-reporting"))
        .envs(env.iter().copied())
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{args:?}:\n{text}");
    text
}
