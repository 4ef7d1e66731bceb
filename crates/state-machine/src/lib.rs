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
}

/// The outcome of a successful execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub output: Value,
    /// Seconds the execution would have waited (Wait states and retry delays).
    pub virtual_seconds: f64,
}

struct Ctx<'a> {
    tasks: &'a dyn Tasks,
    observer: &'a dyn Observer,
    context: Value,
    clock: Mutex<f64>,
    /// The execution's start in epoch milliseconds, when `StartTime` is ISO-8601 UTC.
    start_ms: Option<i64>,
    /// States entered so far: each entry is a millisecond later than the one before, so two
    /// entries of one state never share `$$.State.EnteredTime` (as in Step Functions).
    entries: std::sync::atomic::AtomicI64,
}

impl Ctx<'_> {
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
        })
    }

    /// Every `Resource` the definition's Task states use.
    pub fn resources(&self) -> Vec<String> {
        fn walk(m: &Machine, out: &mut Vec<String>) {
            for s in m.states.values() {
                match &s.kind {
                    Kind::Task { resource } => out.push(resource.clone()),
                    Kind::Parallel { branches } => branches.iter().for_each(|b| walk(b, out)),
                    Kind::Map { processor, .. } => walk(processor, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.machine, &mut out);
        out.sort();
        out.dedup();
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
        let ctx = Ctx {
            tasks,
            observer,
            context: json!({
                "Execution": {"Id": format!("local:{}:{execution_name}", self.name), "Name": execution_name,
                              "StartTime": start_time, "Input": input.clone()},
                "StateMachine": {"Id": format!("local:{}", self.name), "Name": self.name},
                "State": {"EnteredTime": start_time},
            }),
            clock: Mutex::new(0.0),
            start_ms: parse_iso_millis(start_time),
            entries: std::sync::atomic::AtomicI64::new(0),
        };
        let output = run_machine(&self.machine, input, &ctx, ctx.context.clone()).await?;
        let virtual_seconds = *ctx.clock.lock().unwrap();
        Ok(Execution {
            output,
            virtual_seconds,
        })
    }
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
            match run_state(current, state, data.clone(), ctx, &context).await {
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
        Some(Some(p)) => p.get(&data, context).cloned().ok_or_else(|| {
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
                    .and_then(Value::as_f64)
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
        Kind::Task { resource } => {
            let effective = effective_input(&state.io, &raw, context)?;
            let result = with_retry(name, state, ctx, || async {
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
            processor,
            ..
        } => {
            let input = select(&state.io.input_path, raw.clone(), context, "InputPath")?;
            let items = match items_path {
                None => input.clone(),
                Some(p) => p
                    .get(&input, context)
                    .cloned()
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
                    outputs.push(run_machine(processor, iteration_input, ctx, item_context).await?);
                }
                Ok(Value::Array(outputs))
            })
            .await?;
            Ok((finish(&state.io, raw, result, context)?, next_of(state)))
        }
    }
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
