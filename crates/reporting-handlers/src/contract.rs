//! The typed boundary of the four Lambdas: what each accepts from a state machine and returns to
//! it. A Lambda's `main.rs`, the local task dispatcher and the CLI all go through [`handle`] and
//! these types; the ASL's `Parameters` are checked against them by the contract tests.
//!
//! | Lambda | request | response |
//! |---|---|---|
//! | run-query | [`RunQueryRequest`] | [`QueryProgress`]; [`SyncSummary`] for setup's sync; [`InputChecked`] for a machine's input check; [`crate::IngestionPlan`] for ingestion's plan |
//! | poll-query | [`QueryProgress`] | [`QueryProgress`] |
//! | write-report | [`WriteReportRequest`] (tagged by `action`) | [`WriteReportResponse`] |
//! | publish-metric | [`PublishInput`] | [`PublishOutput`] |
//!
//! Every request refuses unknown fields, so a misspelt field is an `Input.Invalid` naming it.

use reporting_core::config::Deployment;
use reporting_core::error::ErrorKind;
use reporting_core::ports::{
    Metrics, ObjectStore, Parameters, QueryEngine, QueryState, QueryStatistics, SavedQueryStore,
};
use reporting_core::HandlerError;
use serde::{Deserialize, Serialize};

use crate::PollPolicy;

/// The four Lambdas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LambdaName {
    RunQuery,
    PollQuery,
    WriteReport,
    PublishMetric,
}

impl LambdaName {
    pub const ALL: [LambdaName; 4] = [
        LambdaName::RunQuery,
        LambdaName::PollQuery,
        LambdaName::WriteReport,
        LambdaName::PublishMetric,
    ];

    /// The function's name (its crate, and the suffix of its name in the template).
    pub fn name(self) -> &'static str {
        match self {
            LambdaName::RunQuery => "run-query",
            LambdaName::PollQuery => "poll-query",
            LambdaName::WriteReport => "write-report",
            LambdaName::PublishMetric => "publish-metric",
        }
    }

    /// How the ASL names the function's ARN, substituted by SAM (`DefinitionSubstitutions`).
    pub fn arn_placeholder(self) -> &'static str {
        match self {
            LambdaName::RunQuery => "${RunQueryFunctionArn}",
            LambdaName::PollQuery => "${PollQueryFunctionArn}",
            LambdaName::WriteReport => "${WriteReportFunctionArn}",
            LambdaName::PublishMetric => "${PublishMetricFunctionArn}",
        }
    }

    /// The Lambda an ASL Task's `Resource` names, if it is one of ours.
    pub fn from_arn_placeholder(resource: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.arn_placeholder() == resource)
    }
}

/// A query in flight, as carried in state-machine data between run-query, Wait and poll-query.
/// It never holds a parameter value (the hash key in particular), only ids and progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryProgress {
    /// The catalog id, e.g. `ingestion/request_item_status`.
    pub query: String,
    pub query_execution_id: String,
    pub state: QueryState,
    /// How many times poll-query has looked.
    pub poll_count: u32,
    /// How long the state machine should wait before the next poll.
    pub wait_seconds: u32,
    /// Seconds waited so far (sum of the waits), for the timeout.
    pub waited_seconds: u32,
    #[serde(default)]
    pub statistics: QueryStatistics,
    /// The result rows of a finished probe (a small metadata query; see `Purpose::Probe`), by
    /// column name. Never present for any other query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
}

impl QueryProgress {
    /// A query just started as `query_execution_id`: queued, not yet polled, the first wait of
    /// `policy` ahead.
    pub fn started(
        query: impl Into<String>,
        query_execution_id: impl Into<String>,
        policy: &crate::PollPolicy,
    ) -> Self {
        QueryProgress {
            query: query.into(),
            query_execution_id: query_execution_id.into(),
            state: QueryState::Queued,
            poll_count: 0,
            wait_seconds: policy.first_wait_seconds,
            waited_seconds: 0,
            statistics: QueryStatistics::default(),
            rows: None,
        }
    }
}

/// What the state machine asks run-query to start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunQueryInput {
    /// The catalog id of the query, e.g. `ingestion/request_item_status`.
    pub query: String,
    /// The reference date, `YYYY-MM-DD` (UTC), for queries that take one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// The client, for report queries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The report's completion date, `YYYY-MM-DD` (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_date: Option<String>,
    /// The batch's request id, for the batch report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// A catalog migration id, for setup's ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_id: Option<String>,
    /// The first capture day a pass-1 ingestion query reads, `YYYY-MM-DD` (the ingestion plan's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_capture_day: Option<String>,
    /// The earliest creation day among the run's versions, `YYYY-MM-DD`
    /// (`ingestion/earliest_created`): ingestion reads only the staging partitions it can touch.
    /// Optional; absent, every partition is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_created: Option<String>,
    /// The incremental run that claims and reads files (the ingestion plan's); '' in a window run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The run's new source files (the ingestion plan's), at most 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_files: Option<Vec<String>>,
    /// A catalog staging table, for housekeeping (rendered as `${table}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
}

/// What the query loop (`statemachines/query.asl.json`) sends run-query: the query its caller
/// asked for, unchanged, and a name for this start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartQuery {
    pub request: RunQueryInput,
    /// Names this start: the loop passes its execution and the state's entry time, so a retried
    /// start (same entry) gets the same Athena ClientRequestToken and never runs the query twice,
    /// while a deliberate rerun (a new entry) runs it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_token: Option<String>,
}

/// Setup's last step, sent to run-query: `{"action": "sync-saved-queries"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSavedQueries {
    pub action: SyncAction,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncAction {
    #[serde(rename = "sync-saved-queries")]
    SyncSavedQueries,
}

/// Each state machine's first step, sent to run-query: check the execution input
/// (`check_machine_input`) before anything runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    pub action: CheckInputAction,
    /// The machine, e.g. `ingestion`.
    pub machine: String,
    /// Its execution input, as given (`"input.$": "$"`).
    pub input: serde_json::Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckInputAction {
    #[serde(rename = "check-input")]
    CheckInput,
}

/// What a checked execution input was for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputChecked {
    pub machine: String,
}

/// run-query's actions besides starting a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RunQueryAction {
    SyncSavedQueries,
    CheckInput,
    PlanIngestion,
}

/// run-query's request: a query to start, or (an object with an `action`) the saved-query sync
/// or a machine's input check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RunQueryRequest {
    Start(StartQuery),
    Sync(SyncSavedQueries),
    CheckInput(CheckInput),
    PlanIngestion(crate::PlanIngestion),
}

impl<'de> Deserialize<'de> for RunQueryRequest {
    /// Picked by `action` (absent: a start), so each shape's own error (an unknown field, named)
    /// reaches the caller rather than "matches no variant".
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let action = match map.get("action") {
            None => None,
            Some(a) => Some(
                RunQueryAction::deserialize(a.clone())
                    .map_err(|e| D::Error::custom(format!("action: {e}")))?,
            ),
        };
        let value = serde_json::Value::Object(map);
        match action {
            None => StartQuery::deserialize(value).map(RunQueryRequest::Start),
            Some(RunQueryAction::SyncSavedQueries) => {
                SyncSavedQueries::deserialize(value).map(RunQueryRequest::Sync)
            }
            Some(RunQueryAction::CheckInput) => {
                CheckInput::deserialize(value).map(RunQueryRequest::CheckInput)
            }
            Some(RunQueryAction::PlanIngestion) => {
                crate::PlanIngestion::deserialize(value).map(RunQueryRequest::PlanIngestion)
            }
        }
        .map_err(D::Error::custom)
    }
}

/// What a saved-query sync did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSummary {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub deleted: usize,
    pub unchanged: usize,
}

/// The two canned reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Report {
    #[serde(rename = "completed-comms-report")]
    CompletedComms,
    #[serde(rename = "completed-batch-report")]
    CompletedBatch,
}

impl Report {
    pub const ALL: [Report; 2] = [Report::CompletedComms, Report::CompletedBatch];

    /// The state machine's (and its SSM client list's) name.
    pub fn name(self) -> &'static str {
        match self {
            Report::CompletedComms => "completed-comms-report",
            Report::CompletedBatch => "completed-batch-report",
        }
    }

    /// The execution input fields the report's state machine accepts (its `MACHINE_INPUTS` row).
    pub fn input_fields(self) -> &'static [&'static str] {
        crate::MACHINE_INPUTS
            .iter()
            .find(|(machine, _)| *machine == self.name())
            .map(|(_, fields)| *fields)
            .expect("every report is a machine of MACHINE_INPUTS")
    }
}

/// A report machine's execution input, as its first Task passes it on (`"input.$": "$"`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportRunInput {
    /// The UTC day whose completions the comms report covers (default: yesterday).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_date: Option<String>,
    /// The clients to report on (default: the report's SSM list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ids: Option<Vec<String>>,
}

/// One report's identity, as the `find` and `deliver` actions carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportTargetFields {
    pub report: Report,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_ref_id: Option<String>,
}

/// write-report's request, by `action`. Each action's fields are a struct of their own, which
/// refuses a field it does not know (serde does not, for fields written in a tagged variant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum WriteReportRequest {
    /// Validate the execution input and resolve its defaults.
    Plan(PlanRequest),
    /// The date a finished `reports/yesterday` returned.
    ReadDate(FinishedQuery),
    /// Every batch a finished `reports/completed_batches` returned for a client.
    Batches(BatchesRequest),
    /// Whether the report already exists at its final key.
    Find(ReportTargetFields),
    /// Write a finished report query's result to its final key.
    Deliver(DeliverRequest),
    /// After every client's iteration: which clients failed, and why, in one cause.
    Summarise(SummariseRequest),
}

/// write-report's actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum WriteReportAction {
    Plan,
    ReadDate,
    Batches,
    Find,
    Deliver,
    Summarise,
}

impl<'de> Deserialize<'de> for WriteReportRequest {
    /// The `action` first, then the rest as that action's struct, so an error names the field
    /// it is about (`input.completedDate: invalid type …`), which serde's tagged enums lose.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let action = map
            .remove("action")
            .ok_or_else(|| D::Error::missing_field("action"))?;
        let action = WriteReportAction::deserialize(action)
            .map_err(|e| D::Error::custom(format!("action: {e}")))?;
        let rest = serde_json::Value::Object(map);
        fn fields<T: serde::de::DeserializeOwned, E: Error>(
            rest: serde_json::Value,
        ) -> Result<T, E> {
            serde_path_to_error::deserialize(rest).map_err(|e| {
                let path = e.path().to_string();
                match path.as_str() {
                    "." => E::custom(e.into_inner()),
                    _ => E::custom(format!("{path}: {}", e.into_inner())),
                }
            })
        }
        Ok(match action {
            WriteReportAction::Plan => {
                // The report machines' first Task: their execution input gets the check (and the
                // messages) every machine's input gets, before the typed parse.
                let report = rest.get("report").and_then(serde_json::Value::as_str);
                if let (Some(report), Some(input)) = (report, rest.get("input")) {
                    if Report::ALL.iter().any(|r| r.name() == report) {
                        crate::machine_input::check_machine_input(report, input)
                            .map_err(|e| D::Error::custom(e.message()))?;
                    }
                }
                WriteReportRequest::Plan(fields(rest)?)
            }
            WriteReportAction::ReadDate => WriteReportRequest::ReadDate(fields(rest)?),
            WriteReportAction::Batches => WriteReportRequest::Batches(fields(rest)?),
            WriteReportAction::Find => WriteReportRequest::Find(fields(rest)?),
            WriteReportAction::Deliver => WriteReportRequest::Deliver(fields(rest)?),
            WriteReportAction::Summarise => WriteReportRequest::Summarise(fields(rest)?),
        })
    }
}

/// A report run to plan: the report and its machine's execution input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanRequest {
    pub report: Report,
    #[serde(default)]
    pub input: ReportRunInput,
}

/// A report run's client outcomes, as the report machines' per-client iterations end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SummariseRequest {
    pub report: Report,
    pub clients: Vec<ClientOutcome>,
}

/// How one client's iteration ended: delivered or found (`key`, `rows`, `bytes`), its batches'
/// reports (`reports`, `rejected`: the batch report), or `failed` with the caught `error` and
/// `cause`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientOutcome {
    pub client_id: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The batch report: each batch's outcome, as its iteration ended (passed through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports: Option<Vec<serde_json::Value>>,
    /// The batch report: batches that cannot be named as a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// The run's clients in short: the ones that failed and, when any did, one cause naming each
/// with its error (the machine's last Fail state reads it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportSummary {
    pub clients: usize,
    pub failed_clients: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// A client's finished `reports/completed_batches`: its batches, and a `SkippedBatches` metric for
/// each one that cannot be reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BatchesRequest {
    pub query_execution_id: String,
    pub client_id: String,
    /// Absent: count the batches into pages, and set aside (and count in `SkippedBatches`) those
    /// that cannot be reported. Given: that page's batches, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
}

/// A finished query whose result is to be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FinishedQuery {
    pub query_execution_id: String,
}

/// The report and the finished query whose result it is: the `find` fields and
/// `queryExecutionId`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliverRequest {
    #[serde(flatten)]
    pub target: ReportTargetFields,
    pub query_execution_id: String,
}

impl<'de> Deserialize<'de> for DeliverRequest {
    /// `queryExecutionId`, then the rest as [`ReportTargetFields`], which refuses any other field
    /// (serde's `flatten` would let one through).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let query_execution_id = match map.remove("queryExecutionId") {
            Some(serde_json::Value::String(id)) => id,
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "queryExecutionId: invalid type: {other}, expected a string"
                )))
            }
            None => return Err(D::Error::missing_field("queryExecutionId")),
        };
        let target = ReportTargetFields::deserialize(serde_json::Value::Object(map))
            .map_err(D::Error::custom)?;
        Ok(DeliverRequest {
            target,
            query_execution_id,
        })
    }
}

/// A report run's resolved input: the clients, and for the comms report its day (`null`: the
/// machine asks `reports/yesterday`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlannedReport {
    pub client_ids: Vec<String>,
    #[serde(default)]
    pub completed_date: Option<String>,
}

/// A completed batch that can name an S3 key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Batch {
    pub request_id: String,
    pub request_ref_id: String,
}

/// A completed batch that cannot, shortened, with why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RejectedBatch {
    pub request_id: Option<String>,
    pub request_ref_id: Option<String>,
    pub reason: String,
}

/// A client's completed batches. Counted (no `page` asked): how many can be reported, in how many
/// pages, and those set aside. A page: its batches. Pages keep a state's payload small (Step
/// Functions allows 256 KiB) and one page's reports within one execution's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchesFound {
    pub count: usize,
    pub pages: usize,
    pub batches: Vec<Batch>,
    pub rejected: Vec<RejectedBatch>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FoundReport {
    pub key: String,
    pub exists: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Written by this call.
    Created,
    /// Already there (a rerun): left as it was.
    Exists,
}

/// A delivered report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivered {
    pub status: DeliveryStatus,
    pub bucket: String,
    pub key: String,
    /// Rows written (none when it already existed).
    pub rows: Option<usize>,
    pub bytes: u64,
}

/// write-report's response, by the request's action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum WriteReportResponse {
    Planned(PlannedReport),
    /// `reports/yesterday`'s date, `YYYY-MM-DD`.
    Date(String),
    Batches(BatchesFound),
    Found(FoundReport),
    Delivered(Delivered),
    Summary(ReportSummary),
}

/// What publish-metric is asked to publish.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublishInput {
    /// The watchdog query, e.g. `watchdog/stuck_request_items`.
    pub query: String,
    pub query_execution_id: String,
    /// The first result row not yet published (0 on the first call).
    #[serde(default)]
    pub next_row: usize,
    /// Rows published by earlier calls for this execution.
    #[serde(default)]
    pub published: usize,
    /// Calls that stopped at a failed batch so far (the machine bounds them).
    #[serde(default)]
    pub interruptions: u32,
}

/// A result row that cannot be a metric datum, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    pub row: usize,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishOutput {
    pub query: String,
    pub query_execution_id: String,
    pub metric: String,
    /// True when every row has been published or rejected.
    pub complete: bool,
    pub next_row: usize,
    pub published: usize,
    pub interruptions: u32,
    pub rejected: Vec<Rejected>,
    /// Why the last batch failed, when not complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A Lambda's request, parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    RunQuery(RunQueryRequest),
    PollQuery(Box<QueryProgress>),
    WriteReport(WriteReportRequest),
    PublishMetric(PublishInput),
}

/// Parses a request for `lambda`, turning serde's complaint into a clear `Input.Invalid` that
/// names the Lambda and the field.
pub fn parse(lambda: LambdaName, input: serde_json::Value) -> Result<Request, HandlerError> {
    fn typed<T: serde::de::DeserializeOwned>(
        lambda: LambdaName,
        input: serde_json::Value,
    ) -> Result<T, HandlerError> {
        serde_path_to_error::deserialize(input).map_err(|e| {
            let path = e.path().to_string();
            let at = if path == "." {
                String::new()
            } else {
                format!("{path}: ")
            };
            HandlerError::invalid(format!("{} input: {at}{}", lambda.name(), e.inner()))
        })
    }
    Ok(match lambda {
        LambdaName::RunQuery => Request::RunQuery(typed(lambda, input)?),
        LambdaName::PollQuery => Request::PollQuery(typed(lambda, input)?),
        LambdaName::WriteReport => Request::WriteReport(typed(lambda, input)?),
        LambdaName::PublishMetric => Request::PublishMetric(typed(lambda, input)?),
    })
}

/// The ports a Lambda works through. Each Lambda has the engine, the parameter store and its
/// deployment; only run-query saves queries and lists the source, only write-report writes
/// objects and only publish-metric puts metrics.
pub struct Ports<'a> {
    pub engine: &'a dyn QueryEngine,
    pub parameters: &'a dyn Parameters,
    pub deployment: &'a Deployment,
    pub policy: &'a PollPolicy,
    pub saved_queries: Option<&'a dyn SavedQueryStore>,
    pub objects: Option<&'a dyn ObjectStore>,
    pub metrics: Option<&'a dyn Metrics>,
    /// Where run-query's ingestion plan lists the source's files (ingestion's run-query only).
    pub source: Option<&'a crate::SourceListing>,
    /// Where run-query reads the hash key's vault object to check its fingerprint (ingestion's
    /// run-query only; every other function has none and cannot hash).
    pub vault: Option<&'a dyn ObjectStore>,
}

impl Ports<'_> {
    fn missing(what: &str, lambda: LambdaName) -> HandlerError {
        HandlerError::new(
            ErrorKind::ConfigMissing,
            format!("{} has no {what}", lambda.name()),
        )
    }
}

/// The one dispatcher: parses `input` as `lambda`'s request, runs its handler, and returns its
/// response as the JSON the state machine receives.
pub async fn handle(
    lambda: LambdaName,
    input: serde_json::Value,
    ports: &Ports<'_>,
) -> Result<serde_json::Value, HandlerError> {
    fn json<T: Serialize>(value: T) -> serde_json::Value {
        serde_json::to_value(value).expect("a response serialises")
    }
    match parse(lambda, input)? {
        Request::RunQuery(RunQueryRequest::Start(start)) => crate::run_query(
            start.request,
            start.request_token.as_deref(),
            ports.engine,
            ports.vault,
            ports.deployment,
            ports.policy,
        )
        .await
        .map(json),
        Request::RunQuery(RunQueryRequest::CheckInput(check)) => {
            crate::check_machine_input(&check.machine, &check.input)?;
            Ok(json(InputChecked {
                machine: check.machine,
            }))
        }
        Request::RunQuery(RunQueryRequest::PlanIngestion(request)) => crate::plan_ingestion(
            &request,
            ports.engine,
            ports.source,
            &ports.deployment.environment,
        )
        .await
        .map(json),
        Request::RunQuery(RunQueryRequest::Sync(_)) => {
            let store = ports
                .saved_queries
                .ok_or_else(|| Ports::missing("saved-query store", lambda))?;
            crate::sync_saved_queries(store, ports.deployment)
                .await
                .map(json)
        }
        Request::PollQuery(progress) => {
            let progress = crate::poll_query(*progress, ports.engine, ports.policy).await?;
            if let Some(metrics) = ports.metrics {
                crate::publish_bytes_scanned(&progress, metrics, ports.deployment).await;
            }
            Ok(json(progress))
        }
        Request::WriteReport(request) => {
            let objects = ports
                .objects
                .ok_or_else(|| Ports::missing("object store", lambda))?;
            let metrics = ports
                .metrics
                .ok_or_else(|| Ports::missing("metrics sink", lambda))?;
            let report_ports = crate::ReportPorts {
                engine: ports.engine,
                objects,
                parameters: ports.parameters,
                deployment: ports.deployment,
                metrics,
            };
            crate::write_report(request, &report_ports).await.map(json)
        }
        Request::PublishMetric(input) => {
            let metrics = ports
                .metrics
                .ok_or_else(|| Ports::missing("metrics sink", lambda))?;
            crate::publish_metric(input, ports.engine, metrics, ports.deployment)
                .await
                .map(json)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(lambda: LambdaName, input: serde_json::Value) -> String {
        parse(lambda, input).unwrap_err().message().to_string()
    }

    #[test]
    fn run_query_tells_a_start_from_the_sync_and_names_a_stray_field() {
        assert!(matches!(
            parse(
                LambdaName::RunQuery,
                json!({"action": "sync-saved-queries"})
            )
            .unwrap(),
            Request::RunQuery(RunQueryRequest::Sync(_))
        ));
        assert!(matches!(
            parse(
                LambdaName::RunQuery,
                json!({"request": {"query": "q", "asOf": "2026-11-20"}})
            )
            .unwrap(),
            Request::RunQuery(RunQueryRequest::Start(_))
        ));
        let m = message(
            LambdaName::RunQuery,
            json!({"request": {"query": "q", "asof": "2026-11-20"}}),
        );
        assert!(m.contains("run-query input") && m.contains("asof"), "{m}");
        let m = message(
            LambdaName::RunQuery,
            json!({"action": "sync-saved-queries", "query": "q"}),
        );
        assert!(m.contains("query"), "{m}");
        let m = message(LambdaName::RunQuery, json!({"action": "sync"}));
        assert!(m.contains("sync-saved-queries"), "{m}");
    }

    #[test]
    fn write_report_requests_are_tagged_by_action_and_refuse_stray_fields() {
        let find = json!({"action": "find", "report": "completed-batch-report", "clientId": "C",
            "requestId": "R", "requestRefId": "F"});
        assert!(matches!(
            parse(LambdaName::WriteReport, find.clone()).unwrap(),
            Request::WriteReport(WriteReportRequest::Find(_))
        ));
        let mut stray = find;
        stray["queryExecutionId"] = json!("q");
        assert!(message(LambdaName::WriteReport, stray).contains("queryExecutionId"));
        let deliver = json!({"action": "deliver", "report": "completed-comms-report", "clientId": "C",
            "completedDate": "2026-11-20", "queryExecutionId": "q"});
        let Request::WriteReport(parsed) = parse(LambdaName::WriteReport, deliver.clone()).unwrap()
        else {
            panic!("not write-report")
        };
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            deliver,
            "round trip"
        );
        let mut stray = deliver.clone();
        stray["bucket"] = json!("other");
        assert!(message(LambdaName::WriteReport, stray).contains("bucket"));
        let mut without = deliver;
        without.as_object_mut().unwrap().remove("queryExecutionId");
        assert!(message(LambdaName::WriteReport, without).contains("queryExecutionId"));
        let m = message(
            LambdaName::WriteReport,
            json!({"action": "plan", "report": "x"}),
        );
        assert!(m.contains("completed-comms-report"), "{m}");
        let m = message(LambdaName::WriteReport, json!({"action": "publish"}));
        assert!(
            m.contains("unknown variant") && m.contains("deliver"),
            "{m}"
        );
        let m = message(
            LambdaName::WriteReport,
            json!({"action": "read-date", "queryExecutionId": "q", "extra": 1}),
        );
        assert!(m.contains("extra"), "{m}");
        let m = message(
            LambdaName::WriteReport,
            json!({"action": "plan", "report": "completed-comms-report", "input": {"completeddate": "2026-11-20"}}),
        );
        assert!(m.contains("completeddate"), "{m}");
        // The same check and words as every machine's input check (and the CLI's).
        let input = json!({"completeddate": "2026-11-20"});
        let machine = crate::check_machine_input("completed-comms-report", &input).unwrap_err();
        assert_eq!(m, format!("write-report input: {}", machine.message()));
    }

    #[test]
    fn every_lambda_has_one_name_and_one_placeholder() {
        for l in LambdaName::ALL {
            assert_eq!(
                LambdaName::from_arn_placeholder(l.arn_placeholder()),
                Some(l)
            );
        }
        assert_eq!(LambdaName::from_arn_placeholder("${Other}"), None);
    }
}
