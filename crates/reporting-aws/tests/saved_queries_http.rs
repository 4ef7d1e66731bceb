//! Athena named queries at the HTTP layer. moto implements only create, get and list of named
//! queries (no BatchGet, Update or Delete), so a small in-test Athena answers the JSON 1.1
//! protocol: it pages ListNamedQueries two ids at a time, and keeps what it is sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_athena::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::test_util::infallible_client_fn;
use reporting_aws::{AthenaEngine, AthenaSavedQueries};
use reporting_core::catalog::Workgroup;
use reporting_core::config::Deployment;
use reporting_core::ports::SavedQueryStore;
use reporting_core::saved::{plan_sync, saved_queries};
use serde_json::{json, Value};

#[derive(Default)]
struct FakeAthena {
    /// id → the named query as Athena returns it
    queries: BTreeMap<String, Value>,
    next_id: u32,
    /// (operation, request body) of every call
    calls: Vec<(String, Value)>,
}

impl FakeAthena {
    fn answer(&mut self, operation: &str, body: Value) -> Value {
        self.calls.push((operation.to_string(), body.clone()));
        match operation {
            "ListNamedQueries" => {
                let workgroup = body["WorkGroup"].as_str().unwrap();
                let ids: Vec<&String> = self
                    .queries
                    .iter()
                    .filter(|(_, q)| q["WorkGroup"] == workgroup)
                    .map(|(id, _)| id)
                    .collect();
                let start: usize = body["NextToken"].as_str().map_or(0, |t| t.parse().unwrap());
                let page: Vec<&String> = ids.iter().skip(start).take(2).copied().collect();
                let mut out = json!({ "NamedQueryIds": page });
                if start + 2 < ids.len() {
                    out["NextToken"] = json!((start + 2).to_string());
                }
                out
            }
            "BatchGetNamedQuery" => {
                let ids = body["NamedQueryIds"].as_array().unwrap();
                assert!(ids.len() <= 50, "BatchGetNamedQuery takes at most 50 ids");
                json!({
                    "NamedQueries": ids.iter().map(|id| self.queries[id.as_str().unwrap()].clone()).collect::<Vec<_>>(),
                    "UnprocessedNamedQueryIds": [],
                })
            }
            "CreateNamedQuery" => {
                self.next_id += 1;
                let id = format!("nq-{:04}", self.next_id);
                let mut q = body.clone();
                q["NamedQueryId"] = json!(id);
                q.as_object_mut().unwrap().remove("ClientRequestToken");
                self.queries.insert(id.clone(), q);
                json!({ "NamedQueryId": id })
            }
            "UpdateNamedQuery" => {
                let q = self
                    .queries
                    .get_mut(body["NamedQueryId"].as_str().unwrap())
                    .unwrap();
                for field in ["Name", "Description", "QueryString"] {
                    q[field] = body[field].clone();
                }
                json!({})
            }
            "DeleteNamedQuery" => {
                self.queries
                    .remove(body["NamedQueryId"].as_str().unwrap())
                    .unwrap();
                json!({})
            }
            other => panic!("unexpected Athena call {other}"),
        }
    }
}

fn store(fake: Arc<Mutex<FakeAthena>>) -> AthenaSavedQueries {
    let http = infallible_client_fn(move |request| {
        let operation = request
            .headers()
            .get("x-amz-target")
            .unwrap()
            .to_str()
            .unwrap()
            .trim_start_matches("AmazonAthena.")
            .to_string();
        let body: Value = serde_json::from_slice(request.body().bytes().unwrap()).unwrap();
        let answer = fake.lock().unwrap().answer(&operation, body);
        http::Response::builder()
            .status(200)
            .header("content-type", "application/x-amz-json-1.1")
            .body(serde_json::to_vec(&answer).unwrap())
            .unwrap()
    });
    AthenaEngine::new(
        aws_sdk_athena::Client::from_conf(
            aws_sdk_athena::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("eu-west-2"))
                .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
                .http_client(http)
                .build(),
        ),
        "nhs-notify-prod-reporting-database",
        "nhs-notify-prod-reporting",
    )
    .saved_queries()
}

async fn sync(store: &AthenaSavedQueries, deployment: &Deployment) -> (usize, usize, usize) {
    let wanted = saved_queries(deployment).unwrap();
    let plan = plan_sync(&store.list().await.unwrap(), &wanted);
    for q in &plan.create {
        store.create(q).await.unwrap();
    }
    for (id, q) in &plan.update {
        store.update(id, q).await.unwrap();
    }
    for id in &plan.delete {
        store.delete(id).await.unwrap();
    }
    (plan.create.len(), plan.update.len(), plan.delete.len())
}

#[tokio::test]
async fn saved_queries_are_created_in_their_workgroups_then_kept_in_step() {
    let fake = Arc::new(Mutex::new(FakeAthena::default()));
    let athena = store(fake.clone());
    let mut deployment = Deployment::local();
    deployment.csi = "nhs-notify-prod-reporting".into();
    let wanted = saved_queries(&deployment).unwrap();

    assert_eq!(sync(&athena, &deployment).await, (wanted.len(), 0, 0));
    {
        let fake = fake.lock().unwrap();
        let status = fake
            .queries
            .values()
            .find(|q| q["Name"] == "request_item_status")
            .unwrap();
        assert_eq!(status["WorkGroup"], "nhs-notify-prod-reporting-ingestion");
        assert_eq!(status["Database"], "nhs-notify-prod-reporting-database");
        assert!(status["QueryString"]
            .as_str()
            .unwrap()
            .contains("MERGE INTO request_item_status"));
        // Every create carries an idempotency token, so a retried create saves nothing twice.
        let creates: Vec<&Value> = fake
            .calls
            .iter()
            .filter(|(op, _)| op == "CreateNamedQuery")
            .map(|(_, b)| b)
            .collect();
        assert!(creates.iter().all(|b| b["ClientRequestToken"]
            .as_str()
            .is_some_and(|t| t.len() >= 32)));
    }

    // Listed back across pages (two ids a page here) and every workgroup: nothing to do.
    let listed = athena.list().await.unwrap();
    assert_eq!(listed.len(), wanted.len());
    assert!(
        listed
            .iter()
            .any(|q| q.workgroup == Workgroup::Housekeeping
                && q.name == "client_latest_name_optimize")
    );
    assert_eq!(sync(&athena, &deployment).await, (0, 0, 0));

    // The batch clients change: the batch queries are updated in place, nothing else moves.
    deployment.batch_client_ids = vec!["new-batch-client".into()];
    let (created, updated, deleted) = sync(&athena, &deployment).await;
    assert_eq!((created, deleted), (0, 0));
    assert!(updated >= 2, "{updated}");
    let fake = fake.lock().unwrap();
    let batch = fake
        .queries
        .values()
        .find(|q| q["Name"] == "request_item_status_summary_batch")
        .unwrap();
    assert!(batch["QueryString"]
        .as_str()
        .unwrap()
        .contains("'new-batch-client'"));
    assert_eq!(fake.queries.len(), wanted.len());
}

#[tokio::test]
async fn retired_managed_queries_are_deleted_and_operators_own_are_left() {
    let fake = Arc::new(Mutex::new(FakeAthena::default()));
    let athena = store(fake.clone());
    let mut deployment = Deployment::local();
    deployment.csi = "nhs-notify-prod-reporting".into();
    sync(&athena, &deployment).await;
    {
        let mut fake = fake.lock().unwrap();
        let mut retired = fake.queries["nq-0001"].clone();
        retired["Name"] = json!("a_retired_query");
        retired["NamedQueryId"] = json!("nq-9001");
        fake.queries.insert("nq-9001".into(), retired);
        fake.queries.insert(
            "nq-9002".into(),
            json!({"Name": "pds_cleared_failures", "Description": "ad hoc", "Database": "d",
                   "QueryString": "SELECT 1", "NamedQueryId": "nq-9002",
                   "WorkGroup": "nhs-notify-prod-reporting-user"}),
        );
    }
    assert_eq!(sync(&athena, &deployment).await, (0, 0, 1));
    let fake = fake.lock().unwrap();
    assert!(!fake.queries.contains_key("nq-9001"));
    assert!(fake.queries.contains_key("nq-9002"));
}
