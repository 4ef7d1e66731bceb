//! A fast bench for the ingestion properties: the catalog's SQL assets, rendered and bound as
//! run-query does, on one in-memory local engine, with the source as Firehose Parquet in memory
//! (`/dev/shm` where there is one). No home, no state machine, no database file, so a case costs
//! milliseconds and the long run can afford tens of thousands of them. The state machines that
//! run the same queries are covered by the end-to-end and known-answer tests.

use std::path::PathBuf;

use reporting_core::catalog::{self, Purpose};
use reporting_core::config::Deployment;
use reporting_core::{render, CalendarDate, Secret};
use reporting_local::{DuckDbEngine, EngineOptions};
use synthetic_cdc::CdcRow;

/// Every staging table's rows, sorted, all columns as text, in catalog order.
pub type Tables = Vec<(String, Vec<Vec<Option<String>>>)>;

pub struct Lab {
    engine: DuckDbEngine,
    deployment: Deployment,
    key: String,
    root: tempfile::TempDir,
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

impl Lab {
    /// Empty staging tables, created by the catalog's DDL; `batch_clients` as the deployment's.
    pub fn new<S: AsRef<str>>(batch_clients: &[S], key: &str) -> Self {
        let root = scratch();
        let mut deployment = Deployment::local();
        deployment.batch_client_ids = batch_clients
            .iter()
            .map(|s| s.as_ref().to_string())
            .collect();
        let engine = DuckDbEngine::open_in_memory(EngineOptions {
            source_dir: None,
            ..EngineOptions::default()
        })
        .unwrap();
        let lab = Self {
            engine,
            deployment,
            key: key.to_string(),
            root,
        };
        for q in catalog::QUERIES
            .iter()
            .filter(|q| matches!(q.purpose, Purpose::CreateTable))
        {
            lab.run(q, None);
        }
        lab.engine.replace_source(&lab.source()).unwrap();
        lab
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
        self.engine.replace_source(&self.source()).unwrap();
    }

    /// Both passes of ingestion for `as_of`, each query as run-query would bind it.
    pub fn ingest(&self, as_of: &str) {
        let as_of = CalendarDate::parse(as_of).unwrap();
        for pass in [1, 2] {
            for q in catalog::ingestion_pass(pass) {
                self.run(q, Some(as_of));
            }
        }
    }

    fn run(&self, q: &catalog::Query, as_of: Option<CalendarDate>) {
        let sql = render::render(q.sql, &self.deployment).unwrap();
        let params = q
            .bind_window(as_of, &Secret::new(self.key.clone()))
            .unwrap_or_else(|e| panic!("the lab runs setup and ingestion only: {e}"));
        self.engine
            .execute(&sql, &params)
            .unwrap_or_else(|e| panic!("{}: {e}", q.id));
    }

    pub fn tables(&self) -> Tables {
        catalog::TABLES
            .iter()
            .map(|t| {
                let rows = self.engine.dump_table(t.name).unwrap().rows;
                (t.name.to_string(), rows)
            })
            .collect()
    }

    pub fn select(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.engine
            .execute(sql, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .rows
    }
}
