//! write-report: everything the report state machines need besides running queries.
//!
//! - `plan`: validates the execution input and resolves its defaults (clients from SSM).
//! - `read-date`: the date a finished `reports/yesterday` query returned.
//! - `batches`: every (requestId, requestRefId) a finished `reports/completed_batches` returned,
//!   across all result pages, each checked before it can become part of an S3 key.
//! - `find`: whether a report already exists at its final key.
//! - `deliver`: writes a finished report query's result, as Athena's CSV, to its final key in the
//!   ingress bucket in one PUT (S3 shows an object whole or not at all), then checks it landed.
//!
//! A report's final key is deterministic, so existence is checked on that exact key: a stray or
//! half-written object under the prefix (Athena's `.metadata`, say) never blocks a later run.

use std::collections::BTreeSet;

use reporting_core::config::Deployment;
use reporting_core::error::ErrorKind;
use reporting_core::ports::{ObjectStore, Parameters, QueryEngine};
use reporting_core::{csv, validate, CalendarDate, HandlerError};
use serde_json::{json, Map, Value};

/// The two canned reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    CompletedComms,
    CompletedBatch,
}

impl Report {
    fn parse(text: &str) -> Result<Self, HandlerError> {
        match text {
            "completed-comms-report" => Ok(Report::CompletedComms),
            "completed-batch-report" => Ok(Report::CompletedBatch),
            other => Err(HandlerError::invalid(format!(
                "unknown report '{}'; known: completed-comms-report, completed-batch-report",
                other.chars().take(60).collect::<String>()
            ))),
        }
    }

    /// The state machine's (and its SSM client list's) name.
    pub fn name(self) -> &'static str {
        match self {
            Report::CompletedComms => "completed-comms-report",
            Report::CompletedBatch => "completed-batch-report",
        }
    }

    /// The execution input fields the report's state machine accepts.
    pub fn input_fields(self) -> &'static [&'static str] {
        match self {
            Report::CompletedComms => &["completedDate", "clientIds"],
            Report::CompletedBatch => &["clientIds"],
        }
    }
}

/// Where one report goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportTarget {
    CompletedComms {
        client_id: String,
        completed_date: CalendarDate,
    },
    CompletedBatch {
        client_id: String,
        request_id: String,
        request_ref_id: String,
    },
}

impl ReportTarget {
    /// The final object key in the ingress bucket, under the prefix the core account reads.
    pub fn key(&self) -> String {
        match self {
            ReportTarget::CompletedComms {
                client_id,
                completed_date,
            } => format!(
                "completed_comms_report/{client_id}/{completed_date}/completed_comms_report_{client_id}_{completed_date}.csv"
            ),
            ReportTarget::CompletedBatch {
                client_id,
                request_id,
                request_ref_id,
            } => format!(
                "completed_batch_report/{client_id}/{request_id}/{request_ref_id}/completed_batch_report_{request_id}.csv"
            ),
        }
    }
}

/// The fields of a JSON object, refusing any not in `allowed` (named in the error).
fn fields<'a>(
    what: &str,
    value: &'a Value,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, HandlerError> {
    let map = match value {
        Value::Object(m) => m,
        Value::Null => {
            static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
            return Ok(EMPTY.get_or_init(Map::new));
        }
        other => {
            return Err(HandlerError::invalid(format!(
                "{what} must be a JSON object, not {}",
                kind(other)
            )))
        }
    };
    let unknown: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !allowed.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(HandlerError::invalid(format!(
            "{what} has unknown field(s) {}; accepted: {}",
            unknown
                .iter()
                .map(|k| format!("'{}'", k.chars().take(60).collect::<String>()))
                .collect::<Vec<_>>()
                .join(", "),
            allowed.join(", ")
        )));
    }
    Ok(map)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn text<'a>(map: &'a Map<String, Value>, field: &str) -> Result<&'a str, HandlerError> {
    match map.get(field) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(HandlerError::invalid(format!(
            "{field} must be a string, not {}",
            kind(other)
        ))),
        None => Err(HandlerError::invalid(format!("{field} is required"))),
    }
}

fn date(field: &str, value: &str) -> Result<CalendarDate, HandlerError> {
    CalendarDate::parse(value).map_err(|e| HandlerError::invalid(format!("{field}: {e}")))
}

fn identifier(field: &str, value: &str) -> Result<String, HandlerError> {
    validate::identifier(field, value).map_err(HandlerError::invalid)?;
    Ok(value.to_string())
}

/// A list of client ids: an array of valid identifiers; duplicates are reported once, in the
/// order first given.
pub fn client_ids(what: &str, value: &Value) -> Result<Vec<String>, HandlerError> {
    let Value::Array(items) = value else {
        return Err(HandlerError::invalid(format!(
            "{what} must be an array of client id strings, not {}",
            kind(value)
        )));
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::String(id) = item else {
            return Err(HandlerError::invalid(format!(
                "{what}[{i}] must be a string, not {}",
                kind(item)
            )));
        };
        let id = identifier(&format!("{what}[{i}]"), id)?;
        if seen.insert(id.clone()) {
            out.push(id);
        }
    }
    Ok(out)
}

fn target(report: Report, map: &Map<String, Value>) -> Result<ReportTarget, HandlerError> {
    let client_id = identifier("clientId", text(map, "clientId")?)?;
    Ok(match report {
        Report::CompletedComms => ReportTarget::CompletedComms {
            client_id,
            completed_date: date("completedDate", text(map, "completedDate")?)?,
        },
        Report::CompletedBatch => ReportTarget::CompletedBatch {
            client_id,
            request_id: identifier("requestId", text(map, "requestId")?)?,
            request_ref_id: identifier("requestRefId", text(map, "requestRefId")?)?,
        },
    })
}

const TARGET_FIELDS: &[&str] = &[
    "action",
    "report",
    "clientId",
    "completedDate",
    "requestId",
    "requestRefId",
];

/// The ports write-report works through.
pub struct ReportPorts<'a> {
    pub engine: &'a dyn QueryEngine,
    pub objects: &'a dyn ObjectStore,
    pub parameters: &'a dyn Parameters,
    pub deployment: &'a Deployment,
}

pub async fn write_report(input: Value, ports: &ReportPorts<'_>) -> Result<Value, HandlerError> {
    let action =
        match &input {
            Value::Object(m) => match m.get("action") {
                Some(Value::String(a)) => a.clone(),
                _ => return Err(HandlerError::invalid(
                    "write-report input needs an action: plan, read-date, batches, find or deliver",
                )),
            },
            other => {
                return Err(HandlerError::invalid(format!(
                    "write-report input must be a JSON object, not {}",
                    kind(other)
                )))
            }
        };
    match action.as_str() {
        "plan" => {
            let map = fields("write-report plan", &input, &["action", "report", "input"])?;
            let report = Report::parse(text(map, "report")?)?;
            plan(report, map.get("input").unwrap_or(&Value::Null), ports).await
        }
        "read-date" => {
            let map = fields(
                "write-report read-date",
                &input,
                &["action", "queryExecutionId"],
            )?;
            read_date(text(map, "queryExecutionId")?, ports).await
        }
        "batches" => {
            let map = fields(
                "write-report batches",
                &input,
                &["action", "queryExecutionId"],
            )?;
            batches(text(map, "queryExecutionId")?, ports).await
        }
        "find" => {
            let map = fields("write-report find", &input, TARGET_FIELDS)?;
            let report = Report::parse(text(map, "report")?)?;
            let target = target(report, map)?;
            let key = target.key();
            let exists = exists(ports, &key).await?;
            Ok(json!({"key": key, "exists": exists}))
        }
        "deliver" => {
            let mut allowed = TARGET_FIELDS.to_vec();
            allowed.push("queryExecutionId");
            let map = fields("write-report deliver", &input, &allowed)?;
            let report = Report::parse(text(map, "report")?)?;
            let target = target(report, map)?;
            deliver(&target, text(map, "queryExecutionId")?, ports).await
        }
        other => Err(HandlerError::invalid(format!(
            "unknown write-report action '{}'; known: plan, read-date, batches, find, deliver",
            other.chars().take(60).collect::<String>()
        ))),
    }
}

/// Validates a report execution's input and fills in its defaults: the client list from SSM when
/// none is given, and `completedDate: null` when the machine is to ask `reports/yesterday`.
async fn plan(
    report: Report,
    input: &Value,
    ports: &ReportPorts<'_>,
) -> Result<Value, HandlerError> {
    let map = fields(
        &format!("{} input", report.name()),
        input,
        report.input_fields(),
    )?;
    let completed_date = match map.get("completedDate") {
        None => Value::Null,
        Some(Value::String(s)) => json!(date("completedDate", s)?.to_string()),
        Some(other) => {
            return Err(HandlerError::invalid(format!(
                "completedDate must be a YYYY-MM-DD string, not {}",
                kind(other)
            )))
        }
    };
    let clients = match map.get("clientIds") {
        Some(v) => client_ids("clientIds", v)?,
        None => {
            let name = ports.deployment.report_clients_parameter(report.name());
            let text = ports.parameters.get_text(&name).await?.ok_or_else(|| {
                HandlerError::new(
                    ErrorKind::ConfigMissing,
                    format!("the parameter {name} (a JSON array of client ids) does not exist"),
                )
            })?;
            let value: Value = serde_json::from_str(&text).map_err(|e| {
                HandlerError::new(ErrorKind::ConfigMissing, format!("{name} is not JSON: {e}"))
            })?;
            client_ids(&name, &value)
                .map_err(|e| HandlerError::new(ErrorKind::ConfigMissing, e.message))?
        }
    };
    let mut out = json!({ "clientIds": clients });
    if report == Report::CompletedComms {
        out["completedDate"] = completed_date;
    }
    Ok(out)
}

/// Every row of a finished query, across all pages.
async fn all_rows(
    execution_id: &str,
    ports: &ReportPorts<'_>,
) -> Result<(Vec<String>, Vec<Vec<Option<String>>>), HandlerError> {
    let mut columns = Vec::new();
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ports.engine.results(execution_id, token.as_deref()).await?;
        if columns.is_empty() {
            columns = page.columns;
        }
        rows.extend(page.rows);
        match page.next_token {
            Some(t) => token = Some(t),
            None => return Ok((columns, rows)),
        }
    }
}

async fn read_date(execution_id: &str, ports: &ReportPorts<'_>) -> Result<Value, HandlerError> {
    let page = ports.engine.results(execution_id, None).await?;
    let value = page
        .rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .ok_or_else(|| {
            HandlerError::new(ErrorKind::Internal, "reports/yesterday returned no date")
        })?;
    let day = CalendarDate::parse(&value).map_err(|e| {
        HandlerError::new(
            ErrorKind::Internal,
            format!("reports/yesterday returned {value:?}: {e}"),
        )
    })?;
    Ok(json!(day.to_string()))
}

async fn batches(execution_id: &str, ports: &ReportPorts<'_>) -> Result<Value, HandlerError> {
    let (_, rows) = all_rows(execution_id, ports).await?;
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for row in rows {
        let (request_id, request_ref_id) = (
            row.first().cloned().flatten(),
            row.get(1).cloned().flatten(),
        );
        let checked = match (&request_id, &request_ref_id) {
            (Some(r), Some(f)) => validate::identifier("requestId", r)
                .and_then(|_| validate::identifier("requestRefId", f)),
            _ => Err("requestId or requestRefId is NULL".to_string()),
        };
        match checked {
            Ok(()) => {
                accepted.push(json!({"requestId": request_id, "requestRefId": request_ref_id}))
            }
            Err(reason) => {
                // Never echo a hostile value whole into logs or state.
                let shown =
                    |v: &Option<String>| v.as_ref().map(|s| s.chars().take(40).collect::<String>());
                tracing::warn!(reason = %reason, "a completed batch cannot be named as an S3 key; skipped");
                rejected.push(json!({"requestId": shown(&request_id), "requestRefId": shown(&request_ref_id), "reason": reason}));
            }
        }
    }
    Ok(json!({"batches": accepted, "rejected": rejected}))
}

async fn exists(ports: &ReportPorts<'_>, key: &str) -> Result<bool, HandlerError> {
    Ok(object_size(ports, key).await?.is_some())
}

async fn object_size(ports: &ReportPorts<'_>, key: &str) -> Result<Option<u64>, HandlerError> {
    let bucket = ingress(ports)?;
    Ok(ports
        .objects
        .list(bucket, key)
        .await?
        .into_iter()
        .find(|o| o.key == key)
        .map(|o| o.size))
}

fn ingress<'a>(ports: &'a ReportPorts<'_>) -> Result<&'a str, HandlerError> {
    let bucket = ports.deployment.ingress_bucket.as_str();
    if bucket.is_empty() {
        return Err(HandlerError::new(
            ErrorKind::ConfigMissing,
            "INGRESS_BUCKET is not set; write-report has nowhere to deliver",
        ));
    }
    Ok(bucket)
}

async fn deliver(
    target: &ReportTarget,
    execution_id: &str,
    ports: &ReportPorts<'_>,
) -> Result<Value, HandlerError> {
    let bucket = ingress(ports)?;
    let key = target.key();
    if let Some(size) = object_size(ports, &key).await? {
        return Ok(
            json!({"status": "exists", "bucket": bucket, "key": key, "rows": null, "bytes": size}),
        );
    }
    let (columns, rows) = all_rows(execution_id, ports).await?;
    let body = csv::athena_csv(&columns, &rows).into_bytes();
    let bytes = body.len() as u64;
    ports.objects.put(bucket, &key, body).await?;
    match object_size(ports, &key).await? {
        Some(size) if size == bytes => {}
        landed => {
            return Err(HandlerError::new(
                ErrorKind::Transient,
                format!("report {key} did not land whole: wrote {bytes} bytes, found {landed:?}"),
            ))
        }
    }
    tracing::info!(key = %key, rows = rows.len(), bytes, "report delivered");
    Ok(
        json!({"status": "created", "bucket": bucket, "key": key, "rows": rows.len(), "bytes": bytes}),
    )
}
