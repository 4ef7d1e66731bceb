//! write-report over fakes: every result page is read, ids are checked before they name keys,
//! and a report is delivered once, whole, and verified.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use async_trait::async_trait;
use reporting_core::config::Deployment;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::*;
use reporting_core::HandlerError;
use reporting_handlers::{handle, LambdaName, PollPolicy, Ports, ReportPorts};
use serde_json::json;

mod common;
use common::PagedEngine;

/// S3 in memory; `truncate` drops the last byte of every PUT (a write that did not land whole).
#[derive(Default)]
struct MemoryStore {
    objects: Mutex<BTreeMap<(String, String), Vec<u8>>>,
    truncate: bool,
}

#[async_trait]
impl ObjectStore for MemoryStore {
    async fn put(&self, bucket: &str, key: &str, mut body: Vec<u8>) -> Result<(), PortError> {
        if self.truncate {
            body.pop();
        }
        self.objects
            .lock()
            .unwrap()
            .insert((bucket.into(), key.into()), body);
        Ok(())
    }
    async fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        Ok(self
            .objects
            .lock()
            .unwrap()
            .get(&(bucket.into(), key.into()))
            .cloned())
    }
    async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, PortError> {
        Ok(self
            .objects
            .lock()
            .unwrap()
            .iter()
            .filter(|((b, k), _)| b == bucket && k.starts_with(prefix))
            .map(|((_, k), v)| ObjectInfo {
                key: k.clone(),
                size: v.len() as u64,
                last_modified_millis: None,
            })
            .collect())
    }
    async fn delete(&self, _: &str, _: &str) -> Result<(), PortError> {
        unimplemented!()
    }
}

struct NoParameters;

#[async_trait]
impl Parameters for NoParameters {
    async fn get_text(&self, _: &str) -> Result<Option<String>, PortError> {
        Ok(None)
    }
}

fn engine(columns: &[&str], rows: Vec<Vec<Option<String>>>) -> PagedEngine {
    PagedEngine::new(columns, rows)
}

static LOCAL: std::sync::LazyLock<Deployment> = std::sync::LazyLock::new(Deployment::local);

/// The metrics write-report puts.
#[derive(Default)]
struct RecordedMetrics(Mutex<Vec<MetricDatum>>);

#[async_trait]
impl Metrics for RecordedMetrics {
    async fn put(&self, data: Vec<MetricDatum>) -> Result<(), PortError> {
        self.0.lock().unwrap().extend(data);
        Ok(())
    }
}

static METRICS: std::sync::LazyLock<RecordedMetrics> =
    std::sync::LazyLock::new(RecordedMetrics::default);

/// write-report's ports: this engine and store, no parameters, the local deployment.
fn ports<'a>(engine: &'a PagedEngine, store: &'a MemoryStore) -> ReportPorts<'a> {
    ports_with(engine, store, &METRICS)
}

fn ports_with<'a>(
    engine: &'a PagedEngine,
    store: &'a MemoryStore,
    metrics: &'a RecordedMetrics,
) -> ReportPorts<'a> {
    ReportPorts {
        engine,
        objects: store,
        parameters: &NoParameters,
        deployment: &LOCAL,
        metrics,
    }
}

/// A write-report request through the one dispatcher the Lambda uses.
async fn call(
    input: serde_json::Value,
    p: &ReportPorts<'_>,
) -> Result<serde_json::Value, HandlerError> {
    let policy = PollPolicy::default();
    let ports = Ports {
        engine: p.engine,
        parameters: p.parameters,
        deployment: p.deployment,
        policy: &policy,
        saved_queries: None,
        objects: Some(p.objects),
        metrics: Some(p.metrics),
        source: None,
        vault: None,
    };
    handle(LambdaName::WriteReport, input, &ports).await
}

#[tokio::test]
async fn batches_come_from_every_page_and_only_what_cannot_be_a_key_is_set_aside_and_counted() {
    let mut rows: Vec<Vec<Option<String>>> = (0..2500)
        .map(|i| vec![Some(format!("R{i:04}")), Some(format!("REF-{i}"))])
        .collect();
    // A slash, a space, a quote: reported under an encoded key, not skipped.
    rows.push(vec![Some("R/9 it's".into()), Some("REF".into())]);
    // What cannot be a key: a NULL, an empty id, a key over S3's 1,024 bytes.
    rows.push(vec![Some("R10".into()), None]);
    rows.push(vec![Some("".into()), Some("REF".into())]);
    rows.push(vec![Some("R11".into()), Some("x".repeat(1000))]);
    let engine = engine(&["requestid", "requestrefid"], rows);
    let store = MemoryStore::default();
    let metrics = RecordedMetrics::default();
    let ports = ports_with(&engine, &store, &metrics);
    let out = call(
        json!({"action": "batches", "queryExecutionId": "q1", "clientId": "C1"}),
        &ports,
    )
    .await
    .unwrap();
    // Counted: 2,501 batches in 6 pages of at most 500; none listed yet.
    assert_eq!(out["count"], 2501);
    assert_eq!(out["pages"], 6);
    assert_eq!(out["batches"], json!([]));
    let page = |n: usize| {
        let ports = &ports;
        async move {
            call(
                json!({"action": "batches", "queryExecutionId": "q1", "clientId": "C1", "page": n}),
                ports,
            )
            .await
            .unwrap()
        }
    };
    let mut listed = Vec::new();
    for n in 0..6 {
        let out = page(n).await;
        assert_eq!(
            out["rejected"],
            json!([]),
            "a page sets nothing aside twice"
        );
        listed.extend(out["batches"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(listed.len(), 2501);
    assert_eq!(listed[2499]["requestId"], "R2499");
    assert_eq!(listed[2500]["requestId"], "R/9 it's");
    let past = call(
        json!({"action": "batches", "queryExecutionId": "q1", "clientId": "C1", "page": 6}),
        &ports,
    )
    .await
    .unwrap_err();
    assert!(
        past.message()
            .contains("page: 6 is past the last page of 6"),
        "{}",
        past.message()
    );
    let rejected = out["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert!(rejected[1]["reason"]
        .as_str()
        .unwrap()
        .contains("requestId is empty"));
    assert!(rejected[2]["reason"]
        .as_str()
        .unwrap()
        .contains("S3 allows 1024"));
    let data = metrics.0.lock().unwrap();
    assert_eq!(
        data.len(),
        3,
        "one SkippedBatches datum per skipped batch, counted once"
    );
    assert!(data.iter().all(|d| d.namespace == "Notify/Reports"
        && d.name == "SkippedBatches"
        && d.value == 1.0
        && d.dimensions
            .contains(&("clientid".to_string(), "C1".to_string()))));
    // Three result pages per read: the count and each of the six batch pages.
    assert_eq!(engine.pages_read.load(Ordering::SeqCst), 3 * 8);
}

#[tokio::test]
async fn a_batch_id_outside_the_identifier_set_is_delivered_under_a_reversible_key() {
    let engine = engine(&["requestid"], vec![vec![Some("x".into())]]);
    let store = MemoryStore::default();
    let ports = ports(&engine, &store);
    let out = call(
        json!({"action": "deliver", "report": "completed-batch-report", "clientId": "C1",
               "requestId": "R/9 it's", "requestRefId": "..", "queryExecutionId": "q1"}),
        &ports,
    )
    .await
    .unwrap();
    let key = out["key"].as_str().unwrap();
    assert_eq!(
        key,
        "completed_batch_report/C1/R%2F9%20it%27s/%2E%2E/completed_batch_report_R%2F9%20it%27s.csv"
    );
    let segments: Vec<&str> = key.split('/').collect();
    assert_eq!(
        reporting_core::key_segment::decode(segments[2]).unwrap(),
        "R/9 it's"
    );
    assert_eq!(
        reporting_core::key_segment::decode(segments[3]).unwrap(),
        ".."
    );
}

#[tokio::test]
async fn a_report_is_delivered_once_whole_and_checked() {
    let rows: Vec<Vec<Option<String>>> = (0..1500)
        .map(|i| vec![Some(format!("R{i}")), None])
        .collect();
    let engine = engine(&["requestid", "requestrefid"], rows);
    let store = MemoryStore::default();
    let ports = ports(&engine, &store);
    let input = json!({"action": "deliver", "report": "completed-comms-report", "clientId": "C1",
        "completedDate": "2026-11-20", "queryExecutionId": "q1"});
    let out = call(input.clone(), &ports).await.unwrap();
    assert_eq!(out["status"], "created");
    assert_eq!(out["rows"], 1500);
    let key = "completed_comms_report/C1/2026-11-20/completed_comms_report_C1_2026-11-20.csv";
    assert_eq!(out["key"], key);
    let body = String::from_utf8(store.get("ingress", key).await.unwrap().unwrap()).unwrap();
    assert_eq!(body.lines().count(), 1501);
    assert!(body.ends_with("\"R1499\",\n"));
    let pages = engine.pages_read.load(Ordering::SeqCst);
    let again = call(input, &ports).await.unwrap();
    assert_eq!(again["status"], "exists");
    assert_eq!(
        engine.pages_read.load(Ordering::SeqCst),
        pages,
        "no results read again"
    );
}

#[tokio::test]
async fn a_report_that_did_not_land_whole_is_a_retryable_error() {
    let engine = engine(&["requestid"], vec![vec![Some("R1".into())]]);
    let store = MemoryStore {
        truncate: true,
        ..Default::default()
    };
    let ports = ports(&engine, &store);
    let err = call(
        json!({"action": "deliver", "report": "completed-batch-report", "clientId": "C1",
            "requestId": "R1", "requestRefId": "REF-1", "queryExecutionId": "q1"}),
        &ports,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient, "{}", err.message());
}

#[tokio::test]
async fn a_missing_client_list_fails_closed_and_bad_actions_are_named() {
    let engine = engine(&["x"], vec![]);
    let store = MemoryStore::default();
    let ports = ports(&engine, &store);
    let err = call(
        json!({"action": "plan", "report": "completed-comms-report", "input": {}}),
        &ports,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConfigMissing);
    assert!(
        err.message().contains("/completed-comms-report/clientIds"),
        "{}",
        err.message()
    );
    for (input, says) in [
        (json!({"action": "publish"}), "unknown variant `publish`"),
        (json!({"report": "x"}), "missing field `action`"),
        (
            json!({"action": "find", "report": "weekly", "clientId": "C1"}),
            "unknown variant `weekly`",
        ),
        (
            json!({"action": "find", "report": "completed-batch-report", "clientId": "C1/x", "requestId": "R1", "requestRefId": "../x"}),
            "clientId contains",
        ),
        (
            json!({"action": "find", "report": "completed-batch-report", "clientId": "C1", "requestId": "", "requestRefId": "../x"}),
            "requestId is empty",
        ),
        (
            json!({"action": "find", "report": "completed-comms-report", "clientId": "C1", "completedDate": "2026-11-20", "bucket": "other"}),
            "unknown field `bucket`",
        ),
    ] {
        let err = call(input.clone(), &ports).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input}");
        assert!(err.message().contains(says), "{input}: {}", err.message());
    }
    assert!(store.objects.lock().unwrap().is_empty());
}

/// Multipart S3 in memory: parts kept per upload until completed; `fail_part` fails that part.
#[derive(Default)]
struct MultipartMemory {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
    uploads: Mutex<BTreeMap<String, BTreeMap<i32, Vec<u8>>>>,
    puts: Mutex<usize>,
    aborted: Mutex<Vec<String>>,
    fail_part: Option<i32>,
}

#[async_trait]
impl ObjectStore for MultipartMemory {
    async fn put(&self, _: &str, key: &str, body: Vec<u8>) -> Result<(), PortError> {
        *self.puts.lock().unwrap() += 1;
        self.objects.lock().unwrap().insert(key.into(), body);
        Ok(())
    }
    async fn get(&self, _: &str, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        Ok(self.objects.lock().unwrap().get(key).cloned())
    }
    async fn list(&self, _: &str, _: &str) -> Result<Vec<ObjectInfo>, PortError> {
        unimplemented!("write_streamed does not list")
    }
    async fn delete(&self, _: &str, _: &str) -> Result<(), PortError> {
        unimplemented!()
    }
    async fn start_upload(&self, _: &str, key: &str) -> Result<String, PortError> {
        let id = format!("upload-of-{key}");
        self.uploads
            .lock()
            .unwrap()
            .insert(id.clone(), BTreeMap::new());
        Ok(id)
    }
    async fn upload_part(
        &self,
        _: &str,
        _: &str,
        upload: &str,
        number: i32,
        body: Vec<u8>,
    ) -> Result<UploadedPart, PortError> {
        if self.fail_part == Some(number) {
            return Err(PortError::new(
                ErrorKind::Transient,
                "UploadPart: connection reset",
            ));
        }
        self.uploads
            .lock()
            .unwrap()
            .get_mut(upload)
            .unwrap()
            .insert(number, body);
        Ok(UploadedPart {
            number,
            tag: format!("etag-{number}"),
        })
    }
    async fn complete_upload(
        &self,
        _: &str,
        key: &str,
        upload: &str,
        parts: &[UploadedPart],
    ) -> Result<(), PortError> {
        let stored = self.uploads.lock().unwrap().remove(upload).unwrap();
        let body = parts
            .iter()
            .flat_map(|p| stored[&p.number].clone())
            .collect();
        self.objects.lock().unwrap().insert(key.into(), body);
        Ok(())
    }
    async fn abort_upload(&self, _: &str, _: &str, upload: &str) -> Result<(), PortError> {
        self.uploads.lock().unwrap().remove(upload);
        self.aborted.lock().unwrap().push(upload.into());
        Ok(())
    }
}

fn report_rows(n: usize) -> Vec<Vec<Option<String>>> {
    (0..n)
        .map(|i| {
            vec![
                Some(format!("R{i:05}")),
                (i % 7 != 0).then(|| format!("say \"{i}\", then")),
            ]
        })
        .collect()
}

#[tokio::test]
async fn a_large_report_goes_up_in_parts_and_is_the_same_csv_byte_for_byte() {
    let rows = report_rows(2500);
    let engine = PagedEngine::new(&["requestid", "note"], rows.clone());
    let store = MultipartMemory::default();
    let written = reporting_handlers::write_streamed(&engine, &store, "q", "b", "k.csv", 4096)
        .await
        .unwrap();
    let expected = reporting_core::csv::athena_csv(&["requestid".into(), "note".into()], &rows);
    let object = store.objects.lock().unwrap()["k.csv"].clone();
    assert_eq!(String::from_utf8(object).unwrap(), expected);
    assert_eq!(written.rows, 2500);
    assert_eq!(written.bytes, expected.len() as u64);
    assert!(written.parts > 10, "{written:?}");
    assert_eq!(engine.pages(), 3, "every result page, once");
    assert_eq!(*store.puts.lock().unwrap(), 0);
    assert!(
        store.uploads.lock().unwrap().is_empty(),
        "no upload left open"
    );
}

#[tokio::test]
async fn a_report_that_fits_in_a_part_is_one_put() {
    let rows = report_rows(20);
    let engine = PagedEngine::new(&["requestid", "note"], rows);
    let store = MultipartMemory::default();
    let written = reporting_handlers::write_streamed(&engine, &store, "q", "b", "k.csv", 1 << 20)
        .await
        .unwrap();
    assert_eq!((written.parts, *store.puts.lock().unwrap()), (0, 1));
    assert!(store.uploads.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_part_aborts_the_upload_and_leaves_no_object() {
    let engine = PagedEngine::new(&["requestid", "note"], report_rows(2500));
    let store = MultipartMemory {
        fail_part: Some(3),
        ..Default::default()
    };
    let e = reporting_handlers::write_streamed(&engine, &store, "q", "b", "k.csv", 4096)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transient);
    assert!(store.objects.lock().unwrap().is_empty());
    assert!(store.uploads.lock().unwrap().is_empty());
    assert_eq!(
        *store.aborted.lock().unwrap(),
        vec!["upload-of-k.csv".to_string()]
    );
}
