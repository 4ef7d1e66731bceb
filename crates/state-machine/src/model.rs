//! The ASL model: a definition parsed and checked at load time. Anything outside the subset the
//! project uses is an error that names the state and the field.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::path::Path;
use crate::template::Template;
use crate::LoadError;

#[derive(Clone, Debug)]
pub struct Machine {
    pub start_at: String,
    pub states: BTreeMap<String, State>,
    /// A Map's processor in `DISTRIBUTED` mode: each iteration is a child execution with its own
    /// history (`ProcessorConfig.ExecutionType` `STANDARD`).
    pub distributed: bool,
}

/// Where a Distributed Map reads its items: one JSON array in S3 (`s3:getObject`, `InputType`
/// `JSON`), fetched through [`crate::Tasks`] with the `Bucket` and `Key` the template gives.
#[derive(Clone, Debug)]
pub struct ItemReader {
    pub resource: String,
    pub parameters: Template,
}

/// The resource a Distributed Map's ItemReader may name.
pub const S3_GET_OBJECT: &str = "arn:aws:states:::s3:getObject";

#[derive(Clone, Debug)]
pub enum Transition {
    Next(String),
    End,
}

/// Fields every non-terminal state may have, resolved.
#[derive(Clone, Debug, Default)]
pub struct Io {
    pub input_path: Option<Option<Path>>,
    pub output_path: Option<Option<Path>>,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    /// `None`: default `$`; `Some(None)`: `null` (discard the result).
    pub result_path: Option<Option<Path>>,
}

#[derive(Clone, Debug)]
pub struct Retrier {
    pub errors: Vec<String>,
    pub interval_seconds: f64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct Catcher {
    pub errors: Vec<String>,
    pub next: String,
    pub result_path: Option<Option<Path>>,
}

#[derive(Clone, Debug)]
pub enum Kind {
    Pass {
        result: Option<Value>,
    },
    Task {
        resource: String,
    },
    Choice {
        choices: Vec<(Rule, String)>,
        default: Option<String>,
    },
    Wait {
        seconds: WaitFor,
    },
    Succeed,
    /// `Error`/`Cause` are literal; `ErrorPath`/`CausePath` a path or an intrinsic function
    /// (`States.Format(…)`), evaluated on the state's input when it fails.
    Fail {
        error: Option<Template>,
        cause: Option<Template>,
    },
    Parallel {
        branches: Vec<Machine>,
    },
    /// Iterations run one after another locally (one DuckDB writer); `MaxConcurrency` is checked, not used.
    Map {
        items_path: Option<Path>,
        item_selector: Option<Template>,
        item_reader: Option<ItemReader>,
        processor: Box<Machine>,
    },
}

#[derive(Clone, Debug)]
pub enum WaitFor {
    Seconds(u64),
    SecondsPath(Path),
}

#[derive(Clone, Debug)]
pub struct State {
    pub kind: Kind,
    pub io: Io,
    pub transition: Option<Transition>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

/// A Choice rule.
#[derive(Clone, Debug)]
pub enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Compare {
        variable: Path,
        op: Op,
        operand: Operand,
    },
}

#[derive(Clone, Debug)]
pub enum Operand {
    Value(Value),
    Path(Path),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    BooleanEquals,
    IsPresent,
    IsNull,
    IsString,
    IsNumeric,
    IsBoolean,
}

const OPS: &[(&str, Op)] = &[
    ("StringEquals", Op::StringEquals),
    ("StringLessThan", Op::StringLessThan),
    ("StringGreaterThan", Op::StringGreaterThan),
    ("StringMatches", Op::StringMatches),
    ("NumericEquals", Op::NumericEquals),
    ("NumericLessThan", Op::NumericLessThan),
    ("NumericLessThanEquals", Op::NumericLessThanEquals),
    ("NumericGreaterThan", Op::NumericGreaterThan),
    ("NumericGreaterThanEquals", Op::NumericGreaterThanEquals),
    ("BooleanEquals", Op::BooleanEquals),
    ("IsPresent", Op::IsPresent),
    ("IsNull", Op::IsNull),
    ("IsString", Op::IsString),
    ("IsNumeric", Op::IsNumeric),
    ("IsBoolean", Op::IsBoolean),
];

/// Loader context: where we are, for error messages.
struct At<'a> {
    state: &'a str,
}

impl At<'_> {
    fn err(&self, field: &str, message: impl std::fmt::Display) -> LoadError {
        LoadError::Field {
            state: self.state.to_string(),
            field: field.to_string(),
            message: message.to_string(),
        }
    }
}

pub fn parse_machine(value: &Value, scope: &str) -> Result<Machine, LoadError> {
    let at = At { state: scope };
    let obj = value
        .as_object()
        .ok_or_else(|| at.err("(definition)", "must be a JSON object"))?;
    if let Some(q) = obj
        .get("QueryLanguage")
        .filter(|q| q.as_str() != Some("JSONPath"))
    {
        return Err(at.err("QueryLanguage", format!("{q}: only JSONPath is supported")));
    }
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "StartAt"
                | "States"
                | "Comment"
                | "ProcessorConfig"
                | "Version"
                | "TimeoutSeconds"
                | "QueryLanguage"
        ) {
            return Err(at.err(key, "is not supported here"));
        }
    }
    let mut distributed = false;
    if let Some(cfg) = obj.get("ProcessorConfig") {
        let mode = cfg.get("Mode").and_then(Value::as_str).unwrap_or("INLINE");
        let keys: Vec<&str> = cfg
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        match mode {
            "INLINE" if keys.iter().all(|k| *k == "Mode") => {}
            "DISTRIBUTED"
                if cfg.get("ExecutionType").and_then(Value::as_str) == Some("STANDARD")
                    && keys.iter().all(|k| ["Mode", "ExecutionType"].contains(k)) =>
            {
                distributed = true
            }
            _ => {
                return Err(at.err(
                    "ProcessorConfig",
                    "supported: {\"Mode\": \"INLINE\"} or {\"Mode\": \"DISTRIBUTED\", \"ExecutionType\": \"STANDARD\"} (an Express child cannot outlast 5 minutes)",
                ))
            }
        }
    }
    let start_at = obj
        .get("StartAt")
        .and_then(Value::as_str)
        .ok_or_else(|| at.err("StartAt", "is required"))?
        .to_string();
    let states_obj = obj
        .get("States")
        .and_then(Value::as_object)
        .ok_or_else(|| at.err("States", "is required"))?;
    let mut states = BTreeMap::new();
    for (name, s) in states_obj {
        states.insert(name.clone(), parse_state(name, s)?);
    }
    let known = |target: &str| states.contains_key(target);
    if !known(&start_at) {
        return Err(at.err("StartAt", format!("names no state: {start_at}")));
    }
    for (name, s) in &states {
        let at = At { state: name };
        let mut targets: Vec<(&str, &str)> = Vec::new();
        if let Some(Transition::Next(n)) = &s.transition {
            targets.push(("Next", n));
        }
        for c in &s.catch {
            targets.push(("Catch.Next", &c.next));
        }
        if let Kind::Choice { choices, default } = &s.kind {
            targets.extend(choices.iter().map(|(_, n)| ("Choices.Next", n.as_str())));
            targets.extend(default.iter().map(|d| ("Default", d.as_str())));
        }
        for (field, target) in targets {
            if !known(target) {
                return Err(at.err(field, format!("names no state in this scope: {target}")));
            }
        }
    }
    // TimeoutSeconds is checked, not enforced: the local runner runs Map iterations one after
    // another, so its virtual time is not the time AWS would take.
    if let Some(v) = obj.get("TimeoutSeconds") {
        v.as_u64()
            .filter(|s| *s > 0)
            .ok_or_else(|| at.err("TimeoutSeconds", "must be a positive whole number"))?;
    }
    Ok(Machine {
        start_at,
        states,
        distributed,
    })
}

/// Fields of a state that moves on (`Next`/`End`) and filters its input and output.
const FLOW: &[&str] = &["Type", "Comment", "Next", "End", "InputPath", "OutputPath"];
/// Fields of a state that produces a result.
const RESULT: &[&str] = &["Parameters", "ResultSelector", "ResultPath"];
/// Fields of a state that can fail and be retried or caught.
const ERRORS: &[&str] = &["Retry", "Catch"];

fn allowed_fields(kind: &str) -> Option<Vec<&'static str>> {
    let (groups, own): (&[&[&str]], &[&str]) = match kind {
        "Pass" => (&[FLOW], &["Parameters", "Result", "ResultPath"]),
        "Task" => (&[FLOW, RESULT, ERRORS], &["Resource", "TimeoutSeconds"]),
        "Choice" => (
            &[],
            &[
                "Type",
                "Comment",
                "InputPath",
                "OutputPath",
                "Choices",
                "Default",
            ],
        ),
        "Wait" => (&[FLOW], &["Seconds", "SecondsPath"]),
        "Succeed" => (&[], &["Type", "Comment", "InputPath", "OutputPath"]),
        "Fail" => (
            &[],
            &[
                "Type",
                "Comment",
                "Error",
                "ErrorPath",
                "Cause",
                "CausePath",
            ],
        ),
        "Parallel" => (&[FLOW, RESULT, ERRORS], &["Branches"]),
        // A Map's input template is ItemSelector, not Parameters.
        "Map" => (
            &[FLOW, ERRORS],
            &[
                "ResultSelector",
                "ResultPath",
                "ItemsPath",
                "ItemSelector",
                "ItemProcessor",
                "ItemReader",
                "MaxConcurrency",
                "ToleratedFailurePercentage",
                "Label",
            ],
        ),
        _ => return None,
    };
    Some(
        groups
            .iter()
            .flat_map(|g| g.iter())
            .chain(own)
            .copied()
            .collect(),
    )
}

fn opt_path(
    at: &At,
    obj: &Map<String, Value>,
    field: &str,
) -> Result<Option<Option<Path>>, LoadError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Path::parse(s)
            .map(|p| Some(Some(p)))
            .map_err(|e| at.err(field, e)),
        Some(other) => Err(at.err(field, format!("must be a path string or null, not {other}"))),
    }
}

fn opt_template(
    at: &At,
    obj: &Map<String, Value>,
    field: &str,
) -> Result<Option<Template>, LoadError> {
    obj.get(field)
        .map(|v| Template::parse(v).map_err(|e| at.err(field, e)))
        .transpose()
}

fn string(at: &At, obj: &Map<String, Value>, field: &str) -> Result<Option<String>, LoadError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(at.err(field, format!("must be a string, not {other}"))),
    }
}

/// A Fail state's `Error` or `Cause`: literal, or from `<field>Path` (a path or an intrinsic);
/// never both, as Step Functions requires.
fn fail_text(
    at: &At,
    obj: &Map<String, Value>,
    field: &str,
) -> Result<Option<Template>, LoadError> {
    let path_field = format!("{field}Path");
    let literal = string(at, obj, field)?;
    let dynamic = string(at, obj, &path_field)?;
    match (literal, dynamic) {
        (Some(_), Some(_)) => Err(at.err(&path_field, format!("cannot be given with {field}"))),
        (Some(text), None) => Ok(Some(Template::Literal(Value::String(text)))),
        (None, Some(text)) => Template::dynamic(&text)
            .map(Some)
            .map_err(|e| at.err(&path_field, e)),
        (None, None) => Ok(None),
    }
}

fn parse_state(name: &str, value: &Value) -> Result<State, LoadError> {
    let at = At { state: name };
    let obj = value
        .as_object()
        .ok_or_else(|| at.err("(state)", "must be a JSON object"))?;
    let kind_name = string(&at, obj, "Type")?.ok_or_else(|| at.err("Type", "is required"))?;
    let allowed = allowed_fields(&kind_name)
        .ok_or_else(|| at.err("Type", format!("{kind_name} is not a supported state type")))?;
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(at.err(key, format!("is not supported on a {kind_name} state")));
        }
    }
    let io = Io {
        input_path: opt_path(&at, obj, "InputPath")?,
        output_path: opt_path(&at, obj, "OutputPath")?,
        parameters: match kind_name.as_str() {
            "Map" => None,
            _ => opt_template(&at, obj, "Parameters")?,
        },
        result_selector: opt_template(&at, obj, "ResultSelector")?,
        result_path: opt_path(&at, obj, "ResultPath")?,
    };
    let transition = match (string(&at, obj, "Next")?, obj.get("End")) {
        (Some(n), None) => Some(Transition::Next(n)),
        (None, Some(Value::Bool(true))) => Some(Transition::End),
        (None, None) if matches!(kind_name.as_str(), "Choice" | "Succeed" | "Fail") => None,
        (None, None) => return Err(at.err("Next", "a state needs Next or \"End\": true")),
        _ => return Err(at.err("End", "use either Next or \"End\": true")),
    };
    let kind = match kind_name.as_str() {
        "Pass" => Kind::Pass {
            result: obj.get("Result").cloned(),
        },
        "Task" => Kind::Task {
            resource: string(&at, obj, "Resource")?
                .ok_or_else(|| at.err("Resource", "is required"))?,
        },
        "Choice" => {
            let list = obj
                .get("Choices")
                .and_then(Value::as_array)
                .ok_or_else(|| at.err("Choices", "must be a non-empty array"))?;
            let mut choices = Vec::new();
            for (i, c) in list.iter().enumerate() {
                let field = format!("Choices[{i}]");
                let next = c
                    .get("Next")
                    .and_then(Value::as_str)
                    .ok_or_else(|| at.err(&field, "needs Next"))?;
                choices.push((parse_rule(&at, &field, c, true)?, next.to_string()));
            }
            Kind::Choice {
                choices,
                default: string(&at, obj, "Default")?,
            }
        }
        "Wait" => {
            let given: Vec<_> = ["Seconds", "SecondsPath"]
                .into_iter()
                .filter(|f| obj.contains_key(*f))
                .collect();
            if given.len() != 1 {
                return Err(at.err(
                    "Seconds",
                    "a Wait needs exactly one of Seconds, SecondsPath",
                ));
            }
            let path = |f: &str| {
                string(&at, obj, f)?
                    .map(|s| Path::parse(&s).map_err(|e| at.err(f, e)))
                    .transpose()
            };
            Kind::Wait {
                seconds: match given[0] {
                    "Seconds" => WaitFor::Seconds(
                        obj["Seconds"]
                            .as_u64()
                            .ok_or_else(|| at.err("Seconds", "must be a whole number"))?,
                    ),
                    _ => WaitFor::SecondsPath(path("SecondsPath")?.unwrap()),
                },
            }
        }
        "Succeed" => Kind::Succeed,
        "Fail" => Kind::Fail {
            error: fail_text(&at, obj, "Error")?,
            cause: fail_text(&at, obj, "Cause")?,
        },
        "Parallel" => {
            let list = obj
                .get("Branches")
                .and_then(Value::as_array)
                .ok_or_else(|| at.err("Branches", "must be an array"))?;
            let branches = list
                .iter()
                .enumerate()
                .map(|(i, b)| parse_machine(b, &format!("{name}.Branches[{i}]")))
                .collect::<Result<_, _>>()?;
            Kind::Parallel { branches }
        }
        "Map" => {
            let processor = obj
                .get("ItemProcessor")
                .ok_or_else(|| at.err("ItemProcessor", "is required"))?;
            if obj
                .get("MaxConcurrency")
                .is_some_and(|v| v.as_u64().is_none())
            {
                return Err(at.err("MaxConcurrency", "must be a whole number"));
            }
            let processor = parse_machine(processor, &format!("{name}.ItemProcessor"))?;
            if !processor.distributed
                && ["ItemReader", "ToleratedFailurePercentage", "Label"]
                    .iter()
                    .any(|f| obj.contains_key(*f))
            {
                return Err(at.err(
                    "ItemReader",
                    "ItemReader, ToleratedFailurePercentage and Label belong to a DISTRIBUTED Map",
                ));
            }
            if obj
                .get("ToleratedFailurePercentage")
                .is_some_and(|v| v.as_f64() != Some(0.0))
            {
                return Err(at.err(
                    "ToleratedFailurePercentage",
                    "only 0 is supported: one failed iteration fails the Map",
                ));
            }
            let item_reader = match obj.get("ItemReader") {
                None => None,
                Some(r) => {
                    let resource = r.get("Resource").and_then(Value::as_str);
                    let input_type = r
                        .get("ReaderConfig")
                        .and_then(|c| c.get("InputType"))
                        .and_then(Value::as_str);
                    if resource != Some(S3_GET_OBJECT) || input_type != Some("JSON") {
                        return Err(at.err(
                            "ItemReader",
                            format!("only {S3_GET_OBJECT} with ReaderConfig.InputType JSON is supported"),
                        ));
                    }
                    let parameters = r
                        .get("Parameters")
                        .ok_or_else(|| at.err("ItemReader", "needs Parameters (Bucket, Key)"))?;
                    Some(ItemReader {
                        resource: S3_GET_OBJECT.to_string(),
                        parameters: Template::parse(parameters)
                            .map_err(|e| at.err("ItemReader.Parameters", e))?,
                    })
                }
            };
            if item_reader.is_some() && obj.contains_key("ItemsPath") {
                return Err(at.err(
                    "ItemsPath",
                    "a Map reads its items from ItemsPath or ItemReader, not both",
                ));
            }
            Kind::Map {
                items_path: opt_path(&at, obj, "ItemsPath")?.flatten(),
                item_selector: opt_template(&at, obj, "ItemSelector")?,
                item_reader,
                processor: Box::new(processor),
            }
        }
        _ => unreachable!("allowed_fields checked the type"),
    };
    let retry = match obj.get("Retry") {
        None => Vec::new(),
        Some(v) => v
            .as_array()
            .ok_or_else(|| at.err("Retry", "must be an array"))?
            .iter()
            .map(|r| parse_retrier(&at, r))
            .collect::<Result<_, _>>()?,
    };
    let catch = match obj.get("Catch") {
        None => Vec::new(),
        Some(v) => v
            .as_array()
            .ok_or_else(|| at.err("Catch", "must be an array"))?
            .iter()
            .map(|c| {
                let o = c
                    .as_object()
                    .ok_or_else(|| at.err("Catch", "entries must be objects"))?;
                for k in o.keys() {
                    if !matches!(
                        k.as_str(),
                        "ErrorEquals" | "Next" | "ResultPath" | "Comment"
                    ) {
                        return Err(at.err(&format!("Catch.{k}"), "is not supported"));
                    }
                }
                Ok(Catcher {
                    errors: error_list(&at, "Catch.ErrorEquals", o.get("ErrorEquals"))?,
                    next: string(&at, o, "Next")?
                        .ok_or_else(|| at.err("Catch.Next", "is required"))?,
                    result_path: opt_path(&at, o, "ResultPath")?,
                })
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(State {
        kind,
        io,
        transition,
        retry,
        catch,
    })
}

fn error_list(at: &At, field: &str, v: Option<&Value>) -> Result<Vec<String>, LoadError> {
    let list = v
        .and_then(Value::as_array)
        .ok_or_else(|| at.err(field, "must be a non-empty array of error names"))?;
    let errors: Vec<String> = list
        .iter()
        .filter_map(|e| e.as_str().map(String::from))
        .collect();
    if errors.is_empty() || errors.len() != list.len() {
        return Err(at.err(field, "must be a non-empty array of error names"));
    }
    Ok(errors)
}

fn parse_retrier(at: &At, v: &Value) -> Result<Retrier, LoadError> {
    let o = v
        .as_object()
        .ok_or_else(|| at.err("Retry", "entries must be objects"))?;
    for k in o.keys() {
        if !matches!(
            k.as_str(),
            "ErrorEquals"
                | "IntervalSeconds"
                | "MaxAttempts"
                | "BackoffRate"
                | "MaxDelaySeconds"
                | "JitterStrategy"
                | "Comment"
        ) {
            return Err(at.err(&format!("Retry.{k}"), "is not supported"));
        }
    }
    let num = |f: &str, default: f64| -> Result<f64, LoadError> {
        o.get(f).map_or(Ok(default), |v| {
            v.as_f64()
                .ok_or_else(|| at.err(&format!("Retry.{f}"), "must be a number"))
        })
    };
    Ok(Retrier {
        errors: error_list(at, "Retry.ErrorEquals", o.get("ErrorEquals"))?,
        interval_seconds: num("IntervalSeconds", 1.0)?,
        max_attempts: num("MaxAttempts", 3.0)? as u32,
        backoff_rate: num("BackoffRate", 2.0)?,
        max_delay_seconds: o
            .get("MaxDelaySeconds")
            .map(|_| num("MaxDelaySeconds", 0.0))
            .transpose()?,
    })
}

fn parse_rule(at: &At, field: &str, v: &Value, top: bool) -> Result<Rule, LoadError> {
    let o = v
        .as_object()
        .ok_or_else(|| at.err(field, "a rule must be an object"))?;
    let allowed_extra = if top {
        &["Next", "Comment"][..]
    } else {
        &["Comment"][..]
    };
    let keys: Vec<&str> = o
        .keys()
        .map(String::as_str)
        .filter(|k| !allowed_extra.contains(k))
        .collect();
    let sub = |k: &str| -> Result<Vec<Rule>, LoadError> {
        o[k].as_array()
            .ok_or_else(|| at.err(field, format!("{k} must be an array")))?
            .iter()
            .map(|r| parse_rule(at, field, r, false))
            .collect()
    };
    if keys == ["And"] {
        return Ok(Rule::And(sub("And")?));
    }
    if keys == ["Or"] {
        return Ok(Rule::Or(sub("Or")?));
    }
    if keys == ["Not"] {
        return Ok(Rule::Not(Box::new(parse_rule(
            at, field, &o["Not"], false,
        )?)));
    }
    let variable = o
        .get("Variable")
        .and_then(Value::as_str)
        .ok_or_else(|| at.err(field, "a comparison needs Variable"))
        .and_then(|s| Path::parse(s).map_err(|e| at.err(field, e)))?;
    let comparisons: Vec<&str> = keys.iter().copied().filter(|k| *k != "Variable").collect();
    let [cmp] = comparisons.as_slice() else {
        return Err(at.err(
            field,
            format!("a comparison needs exactly one operator, found {comparisons:?}"),
        ));
    };
    let (name, by_path) = match cmp.strip_suffix("Path") {
        Some(base) if OPS.iter().any(|(n, _)| *n == base) => (base, true),
        _ => (*cmp, false),
    };
    let op = OPS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, op)| *op)
        .ok_or_else(|| at.err(field, format!("unsupported operator {cmp}")))?;
    let raw = &o[*cmp];
    let operand = if by_path {
        Operand::Path(
            Path::parse(
                raw.as_str()
                    .ok_or_else(|| at.err(field, "a …Path operator takes a path"))?,
            )
            .map_err(|e| at.err(field, e))?,
        )
    } else {
        Operand::Value(raw.clone())
    };
    Ok(Rule::Compare {
        variable,
        op,
        operand,
    })
}

impl Rule {
    pub fn matches(&self, data: &Value, context: &Value) -> Result<bool, String> {
        Ok(match self {
            Rule::And(rules) => {
                for r in rules {
                    if !r.matches(data, context)? {
                        return Ok(false);
                    }
                }
                true
            }
            Rule::Or(rules) => {
                for r in rules {
                    if r.matches(data, context)? {
                        return Ok(true);
                    }
                }
                false
            }
            Rule::Not(r) => !r.matches(data, context)?,
            Rule::Compare {
                variable,
                op,
                operand,
            } => {
                let value = variable.get(data, context);
                let operand = match operand {
                    Operand::Value(v) => v.clone(),
                    Operand::Path(p) => p
                        .get(data, context)
                        .ok_or_else(|| format!("path {} not found", p.text()))?,
                };
                match op {
                    Op::IsPresent => value.is_some() == operand.as_bool().unwrap_or(true),
                    Op::IsNull => {
                        value.as_ref().is_some_and(Value::is_null)
                            == operand.as_bool().unwrap_or(true)
                    }
                    Op::IsString => {
                        value.as_ref().is_some_and(Value::is_string)
                            == operand.as_bool().unwrap_or(true)
                    }
                    Op::IsNumeric => {
                        value.as_ref().is_some_and(Value::is_number)
                            == operand.as_bool().unwrap_or(true)
                    }
                    Op::IsBoolean => {
                        value.as_ref().is_some_and(Value::is_boolean)
                            == operand.as_bool().unwrap_or(true)
                    }
                    _ => {
                        let Some(value) = value else {
                            return Err(format!("Invalid path '{}': the choice state's condition path references an invalid value", variable.text()));
                        };
                        compare(*op, &value, &operand)
                    }
                }
            }
        })
    }
}

fn compare(op: Op, v: &Value, operand: &Value) -> bool {
    match op {
        Op::StringEquals => v.as_str().is_some_and(|s| Some(s) == operand.as_str()),
        Op::StringLessThan => matches!((v.as_str(), operand.as_str()), (Some(a), Some(b)) if a < b),
        Op::StringGreaterThan => {
            matches!((v.as_str(), operand.as_str()), (Some(a), Some(b)) if a > b)
        }
        Op::StringMatches => {
            matches!((v.as_str(), operand.as_str()), (Some(a), Some(b)) if glob(a, b))
        }
        Op::BooleanEquals => v.as_bool().is_some() && v.as_bool() == operand.as_bool(),
        _ => {
            let (Some(a), Some(b)) = (v.as_f64(), operand.as_f64()) else {
                return false;
            };
            match op {
                Op::NumericEquals => a == b,
                Op::NumericLessThan => a < b,
                Op::NumericLessThanEquals => a <= b,
                Op::NumericGreaterThan => a > b,
                Op::NumericGreaterThanEquals => a >= b,
                _ => unreachable!(),
            }
        }
    }
}

fn glob(s: &str, pattern: &str) -> bool {
    match pattern.split_once('*') {
        None => s == pattern,
        Some((head, tail)) => {
            s.starts_with(head)
                && (0..=s.len() - head.len())
                    .any(|i| s.is_char_boundary(head.len() + i) && glob(&s[head.len() + i..], tail))
        }
    }
}
