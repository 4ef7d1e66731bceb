//! The state machines against the Lambdas' typed requests: every Task that invokes one of our
//! Lambdas sends what that Lambda's request type accepts, and every error a Retry or Catch names
//! is one a handler raises (`ErrorKind`) or one AWS defines. A field renamed on one side only,
//! or a retry on an error nobody raises, fails here rather than in AWS. A query a machine runs
//! through the query loop (a nested execution) is checked as the request the loop hands run-query.

use notify_reporting::machines::{definitions, QUERY_LOOP};

use reporting_core::error::ErrorKind;
use reporting_handlers::contract::{self, LambdaName};
use serde_json::{json, Map, Value};

/// Every Task state of a definition (inside Map and Parallel states too), with its name.
fn tasks<'a>(states: &'a Map<String, Value>, out: &mut Vec<(&'a str, &'a Value)>) {
    for (name, state) in states {
        match state["Type"].as_str() {
            Some("Task") => out.push((name, state)),
            Some("Map") => {
                let inner = state
                    .get("ItemProcessor")
                    .or_else(|| state.get("Iterator"))
                    .unwrap();
                tasks(inner["States"].as_object().unwrap(), out);
            }
            Some("Parallel") => {
                for branch in state["Branches"].as_array().unwrap() {
                    tasks(branch["States"].as_object().unwrap(), out);
                }
            }
            _ => {}
        }
    }
}

/// A plausible value for a field the state machine fills from its data.
fn sample(field: &str) -> Value {
    match field {
        // The query loop passes its caller's request on unchanged.
        "request" => json!({"query": "ingestion/request_item_status", "asOf": "2026-11-20"}),
        "input" => json!({}),
        "clientIds" => json!(["C1"]),
        "clients" => json!([
            {"clientId": "C1", "status": "delivered", "key": "k", "rows": 1, "bytes": 9},
            {"clientId": "C2", "status": "failed", "error": "Query.Failed", "cause": "why"},
            {"clientId": "C3", "status": "done", "reports": [], "rejected": []}
        ]),
        "nextRow" | "published" | "interruptions" | "page" => json!(0),
        "asOf" | "completedDate" | "firstCaptureDay" => json!("2026-11-20"),
        "startedAt" => json!("2026-11-20T04:00:00.000Z"),
        "sourceFiles" => {
            json!(["s3://core/transaction_history/__year=2026/__month=11/__day=20/f.parquet"])
        }
        _ => json!("sample"),
    }
}

/// The Parameters with every `"field.$": path` replaced by a sample value for `field`.
fn filled(parameters: &Value) -> Value {
    match parameters {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| match k.strip_suffix(".$") {
                    Some(field) => (field.to_string(), sample(field)),
                    None => (k.clone(), filled(v)),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What a poll-query Task without Parameters receives: run-query's progress.
fn progress() -> Value {
    json!({"query": "ingestion/request_item_status", "queryExecutionId": "q", "state": "QUEUED",
        "pollCount": 0, "waitSeconds": 2, "waitedSeconds": 0})
}

#[test]
fn every_task_sends_what_its_lambda_accepts() {
    let mut checked = std::collections::BTreeMap::<&str, usize>::new();
    for machine in definitions() {
        let asl: Value = serde_json::from_str(machine.asl).unwrap();
        let mut found = Vec::new();
        tasks(asl["States"].as_object().unwrap(), &mut found);
        for (state, task) in found {
            let resource = task["Resource"].as_str().unwrap();
            let nested = task["Parameters"]["StateMachineArn"].as_str();
            if resource == state_machine::START_EXECUTION_SYNC
                && nested == Some("${QueryStateMachineArn}")
            {
                // What the loop's Start Query will send run-query.
                let input = &task["Parameters"]["Input"];
                let request = json!({"request": filled(&input["request"]), "requestToken": "t"});
                if let Err(e) = contract::parse(LambdaName::RunQuery, request.clone()) {
                    panic!(
                        "{}: the Task {state:?} asks the query loop for what run-query does not accept: {}\n{request}",
                        machine.name,
                        e.message()
                    );
                }
                *checked.entry("query loop").or_default() += 1;
                continue;
            }
            let Some(lambda) = LambdaName::from_arn_placeholder(resource) else {
                continue;
            };
            let request = match task.get("Parameters") {
                Some(p) => filled(p),
                None if lambda == LambdaName::PollQuery => progress(),
                None => panic!(
                    "{}: {state} sends {} its whole state",
                    machine.name,
                    lambda.name()
                ),
            };
            if let Err(e) = contract::parse(lambda, request.clone()) {
                panic!(
                    "{}: the Task {state:?} sends {} what it does not accept: {}\n{request}",
                    machine.name,
                    lambda.name(),
                    e.message()
                );
            }
            *checked.entry(lambda.name()).or_default() += 1;
        }
    }
    // Every Lambda is invoked somewhere, and queries go through the loop, so none of the checks
    // above is vacuous.
    assert!(checked["query loop"] > 20, "{checked:?}");
    for lambda in LambdaName::ALL {
        assert!(
            checked.contains_key(lambda.name()),
            "{} is never invoked: {checked:?}",
            lambda.name()
        );
    }
}

#[test]
fn a_misspelt_field_in_a_task_would_be_caught() {
    let request = json!({"query": "ingestion/request_item_status", "asof.$": "$.asOf"});
    let err =
        contract::parse(LambdaName::RunQuery, json!({"request": filled(&request)})).unwrap_err();
    assert!(err.message().contains("asof"), "{}", err.message());
}

/// The AWS error names a machine may retry or catch, each one AWS documents for the integration
/// that raises it. Exact: a misspelt name (which would never match) fails the test below.
const AWS_ERRORS: &[&str] = &[
    // The States Language's own.
    "States.ALL",
    "States.TaskFailed",
    // Lambda invoke: the service's transient failures, and the runtime's for a function that
    // crashed or ran out of time.
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
    "Sandbox.Timedout",
    // Glue's StartColumnStatisticsTaskRun (an AWS SDK integration: Glue.<exception>).
    "Glue.ThrottlingException",
    "Glue.OperationTimeoutException",
    "Glue.ColumnStatisticsTaskRunningException",
    // StartExecution of a nested machine: a refused start, never the child's own failure.
    "StepFunctions.ExecutionLimitExceeded",
    "StepFunctions.SdkClientException",
    "StepFunctions.AWSStepFunctionsException",
];

/// Every name a definition's Retry or Catch matches on.
fn error_names(asl: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![asl];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(Value::Array(list)) = map.get("ErrorEquals") {
                    names.extend(list.iter().map(|n| n.as_str().unwrap().to_string()));
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    names
}

/// The names neither a handler raises nor AWS_ERRORS lists.
fn unknown(names: &[String]) -> Vec<String> {
    let ours: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.error_type()).collect();
    names
        .iter()
        .filter(|n| !ours.contains(&n.as_str()) && !AWS_ERRORS.contains(&n.as_str()))
        .cloned()
        .collect()
}

#[test]
fn every_retried_or_caught_error_is_raised_by_a_handler_or_defined_by_aws() {
    let mut used = std::collections::BTreeSet::<String>::new();
    for machine in definitions() {
        let names = error_names(&serde_json::from_str(machine.asl).unwrap());
        assert_eq!(
            unknown(&names),
            Vec::<String>::new(),
            "{}: neither an ErrorKind nor an AWS error we list",
            machine.name
        );
        used.extend(names);
    }
    // Nothing listed that no machine uses: the list is what the machines catch, no more.
    for name in AWS_ERRORS {
        assert!(
            used.contains(*name),
            "{name} is listed but no machine names it"
        );
    }
}

#[test]
fn a_misspelt_aws_error_name_would_be_caught() {
    // A name with a known prefix but spelt wrong (it would never match) in a real definition.
    let mut asl: Value = serde_json::from_str(QUERY_LOOP.asl).unwrap();
    asl["States"]["Start Query"]["Retry"][0]["ErrorEquals"] = json!(["Lambda.TooManyRequests"]);
    assert_eq!(unknown(&error_names(&asl)), ["Lambda.TooManyRequests"]);
}

/// `events/<lambda>[.<action>].json`: one sample event per Lambda and action, as the state
/// machines send them, for `sam local invoke -e` and `cargo lambda invoke --data-file`.
#[test]
fn every_sample_event_is_a_request_of_its_lambda() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events");
    let mut per_lambda = std::collections::BTreeMap::<&str, usize>::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let lambda = LambdaName::ALL
            .into_iter()
            .find(|l| file.starts_with(&format!("{}.", l.name())))
            .unwrap_or_else(|| panic!("events/{file} does not name a Lambda"));
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("events/{file}: {e}"));
        contract::parse(lambda, event).unwrap_or_else(|e| panic!("events/{file}: {}", e.message()));
        *per_lambda.entry(lambda.name()).or_default() += 1;
    }
    // run-query: start and sync; write-report: its six actions.
    assert_eq!(per_lambda.get("run-query"), Some(&2), "{per_lambda:?}");
    assert_eq!(per_lambda.get("poll-query"), Some(&1), "{per_lambda:?}");
    assert_eq!(per_lambda.get("write-report"), Some(&6), "{per_lambda:?}");
    assert_eq!(per_lambda.get("publish-metric"), Some(&1), "{per_lambda:?}");
}
