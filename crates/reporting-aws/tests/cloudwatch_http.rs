//! CloudWatch PutMetricData at the HTTP layer. moto cannot answer the SDK's Smithy RPCv2 CBOR
//! protocol, so a test HTTP client stands in for the service: it sees every request the real
//! adapter sends and answers as CloudWatch does (an empty CBOR map).

use std::sync::{Arc, Mutex};

use aws_sdk_cloudwatch::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::test_util::infallible_client_fn;
use reporting_aws::CloudWatchMetrics;
use reporting_core::ports::{MetricDatum, Metrics};

fn datum(i: usize) -> MetricDatum {
    MetricDatum {
        namespace: "Notify/Watchdog".into(),
        name: "StuckRequestItemsCount".into(),
        dimensions: vec![
            ("environment".into(), "prod".into()),
            ("clientid".into(), format!("client-{i}")),
            ("campaignid".into(), "N/A".into()),
        ],
        value: i as f64,
        unit: "Count".into(),
    }
}

/// (path, protocol header, body bytes) of each request.
type Seen = Arc<Mutex<Vec<(String, String, usize)>>>;

fn cloudwatch(seen: Seen) -> CloudWatchMetrics {
    let http = infallible_client_fn(move |request| {
        seen.lock().unwrap().push((
            request.uri().path().to_string(),
            request
                .headers()
                .get("smithy-protocol")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default(),
            request.body().bytes().map_or(0, |b| b.len()),
        ));
        http::Response::builder()
            .status(200)
            .header("smithy-protocol", "rpc-v2-cbor")
            .header("content-type", "application/cbor")
            .body(vec![0xa0u8])
            .unwrap()
    });
    CloudWatchMetrics::new(aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-2"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .http_client(http)
            .build(),
    ))
}

#[tokio::test]
async fn each_put_is_one_put_metric_data_call_carrying_every_datum() {
    let seen: Seen = Arc::default();
    let metrics = cloudwatch(seen.clone());
    // publish-metric's batches for 2,500 rows: 1,000, 1,000, 500.
    for batch in [0..1000, 1000..2000, 2000..2500] {
        metrics.put(batch.map(datum).collect()).await.unwrap();
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    for (path, protocol, _) in seen.iter() {
        assert!(path.ends_with("/operation/PutMetricData"), "{path}");
        assert_eq!(protocol, "rpc-v2-cbor");
    }
    // The (gzip-compressed) body grows with the data: a full batch is about twice a half one.
    let (full, half) = (seen[0].2, seen[2].2);
    assert!(half * 3 / 2 < full && full < half * 3, "{full} vs {half}");
}

#[tokio::test]
async fn data_of_two_namespaces_never_share_a_call() {
    let metrics = cloudwatch(Arc::default());
    let mut other = datum(1);
    other.namespace = "Other".into();
    let err = metrics.put(vec![datum(0), other]).await.unwrap_err();
    assert!(err.message.contains("one namespace"), "{}", err.message);
}
