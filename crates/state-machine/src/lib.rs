//! The Amazon States Language, as the local home runs it.
//!
//! [`StateMachine::load`] reads one of the repository's ASL files (JSONPath), substitutes
//! `${Name}` the way SAM's `DefinitionSubstitutions` does and checks it: any state type, field,
//! operator or intrinsic outside the supported subset is a [`LoadError`] naming the state and the
//! field. [`StateMachine::execute`] then runs it in-process, sending each `Task` to [`Tasks`] and
//! reporting progress to an [`Observer`]. Waits and retry delays are virtual: they are added to a
//! clock, not slept. A retry delay is also offered to [`Tasks::pause_before_retry`], so tasks backed
//! by a real server can let the time pass that a transient failure needs to clear.

mod intrinsic;
mod model;
mod path;
mod template;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use async_trait::async_trait;
pub use model::S3_GET_OBJECT;
use model::{Io, Kind, Machine, State, Transition, WaitFor};
use path::Path;
use serde_json::{json, Value};
use template::Template;
use utc_time::instant::{iso_millis, parse_iso_millis};

/// Why a definition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("the definition is not valid JSON: {0}")]
    Json(String),
    #[error("the definition uses ${{{0}}}, which has no substitution")]
    Substitution(String),
    #[error("state {state:?}, field {field}: {message}")]
    Field {
        state: String,
        field: String,
        message: String,
    },
}

/// A task's failure: the Lambda `errorType` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    pub error: String,
    pub cause: String,
}

/// How an execution ended when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct ExecutionFailure {
    pub error: String,
    pub cause: String,
}

impl ExecutionFailure {
    /// The failure that started it: a Task that ran a nested execution fails with
    /// `States.TaskFailed` and the child's description as its cause; this follows those
    /// descriptions down to the child that failed first, naming the executions on the way.
    pub fn root_cause(&self) -> ExecutionFailure {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Nested {
            execution_arn: String,
            error: String,
            cause: String,
        }
        let mut current = self.clone();
        let mut chain = Vec::new();
        while current.error == "States.TaskFailed" {
            let Ok(nested) = serde_json::from_str::<Nested>(&current.cause) else {
                break;
            };
            chain.push(nested.execution_arn);
            current = ExecutionFailure {
                error: nested.error,
                cause: nested.cause,
            };
        }
        if !chain.is_empty() {
            current.cause = format!(
                "{} (in nested execution {})",
                current.cause,
                chain.join(" > ")
            );
        }
        current
    }
}

/// Where `Task` states go: the local home maps each resource to a handler.
#[async_trait]
pub trait Tasks: Send + Sync {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure>;

    /// Called before a Retry attempt with its delay (already counted on the virtual clock). The
    /// default returns at once: an in-process engine's retryable failures are injected, and real
    /// time changes nothing for them. Tasks backed by a server sleep here, as Step Functions does.
    async fn pause_before_retry(&self, _seconds: f64) {}
}

/// What happens during an execution, for progress output and tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    StateEntered {
        state: String,
        kind: &'static str,
    },
    TaskSucceeded {
        state: String,
        resource: String,
        output: Value,
    },
    TaskFailed {
        state: String,
        error: String,
        cause: String,
    },
    Retrying {
        state: String,
        error: String,
        attempt: u32,
        delay_seconds: f64,
    },
    Waited {
        state: String,
        seconds: f64,
    },
    Caught {
        state: String,
        error: String,
        next: String,
    },
}

pub trait Observer: Send + Sync {
    fn event(&self, event: &Event);
}

/// Ignores every event.
pub struct Silent;
impl Observer for Silent {
    fn event(&self, _: &Event) {}
}

/// Records every event (for tests).
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<Event>>);
impl Observer for Recorder {
    fn event(&self, event: &Event) {
        self.0.lock().unwrap().push(event.clone());
    }
}

#[derive(Debug, Clone)]
pub struct StateMachine {
    pub name: String,
    machine: Machine,
    /// Machines a Task may start as nested executions (`states:startExecution.sync:2`), by the
    /// ARN its `StateMachineArn` names after substitution.
    nested: BTreeMap<String, (String, Machine)>,
}

/// The resource of a Task that starts another state machine and waits for it, with its output
/// as JSON (Step Functions' nested workflows).
pub const START_EXECUTION_SYNC: &str = "arn:aws:states:::states:startExecution.sync:2";

/// Step Functions' limit on one execution's history: an execution that would record more
/// events fails.
pub const HISTORY_EVENT_LIMIT: u64 = 25_000;

/// The outcome of a successful execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub output: Value,
    /// Seconds the execution would have waited (Wait states and retry delays).
    pub virtual_seconds: f64,
    /// What Step Functions would record, for its 25,000-event history limit.
    pub history: History,
}

/// History events as Step Functions records them (`GetExecutionHistory`): the execution's own,
/// and those of every execution it started (nested workflows, Distributed Map iterations), each
/// of which has its own history and its own limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    /// Events in this execution's history.
    pub events: u64,
    /// The most events any one execution of the tree recorded (this one included).
    pub largest: u64,
    /// Executions started by this one, directly or not.
    pub child_executions: u64,
}

/// Counters shared by every execution of one run.
#[derive(Default)]
struct Tree {
    largest: std::sync::atomic::AtomicU64,
    executions: std::sync::atomic::AtomicU64,
}

struct Ctx<'a> {
    tasks: &'a dyn Tasks,
    observer: &'a dyn Observer,
    nested: &'a BTreeMap<String, (String, Machine)>,
    tree: &'a Tree,
    /// This execution's history events.
    events: std::sync::atomic::AtomicU64,
    context: Value,
    clock: Mutex<f64>,
    /// The execution's start in epoch milliseconds, when `StartTime` is ISO-8601 UTC.
    start_ms: Option<i64>,
    /// States entered so far: each entry is a millisecond later than the one before, so two
    /// entries of one state never share `$$.State.EnteredTime` (as in Step Functions).
    entries: std::sync::atomic::AtomicI64,
}

impl Ctx<'_> {
    /// Records `n` history events.
    fn record(&self, n: u64) {
        self.events
            .fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// The start time of an execution this one starts now.
    fn now_iso(&self) -> String {
        let waited = (*self.clock.lock().unwrap() * 1000.0) as i64;
        match self.start_ms {
            Some(start) => iso_millis(start + waited),
            None => self.context["Execution"]["StartTime"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// `$$.State.EnteredTime` of a state entered now: the start plus virtual time elapsed.
    fn entered_time(&self) -> Option<String> {
        let n = self
            .entries
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let waited = (*self.clock.lock().unwrap() * 1000.0) as i64;
        self.start_ms.map(|start| iso_millis(start + waited + n))
    }
}

type Failure = ExecutionFailure;
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

fn failure(error: &str, cause: impl Into<String>) -> Failure {
    Failure {
        error: error.to_string(),
        cause: cause.into(),
    }
}

fn runtime(cause: impl Into<String>) -> Failure {
    failure("States.Runtime", cause)
}

fn error_matches(names: &[String], error: &str) -> bool {
    names.iter().any(|n| {
        n == error
            || (n == "States.ALL" && error != "States.Runtime")
            || (n == "States.TaskFailed" && !error.starts_with("States."))
    })
}

impl StateMachine {
    /// Loads a definition, substituting `${Name}` from `substitutions` first.
    pub fn load(
        name: &str,
        definition: &str,
        substitutions: &BTreeMap<String, String>,
    ) -> Result<Self, LoadError> {
        let mut text = String::with_capacity(definition.len());
        let mut rest = definition;
        while let Some(start) = rest.find("${") {
            text.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| LoadError::Substitution(after.chars().take(30).collect()))?;
            let key = &after[..end];
            text.push_str(
                substitutions
                    .get(key)
                    .ok_or_else(|| LoadError::Substitution(key.to_string()))?,
            );
            rest = &after[end + 1..];
        }
        text.push_str(rest);
        let value: Value =
            serde_json::from_str(&text).map_err(|e| LoadError::Json(e.to_string()))?;
        let machine = model::parse_machine(&value, "(top level)")?;
        check_state_names(&machine)?;
        Ok(Self {
            name: name.to_string(),
            machine,
            nested: BTreeMap::new(),
        })
    }

    /// Lets this machine's Tasks start `child` (and the machines `child` itself may start) as
    /// nested executions under `arn`, the ARN its definition names after substitution.
    pub fn nest(&mut self, arn: &str, child: &StateMachine) {
        self.nested
            .insert(arn.to_string(), (child.name.clone(), child.machine.clone()));
        for (a, m) in &child.nested {
            self.nested.insert(a.clone(), m.clone());
        }
    }

    /// The ARNs this definition's Tasks start as nested executions.
    pub fn nested_arns(&self) -> Vec<String> {
        sorted_unique(self.task_states().into_iter().filter_map(|(resource, s)| {
            (resource == START_EXECUTION_SYNC)
                .then(|| s.io.parameters.as_ref()?.literal_field("StateMachineArn"))
                .flatten()
        }))
    }

    /// Every `Resource` the definition's Task states use.
    pub fn resources(&self) -> Vec<String> {
        sorted_unique(
            self.task_states()
                .into_iter()
                .map(|(resource, _)| resource.to_string()),
        )
    }

    /// Every Task state of the definition, inside Map and Parallel states too, with its resource.
    fn task_states(&self) -> Vec<(&str, &State)> {
        fn walk<'m>(m: &'m Machine, out: &mut Vec<(&'m str, &'m State)>) {
            for s in m.states.values() {
                match &s.kind {
                    Kind::Task { resource } => out.push((resource, s)),
                    Kind::Parallel { branches } => branches.iter().for_each(|b| walk(b, out)),
                    Kind::Map { processor, .. } => walk(processor, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.machine, &mut out);
        out
    }

    /// Runs the machine to its end.
    pub async fn execute(
        &self,
        execution_name: &str,
        input: Value,
        start_time: &str,
        tasks: &dyn Tasks,
        observer: &dyn Observer,
    ) -> Result<Execution, ExecutionFailure> {
        let tree = Tree::default();
        let run = Run {
            tasks,
            observer,
            nested: &self.nested,
            tree: &tree,
        };
        let (output, virtual_seconds, events) = run
            .execution(&self.name, &self.machine, execution_name, input, start_time)
            .await?;
        Ok(Execution {
            output,
            virtual_seconds,
            history: History {
                events,
                largest: tree.largest.load(std::sync::atomic::Ordering::SeqCst),
                child_executions: tree.executions.load(std::sync::atomic::Ordering::SeqCst),
            },
        })
    }
}

/// What every execution of one run shares.
#[derive(Clone, Copy)]
struct Run<'a> {
    tasks: &'a dyn Tasks,
    observer: &'a dyn Observer,
    nested: &'a BTreeMap<String, (String, Machine)>,
    tree: &'a Tree,
}

impl<'a> Run<'a> {
    /// One execution with its own history: its output, virtual seconds and history events.
    fn execution(
        self,
        machine_name: &'a str,
        machine: &'a Machine,
        execution_name: &'a str,
        input: Value,
        start_time: &'a str,
    ) -> BoxFuture<'a, Result<(Value, f64, u64), Failure>> {
        Box::pin(async move {
            let ctx = Ctx {
                tasks: self.tasks,
                observer: self.observer,
                nested: self.nested,
                tree: self.tree,
                events: std::sync::atomic::AtomicU64::new(0),
                context: json!({
                    "Execution": {"Id": format!("local:{machine_name}:{execution_name}"), "Name": execution_name,
                                  "StartTime": start_time, "Input": input.clone()},
                    "StateMachine": {"Id": format!("local:{machine_name}"), "Name": machine_name},
                    "State": {"EnteredTime": start_time},
                }),
                clock: Mutex::new(0.0),
                start_ms: parse_iso_millis(start_time),
                entries: std::sync::atomic::AtomicI64::new(0),
            };
            // ExecutionStarted, and ExecutionSucceeded or ExecutionFailed.
            ctx.record(2);
            let result = run_machine(machine, input, &ctx, ctx.context.clone()).await;
            let events = ctx.events.load(std::sync::atomic::Ordering::SeqCst);
            self.tree
                .largest
                .fetch_max(events, std::sync::atomic::Ordering::SeqCst);
            let seconds = *ctx.clock.lock().unwrap();
            result.map(|output| (output, seconds, events))
        })
    }
}

/// Runs `machine` as an execution started by `parent` now: its own history, the parent's clock
/// moved on by the time it took.
async fn child_execution(
    parent: &Ctx<'_>,
    machine_name: &str,
    machine: &Machine,
    input: Value,
) -> Result<Value, Failure> {
    let n = parent
        .tree
        .executions
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        + 1;
    let run = Run {
        tasks: parent.tasks,
        observer: parent.observer,
        nested: parent.nested,
        tree: parent.tree,
    };
    let name = format!("child-{n}");
    let start = parent.now_iso();
    let outcome = run
        .execution(machine_name, machine, &name, input, &start)
        .await;
    match outcome {
        Ok((output, seconds, _)) => {
            *parent.clock.lock().unwrap() += seconds;
            Ok(output)
        }
        Err(f) => Err(f),
    }
}

fn sorted_unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = items.collect();
    out.sort();
    out.dedup();
    out
}

/// Step Functions requires every state name to be unique in the whole definition, inside Map and
/// Parallel too, and at most 80 characters long.
fn check_state_names(root: &Machine) -> Result<(), LoadError> {
    fn walk<'m>(
        m: &'m Machine,
        seen: &mut std::collections::BTreeSet<&'m str>,
    ) -> Result<(), LoadError> {
        for (name, state) in &m.states {
            let fail = |message: &str| LoadError::Field {
                state: name.clone(),
                field: "(name)".into(),
                message: message.into(),
            };
            if !seen.insert(name.as_str()) {
                return Err(fail("another state has this name; names must be unique in the whole definition, inside Map and Parallel too"));
            }
            if name.chars().count() > 80 {
                return Err(fail("state names are at most 80 characters"));
            }
            match &state.kind {
                Kind::Parallel { branches } => branches.iter().try_for_each(|b| walk(b, seen))?,
                Kind::Map { processor, .. } => walk(processor, seen)?,
                _ => {}
            }
        }
        Ok(())
    }
    walk(root, &mut std::collections::BTreeSet::new())
}

fn run_machine<'a>(
    m: &'a Machine,
    input: Value,
    ctx: &'a Ctx<'a>,
    context: Value,
) -> BoxFuture<'a, Result<Value, Failure>> {
    Box::pin(async move {
        let mut current = m.start_at.as_str();
        let mut data = input;
        loop {
            let state = &m.states[current];
            ctx.observer.event(&Event::StateEntered {
                state: current.to_string(),
                kind: kind_name(&state.kind),
            });
            let mut context = context.clone();
            context["State"]["Name"] = json!(current);
            if let Some(entered) = ctx.entered_time() {
                context["State"]["EnteredTime"] = json!(entered);
            }
            let outcome = run_state(current, state, data.clone(), ctx, &context).await;
            ctx.record(state_events(&state.kind, outcome.is_ok()));
            match outcome {
                Ok((output, Some(next))) => {
                    current = next;
                    data = output;
                }
                Ok((output, None)) => return Ok(output),
                Err(f) => {
                    let Some(c) = state
                        .catch
                        .iter()
                        .find(|c| error_matches(&c.errors, &f.error))
                    else {
                        return Err(f);
                    };
                    ctx.observer.event(&Event::Caught {
                        state: current.to_string(),
                        error: f.error.clone(),
                        next: c.next.clone(),
                    });
                    let error_output = json!({"Error": f.error, "Cause": f.cause});
                    data = put_result(&c.result_path, data, error_output)?;
                    current = c.next.as_str();
                }
            }
        }
    })
}

/// The events a state records besides its attempts: entered and exited, and for Map and Parallel
/// their start and end. A failed state records no exit; a Fail state records only its entry.
fn state_events(kind: &Kind, succeeded: bool) -> u64 {
    let exit = u64::from(succeeded);
    match kind {
        Kind::Fail { .. } => 1,
        Kind::Map { .. } | Kind::Parallel { .. } => 3 + exit,
        _ => 1 + exit,
    }
}

fn kind_name(k: &Kind) -> &'static str {
    match k {
        Kind::Pass { .. } => "Pass",
        Kind::Task { .. } => "Task",
        Kind::Choice { .. } => "Choice",
        Kind::Wait { .. } => "Wait",
        Kind::Succeed => "Succeed",
        Kind::Fail { .. } => "Fail",
        Kind::Parallel { .. } => "Parallel",
        Kind::Map { .. } => "Map",
    }
}

fn select(
    path: &Option<Option<Path>>,
    data: Value,
    context: &Value,
    field: &str,
) -> Result<Value, Failure> {
    match path {
        None => Ok(data),
        Some(None) => Ok(json!({})),
        Some(Some(p)) => p.get(&data, context).ok_or_else(|| {
            runtime(format!(
                "{field} {} matched nothing in the state's data",
                p.text()
            ))
        }),
    }
}

fn put_result(
    result_path: &Option<Option<Path>>,
    raw_input: Value,
    result: Value,
) -> Result<Value, Failure> {
    match result_path {
        None => Ok(result),
        Some(None) => Ok(raw_input),
        Some(Some(p)) => p
            .set(raw_input, result)
            .map_err(|e| failure("States.ResultPathMatchFailure", e)),
    }
}

/// InputPath then Parameters: what the state works on.
fn effective_input(io: &Io, raw: &Value, context: &Value) -> Result<Value, Failure> {
    let selected = select(&io.input_path, raw.clone(), context, "InputPath")?;
    match &io.parameters {
        None => Ok(selected),
        Some(t) => t
            .apply(&selected, context)
            .map_err(|e| failure("States.ParameterPathFailure", e)),
    }
}

/// ResultSelector, ResultPath, OutputPath: what the state passes on.
fn finish(io: &Io, raw: Value, result: Value, context: &Value) -> Result<Value, Failure> {
    let result = match &io.result_selector {
        None => result,
        Some(t) => t.apply(&result, context).map_err(|e| {
            failure(
                "States.ParameterPathFailure",
                format!("ResultSelector: {e}"),
            )
        })?,
    };
    let combined = put_result(&io.result_path, raw, result)?;
    select(&io.output_path, combined, context, "OutputPath")
}

fn next_of(state: &State) -> Option<&str> {
    match &state.transition {
        Some(Transition::Next(n)) => Some(n.as_str()),
        _ => None,
    }
}

async fn run_state<'a>(
    name: &str,
    state: &'a State,
    raw: Value,
    ctx: &'a Ctx<'a>,
    context: &Value,
) -> Result<(Value, Option<&'a str>), Failure> {
    match &state.kind {
        Kind::Pass { result } => {
            let effective = effective_input(&state.io, &raw, context)?;
            let out = finish(&state.io, raw, result.clone().unwrap_or(effective), context)?;
            Ok((out, next_of(state)))
        }
        Kind::Succeed => Ok((
            select(
                &state.io.output_path,
                select(&state.io.input_path, raw, context, "InputPath")?,
                context,
                "OutputPath",
            )?,
            None,
        )),
        Kind::Fail { error, cause } => {
            // ErrorPath/CausePath must give a string; anything else is States.Runtime, as on AWS.
            let text = |t: &Option<Template>, field: &str| -> Result<Option<String>, Failure> {
                match t {
                    None => Ok(None),
                    Some(t) => match t.apply(&raw, context).map_err(runtime)? {
                        Value::String(s) => Ok(Some(s)),
                        other => Err(runtime(format!(
                            "{name}: {field} gave {other}, not a string"
                        ))),
                    },
                }
            };
            let error = text(error, "ErrorPath")?;
            let cause = text(cause, "CausePath")?;
            Err(failure(
                error.as_deref().unwrap_or("States.Fail"),
                cause.unwrap_or_default(),
            ))
        }
        Kind::Choice { choices, default } => {
            let input = select(&state.io.input_path, raw, context, "InputPath")?;
            let mut chosen = None;
            for (rule, next) in choices {
                if rule.matches(&input, context).map_err(runtime)? {
                    chosen = Some(next.as_str());
                    break;
                }
            }
            let next = chosen.or(default.as_deref()).ok_or_else(|| {
                failure(
                    "States.NoChoiceMatched",
                    format!("no choice rule of {name} matched and there is no Default"),
                )
            })?;
            Ok((
                select(&state.io.output_path, input, context, "OutputPath")?,
                Some(next),
            ))
        }
        Kind::Wait { seconds } => {
            let input = select(&state.io.input_path, raw, context, "InputPath")?;
            let secs = match seconds {
                WaitFor::Seconds(s) => *s as f64,
                WaitFor::SecondsPath(p) => p
                    .get(&input, context)
                    .and_then(|v| v.as_f64())
                    .filter(|s| *s >= 0.0)
                    .ok_or_else(|| {
                        runtime(format!(
                            "SecondsPath {} is not a non-negative number",
                            p.text()
                        ))
                    })?,
            };
            *ctx.clock.lock().unwrap() += secs;
            ctx.observer.event(&Event::Waited {
                state: name.to_string(),
                seconds: secs,
            });
            Ok((
                select(&state.io.output_path, input, context, "OutputPath")?,
                next_of(state),
            ))
        }
        Kind::Task { resource } if resource == START_EXECUTION_SYNC => {
            let effective = effective_input(&state.io, &raw, context)?;
            let result = with_retry(name, state, ctx, || async {
                // TaskScheduled, TaskStarted, TaskSubmitted, and TaskSucceeded or TaskFailed.
                ctx.record(4);
                start_execution_sync(name, &effective, ctx).await
            })
            .await?;
            Ok((finish(&state.io, raw, result, context)?, next_of(state)))
        }
        Kind::Task { resource } => {
            let effective = effective_input(&state.io, &raw, context)?;
            let result = with_retry(name, state, ctx, || async {
                // TaskScheduled, TaskStarted, and TaskSucceeded or TaskFailed.
                ctx.record(3);
                match ctx.tasks.invoke(resource, effective.clone()).await {
                    Ok(out) => {
                        ctx.observer.event(&Event::TaskSucceeded {
                            state: name.to_string(),
                            resource: resource.clone(),
                            output: out.clone(),
                        });
                        Ok(out)
                    }
                    Err(TaskFailure { error, cause }) => {
                        ctx.observer.event(&Event::TaskFailed {
                            state: name.to_string(),
                            error: error.clone(),
                            cause: cause.clone(),
                        });
                        Err(Failure { error, cause })
                    }
                }
            })
            .await?;
            Ok((finish(&state.io, raw, result, context)?, next_of(state)))
        }
        Kind::Parallel { branches } => {
            let effective = effective_input(&state.io, &raw, context)?;
            let result = with_retry(name, state, ctx, || async {
                let mut outputs = Vec::with_capacity(branches.len());
                // Branches run one after another locally: DuckDB has one writer, and the order is stable.
                for b in branches {
                    outputs
                        .push(run_machine(b, effective.clone(), ctx, ctx.context.clone()).await?);
                }
                Ok(Value::Array(outputs))
            })
            .await?;
            Ok((finish(&state.io, raw, result, context)?, next_of(state)))
        }
        Kind::Map {
            items_path,
            item_selector,
            item_reader,
            processor,
        } => {
            let input = select(&state.io.input_path, raw.clone(), context, "InputPath")?;
            let items = match (item_reader, items_path) {
                (Some(reader), _) => read_items(name, reader, &input, ctx, context).await?,
                (None, None) => input.clone(),
                (None, Some(p)) => p
                    .get(&input, context)
                    .ok_or_else(|| runtime(format!("ItemsPath {} matched nothing", p.text())))?,
            };
            let items = items
                .as_array()
                .cloned()
                .ok_or_else(|| runtime(format!("{name}: the items to iterate are not an array")))?;
            let result = with_retry(name, state, ctx, || async {
                let mut outputs = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    let mut item_context = ctx.context.clone();
                    item_context["Map"] = json!({"Item": {"Index": index, "Value": item}});
                    let iteration_input = match item_selector {
                        None => item.clone(),
                        Some(t) => t.apply(&input, &item_context).map_err(|e| {
                            failure("States.ParameterPathFailure", format!("ItemSelector: {e}"))
                        })?,
                    };
                    if processor.distributed {
                        // Each iteration is a child execution; the Map fails when one does (a
                        // tolerated failure percentage of 0), as its Map Run reports it.
                        let output = child_execution(ctx, name, processor, iteration_input)
                            .await
                            .map_err(|f| {
                                failure(
                                    "States.ExceedToleratedFailureThreshold",
                                    format!(
                                        "{name}: iteration {index} failed ({}: {}); the Map Run tolerates no failure",
                                        f.error, f.cause
                                    ),
                                )
                            })?;
                        outputs.push(output);
                    } else {
                        // MapIterationStarted, and MapIterationSucceeded or MapIterationFailed.
                        ctx.record(2);
                        outputs.push(run_machine(processor, iteration_input, ctx, item_context).await?);
                    }
                }
                Ok(Value::Array(outputs))
            })
            .await?;
            Ok((finish(&state.io, raw, result, context)?, next_of(state)))
        }
    }
}

/// A Distributed Map's items from S3: the object the reader's Parameters name, one JSON array.
async fn read_items(
    name: &str,
    reader: &model::ItemReader,
    input: &Value,
    ctx: &Ctx<'_>,
    context: &Value,
) -> Result<Value, Failure> {
    let parameters = reader
        .parameters
        .apply(input, context)
        .map_err(|e| failure("States.ParameterPathFailure", format!("ItemReader: {e}")))?;
    let body = ctx
        .tasks
        .invoke(&reader.resource, parameters)
        .await
        .map_err(|TaskFailure { error, cause }| {
            failure(
                "States.ItemReaderFailed",
                format!("{name}: reading the items failed ({error}: {cause})"),
            )
        })?;
    if !body.is_array() {
        return Err(failure(
            "States.ItemReaderFailed",
            format!("{name}: the item file is not a JSON array"),
        ));
    }
    Ok(body)
}

/// `states:startExecution.sync:2`: starts the machine `StateMachineArn` names with `Input` and
/// waits for it. Its output is what Step Functions returns (`Output` as JSON); its failure is
/// `States.TaskFailed` with the child's description, `Error` and `Cause` included, as the cause.
async fn start_execution_sync(
    state: &str,
    parameters: &Value,
    ctx: &Ctx<'_>,
) -> Result<Value, Failure> {
    let arn = parameters["StateMachineArn"].as_str().ok_or_else(|| {
        failure(
            "States.Runtime",
            format!("{state}: StateMachineArn must be a string"),
        )
    })?;
    let (child_name, machine) = ctx.nested.get(arn).ok_or_else(|| {
        failure(
            "StepFunctions.StateMachineDoesNotExistException",
            format!("{state}: no state machine {arn} to start"),
        )
    })?;
    let input = parameters.get("Input").cloned().unwrap_or(json!({}));
    let started = parent_started(ctx);
    match child_execution(ctx, child_name, machine, input.clone()).await {
        Ok(output) => Ok(json!({
            "ExecutionArn": format!("{arn}:{started}"),
            "StateMachineArn": arn,
            "Input": input,
            "Output": output,
            "Status": "SUCCEEDED",
        })),
        Err(f) => Err(failure(
            "States.TaskFailed",
            json!({
                "ExecutionArn": format!("{arn}:{started}"),
                "StateMachineArn": arn,
                "Status": "FAILED",
                "Error": f.error,
                "Cause": f.cause,
            })
            .to_string(),
        )),
    }
}

/// The name the next child execution will get (for its ARN).
fn parent_started(ctx: &Ctx<'_>) -> String {
    format!(
        "child-{}",
        ctx.tree
            .executions
            .load(std::sync::atomic::Ordering::SeqCst)
            + 1
    )
}

async fn with_retry<'a, F, Fut>(
    name: &str,
    state: &State,
    ctx: &Ctx<'a>,
    mut attempt: F,
) -> Result<Value, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Value, Failure>>,
{
    let mut counts = vec![0u32; state.retry.len()];
    loop {
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(f) => {
                let Some(i) = state
                    .retry
                    .iter()
                    .position(|r| error_matches(&r.errors, &f.error))
                else {
                    return Err(f);
                };
                let r = &state.retry[i];
                if counts[i] >= r.max_attempts {
                    return Err(f);
                }
                let mut delay = r.interval_seconds * r.backoff_rate.powi(counts[i] as i32);
                if let Some(cap) = r.max_delay_seconds {
                    delay = delay.min(cap);
                }
                counts[i] += 1;
                ctx.observer.event(&Event::Retrying {
                    state: name.to_string(),
                    error: f.error.clone(),
                    attempt: counts[i],
                    delay_seconds: delay,
                });
                *ctx.clock.lock().unwrap() += delay;
                ctx.tasks.pause_before_retry(delay).await;
            }
        }
    }
}
