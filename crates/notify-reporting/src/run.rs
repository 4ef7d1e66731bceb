//! Running one of the repository's state machines locally, with input checked before anything is
//! opened or written.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use reporting_core::catalog::TABLES;
use reporting_core::ports::QueryState;
use reporting_core::CalendarDate;
use reporting_handlers::contract::{Delivered, SyncSummary};
use reporting_handlers::{IngestionMode, IngestionPlan, LambdaName, PollPolicy, QueryProgress};
use serde_json::Value;
use state_machine::{Event, Observer};

use crate::home::Home;
use crate::machines;
use crate::tasks::{LocalTasks, LosingStartedResponses};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The request was refused before anything ran or was written.
    #[error("{0}")]
    InvalidInput(String),
    /// A definition could not be loaded.
    #[error("{0}")]
    Setup(String),
    /// The home could not be opened.
    #[error(transparent)]
    Home(#[from] crate::home::HomeError),
    /// The execution ran and failed.
    #[error("execution failed with {error}: {cause}")]
    Failed { error: String, cause: String },
}

/// One finished query, from poll-query's final answer.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryLine {
    pub query: String,
    pub rows_affected: Option<u64>,
    pub engine_millis: Option<u64>,
    /// What the engine scanned, where it says (Trino, Athena; not DuckDB).
    pub bytes_scanned: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct RunReport {
    pub output: Value,
    pub queries: Vec<QueryLine>,
    /// The reports write-report delivered (or found already there), in order.
    pub deliveries: Vec<Delivered>,
    pub table_rows: Vec<(String, u64)>,
    pub virtual_seconds: f64,
}

/// Prints progress as it happens and keeps the finished queries and the delivered reports.
pub struct Progress {
    pub print: bool,
    pub finished: Mutex<Vec<QueryLine>>,
    pub deliveries: Mutex<Vec<Delivered>>,
}

impl Observer for Progress {
    fn event(&self, event: &Event) {
        let line = match event {
            // run-query starts a query, or (setup's last step) syncs the saved queries: each
            // line names what it did, the query or the state.
            Event::TaskSucceeded {
                state,
                resource,
                output,
            } => match machines::lambda_of(resource) {
                Some(LambdaName::RunQuery) => Some(
                    match serde_json::from_value::<QueryProgress>(output.clone()) {
                        Ok(started) => format!("  started   {}", started.query),
                        Err(_) => match serde_json::from_value::<IngestionPlan>(output.clone()) {
                            Ok(plan) => plan_lines(&plan),
                            Err(_) => format!("  done      {state}{}", sync_counts(output)),
                        },
                    },
                ),
                Some(LambdaName::PollQuery) => {
                    match serde_json::from_value::<QueryProgress>(output.clone()) {
                        Ok(p) if p.state == QueryState::Succeeded => {
                            let q = QueryLine {
                                query: p.query,
                                rows_affected: p.statistics.rows_affected,
                                engine_millis: p.statistics.engine_millis,
                                bytes_scanned: p.statistics.bytes_scanned,
                            };
                            let text = format!(
                                "  finished  {:<52} {:>9} rows {:>7} ms{}",
                                q.query,
                                q.rows_affected.map_or("-".into(), |r| r.to_string()),
                                q.engine_millis.map_or("-".into(), |m| m.to_string()),
                                q.bytes_scanned
                                    .map_or(String::new(), |b| format!(" {b:>12} bytes scanned"))
                            );
                            self.finished.lock().unwrap().push(q);
                            Some(text)
                        }
                        _ => None,
                    }
                }
                Some(LambdaName::WriteReport) => {
                    if let Ok(delivered) = serde_json::from_value::<Delivered>(output.clone()) {
                        self.deliveries.lock().unwrap().push(delivered);
                    } else if let Ok(found) = serde_json::from_value::<
                        reporting_handlers::contract::FoundReport,
                    >(output.clone())
                    {
                        // A report delivered by an earlier run: the machine leaves it as it is.
                        if found.exists {
                            self.deliveries.lock().unwrap().push(Delivered {
                                status: reporting_handlers::contract::DeliveryStatus::Exists,
                                bucket: String::new(),
                                key: found.key,
                                rows: None,
                                bytes: 0,
                            });
                        }
                    }
                    None
                }
                _ => None,
            },
            Event::TaskFailed {
                state,
                error,
                cause,
            } => Some(format!("  failed    {state}: {error}: {cause}")),
            Event::Retrying {
                state,
                error,
                attempt,
                delay_seconds,
            } => Some(format!(
                "  retrying  {state} after {error} (attempt {attempt}, {delay_seconds:.0} s)"
            )),
            Event::StateEntered {
                state,
                kind: "Map" | "Parallel",
            } => Some(state.to_string()),
            _ => None,
        };
        if let (true, Some(line)) = (self.print, line) {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{line}");
        }
    }
}

/// What an ingestion plan chose: its mode and reference date, then each note (what each pass-1
/// query reads, and any fallback).
fn plan_lines(plan: &IngestionPlan) -> String {
    let mode = match plan.mode {
        IngestionMode::Incremental => "incremental",
        IngestionMode::Window => "window",
    };
    let mut text = format!("  planned   {mode} run to {}", plan.as_of);
    for note in &plan.notes {
        text.push_str(&format!("\n            {note}"));
    }
    text
}

/// ` (2 created, 0 updated, 0 deleted, 28 unchanged)` for a saved-query sync's output, else ``.
fn sync_counts(output: &Value) -> String {
    match serde_json::from_value::<SyncSummary>(output.clone()) {
        Ok(s) => format!(
            " ({} created, {} updated, {} deleted, {} unchanged)",
            s.created.len(),
            s.updated.len(),
            s.deleted,
            s.unchanged
        ),
        Err(_) => String::new(),
    }
}

/// Checks a machine's input with the check its first Task makes in AWS
/// (`reporting_handlers::check_machine_input`), before anything is opened or written.
pub fn check_input(def: &machines::MachineDef, input: &Value) -> Result<(), RunError> {
    reporting_handlers::check_machine_input(def.name, input)
        .map_err(|e| RunError::InvalidInput(e.message().to_string()))
}

/// The current time as Step Functions writes `$$.Execution.StartTime`.
pub fn now_iso() -> String {
    utc_time::instant::iso_millis(utc_time::instant::now_millis())
}

/// Runs a state machine of the repository in a local home.
pub async fn run_machine(
    home: &Home,
    source: &Path,
    name: &str,
    input: Value,
    print: bool,
) -> Result<RunReport, RunError> {
    let def = machines::find(name).map_err(RunError::InvalidInput)?;
    check_input(def, &input)?;
    if name == "ingestion" && !source.is_dir() {
        return Err(RunError::InvalidInput(format!(
            "no source data folder at {}; run `notify-reporting generate` first or pass --source",
            source.display()
        )));
    }
    let machine = machines::load(def).map_err(|e| RunError::Setup(format!("{}: {e}", def.name)))?;
    let opened = home.open(source).await?;
    let tasks = LocalTasks {
        home: &opened,
        policy: PollPolicy::default(),
    };
    let lost = home.config().map(|c| c.faults.lost_responses).unwrap_or(0);
    let losing;
    let tasks: &dyn state_machine::Tasks = if lost > 0 {
        losing = LosingStartedResponses {
            inner: tasks,
            lost: Mutex::new(lost),
        };
        &losing
    } else {
        &tasks
    };
    let progress = Progress {
        print,
        finished: Mutex::new(Vec::new()),
        deliveries: Mutex::new(Vec::new()),
    };
    let execution_name = format!("local-{}", std::process::id());
    let execution = machine
        .execute(&execution_name, input, &now_iso(), tasks, &progress)
        .await
        .map_err(|f| {
            let f = f.root_cause();
            let hint = if f.cause.contains("Table with name") && f.cause.contains("does not exist")
            {
                "\nhint: create the tables first with `notify-reporting run setup`"
            } else {
                ""
            };
            RunError::Failed {
                error: f.error,
                cause: format!("{}{hint}", f.cause),
            }
        })?;
    let mut table_rows = Vec::new();
    for t in TABLES {
        if let Ok(n) = opened.engine.inner.row_count(t.name).await {
            table_rows.push((t.name.to_string(), n));
        }
    }
    Ok(RunReport {
        output: execution.output,
        queries: progress.finished.into_inner().unwrap(),
        deliveries: progress.deliveries.into_inner().unwrap(),
        table_rows,
        virtual_seconds: execution.virtual_seconds,
    })
}

/// The reference dates a catch-up walks: `from`, then every 7 days (each window is the week up to
/// its date, so consecutive windows meet), and `to` last.
pub fn catch_up_dates(from: CalendarDate, to: CalendarDate) -> Result<Vec<CalendarDate>, RunError> {
    if to < from {
        return Err(RunError::InvalidInput(format!(
            "--to {to} is before --from {from}"
        )));
    }
    if to.to_days() - from.to_days() > 3660 {
        return Err(RunError::InvalidInput(
            "a catch-up covers at most 3660 days; split it".into(),
        ));
    }
    let mut dates: Vec<CalendarDate> = (0..)
        .map(|w| from.add_days(7 * w))
        .take_while(|d| *d < to)
        .collect();
    dates.push(to);
    Ok(dates)
}

/// Runs ingestion for each window from `from` to `to`, in order.
pub async fn catch_up(
    home: &Home,
    source: &Path,
    from: CalendarDate,
    to: CalendarDate,
    print: bool,
) -> Result<Vec<RunReport>, RunError> {
    let dates = catch_up_dates(from, to)?;
    let mut reports = Vec::with_capacity(dates.len());
    for (n, as_of) in dates.iter().enumerate() {
        if print {
            eprintln!("window {}/{}: as of {as_of}", n + 1, dates.len());
        }
        reports.push(
            run_machine(
                home,
                source,
                "ingestion",
                serde_json::json!({"asOf": as_of.to_string()}),
                print,
            )
            .await?,
        );
    }
    Ok(reports)
}

/// An execution input as JSON text, refusing an object that gives a key twice
/// (`{"asOf": "…", "asOf": "…"}`), which serde_json would read as its last value, silently.
pub fn parse_input(text: &str) -> Result<Value, String> {
    use serde::de::{Deserializer, Error, MapAccess, SeqAccess, Visitor};

    struct Strict(Value);
    struct StrictVisitor;

    impl<'de> serde::Deserialize<'de> for Strict {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(StrictVisitor).map(Strict)
        }
    }

    impl<'de> Visitor<'de> for StrictVisitor {
        type Value = Value;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<Value, E> {
            Ok(v.into())
        }
        fn visit_unit<E: Error>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::new();
            while let Some(Strict(v)) = seq.next_element()? {
                items.push(v);
            }
            Ok(Value::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut object = serde_json::Map::new();
            while let Some(key) = map.next_key::<String>()? {
                let Strict(value) = map.next_value()?;
                if object.insert(key.clone(), value).is_some() {
                    return Err(A::Error::custom(format!(
                        "the field {:?} is given twice",
                        key.chars().take(60).collect::<String>()
                    )));
                }
            }
            Ok(Value::Object(object))
        }
    }

    serde_json::from_str::<Strict>(text)
        .map(|Strict(v)| v)
        .map_err(|e| e.to_string())
}
