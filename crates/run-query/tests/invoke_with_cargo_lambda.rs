//! The Lambdas run as `make invoke` runs them (tools/invoke: cargo-lambda's Runtime API emulator,
//! the function's binary, `cargo lambda invoke --data-file`), against moto: run-query checks the
//! hash key's vault object in S3 against the pinned fingerprint and starts the sample event's
//! query in Athena, whose history then holds neither the key nor anything like one; poll-query
//! then reads that query's state; an event with a misspelt field is refused as Input.Invalid
//! naming it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use test_services::{leaks, tool_path, workspace_root, Moto};

const CSI: &str = "nhs-notify-dev-reporting";
const KEY: &str = "dGVzdC1oYXNoLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=";
/// `printf %s "$KEY" | sha256sum`
const FINGERPRINT: &str = "eb6077980a4a2205757c4290d3fa3e1fc0a17eb67cdc9c57eeb3872490aae19a";
const VAULT_BUCKET: &str = "nhs-notify-dev-reporting-hash-key";

/// `tools/invoke FN EVENT` with the Lambda's configuration and moto as AWS.
fn invoke(moto: &Moto, function: &str, binary: &Path, event: &Path) -> Output {
    let cargo_lambda = tool_path("CARGO_LAMBDA", "tools/deploy-venv/bin/cargo-lambda");
    assert!(
        cargo_lambda.is_file(),
        "cargo-lambda is not at {} (make test installs it with the deployment tools)",
        cargo_lambda.display()
    );
    Command::new(workspace_root().join("tools/invoke"))
        .arg(function)
        .arg(event)
        .env("CARGO_LAMBDA", &cargo_lambda)
        .env("LAMBDA_BIN", binary)
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "eu-west-2")
        .env("CSI", CSI)
        .env("ENVIRONMENT", "dev")
        .env("SOURCE_TABLE", "transaction_history")
        .env("DATA_LOCATION", "s3://nhs-notify-dev-reporting-data")
        .env(
            "HASH_KEY_TABLE",
            "\"nhs-notify-dev-reporting-vault\".hash_key",
        )
        .env(
            "HASH_KEY_OBJECT",
            format!("s3://{VAULT_BUCKET}/hash-key/hash_key"),
        )
        .env("HASH_KEY_FINGERPRINT", FINGERPRINT)
        .output()
        .expect("tools/invoke runs")
}

fn response(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "invoke failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON response ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// A sibling Lambda's binary: the workspace build puts every binary next to this one's.
fn sibling_binary(name: &str) -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_run-query")).with_file_name(name)
}

#[test]
fn run_query_and_poll_query_answer_the_sample_events_through_cargo_lambda() {
    let moto = Moto::start().expect("moto");
    moto.aws_json(
        "athena",
        "AmazonAthena.CreateWorkGroup",
        json!({"Name": format!("{CSI}-ingestion")}),
    );
    moto.s3_put(
        &format!("/{VAULT_BUCKET}"),
        "<CreateBucketConfiguration><LocationConstraint>eu-west-2</LocationConstraint></CreateBucketConfiguration>",
    );
    moto.s3_put(
        &format!("/{VAULT_BUCKET}/hash-key/hash_key"),
        &format!("{KEY}\n"),
    );
    let events = workspace_root().join("events");
    let run_query = Path::new(env!("CARGO_BIN_EXE_run-query"));

    let started = response(&invoke(
        &moto,
        "run-query",
        run_query,
        &events.join("run-query.start.json"),
    ));
    assert_eq!(started["query"], "ingestion/request_item_status");
    assert_eq!(started["state"], "QUEUED");
    let id = started["queryExecutionId"]
        .as_str()
        .expect("an execution id");
    let execution: Value = serde_json::from_str(&moto.aws_json(
        "athena",
        "AmazonAthena.GetQueryExecution",
        json!({"QueryExecutionId": id}),
    ))
    .unwrap();
    let execution = &execution["QueryExecution"];
    assert_eq!(execution["WorkGroup"], format!("{CSI}-ingestion"));
    let sql = execution["Query"].as_str().unwrap();
    assert!(sql.contains("MERGE INTO request_item_status"), "{sql}");
    assert!(
        sql.contains("FROM \"nhs-notify-dev-reporting-vault\".hash_key k"),
        "{sql}"
    );
    // Athena's history of the query (what GetQueryExecution and the console show, for 45 days):
    // its text and parameters hold the fingerprint, never the key or anything shaped like one.
    let history = execution.to_string();
    assert!(!history.contains(KEY), "{history}");
    assert_eq!(leaks::base64_keys(&history), Vec::<String>::new());
    assert_eq!(
        execution["ExecutionParameters"][0],
        format!("'{}'", FINGERPRINT.to_uppercase())
    );

    // poll-query's sample event, for the query just started.
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut poll: Value =
        serde_json::from_slice(&std::fs::read(events.join("poll-query.json")).unwrap()).unwrap();
    poll["queryExecutionId"] = json!(id);
    let poll_event = dir.join("poll.json");
    std::fs::write(&poll_event, poll.to_string()).unwrap();
    let polled = response(&invoke(
        &moto,
        "poll-query",
        &sibling_binary("poll-query"),
        &poll_event,
    ));
    assert_eq!(polled["queryExecutionId"], id);
    assert_eq!(polled["state"], "SUCCEEDED", "{polled}");

    // A misspelt field: refused before anything starts, naming the field, as Input.Invalid.
    let bad_event = dir.join("bad.json");
    std::fs::write(
        &bad_event,
        json!({"request": {"query": "ingestion/request_item_status", "asof": "2026-11-20"}})
            .to_string(),
    )
    .unwrap();
    let refused = invoke(&moto, "run-query", run_query, &bad_event);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("Input.Invalid") && said.contains("asof"),
        "{said}"
    );
}
