//! Bad input gets a clear error and writes nothing.

mod common;

use std::process::Command;

use common::*;
use notify_reporting::{run_machine, Home, RunError};
use serde_json::json;

fn cli(home: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_notify-reporting"))
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_refuses_bad_requests_before_touching_the_home() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let cases: &[(&[&str], &str)] = &[
        (&["run", "ingestoin"], "unknown state machine 'ingestoin'"),
        (
            &["run", "ingestion", "--as-of", "2026-02-30"],
            "not a calendar date",
        ),
        (
            &["run", "ingestion", "--as-of", "26-11-01"],
            "not a calendar date",
        ),
        (
            &["run", "ingestion", "--input", "{\"asOf\": "],
            "--input is not valid JSON",
        ),
        (
            &["run", "ingestion", "--input", "[1]"],
            "must be a JSON object",
        ),
        (
            &[
                "run",
                "ingestion",
                "--input",
                "{\"asOf\": \"2026-11-20\", \"clientIds\": []}",
            ],
            "does not accept the input field(s) clientIds",
        ),
        (
            &[
                "run",
                "ingestion",
                "--input",
                "{\"asOf\": \"2026-11-20T00:00\"}",
            ],
            "asOf",
        ),
        (
            &[
                "run",
                "ingestion",
                "--input",
                "{\"asOf\": \"2026-11-20\"}",
                "--as-of",
                "2026-11-21",
            ],
            "disagree",
        ),
        (
            &[
                "run",
                "ingestion",
                "--input",
                "{\"asOf\": \"2026-11-20\", \"asOf\": \"2026-11-21\"}",
            ],
            "\"asOf\" is given twice",
        ),
        (
            &["run", "ingestion", "--input", "{\"asof\": \"2026-11-20\"}"],
            "asof",
        ),
        (
            &[
                "run",
                "ingestion",
                "--as-of",
                "2026-11-20",
                "--source",
                "/nonexistent/folder",
            ],
            "no source data folder",
        ),
        (
            &["generate", "--days", "0", "--out", "/nonexistent/never"],
            "--days",
        ),
        (
            &["catch-up", "--from", "2026-11-25", "--to", "2026-11-12"],
            "before --from",
        ),
        (
            &["catch-up", "--from", "2026-11-25", "--to", "2026-13-01"],
            "not a calendar date",
        ),
    ];
    for (args, expected) in cases {
        let (code, stderr) = cli(&home, args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!home.exists(), "{args:?} created the home");
    }
    assert!(!std::path::Path::new("/nonexistent/never").exists());
}

#[tokio::test]
async fn a_missing_or_unpinned_hash_key_fails_ingestion_and_writes_no_item() {
    const OTHER: &str = "b3RoZXIta2V5LW5vdC10aGUtcnVubmluZy1zeXN0ZW0=";
    let t = TestHome::new(&[]);
    t.write_source(&[item(
        "A",
        "2026-11-18T10:00:00",
        "2026-11-18",
        json!({"nhsnumber": "9990000018"}),
    )]);
    t.run("setup", json!({})).await;
    let vault = t.home.vault_file();
    // The vault object deleted, or overwritten with another key, as an operator or an attacker
    // might: either way ingestion refuses before it starts a query, and names the query.
    for (tamper, says) in [
        (None, "does not exist"),
        (Some(OTHER), "is not the one pinned"),
    ] {
        let opened = t.home.open(&t.source()).await.unwrap();
        match tamper {
            None => std::fs::remove_file(&vault).unwrap(),
            Some(other) => std::fs::write(&vault, format!("{other}\n")).unwrap(),
        }
        let tasks = notify_reporting::tasks::LocalTasks {
            home: &opened,
            policy: Default::default(),
        };
        let machine = notify_reporting::machines::load(
            notify_reporting::machines::find("ingestion").unwrap(),
        )
        .unwrap();
        let err = machine
            .execute(
                "e",
                json!({"asOf": "2026-11-20"}),
                "2026-11-20T00:00:00Z",
                &tasks,
                &state_machine::Silent,
            )
            .await
            .unwrap_err()
            .root_cause();
        assert_eq!(err.error, "Config.HashKeyRefused", "{says}");
        assert!(err.cause.contains(says), "{}", err.cause);
        assert!(err.cause.contains("request_item_status"), "{}", err.cause);
        assert!(!err.cause.contains(KEY) && !err.cause.contains(OTHER));
        drop(opened);
        assert_eq!(
            t.select("SELECT count(*) FROM request_item_status"),
            vec![vec![s("0")]]
        );
    }
}

#[tokio::test]
async fn ingestion_before_setup_says_what_to_do() {
    let t = TestHome::new(&[]);
    t.write_source(&[item("A", "2026-11-18T10:00:00", "2026-11-18", json!({}))]);
    let err = run_machine(
        &t.home,
        &t.source(),
        "ingestion",
        json!({"asOf": "2026-11-20"}),
        false,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, RunError::Failed { error, cause } if error == "Query.Failed" && cause.contains("run setup")),
        "{err}"
    );
}

#[tokio::test]
async fn unknown_machines_and_fields_are_refused_by_the_library_too() {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path().join("h"));
    let err = run_machine(&home, dir.path(), "housekeep", json!({}), false)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RunError::InvalidInput(ref m) if m.contains("known: setup, ingestion")),
        "{err}"
    );
    let err = run_machine(
        &home,
        dir.path(),
        "setup",
        json!({"asOf": "2026-11-20"}),
        false,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, RunError::InvalidInput(ref m) if m.contains("accepts: none")),
        "{err}"
    );
    assert!(!home.root.exists());
}

/// In AWS nothing checks an execution's input before the machine runs: each machine's first Task
/// does (run-query's `check-input`), so a misspelt field fails there, named, before any query.
#[tokio::test]
async fn each_machine_checks_its_own_input_before_anything_runs() {
    let t = TestHome::new(&[]);
    t.run("setup", json!({})).await;
    let opened = t.home.open(&t.source()).await.unwrap();
    let tasks = notify_reporting::tasks::LocalTasks {
        home: &opened,
        policy: Default::default(),
    };
    for (machine, input, names) in [
        ("ingestion", json!({"asof": "2026-11-20"}), "asof"),
        ("ingestion", json!({"mode": "weekly"}), "mode"),
        (
            "ingestion",
            json!({"mode": "incremental", "asOf": "2026-11-20"}),
            "asOf",
        ),
        ("watchdog", json!({"asOf": "2026-02-30"}), "asOf"),
        (
            "backfill",
            json!({"table": "request_item_status", "asOf": 20261120}),
            "asOf",
        ),
        // A required field missing is Input.Invalid naming it, not States.Runtime later on.
        ("backfill", json!({}), "table"),
        ("backfill", json!({"asOf": "2026-11-20"}), "table"),
        ("housekeeping", json!({"tables": ["x"]}), "tables"),
        ("setup", json!({"force": true}), "force"),
        (
            "verify-cutover",
            json!({"asOf": "2026-11-20' OR '1'='1"}),
            "asOf",
        ),
        (
            "verify-cutover",
            json!({"referenceDatabase": "x"}),
            "referenceDatabase",
        ),
    ] {
        let machine_def = notify_reporting::machines::find(machine).unwrap();
        let sm = notify_reporting::machines::load(machine_def).unwrap();
        let progress = notify_reporting::run::Progress {
            print: false,
            finished: Default::default(),
            deliveries: Default::default(),
        };
        let err = sm
            .execute(
                "e",
                input.clone(),
                "2026-11-20T00:00:00Z",
                &tasks,
                &progress,
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.error, "Input.Invalid",
            "{machine} {input}: {}",
            err.cause
        );
        assert!(
            err.cause.contains(names),
            "{machine} {input}: {}",
            err.cause
        );
        assert!(
            progress.finished.lock().unwrap().is_empty(),
            "{machine} ran a query"
        );
    }
}
