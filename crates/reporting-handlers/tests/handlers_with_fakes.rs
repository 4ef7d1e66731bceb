use std::sync::Mutex;

use async_trait::async_trait;
use reporting_core::config::Deployment;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::hash_key::{self, Fingerprint};
use reporting_core::ports::{
    ObjectInfo, ObjectStore, Parameters, QueryEngine, QueryParam, QueryRequest, QueryState,
    QueryStatistics, QueryStatus, ResultPage,
};
use reporting_core::Secret;
use reporting_handlers::{handle, poll_query, LambdaName, PollPolicy, Ports, QueryProgress};
use serde_json::json;

const KEY: &str = "dGVzdC1oYXNoLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=";

#[derive(Default)]
struct FakeEngine {
    started: Mutex<Vec<QueryRequest>>,
    statuses: Mutex<Vec<QueryStatus>>,
    cancelled: Mutex<Vec<String>>,
}

#[async_trait]
impl QueryEngine for FakeEngine {
    async fn start(&self, request: QueryRequest) -> Result<String, PortError> {
        self.started.lock().unwrap().push(request);
        Ok("exec-1".into())
    }
    async fn status(&self, _: &str) -> Result<QueryStatus, PortError> {
        Ok(self.statuses.lock().unwrap().remove(0))
    }
    async fn cancel(&self, id: &str) -> Result<(), PortError> {
        self.cancelled.lock().unwrap().push(id.into());
        Ok(())
    }
    async fn results(&self, _: &str, _: Option<&str>) -> Result<ResultPage, PortError> {
        unimplemented!("not used by these handlers")
    }
}

struct NoParameters;

#[async_trait]
impl Parameters for NoParameters {
    async fn get_text(&self, _: &str) -> Result<Option<String>, PortError> {
        Ok(None)
    }
}

/// The vault: one object, or none; it only answers reads of the deployment's vault object.
struct FakeVault(Option<Vec<u8>>);

#[async_trait]
impl ObjectStore for FakeVault {
    async fn put(&self, _: &str, _: &str, _: Vec<u8>) -> Result<(), PortError> {
        unimplemented!("run-query never writes the vault")
    }
    async fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        let object = Deployment::local().hash_key_object.unwrap();
        assert_eq!((bucket, key), (object.bucket.as_str(), object.key.as_str()));
        Ok(self.0.clone())
    }
    async fn list(&self, _: &str, _: &str) -> Result<Vec<ObjectInfo>, PortError> {
        unimplemented!("run-query never lists the vault")
    }
    async fn delete(&self, _: &str, _: &str) -> Result<(), PortError> {
        unimplemented!("run-query never deletes from the vault")
    }
}

fn status(state: QueryState) -> QueryStatus {
    QueryStatus {
        state,
        reason: None,
        failure_kind: None,
        statistics: QueryStatistics::default(),
    }
}

/// Runs `input` through run-query with `vault` holding `key` (none: no object) and `pinned` as the
/// deployment's pinned fingerprint.
async fn run_with(
    input: serde_json::Value,
    key: Option<&str>,
    pinned: Option<&str>,
) -> (
    Result<QueryProgress, reporting_core::HandlerError>,
    FakeEngine,
) {
    let engine = FakeEngine::default();
    let vault = FakeVault(key.map(|k| hash_key::object_body(&Secret::new(k))));
    let deployment = Deployment {
        hash_key_fingerprint: pinned.map(|k| Fingerprint::of(&Secret::new(k))),
        ..Deployment::local()
    };
    let (parameters, policy) = (NoParameters, PollPolicy::default());
    let ports = Ports {
        engine: &engine,
        parameters: &parameters,
        deployment: &deployment,
        policy: &policy,
        saved_queries: None,
        objects: None,
        metrics: None,
        source: None,
        vault: Some(&vault),
    };
    // Through the one dispatcher, as the Lambda runs it: the query loop hands run-query the
    // request its caller gave.
    let r = handle(
        LambdaName::RunQuery,
        serde_json::json!({"request": input}),
        &ports,
    )
    .await
    .map(|out| serde_json::from_value(out).unwrap());
    (r, engine)
}

/// The same with the key in the vault pinned.
async fn run(
    input: serde_json::Value,
    key: Option<&'static str>,
) -> (
    Result<QueryProgress, reporting_core::HandlerError>,
    FakeEngine,
) {
    run_with(input, key, key).await
}

#[tokio::test]
async fn only_the_pinned_fingerprint_is_bound_never_the_key() {
    let (r, engine) = run(
        json!({"query": "ingestion/request_item_status", "firstCaptureDay": "2026-11-18", "asOf": "2026-11-25"}),
        Some(KEY),
    )
    .await;
    let progress = r.unwrap();
    let output = serde_json::to_string(&progress).unwrap();
    assert!(
        !output.contains(KEY) && !output.contains("dGVz"),
        "{output}"
    );
    assert_eq!(progress.state, QueryState::Queued);
    let started = engine.started.lock().unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(
        started[0].params[0],
        QueryParam::Text(Fingerprint::of(&Secret::new(KEY)).as_str().to_string())
    );
    assert!(started[0]
        .params
        .iter()
        .all(|p| !p.athena_literal().contains(KEY)));
    // The window: from a week before asOf to asOf; no run, so whole capture days ('' as the run
    // and in every file slot).
    assert_eq!(
        started[0].params[1..3],
        [
            QueryParam::Date("2026-11-18".parse().unwrap()),
            QueryParam::Date("2026-11-25".parse().unwrap())
        ]
    );
    // No earliestCreated: the bound is the beginning of history (every partition is read).
    assert_eq!(started[0].params.len(), 3 + 1 + 100 + 1 + 2);
    assert!(started[0].params[3..3 + 1 + 100 + 1]
        .iter()
        .all(|p| *p == QueryParam::Text(String::new())));
    assert!(started[0].params[3 + 1 + 100 + 1..]
        .iter()
        .all(|p| *p == QueryParam::Date("1970-01-01".parse().unwrap())));
    assert!(!started[0].sql.contains(KEY), "the key is not spliced");
    assert!(
        started[0].sql.contains("FROM hash_key k"),
        "the SQL reads the key from the vault's table"
    );
    assert!(!started[0].sql.contains("${"), "placeholders are rendered");
    assert!(
        !format!("{:?}", started[0]).contains(KEY),
        "Debug output masks the key"
    );
}

#[tokio::test]
async fn a_missing_malformed_unpinned_or_other_key_fails_closed_and_starts_nothing() {
    const OTHER: &str = "b3RoZXItaGFzaC1rZXktMDAwMDAwMDAwMDAwMDAwMDA=";
    let input = json!({"query": "ingestion/request_item_status", "firstCaptureDay": "2026-11-18", "asOf": "2026-11-25"});
    for (key, pinned, says) in [
        (
            None,
            Some(KEY),
            "s3://vault/hash-key/hash_key does not exist",
        ),
        (
            Some("not-a-key"),
            Some(KEY),
            "does not hold exactly one key",
        ),
        (Some(KEY), None, "no hash key fingerprint is pinned"),
        (Some(OTHER), Some(KEY), "is not the one pinned"),
    ] {
        let (r, engine) = run_with(input.clone(), key, pinned).await;
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::HashKeyRefused, "{says}");
        assert_eq!(e.kind().error_type(), "Config.HashKeyRefused");
        assert!(e.message().contains(says), "{says}: {}", e.message());
        assert!(
            e.message().contains("ingestion/request_item_status"),
            "names the query: {}",
            e.message()
        );
        assert!(!e.message().contains(KEY) && !e.message().contains(OTHER));
        assert!(engine.started.lock().unwrap().is_empty(), "{says}");
    }
}

#[tokio::test]
async fn bad_input_is_refused_clearly_and_starts_nothing() {
    let cases = [
        (
            json!({"query": "ingestion/nope", "asOf": "2026-11-25"}),
            "unknown query",
        ),
        (
            json!({"query": "ingestion/request_item_plan_status'; DROP TABLE x", "asOf": "2026-11-25"}),
            "unknown query",
        ),
        (
            json!({"query": "ingestion/request_item_plan_status", "asOf": "2026-02-30"}),
            "asOf",
        ),
        (
            json!({"query": "ingestion/request_item_plan_status", "asOf": "26-11-01"}),
            "asOf",
        ),
        (
            json!({"query": "ingestion/request_item_plan_status"}),
            "needs asOf",
        ),
        (
            json!({"query": "ingestion/request_item_plan_status", "asOf": "2026-11-25"}),
            "needs firstCaptureDay",
        ),
        (
            json!({"query": "ingestion/request_item_plan_status", "asOf": "2026-11-25", "firstCaptureDay": "2026-11-18' OR '1'='1"}),
            "firstCaptureDay",
        ),
        (json!({"query": "ingestion/mark_files_read"}), "needs run"),
        (
            json!({"query": "ingestion/mark_files_read", "run": "r1/../x"}),
            "run",
        ),
        (
            json!({"query": "ingestion/mark_files_read", "run": "r1", "firstCaptureDay": "2026-11-18"}),
            "takes no firstCaptureDay",
        ),
        (
            json!({"query": "ingestion/claim_source_files", "run": "r1", "asOf": "2026-11-25", "firstCaptureDay": "2026-11-18"}),
            "needs sourceFiles",
        ),
        (
            json!({"query": "ingestion/claim_source_files", "run": "r1", "asOf": "2026-11-25", "firstCaptureDay": "2026-11-18", "sourceFiles": ["s3://b/a\nb"]}),
            "sourceFiles",
        ),
        (
            json!({"query": "ingestion/request_item_plan_status", "asOf": "2026-11-25", "firstCaptureDay": "2026-11-18", "sourceFiles": ["s3://b/a"]}),
            "only for a run",
        ),
        (
            json!({"query": "ingestion/request_item_plan_status", "asOf": "2026-11-25", "firstCaptureDay": "2026-11-18", "run": "r1", "sourceFiles": vec!["s3://b/a"; 101]}),
            "at most 100",
        ),
        (
            json!({"query": "reports/completed_batches", "run": "r1"}),
            "takes no run",
        ),
        (
            json!({"query": "tables/request_item_status", "asOf": "2026-11-25"}),
            "takes no asOf",
        ),
        (
            json!({"query": "ingestion/request_item_plan_status", "asOf": "2026-11-25", "extra": 1}),
            "unknown field",
        ),
        (json!("not an object"), "run-query input"),
        // Report, setup and housekeeping slots: every id is checked before it is bound or rendered.
        (
            json!({"query": "reports/completed_comms_report", "completedDate": "2026-11-24"}),
            "needs clientId",
        ),
        (
            json!({"query": "reports/completed_comms_report", "clientId": "a/b", "completedDate": "2026-11-24"}),
            "clientId contains",
        ),
        (
            json!({"query": "reports/completed_comms_report", "clientId": "C1", "completedDate": "2026-02-30"}),
            "completedDate",
        ),
        (
            json!({"query": "reports/completed_batch_report", "clientId": "C1", "requestId": ""}),
            "requestId is empty",
        ),
        (
            json!({"query": "setup/record_migration", "migrationId": "9999"}),
            "not a catalog migration",
        ),
        (
            json!({"query": "housekeeping/optimize", "table": "transaction_history"}),
            "not a staging table",
        ),
        (
            json!({"query": "housekeeping/vacuum", "table": "request_item_status; DROP TABLE x"}),
            "not a staging table",
        ),
        (json!({"query": "housekeeping/optimize"}), "needs table"),
        (
            json!({"query": "ingestion/request_item_plan_status", "firstCaptureDay": "2026-11-18", "asOf": "2026-11-25", "table": "request_item_status"}),
            "takes no table",
        ),
        (
            json!({"query": "views/completed_comms", "clientId": "C1"}),
            "takes no clientId",
        ),
        // The run's bound: a date, and only for the passes' queries.
        (
            json!({"query": "ingestion/request_item_plan_status", "firstCaptureDay": "2026-11-18", "asOf": "2026-11-25", "earliestCreated": "2026-11-01' OR '1'='1"}),
            "earliestCreated",
        ),
        (
            json!({"query": "ingestion/request_item_status_summary", "asOf": "2026-11-25", "earliestCreated": "2026-13-01"}),
            "earliestCreated",
        ),
        (
            json!({"query": "ingestion/mark_files_read", "run": "r1", "earliestCreated": "2026-11-01"}),
            "takes no earliestCreated",
        ),
    ];
    for (input, expected) in cases {
        let (r, engine) = run(input.clone(), Some(KEY)).await;
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{input}");
        assert!(e.message().contains(expected), "{input}: {}", e.message());
        assert!(engine.started.lock().unwrap().is_empty(), "{input}");
    }
}

/// A batch id is the client's own and may hold anything: it is bound as a parameter, never put
/// in the SQL text.
#[tokio::test]
async fn a_batch_id_with_quotes_is_bound_not_spliced() {
    let hostile = "x' OR '1'='1";
    let (r, engine) = run(
        json!({"query": "reports/completed_batch_report", "clientId": "C1", "requestId": hostile}),
        Some(KEY),
    )
    .await;
    r.unwrap();
    let started = engine.started.lock().unwrap();
    assert_eq!(started.len(), 1);
    assert!(
        !started[0].sql.contains(hostile),
        "spliced: {}",
        started[0].sql
    );
    assert!(
        started[0]
            .params
            .iter()
            .any(|p| format!("{p:?}").contains("OR '1'='1")),
        "{:?}",
        started[0].params
    );
}

fn progress() -> QueryProgress {
    serde_json::from_value(json!({"query": "ingestion/request_item_plan_status", "queryExecutionId": "exec-1", "state": "QUEUED",
           "pollCount": 0, "waitSeconds": 2, "waitedSeconds": 0})).unwrap()
}

#[tokio::test]
async fn polling_waits_longer_each_time_then_reports_statistics() {
    let engine = FakeEngine::default();
    let mut done = status(QueryState::Succeeded);
    done.statistics.rows_affected = Some(42);
    *engine.statuses.lock().unwrap() = vec![
        status(QueryState::Running),
        status(QueryState::Running),
        done,
    ];
    let policy = PollPolicy::default();
    let p1 = poll_query(progress(), &engine, &policy).await.unwrap();
    assert_eq!(
        (p1.state, p1.poll_count, p1.wait_seconds, p1.waited_seconds),
        (QueryState::Running, 1, 4, 2)
    );
    let p2 = poll_query(p1.clone(), &engine, &policy).await.unwrap();
    assert_eq!(
        (p2.poll_count, p2.wait_seconds, p2.waited_seconds),
        (2, 8, 6)
    );
    let p3 = poll_query(p2.clone(), &engine, &policy).await.unwrap();
    assert_eq!(p3.state, QueryState::Succeeded);
    assert_eq!(p3.statistics.rows_affected, Some(42));
}

#[tokio::test]
async fn failures_are_typed_for_the_state_machine() {
    let policy = PollPolicy::default();
    let engine = FakeEngine::default();
    let mut failed = status(QueryState::Failed);
    failed.reason = Some("SYNTAX_ERROR: line 1".into());
    let mut conflict = status(QueryState::Failed);
    conflict.reason = Some("ICEBERG_COMMIT_ERROR".into());
    conflict.failure_kind = Some(ErrorKind::CommitConflict);
    *engine.statuses.lock().unwrap() = vec![failed, conflict, status(QueryState::Cancelled)];
    let e = poll_query(progress(), &engine, &policy).await.unwrap_err();
    assert_eq!(e.kind().error_type(), "Query.Failed");
    assert!(
        e.message().contains("SYNTAX_ERROR") && e.message().contains("request_item_plan_status"),
        "{}",
        e.message()
    );
    assert_eq!(
        poll_query(progress(), &engine, &policy)
            .await
            .unwrap_err()
            .kind()
            .error_type(),
        "Retryable.CommitConflict"
    );
    assert_eq!(
        poll_query(progress(), &engine, &policy)
            .await
            .unwrap_err()
            .kind()
            .error_type(),
        "Query.Cancelled"
    );
}

#[tokio::test]
async fn a_query_past_the_timeout_is_cancelled() {
    let engine = FakeEngine::default();
    *engine.statuses.lock().unwrap() = vec![status(QueryState::Running)];
    let policy = PollPolicy {
        timeout_seconds: 60,
        ..Default::default()
    };
    let mut input = progress();
    input.waited_seconds = 50;
    input.wait_seconds = 10;
    let e = poll_query(input, &engine, &policy).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::QueryTimeout);
    assert_eq!(
        *engine.cancelled.lock().unwrap(),
        vec!["exec-1".to_string()]
    );
}
