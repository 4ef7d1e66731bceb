//! The AWS adapters over HTTP against moto server: S3, SSM SecureString with decryption, Athena's
//! query life and result pages. `make test` installs moto next to the build, where
//! `test_services::Moto` finds it (or at MOTO_SERVER, a relative value taken from the workspace).
//! CloudWatch is not here: moto does not speak the CBOR protocol of the current SDK; publish-metric's
//! batching is tested over the Metrics port in reporting-handlers.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use reporting_aws::{AthenaEngine, S3Objects, SsmParameters};
use reporting_core::catalog::Workgroup;
use reporting_core::ports::{
    ObjectStore, Parameters, QueryEngine, QueryParam, QueryRequest, QueryState,
};
use serde_json::json;
use test_services::Moto;

/// moto on a free port for one test; a missing or broken install fails the test by name.
fn moto() -> Moto {
    Moto::start().unwrap_or_else(|e| panic!("{e}"))
}

fn credentials() -> Credentials {
    Credentials::new("testing", "testing", None, None, "moto")
}

fn s3(moto: &Moto) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(moto.endpoint())
            .credentials_provider(credentials())
            .force_path_style(true)
            .build(),
    )
}

fn ssm(moto: &Moto) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::from_conf(
        aws_sdk_ssm::Config::builder()
            .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
            .region(aws_sdk_ssm::config::Region::new("us-east-1"))
            .endpoint_url(moto.endpoint())
            .credentials_provider(credentials())
            .build(),
    )
}

fn athena(moto: &Moto) -> aws_sdk_athena::Client {
    aws_sdk_athena::Client::from_conf(
        aws_sdk_athena::Config::builder()
            .behavior_version(aws_sdk_athena::config::BehaviorVersion::latest())
            .region(aws_sdk_athena::config::Region::new("us-east-1"))
            .endpoint_url(moto.endpoint())
            .credentials_provider(credentials())
            .build(),
    )
}

/// The store over a new bucket `ingress`.
async fn ingress_store(moto: &Moto) -> S3Objects {
    let client = s3(moto);
    client
        .create_bucket()
        .bucket("ingress")
        .send()
        .await
        .unwrap();
    S3Objects::new(client, None)
}

#[tokio::test]
async fn s3_objects_put_get_list_across_pages_and_delete() {
    let moto = moto();
    let store = ingress_store(&moto).await;
    assert_eq!(store.get("ingress", "missing.csv").await.unwrap(), None);
    store
        .put(
            "ingress",
            "completed_comms_report/C1/2026-11-20/r.csv",
            b"\"a\"\n".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .get("ingress", "completed_comms_report/C1/2026-11-20/r.csv")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"\"a\"\n"[..])
    );
    // More keys than one ListObjectsV2 page (1,000) under one prefix.
    for i in 0..1003 {
        store
            .put("ingress", &format!("many/{i:05}.csv"), vec![b'x'; i % 3])
            .await
            .unwrap();
    }
    let listed = store.list("ingress", "many/").await.unwrap();
    assert_eq!(listed.len(), 1003);
    assert_eq!(listed[1002].key, "many/01002.csv");
    assert_eq!(listed[1002].size, 1002 % 3);
    store.delete("ingress", "many/00000.csv").await.unwrap();
    assert_eq!(store.list("ingress", "many/00000").await.unwrap(), vec![]);
}

/// The `x-amz-expected-bucket-owner` header of every request a client sends (moto accepts the
/// header but does not check it; S3 does).
#[derive(Clone, Debug, Default)]
struct OwnerHeaders(std::sync::Arc<std::sync::Mutex<Vec<Option<String>>>>);

impl aws_sdk_s3::config::Intercept for OwnerHeaders {
    fn name(&self) -> &'static str {
        "OwnerHeaders"
    }
    fn read_before_transmit(
        &self,
        context: &aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_s3::config::RuntimeComponents,
        _: &mut aws_sdk_s3::config::ConfigBag,
    ) -> Result<(), aws_sdk_s3::error::BoxError> {
        let header = context
            .request()
            .headers()
            .get("x-amz-expected-bucket-owner")
            .map(str::to_string);
        self.0.lock().unwrap().push(header);
        Ok(())
    }
}

#[tokio::test]
async fn every_s3_call_names_the_expected_bucket_owner() {
    let moto = moto();
    s3(&moto)
        .create_bucket()
        .bucket("ingress")
        .send()
        .await
        .unwrap();
    let seen = OwnerHeaders::default();
    let client = aws_sdk_s3::Client::from_conf(
        s3(&moto)
            .config()
            .to_builder()
            .interceptor(seen.clone())
            .build(),
    );
    let store = S3Objects::new(client, None).owned_by(Some("123456789012".into()));
    store.put("ingress", "a.csv", b"x".to_vec()).await.unwrap();
    store.get("ingress", "a.csv").await.unwrap().unwrap();
    assert_eq!(store.list("ingress", "").await.unwrap().len(), 1);
    store.delete("ingress", "a.csv").await.unwrap();
    let headers = seen.0.lock().unwrap().clone();
    assert_eq!(headers.len(), 4, "{headers:?}");
    assert!(
        headers.iter().all(|h| h.as_deref() == Some("123456789012")),
        "{headers:?}"
    );
}

#[tokio::test]
async fn ssm_reads_strings() {
    let moto = moto();
    let client = ssm(&moto);
    client
        .put_parameter()
        .name("/csi/completed-comms-report/clientIds")
        .value("[\"C1\"]")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let parameters = SsmParameters::new(client);
    assert_eq!(
        parameters
            .get_text("/csi/completed-comms-report/clientIds")
            .await
            .unwrap()
            .as_deref(),
        Some("[\"C1\"]")
    );
    assert_eq!(parameters.get_text("/csi/missing").await.unwrap(), None);
}

#[tokio::test]
async fn athena_queries_go_queued_running_succeeded_and_results_lose_their_header() {
    let moto = moto();
    let client = athena(&moto);
    client
        .create_work_group()
        .name("csi-user")
        .send()
        .await
        .unwrap();
    // Athena's first result page starts with the header row; NULL is a datum without a value.
    let header = json!({"Data": [{"VarCharValue": "clientid"}, {"VarCharValue": "campaignid"}, {"VarCharValue": "count"}]});
    let row = |c: &str, k: Option<&str>, n: &str| {
        let campaign = match k {
            Some(k) => json!({"VarCharValue": k}),
            None => json!({}),
        };
        json!({"Data": [{"VarCharValue": c}, campaign, {"VarCharValue": n}]})
    };
    let column = |name: &str| json!({"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name, "Type": "varchar", "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": true});
    moto.post(
        "/moto-api/static/athena/query-results",
        json!({
            "account_id": "123456789012",
            "region": "us-east-1",
            "results": [{
                "rows": [header, row("C1", Some("K1"), "3"), row("C2", None, "0")],
                "column_info": [column("clientid"), column("campaignid"), column("count")],
            }],
        }),
    );
    moto.post(
        "/moto-api/state-manager/set-transition",
        json!({"model_name": "athena::execution", "transition": {"progression": "manual", "times": 2}}),
    );
    let engine = AthenaEngine::new(client, "csi-database", "csi");
    let id = engine
        .start(QueryRequest {
            query_id: "watchdog/stuck_request_items".into(),
            sql: "SELECT clientid, campaignid, count FROM x WHERE d = ?".into(),
            params: vec![QueryParam::Date("2026-11-20".parse().unwrap())],
            workgroup: Workgroup::User,
            output_location: None,
            client_request_token: Some("0123456789abcdef0123456789abcdef".into()),
        })
        .await
        .unwrap();
    let mut states = Vec::new();
    for _ in 0..10 {
        let status = engine.status(&id).await.unwrap();
        states.push(status.state);
        if status.state.is_terminal() {
            break;
        }
    }
    assert_eq!(states.first(), Some(&QueryState::Queued), "{states:?}");
    assert_eq!(states.last(), Some(&QueryState::Succeeded), "{states:?}");
    assert!(states.contains(&QueryState::Running), "{states:?}");
    let page = engine.results(&id, None).await.unwrap();
    assert_eq!(page.columns, ["clientid", "campaignid", "count"]);
    assert_eq!(
        page.rows,
        vec![
            vec![Some("C1".into()), Some("K1".into()), Some("3".into())],
            vec![Some("C2".into()), None, Some("0".into())],
        ]
    );
    assert_eq!(page.next_token, None);
}

/// moto never fails a query (FAILED is covered by the reason classification's unit tests);
/// a stopped one is CANCELLED, and reading its results is refused.
#[tokio::test]
async fn a_stopped_athena_query_is_cancelled_and_has_no_results() {
    let moto = moto();
    let client = athena(&moto);
    client
        .create_work_group()
        .name("csi-ingestion")
        .send()
        .await
        .unwrap();
    moto.post(
        "/moto-api/state-manager/set-transition",
        json!({"model_name": "athena::execution", "transition": {"progression": "manual", "times": 100}}),
    );
    let engine = AthenaEngine::new(client, "csi-database", "csi");
    let id = engine
        .start(QueryRequest {
            query_id: "ingestion/request_item_status".into(),
            sql:
                "MERGE INTO t USING s ON (t.k = s.k) WHEN NOT MATCHED THEN INSERT (k) VALUES (s.k)"
                    .into(),
            params: vec![],
            workgroup: Workgroup::Ingestion,
            output_location: None,
            client_request_token: None,
        })
        .await
        .unwrap();
    assert_eq!(engine.status(&id).await.unwrap().state, QueryState::Queued);
    engine.cancel(&id).await.unwrap();
    let status = engine.status(&id).await.unwrap();
    assert_eq!(status.state, QueryState::Cancelled);
    assert!(engine.results(&id, None).await.is_err());
}

#[tokio::test]
async fn s3_objects_upload_in_parts_read_a_tail_and_abort() {
    let moto = moto();
    let store = ingress_store(&moto).await;
    // Two parts: S3 wants every part but the last to be at least 5 MiB.
    let first = vec![b'a'; 5 * 1024 * 1024];
    let upload = store.start_upload("ingress", "big.csv").await.unwrap();
    let parts = vec![
        store
            .upload_part("ingress", "big.csv", &upload, 1, first.clone())
            .await
            .unwrap(),
        store
            .upload_part("ingress", "big.csv", &upload, 2, b"end\n".to_vec())
            .await
            .unwrap(),
    ];
    assert_eq!(
        store.get("ingress", "big.csv").await.unwrap(),
        None,
        "not before it completes"
    );
    store
        .complete_upload("ingress", "big.csv", &upload, &parts)
        .await
        .unwrap();
    let whole = store.get("ingress", "big.csv").await.unwrap().unwrap();
    assert_eq!(whole.len(), first.len() + 4);
    assert!(whole.ends_with(b"aend\n"));
    assert_eq!(
        store.tail("ingress", "big.csv", 1).await.unwrap(),
        Some(b"\n".to_vec())
    );
    assert_eq!(store.tail("ingress", "missing.csv", 1).await.unwrap(), None);

    // An aborted upload leaves nothing.
    let upload = store.start_upload("ingress", "gone.csv").await.unwrap();
    store
        .upload_part("ingress", "gone.csv", &upload, 1, b"x".to_vec())
        .await
        .unwrap();
    store
        .abort_upload("ingress", "gone.csv", &upload)
        .await
        .unwrap();
    assert_eq!(store.get("ingress", "gone.csv").await.unwrap(), None);
}
