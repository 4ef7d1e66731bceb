//! publish-metric over fakes: every page, batches within the API limit, the short environment
//! name, rejected rows reported, and a failed batch resumed from where it failed.

use std::sync::Mutex;

use async_trait::async_trait;
use reporting_core::config::Deployment;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::{MetricDatum, Metrics};
use reporting_handlers::contract::PublishOutput;
use reporting_handlers::{publish_metric, BATCH_SIZE};
use serde_json::json;

mod common;
use common::PagedEngine;

/// CloudWatch in memory: each call's data; calls listed in `fail_calls` fail with `fail_kind`.
struct FakeCloudWatch {
    calls: Mutex<Vec<Vec<MetricDatum>>>,
    attempts: Mutex<usize>,
    fail_calls: Vec<usize>,
    fail_kind: ErrorKind,
}

impl FakeCloudWatch {
    fn failing(fail_calls: Vec<usize>, fail_kind: ErrorKind) -> Self {
        Self {
            calls: Mutex::new(Vec::new()),
            attempts: Mutex::new(0),
            fail_calls,
            fail_kind,
        }
    }
    fn published(&self) -> Vec<MetricDatum> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .flatten()
            .cloned()
            .collect()
    }
}

#[async_trait]
impl Metrics for FakeCloudWatch {
    async fn put(&self, data: Vec<MetricDatum>) -> Result<(), PortError> {
        let mut attempts = self.attempts.lock().unwrap();
        *attempts += 1;
        if self.fail_calls.contains(&attempts) {
            return Err(PortError::new(self.fail_kind, "Rate exceeded"));
        }
        assert!(
            data.len() <= BATCH_SIZE,
            "a PutMetricData call over the limit"
        );
        self.calls.lock().unwrap().push(data);
        Ok(())
    }
}

fn rows(n: usize) -> Vec<Vec<Option<String>>> {
    (0..n)
        .map(|i| {
            vec![
                Some(format!("client-{}", i % 50)),
                Some(format!("campaign-{i}")),
                Some((i % 7).to_string()),
            ]
        })
        .collect()
}

fn prod() -> Deployment {
    Deployment {
        csi: "nhs-notify-prod-reporting".into(),
        environment: "prod".into(),
        ..Deployment::local()
    }
}

/// A request as the Lambda's dispatcher parses it.
fn typed<T: serde::de::DeserializeOwned>(input: serde_json::Value) -> T {
    serde_json::from_value(input).unwrap()
}

async fn publish(
    engine: &PagedEngine,
    cloudwatch: &FakeCloudWatch,
    input: serde_json::Value,
) -> PublishOutput {
    publish_metric(typed(input), engine, cloudwatch, &prod())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_page_is_published_in_batches_with_the_short_environment_name() {
    let engine = PagedEngine::new(&["clientid", "campaignid", "count"], rows(2500));
    let cloudwatch = FakeCloudWatch::failing(vec![], ErrorKind::Throttled);
    let out = publish(
        &engine,
        &cloudwatch,
        json!({"query": "watchdog/stuck_request_items", "queryExecutionId": "q"}),
    )
    .await;
    assert!(out.complete);
    assert_eq!(out.published, 2500);
    assert_eq!(engine.pages(), 3, "2,500 rows are three result pages");
    let calls: Vec<usize> = cloudwatch
        .calls
        .lock()
        .unwrap()
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(calls, vec![1000, 1000, 500]);
    let data = cloudwatch.published();
    let d = &data[2499];
    assert_eq!(d.namespace, "Notify/Watchdog");
    assert_eq!(d.name, "StuckRequestItemsCount");
    assert_eq!(d.unit, "Count");
    assert_eq!(
        d.dimensions,
        vec![
            ("environment".to_string(), "prod".to_string()),
            ("clientid".to_string(), "client-49".to_string()),
            ("campaignid".to_string(), "campaign-2499".to_string()),
        ]
    );
    assert_eq!(d.value, (2499 % 7) as f64);
}

#[tokio::test]
async fn a_failed_batch_is_resumed_from_that_batch_and_nothing_is_sent_twice() {
    let engine = PagedEngine::new(&["clientid", "campaignid", "count"], rows(2500));
    // The second call is throttled once.
    let cloudwatch = FakeCloudWatch::failing(vec![2], ErrorKind::Throttled);
    let input = json!({"query": "watchdog/overdue_requests", "queryExecutionId": "q"});
    let first = publish(&engine, &cloudwatch, input).await;
    assert!(!first.complete);
    assert_eq!(
        (first.next_row, first.published, first.interruptions),
        (1000, 1000, 1)
    );
    assert!(first
        .error
        .as_deref()
        .unwrap()
        .starts_with("Retryable.Throttled"));
    // What the machine sends next.
    let second = publish(
        &engine,
        &cloudwatch,
        json!({"query": "watchdog/overdue_requests", "queryExecutionId": "q",
               "nextRow": first.next_row, "published": first.published, "interruptions": first.interruptions}),
    )
    .await;
    assert!(second.complete);
    assert_eq!(second.published, 2500);
    let mut campaigns: Vec<String> = cloudwatch
        .published()
        .iter()
        .map(|d| d.dimensions[2].1.clone())
        .collect();
    assert_eq!(campaigns.len(), 2500, "every row exactly once");
    campaigns.sort();
    campaigns.dedup();
    assert_eq!(campaigns.len(), 2500);
}

#[tokio::test]
async fn rows_that_cannot_be_metrics_are_reported_and_the_rest_published() {
    let s = |v: &str| Some(v.to_string());
    let engine = PagedEngine::new(
        &["clientid", "campaignid", "count"],
        vec![
            vec![s("a"), s("k"), s("3")],
            vec![None, s("k"), s("1")],
            vec![s("b"), None, s("0")],
            vec![s("c"), s("k"), None],
            vec![s("d"), s("k"), s("many")],
            vec![s(""), s("k"), s("1")],
        ],
    );
    let cloudwatch = FakeCloudWatch::failing(vec![], ErrorKind::Throttled);
    let out = publish(
        &engine,
        &cloudwatch,
        json!({"query": "watchdog/degraded_latency", "queryExecutionId": "q"}),
    )
    .await;
    assert!(out.complete);
    assert_eq!(out.published, 2);
    let reasons: Vec<(usize, &str)> = out
        .rejected
        .iter()
        .map(|r| (r.row, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (1, "clientid is NULL or empty"),
            (3, "count is NULL"),
            (4, "count \"many\" is not a number"),
            (5, "clientid is NULL or empty"),
        ]
    );
    // A NULL campaign is published as N/A.
    assert_eq!(cloudwatch.published()[1].dimensions[2].1, "N/A");
}

#[tokio::test]
async fn a_non_retryable_failure_fails_and_unknown_queries_are_refused() {
    let engine = PagedEngine::new(&["clientid", "campaignid", "count"], rows(3));
    let cloudwatch = FakeCloudWatch::failing(vec![1], ErrorKind::Internal);
    let err = publish_metric(
        typed(json!({"query": "watchdog/overdue_request_items", "queryExecutionId": "q"})),
        &engine,
        &cloudwatch,
        &prod(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    let err = publish_metric(
        typed(json!({"query": "ingestion/request_item_status", "queryExecutionId": "q"})),
        &engine,
        &cloudwatch,
        &prod(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.message().contains("not a watchdog query"),
        "{}",
        err.message()
    );
}
