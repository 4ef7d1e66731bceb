use reporting_core::binding::{self, Bindings};
use reporting_core::catalog::{self, Param, Purpose};
use reporting_core::config::Deployment;
use reporting_core::error::ErrorKind;
use reporting_core::hash_key::{self, Fingerprint};
use reporting_core::ports::{ObjectStore, QueryEngine, QueryRequest};
use reporting_core::source_files::FILE_SLOTS;
use reporting_core::{render, validate, CalendarDate, HandlerError};

use crate::contract::{QueryProgress, RunQueryInput};
use crate::PollPolicy;

/// Athena's ClientRequestToken (32 to 128 characters) for one start: the caller's token and
/// everything that makes the query what it is, hashed (FNV-1a, two seeds, 32 hex digits).
pub fn client_request_token(input: &RunQueryInput, request_token: Option<&str>) -> Option<String> {
    let base = request_token?;
    let files = input.source_files.as_ref().map(|f| f.join("\n"));
    let identity = [
        Some(base),
        Some(input.query.as_str()),
        input.as_of.as_deref(),
        input.client_id.as_deref(),
        input.completed_date.as_deref(),
        input.request_id.as_deref(),
        input.migration_id.as_deref(),
        input.table.as_deref(),
        input.first_capture_day.as_deref(),
        input.run.as_deref(),
        files.as_deref(),
    ];
    Some(reporting_core::token::idempotency_token(&identity))
}

/// The value of one parameter slot from the input; present exactly when the query takes it.
fn slot_value<'a>(
    query: &catalog::Query,
    slot: Param,
    field: &str,
    value: &'a Option<String>,
) -> Result<Option<&'a str>, HandlerError> {
    slot_value_if(query.params.contains(&slot), query, field, value)
}

/// An input field that is present exactly when `needed`.
fn slot_value_if<'a>(
    needed: bool,
    query: &catalog::Query,
    field: &str,
    value: &'a Option<String>,
) -> Result<Option<&'a str>, HandlerError> {
    match (value, needed) {
        (Some(text), true) => Ok(Some(text)),
        (None, true) => Err(HandlerError::invalid(format!(
            "query {} needs {field}",
            query.id
        ))),
        (Some(_), false) => Err(HandlerError::invalid(format!(
            "query {} takes no {field}",
            query.id
        ))),
        (None, false) => Ok(None),
    }
}

fn date(field: &str, text: Option<&str>) -> Result<Option<CalendarDate>, HandlerError> {
    text.map(|t| CalendarDate::parse(t).map_err(|e| HandlerError::invalid(format!("{field}: {e}"))))
        .transpose()
}

fn identifier<'a>(field: &str, text: Option<&'a str>) -> Result<Option<&'a str>, HandlerError> {
    if let Some(t) = text {
        validate::identifier(field, t).map_err(|e| HandlerError::invalid(e.to_string()))?;
    }
    Ok(text)
}

/// The most characters a source file's name may have (S3 keys are at most 1,024 bytes).
const MAX_FILE_NAME: usize = 1200;

/// The run and its files, for the queries that take them: a ledger query (claim, mark) needs a
/// run; a pass-1 query or a backfill takes none, or '' (whole capture days), or a run with its
/// files. At most [`FILE_SLOTS`] files, each a non-empty name without control characters.
fn run_and_files<'a>(
    query: &catalog::Query,
    input: &'a RunQueryInput,
) -> Result<(Option<&'a str>, Option<&'a [String]>), HandlerError> {
    let takes_run = query.params.contains(&Param::Run);
    let takes_files = query.params.contains(&Param::SourceFiles);
    let must_claim = query.purpose == Purpose::Ledger;
    let run = slot_value_if(
        takes_run && (must_claim || input.run.is_some()),
        query,
        "run",
        &input.run,
    )?
    .filter(|r| !r.is_empty() || must_claim);
    if let Some(r) = run {
        crate::check_run("run", r)?;
    }
    let files = slot_value_if(
        takes_files && input.source_files.is_some(),
        query,
        "sourceFiles",
        &input.source_files.as_ref().map(|_| String::new()),
    )?
    .and(input.source_files.as_deref());
    if let Some(files) = files {
        if files.len() > FILE_SLOTS {
            return Err(HandlerError::invalid(format!(
                "sourceFiles: {} files; a run reads at most {FILE_SLOTS}",
                files.len()
            )));
        }
        if let Some(bad) = files
            .iter()
            .find(|f| f.is_empty() || f.len() > MAX_FILE_NAME || f.chars().any(char::is_control))
        {
            return Err(HandlerError::invalid(format!(
                "sourceFiles: '{}' is not a file name",
                bad.chars()
                    .filter(|c| !c.is_control())
                    .take(80)
                    .collect::<String>()
            )));
        }
        if run.is_none() && !files.is_empty() {
            return Err(HandlerError::invalid(format!(
                "sourceFiles: query {} reads files only for a run; give run",
                query.id
            )));
        }
    }
    if must_claim && takes_files && files.is_none_or(|f| f.is_empty()) {
        return Err(HandlerError::invalid(format!(
            "query {} needs sourceFiles",
            query.id
        )));
    }
    Ok((run, files))
}

/// The pinned fingerprint, once the vault object is checked against it: the object must hold
/// exactly one key, and it must be the pinned one (`Config.HashKeyRefused` otherwise, and nothing
/// runs). The key is read here only to be fingerprinted; it is never bound, returned or logged.
async fn checked_fingerprint(
    query: &catalog::Query,
    vault: Option<&dyn ObjectStore>,
    deployment: &Deployment,
) -> Result<Fingerprint, HandlerError> {
    let unconfigured = |what: &str| {
        HandlerError::new(
            ErrorKind::ConfigMissing,
            format!("{}: {what}; it will not run without the hash key", query.id),
        )
    };
    let object = deployment
        .hash_key_object
        .as_ref()
        .ok_or_else(|| unconfigured("no hash key object is configured (HASH_KEY_OBJECT)"))?;
    let vault = vault.ok_or_else(|| unconfigured("this function cannot read the hash key"))?;
    let body = vault.get(&object.bucket, &object.key).await?;
    hash_key::verify(
        &object.to_string(),
        body,
        deployment.hash_key_fingerprint.as_ref(),
    )
    .map_err(|e| {
        HandlerError::new(
            ErrorKind::HashKeyRefused,
            format!("{}: {e}; it will not run", query.id),
        )
    })
}

/// Starts a catalog query. A query that hashes NHS numbers first has its vault checked
/// ([`checked_fingerprint`]) and binds the pinned fingerprint; the SQL reads the key itself.
pub async fn run_query(
    input: RunQueryInput,
    request_token: Option<&str>,
    engine: &dyn QueryEngine,
    vault: Option<&dyn ObjectStore>,
    deployment: &Deployment,
    policy: &PollPolicy,
) -> Result<QueryProgress, HandlerError> {
    let query = catalog::query(&input.query).ok_or_else(|| {
        // Name the queries of the same folder (backfill/…, reports/…), or the folders.
        let folder = input.query.split('/').next().unwrap_or_default();
        let mut known: Vec<&str> = catalog::QUERIES
            .iter()
            .map(|q| q.id)
            .filter(|id| id.split('/').next() == Some(folder))
            .collect();
        if known.is_empty() {
            known = catalog::QUERIES
                .iter()
                .filter_map(|q| q.id.split('/').next())
                .collect();
            known.dedup();
        }
        HandlerError::invalid(format!(
            "unknown query '{}'; known: {}",
            input.query.chars().take(80).collect::<String>(),
            known.join(", ")
        ))
    })?;
    let as_of = date(
        "asOf",
        slot_value_if(
            query.params.iter().any(|p| p.needs_as_of()),
            query,
            "asOf",
            &input.as_of,
        )?,
    )?;
    let completed_date = date(
        "completedDate",
        slot_value(
            query,
            Param::CompletedDate,
            "completedDate",
            &input.completed_date,
        )?,
    )?;
    let first_capture_day = date(
        "firstCaptureDay",
        slot_value(
            query,
            Param::FirstCaptureDay,
            "firstCaptureDay",
            &input.first_capture_day,
        )?,
    )?;
    // The plan's bound, for every query of either pass (absent: unbounded); one that is not
    // bounded by it ignores it. Refused by any other query.
    let earliest_created = date(
        "earliestCreated",
        match &input.earliest_created {
            Some(_) if !matches!(query.purpose, Purpose::Ingestion { .. }) => {
                return Err(HandlerError::invalid(format!(
                    "query {} takes no earliestCreated",
                    query.id
                )))
            }
            value => value.as_deref(),
        },
    )?;
    let (run, source_files) = run_and_files(query, &input)?;
    let client_id = identifier(
        "clientId",
        slot_value(query, Param::ClientId, "clientId", &input.client_id)?,
    )?;
    // A batch id is bound, never spliced, and may be anything but empty (key_segment).
    let request_id = slot_value(query, Param::RequestId, "requestId", &input.request_id)?;
    if let Some(id) = request_id {
        validate::batch_id("requestId", id).map_err(|e| HandlerError::invalid(e.to_string()))?;
    }
    let migration_id = slot_value(
        query,
        Param::MigrationId,
        "migrationId",
        &input.migration_id,
    )?;
    if let Some(id) = migration_id {
        if !catalog::MIGRATIONS.iter().any(|m| m.id == id) {
            return Err(HandlerError::invalid(format!(
                "migrationId '{}' is not a catalog migration",
                id.chars().take(20).collect::<String>()
            )));
        }
    }
    let renders_table = query.sql.contains("${table}");
    let table = match (&input.table, renders_table) {
        (Some(t), true) if catalog::is_housekept(t) => Some(t.as_str()),
        (Some(t), true) => {
            let known: Vec<_> = catalog::TABLES
                .iter()
                .map(|t| t.name)
                .chain(catalog::LEDGER_TABLES.iter().copied())
                .collect();
            return Err(HandlerError::invalid(format!(
                "table '{}' is not a staging table; known: {}",
                t.chars().take(80).collect::<String>(),
                known.join(", ")
            )));
        }
        (None, true) => {
            return Err(HandlerError::invalid(format!(
                "query {} needs table",
                query.id
            )))
        }
        (Some(_), false) => {
            return Err(HandlerError::invalid(format!(
                "query {} takes no table",
                query.id
            )))
        }
        (None, false) => None,
    };
    let sql = render::render_for_table(query.sql, deployment, table)
        .map_err(|e| HandlerError::new(ErrorKind::ConfigMissing, format!("{}: {e}", query.id)))?;

    let fingerprint = if query.needs_hash_key() {
        Some(checked_fingerprint(query, vault, deployment).await?)
    } else {
        None
    };
    let params = binding::bind(
        query,
        &Bindings {
            as_of,
            completed_date,
            client_id,
            request_id,
            migration_id,
            first_capture_day,
            run,
            source_files,
            hash_key_fingerprint: fingerprint.as_ref(),
            earliest_created,
        },
    )
    .map_err(|e| HandlerError::invalid(e.to_string()))?;

    let execution_id = engine
        .start(QueryRequest {
            query_id: query.id.to_string(),
            sql,
            params,
            workgroup: query.workgroup,
            output_location: None,
            client_request_token: client_request_token(&input, request_token),
        })
        .await?;
    tracing::info!(query = query.id, execution_id = %execution_id, as_of = ?as_of.map(|d| d.to_string()), "query started");
    Ok(QueryProgress::started(query.id, execution_id, policy))
}

#[cfg(test)]
mod token_tests {
    use super::*;

    fn token(json: serde_json::Value) -> Option<String> {
        let start: crate::contract::StartQuery = serde_json::from_value(json).unwrap();
        client_request_token(&start.request, start.request_token.as_deref())
    }

    #[test]
    fn a_start_is_named_by_its_entry_and_everything_that_makes_the_query() {
        let base = serde_json::json!({"request": {"query": "ingestion/request_item_status", "asOf": "2026-11-20"},
            "requestToken": "arn:exec/2026-11-20T04:00:00.123Z"});
        let first = token(base.clone()).unwrap();
        assert_eq!(first.len(), 32, "Athena wants 32 to 128 characters");
        assert_eq!(token(base.clone()), Some(first.clone()));
        let mut other = base.clone();
        other["requestToken"] = serde_json::json!("arn:exec/2026-11-20T04:00:20.456Z");
        assert_ne!(token(other).unwrap(), first, "requestToken");
        for (field, value) in [
            ("query", "ingestion/request_item_plan_status"),
            ("asOf", "2026-11-21"),
        ] {
            let mut other = base.clone();
            other["request"][field] = serde_json::json!(value);
            assert_ne!(token(other).unwrap(), first, "{field}");
        }
        let mut without = base;
        without.as_object_mut().unwrap().remove("requestToken");
        assert_eq!(token(without), None);
    }
}
