//! Test support: hand-built histories written as Firehose Parquet, and runs of the real state
//! machines in a temporary home.

#![allow(dead_code)]

use std::path::PathBuf;

use notify_reporting::{run_machine, Home, RunReport};
use reporting_core::config::Deployment;
use reporting_core::CalendarDate;
use reporting_local::{DuckDbEngine, EngineOptions, ParameterFile};
pub mod lab;

use serde_json::{json, Map, Value};
use synthetic_cdc::CdcRow;

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
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("home"));
        home.write_config(&notify_reporting::home::HomeConfig {
            batch_client_ids: batch_clients.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })
        .unwrap();
        ParameterFile::new(home.parameters_file())
            .set_secret(&Deployment::local().hash_key_parameter(), key)
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
        let engine = self.engine();
        for statement in sql.split(";\n").filter(|s| !s.trim().is_empty()) {
            engine
                .execute(statement, &[])
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
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
        synthetic_cdc::write_parquet(
            &self.source_root,
            rows,
            CalendarDate::parse("2000-01-01").unwrap(),
            7,
        )
        .unwrap();
    }

    pub async fn run(&self, machine: &str, input: Value) -> RunReport {
        run_machine(&self.home, &self.source(), machine, input, false)
            .await
            .unwrap_or_else(|e| panic!("{machine}: {e}"))
    }

    pub async fn setup_and_ingest(&self, as_of: &str) -> RunReport {
        self.run("setup", json!({})).await;
        self.run("ingestion", json!({"asOf": as_of})).await
    }

    /// The home's database, with its pinned `current_date` if it has one.
    pub fn engine(&self) -> DuckDbEngine {
        let today = self
            .home
            .config()
            .unwrap()
            .today
            .map(|d| CalendarDate::parse(&d).unwrap());
        DuckDbEngine::open(
            &self.home.database(),
            EngineOptions {
                today,
                ..Default::default()
            },
        )
        .unwrap()
    }

    /// `SELECT <columns> FROM <table> ORDER BY ALL`, as text.
    pub fn select(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.engine()
            .execute(sql, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .rows
    }

    pub fn dump_all(&self) -> Vec<(String, Vec<Vec<Option<String>>>)> {
        let engine = self.engine();
        reporting_core::catalog::TABLES
            .iter()
            .map(|t| (t.name.to_string(), engine.dump_table(t.name).unwrap().rows))
            .collect()
    }
}

pub fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// Epoch milliseconds of an ISO instant `YYYY-MM-DDThh:mm:ss`.
pub fn ms(iso: &str) -> i64 {
    let day = CalendarDate::parse(&iso[..10]).unwrap().to_days();
    let h: i64 = iso[11..13].parse().unwrap();
    let m: i64 = iso[14..16].parse().unwrap();
    let sec: i64 = iso[17..19].parse().unwrap();
    day * 86_400_000 + ((h * 60 + m) * 60 + sec) * 1000
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
