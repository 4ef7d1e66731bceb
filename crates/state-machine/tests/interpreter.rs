use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::{json, Value};
use state_machine::{Event, LoadError, Recorder, Silent, StateMachine, TaskFailure, Tasks};

/// Echoes its input under "echo"; "flaky" fails with `Retryable.Throttled` the first `n` times;
/// "counter" returns a count that grows with each call; "broken" always fails with `Query.Failed`.
#[derive(Default)]
struct Scripted {
    flaky_failures: Mutex<u32>,
    calls: Mutex<Vec<(String, Value)>>,
    pauses: Mutex<Vec<f64>>,
}

#[async_trait]
impl Tasks for Scripted {
    async fn invoke(&self, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        self.calls
            .lock()
            .unwrap()
            .push((resource.to_string(), input.clone()));
        match resource {
            "echo" => Ok(json!({"echo": input})),
            "flaky" => {
                let mut left = self.flaky_failures.lock().unwrap();
                if *left > 0 {
                    *left -= 1;
                    return Err(TaskFailure {
                        error: "Retryable.Throttled".into(),
                        cause: "slow down".into(),
                    });
                }
                Ok(json!("ok"))
            }
            "counter" => Ok(json!({"n": input["n"].as_i64().unwrap_or(0) + 1})),
            state_machine::S3_GET_OBJECT => Ok(json!([{"id": "a"}, {"id": "b"}, {"id": "c"}])),
            "broken" => Err(TaskFailure {
                error: "Query.Failed".into(),
                cause: "SYNTAX_ERROR".into(),
            }),
            other => Err(TaskFailure {
                error: "Unknown".into(),
                cause: other.into(),
            }),
        }
    }

    async fn pause_before_retry(&self, seconds: f64) {
        self.pauses.lock().unwrap().push(seconds);
    }
}

fn load(def: Value) -> StateMachine {
    StateMachine::load("test", &def.to_string(), &BTreeMap::new()).unwrap()
}

async fn run(
    def: Value,
    input: Value,
    tasks: &Scripted,
) -> Result<state_machine::Execution, state_machine::ExecutionFailure> {
    load(def)
        .execute("e1", input, "2026-11-25T17:40:24.123Z", tasks, &Silent)
        .await
}

#[tokio::test]
async fn paths_parameters_and_result_paths_compose() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"date.$": "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)", "k": 1}, "ResultPath": "$.defaults", "Next": "B"},
        "B": {"Type": "Task", "Resource": "echo", "InputPath": "$.defaults", "Parameters": {"asOf.$": "$.date"}, "ResultSelector": {"got.$": "$.echo.asOf"}, "ResultPath": "$.task", "Next": "C"},
        "C": {"Type": "Pass", "Result": "dropped", "ResultPath": null, "OutputPath": "$.task", "End": true}
    }});
    let out = run(def, json!({"keep": true}), &Scripted::default())
        .await
        .unwrap();
    assert_eq!(out.output, json!({"got": "2026-11-25"}));
}

#[tokio::test]
async fn choice_and_wait_loop_until_done_with_virtual_time() {
    let def = json!({"StartAt": "Count", "States": {
        "Count": {"Type": "Task", "Resource": "counter", "Next": "Done?"},
        "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 3, "Next": "Finish"}], "Default": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 10, "Next": "Count"},
        "Finish": {"Type": "Succeed"}
    }});
    let out = run(def, json!({"n": 0}), &Scripted::default())
        .await
        .unwrap();
    assert_eq!(out.output, json!({"n": 3}));
    assert_eq!(out.virtual_seconds, 20.0);
}

#[tokio::test]
async fn parallel_and_map_collect_outputs_in_order() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "ResultPath": "$.branches", "Next": "M", "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Pass", "Result": 1, "End": true}}},
            {"StartAt": "Y", "States": {"Y": {"Type": "Pass", "Result": 2, "End": true}}}]},
        "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
              "ItemSelector": {"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index", "shared.$": "$.shared"},
              "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "E", "States": {"E": {"Type": "Task", "Resource": "echo", "OutputPath": "$.echo", "End": true}}},
              "ResultPath": "$.mapped", "End": true}
    }});
    let out = run(
        def,
        json!({"items": ["a", "b"], "shared": "s"}),
        &Scripted::default(),
    )
    .await
    .unwrap();
    assert_eq!(out.output["branches"], json!([1, 2]));
    assert_eq!(
        out.output["mapped"],
        json!([{"item": "a", "index": 0, "shared": "s"}, {"item": "b", "index": 1, "shared": "s"}])
    );
}

#[tokio::test]
async fn retry_only_what_is_retryable_with_backoff() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "flaky", "End": true,
        "Retry": [{"ErrorEquals": ["Retryable.Throttled"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 3}]}}});
    let tasks = Scripted {
        flaky_failures: Mutex::new(2),
        ..Default::default()
    };
    let rec = Recorder::default();
    let out = load(def.clone())
        .execute("e", json!({}), "t", &tasks, &rec)
        .await
        .unwrap();
    assert_eq!(out.output, json!("ok"));
    assert_eq!(out.virtual_seconds, 6.0, "2 s then 4 s");
    let retries = rec
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::Retrying { .. }))
        .count();
    assert_eq!(retries, 2);
    assert_eq!(
        *tasks.pauses.lock().unwrap(),
        [2.0, 4.0],
        "each retry delay is offered to the tasks, which may really wait"
    );

    let tasks = Scripted {
        flaky_failures: Mutex::new(4),
        ..Default::default()
    };
    let err = run(def, json!({}), &tasks).await.unwrap_err();
    assert_eq!(
        err.error, "Retryable.Throttled",
        "gives up after MaxAttempts"
    );
    assert_eq!(tasks.calls.lock().unwrap().len(), 4);

    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "broken", "End": true,
        "Retry": [{"ErrorEquals": ["Retryable.Throttled"], "MaxAttempts": 5}]}}});
    let tasks = Scripted::default();
    assert_eq!(
        run(def, json!({}), &tasks).await.unwrap_err().error,
        "Query.Failed"
    );
    assert_eq!(
        tasks.calls.lock().unwrap().len(),
        1,
        "a SQL error is never retried"
    );
}

#[tokio::test]
async fn catch_routes_the_error_to_a_fail_state() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "broken", "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Record"}], "End": true},
        "Record": {"Type": "Pass", "Next": "Failed"},
        "Failed": {"Type": "Fail", "Error": "IngestionFailed", "Cause": "a query failed"}
    }});
    let err = run(def, json!({}), &Scripted::default()).await.unwrap_err();
    assert_eq!(
        (err.error.as_str(), err.cause.as_str()),
        ("IngestionFailed", "a query failed")
    );
}

#[tokio::test]
async fn a_fail_state_takes_its_error_and_cause_from_the_caught_error() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "broken", "Parameters": {"query": "q1"}, "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.lastError", "Next": "Failed"}], "End": true},
        "Failed": {"Type": "Fail", "ErrorPath": "$.lastError.Error",
                   "CausePath": "States.Format('{} failed: {}', $.query, $.lastError.Cause)"}
    }});
    let err = run(def, json!({"query": "ingestion/x"}), &Scripted::default())
        .await
        .unwrap_err();
    assert_eq!(err.error, "Query.Failed");
    assert!(
        err.cause.starts_with("ingestion/x failed: "),
        "{}",
        err.cause
    );

    let both = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}});
    assert!(load_err(both).to_string().contains("ErrorPath"));
    let not_text = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "CausePath": "$.n"}}});
    let err = run(not_text, json!({"n": 3}), &Scripted::default())
        .await
        .unwrap_err();
    assert_eq!(err.error, "States.Runtime");
}

#[test]
fn a_timeout_seconds_that_is_not_a_positive_whole_number_is_refused() {
    for bad in [json!(0), json!(-5), json!(1.5), json!("3600")] {
        let def = json!({"StartAt": "P", "TimeoutSeconds": bad, "States": {"P": {"Type": "Pass", "End": true}}});
        assert!(
            load_err(def).to_string().contains("TimeoutSeconds"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn runtime_errors_name_the_path() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "echo", "Parameters": {"x.$": "$.missing"}, "End": true}}});
    let err = run(def, json!({}), &Scripted::default()).await.unwrap_err();
    assert_eq!(err.error, "States.ParameterPathFailure");
    assert!(err.cause.contains("$.missing"));
}

fn load_err(def: Value) -> LoadError {
    StateMachine::load("bad", &def.to_string(), &BTreeMap::new()).unwrap_err()
}

#[test]
fn unsupported_asl_is_refused_at_load_naming_state_and_field() {
    let e = load_err(
        json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "x", "Credentials": {}, "End": true}}}),
    );
    assert_eq!(
        e,
        LoadError::Field {
            state: "A".into(),
            field: "Credentials".into(),
            message: "is not supported on a Task state".into()
        }
    );
    let e = load_err(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "States.Hash($, 'MD5')"}, "End": true}}}),
    );
    assert!(
        matches!(&e, LoadError::Field { state, field, message } if state == "A" && field == "Parameters" && message.contains("States.Hash")),
        "{e}"
    );
    let e = load_err(
        json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEqualsIgnoreCase": "y", "Next": "A"}]}}}),
    );
    assert!(e.to_string().contains("StringEqualsIgnoreCase"), "{e}");
    let e = load_err(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}));
    assert!(e.to_string().contains("Nowhere"), "{e}");
    let e = load_err(
        json!({"StartAt": "A", "QueryLanguage": "JSONata", "States": {"A": {"Type": "Succeed"}}}),
    );
    assert!(e.to_string().contains("JSONPath"), "{e}");
    let e = load_err(
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}, "End": true}}}),
    );
    assert!(e.to_string().contains("INLINE"), "{e}");
    let e = load_err(json!({"StartAt": "A", "States": {"A": {"Type": "Wait", "End": true}}}));
    assert!(e.to_string().contains("Wait needs exactly one"), "{e}");
}

#[test]
fn state_names_are_unique_across_nested_machines() {
    let e = load_err(json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Succeed"}}}, "Next": "Work"},
        "Work": {"Type": "Succeed"}}}));
    assert!(
        matches!(&e, LoadError::Field { state, message, .. } if state == "Work" && message.contains("unique")),
        "{e}"
    );
    let long = "x".repeat(81);
    let e = load_err(json!({"StartAt": long, "States": {long.clone(): {"Type": "Succeed"}}}));
    assert!(e.to_string().contains("80 characters"), "{e}");
}

#[test]
fn substitutions_are_applied_and_missing_ones_refused() {
    let def =
        r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${Fn}", "End": true}}}"#;
    let subs = BTreeMap::from([("Fn".to_string(), "echo".to_string())]);
    assert_eq!(
        StateMachine::load("s", def, &subs).unwrap().resources(),
        vec!["echo"]
    );
    assert_eq!(
        StateMachine::load("s", def, &BTreeMap::new()).unwrap_err(),
        LoadError::Substitution("Fn".into())
    );
    assert!(matches!(
        StateMachine::load("s", "{not json", &subs),
        Err(LoadError::Json(_))
    ));
}

/// A child that echoes its input, or fails when asked to.
fn child() -> StateMachine {
    let def = json!({"StartAt": "Fail?", "States": {
        "Fail?": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "IsPresent": true, "Next": "Broken"}], "Default": "Echo"},
        "Echo": {"Type": "Task", "Resource": "echo", "End": true},
        "Broken": {"Type": "Task", "Resource": "broken", "End": true}
    }});
    StateMachine::load("child", &def.to_string(), &BTreeMap::new()).unwrap()
}

#[tokio::test]
async fn a_nested_execution_has_its_own_history_and_its_failure_names_it() {
    let def = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": state_machine::START_EXECUTION_SYNC,
                "Parameters": {"StateMachineArn": "arn:child", "Input": {"x.$": "$.x"}},
                "ResultSelector": {"out.$": "$.Output"}, "End": true}
    }});
    let mut parent = load(def);
    parent.nest("arn:child", &child());
    assert_eq!(parent.nested_arns(), ["arn:child"]);
    let tasks = Scripted::default();
    let done = parent
        .execute(
            "e",
            json!({"x": 1}),
            "2026-11-25T17:40:24.123Z",
            &tasks,
            &Silent,
        )
        .await
        .unwrap();
    assert_eq!(done.output, json!({"out": {"echo": {"x": 1}}}));
    // The parent: started, the Task (entered, scheduled, started, submitted, succeeded, exited),
    // ended. The child: started, Choice (2), Task (5), ended.
    assert_eq!(done.history.events, 8);
    assert_eq!(done.history.largest, 9);
    assert_eq!(done.history.child_executions, 1);

    let failing = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": state_machine::START_EXECUTION_SYNC,
                "Parameters": {"StateMachineArn": "arn:child", "Input": {"fail": true}}, "End": true}
    }});
    let mut parent = load(failing);
    parent.nest("arn:child", &child());
    let failure = parent
        .execute("e", json!({}), "2026-11-25T17:40:24.123Z", &tasks, &Silent)
        .await
        .unwrap_err();
    assert_eq!(failure.error, "States.TaskFailed");
    let description: Value = serde_json::from_str(&failure.cause).unwrap();
    assert_eq!(description["Error"], "Query.Failed");
    let root = failure.root_cause();
    assert_eq!(root.error, "Query.Failed");
    assert!(
        root.cause
            .starts_with("SYNTAX_ERROR (in nested execution arn:child:"),
        "{}",
        root.cause
    );
}

/// A Task naming a machine the interpreter was not given fails as Step Functions fails a start of
/// a machine that does not exist, naming the state and the ARN, and runs nothing.
#[tokio::test]
async fn starting_a_machine_that_was_never_nested_fails_naming_it() {
    let def = json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": state_machine::START_EXECUTION_SYNC,
                "Parameters": {"StateMachineArn": "arn:elsewhere", "Input": {}}, "End": true}
    }});
    let mut parent = load(def);
    parent.nest("arn:child", &child());
    assert_eq!(parent.nested_arns(), ["arn:elsewhere"]);
    let tasks = Scripted::default();
    let failure = parent
        .execute("e", json!({}), "2026-11-25T17:40:24.123Z", &tasks, &Silent)
        .await
        .unwrap_err();
    assert_eq!(
        failure.error,
        "StepFunctions.StateMachineDoesNotExistException"
    );
    assert!(
        failure.cause.contains("Run") && failure.cause.contains("arn:elsewhere"),
        "{}",
        failure.cause
    );
    assert!(tasks.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_distributed_map_reads_its_items_from_s3_and_runs_each_as_a_child() {
    let def = json!({"StartAt": "Each", "States": {
        "Each": {"Type": "Map",
                 "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                                "Parameters": {"Bucket": "b", "Key.$": "$.key"}},
                 "ItemSelector": {"id.$": "$$.Map.Item.Value.id", "client.$": "$.client"},
                 "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                   "StartAt": "Echo", "States": {"Echo": {"Type": "Task", "Resource": "echo", "End": true}}},
                 "MaxConcurrency": 10, "ToleratedFailurePercentage": 0, "End": true}
    }});
    let tasks = Scripted::default();
    let done = run(def, json!({"key": "k", "client": "C"}), &tasks)
        .await
        .unwrap();
    assert_eq!(done.output.as_array().unwrap().len(), 3);
    assert_eq!(done.output[2], json!({"echo": {"id": "c", "client": "C"}}));
    // The parent records the Map, not its iterations: each is a child with its own history.
    assert_eq!(done.history.events, 2 + 4);
    assert_eq!(done.history.child_executions, 3);
    assert_eq!(
        tasks.calls.lock().unwrap()[0],
        (
            state_machine::S3_GET_OBJECT.to_string(),
            json!({"Bucket": "b", "Key": "k"})
        )
    );
    // Inline, the same three iterations are the parent's events.
    let inline = json!({"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items",
                 "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": {"Type": "Task", "Resource": "echo", "End": true}}},
                 "End": true}
    }});
    let done = run(inline, json!({"items": [1, 2, 3]}), &tasks)
        .await
        .unwrap();
    assert_eq!(done.history.events, 2 + 4 + 3 * (2 + 5));
}
