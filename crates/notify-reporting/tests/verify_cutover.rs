//! verify-cutover (issue 20): the running system's tables (here a copy of ours in another
//! schema) against ours and the source. It passes when the hash binding and the counts agree,
//! fails naming the table and counts (never a value) when they do not, and writes nothing. On
//! DuckDB and on Trino.

mod common;

use common::*;
use reporting_core::catalog;
use serde_json::json;

const AS_OF: &str = "2026-11-20";

/// Items with NHS numbers and their plans, captured in the week before AS_OF.
fn history() -> Vec<synthetic_cdc::CdcRow> {
    (0..6)
        .flat_map(|i| {
            let id = format!("ITEM-{i}");
            let day = format!("2026-11-1{}", 4 + i % 5);
            let created = format!("{day}T09:00:00.000Z");
            vec![
                item(
                    &id,
                    &format!("{day}T09:00:0{i}"),
                    &day,
                    json!({"status": "DELIVERED", "createddate": created, "completeddate": created,
                           "nhsnumber": format!("999000111{i}"), "clientname": "Client A"}),
                ),
                plan(
                    &format!("PLAN-{i}"),
                    &id,
                    &format!("{day}T09:00:0{i}"),
                    &day,
                    json!({"status": "DELIVERED", "communicationtype": "EMAIL", "supplier": "GOVUK",
                           "createddate": created, "completeddate": created}),
                ),
            ]
        })
        .collect()
}

/// A home that ingested the history, with a copy of its tables as the running system's
/// (another schema), configured as the reference. The reference schema's name.
async fn side_by_side() -> (TestHome, String) {
    let t = TestHome::new(&[]);
    t.write_source(&history());
    t.setup_and_ingest(AS_OF).await;
    let reference = match test_engine() {
        TestEngine::DuckDb => {
            t.exec("CREATE SCHEMA running");
            "running".to_string()
        }
        TestEngine::Trino => {
            let name = format!("{}_running", t.home.trino_schema());
            let location = t.dir.path().join("running");
            std::fs::create_dir_all(&location).unwrap();
            t.exec(&format!(
                "CREATE SCHEMA iceberg.{name} WITH (location = 'local://{}')",
                location.display()
            ));
            name
        }
    };
    for table in catalog::TABLES {
        t.exec(&format!(
            "CREATE TABLE \"{reference}\".{0} AS SELECT * FROM {0}",
            table.name
        ));
    }
    t.configure(|c| c.reference_database = Some(reference.clone()));
    (t, reference)
}

/// Every row of our tables and of the reference's: what a read-only run must leave as it was.
fn everything(t: &TestHome, reference: &str) -> Tables {
    let mut all = t.dump_all();
    all.extend(sorted_rows(catalog::TABLES.iter().map(|t| t.name), |sql| {
        t.select(&sql.replace("FROM ", &format!("FROM \"{reference}\".")))
    }));
    all
}

async fn verify_passes_on_the_same_tables_and_key() {
    let (t, reference) = side_by_side().await;
    let before = everything(&t, &reference);
    let run = t.run("verify-cutover", json!({"asOf": AS_OF})).await;
    assert_eq!(
        run.output,
        json!({"asOf": AS_OF, "verified": ["hash binding", "row counts"]})
    );
    assert_eq!(everything(&t, &reference), before, "verify-cutover wrote");
}

async fn verify_fails_on_another_key_naming_counts_never_a_value() {
    let (t, reference) = side_by_side().await;
    // Our stack's key is not the one the running system hashed with (pinned as ours).
    t.home
        .set_hash_key(&reporting_core::Secret::new(
            "b3RoZXIta2V5LW5vdC10aGUtcnVubmluZy1zeXN0ZW0=",
        ))
        .unwrap();
    let before = everything(&t, &reference);
    let (error, cause) = t
        .run_failure("verify-cutover", json!({"asOf": AS_OF}))
        .await;
    assert_eq!(error, "Cutover.HashDiffers");
    assert!(
        cause.starts_with("request_item_status: 6 of 6 sampled items have a stored nhsnumberhash"),
        "{cause}"
    );
    for row in t.select("SELECT requestitemid, nhsnumberhash FROM request_item_status") {
        for value in row.into_iter().flatten() {
            assert!(!cause.contains(&value), "the cause names a value: {cause}");
        }
    }
    assert_eq!(everything(&t, &reference), before, "verify-cutover wrote");
}

async fn verify_fails_naming_a_table_short_of_rows_with_both_counts() {
    let (t, reference) = side_by_side().await;
    t.exec(&format!(
        "DELETE FROM \"{reference}\".request_item_plan_status WHERE requestitemplanid IN ('PLAN-1', 'PLAN-2')"
    ));
    // A row created before the window is not counted: request_item_status still agrees.
    t.exec(&format!(
        "INSERT INTO \"{reference}\".request_item_status (requestitemid, createdtime) \
         VALUES ('OLD', TIMESTAMP '2026-01-01 09:00:00')"
    ));
    let (error, cause) = t
        .run_failure("verify-cutover", json!({"asOf": AS_OF}))
        .await;
    assert_eq!(error, "Cutover.CountsDiffer");
    // Exactly one table named, with both counts.
    assert!(
        cause.contains(r#"[{"tablename":"request_item_plan_status","ours":"6","theirs":"4"}]"#),
        "{cause}"
    );
}

async fn verify_fails_when_the_window_has_nothing_to_sample() {
    let (t, _) = side_by_side().await;
    let (error, cause) = t
        .run_failure("verify-cutover", json!({"asOf": "2027-03-01"}))
        .await;
    assert_eq!(error, "Cutover.NothingToSample");
    assert!(cause.contains("the week before 2027-03-01"), "{cause}");
}

async fn verify_without_a_reference_says_what_to_configure() {
    let t = TestHome::new(&[]);
    t.write_source(&history());
    t.setup_and_ingest(AS_OF).await;
    let (_, cause) = t
        .run_failure("verify-cutover", json!({"asOf": AS_OF}))
        .await;
    assert!(cause.contains("cutover/hash_sample"), "{cause}");
    assert!(cause.contains("referenceDatabase"), "{cause}");
}

/// Everything a run left that a person or a principal could read later: every event of the
/// machine (each Task's output is the state data the next state gets), its final output, and the
/// engine's query history (Athena's `QueryString` and `ExecutionParameters`): locally the home's
/// query-history.jsonl, on Trino its own record of the home's queries (system.runtime.queries).
async fn run_recorded(t: &TestHome, machine: &str, input: serde_json::Value) -> (String, bool) {
    struct Recorder(std::sync::Mutex<Vec<String>>);
    impl state_machine::Observer for Recorder {
        fn event(&self, event: &state_machine::Event) {
            self.0.lock().unwrap().push(format!("{event:?}"));
        }
    }
    let opened = t.home.open(&t.source()).await.unwrap();
    let tasks = notify_reporting::tasks::LocalTasks {
        home: &opened,
        policy: Default::default(),
    };
    let recorder = Recorder(Default::default());
    let outcome =
        notify_reporting::machines::load(notify_reporting::machines::find(machine).unwrap())
            .unwrap()
            .execute(
                &format!("leak-{machine}"),
                input,
                "2026-11-20T06:00:00Z",
                &tasks,
                &recorder,
            )
            .await;
    let mut record = recorder.0.into_inner().unwrap();
    // A failed run's record must not leak either: it is checked first, then the outcome.
    record.push(match &outcome {
        Ok(execution) => execution.output.to_string(),
        Err(failure) => format!("{failure:?}"),
    });
    (record.join("\n"), outcome.is_ok())
}

/// What the CLI prints and logs running `args` on the home, every log at trace.
fn cli_output(t: &TestHome, args: &[&str]) -> String {
    let source = t.source().to_string_lossy().to_string();
    let mut all: Vec<&str> = Vec::new();
    let trino = (test_engine() == TestEngine::Trino)
        .then(|| test_services::Trino::shared().unwrap_or_else(|e| panic!("{e}")));
    if let Some(trino) = trino {
        all.extend(["--engine", "trino", "--trino-url", trino.url()]);
    }
    all.extend(args);
    all.extend(["--source", &source]);
    cli(&t.home.root, &[("RUST_LOG", "trace")], &all)
}

/// The engine's history of this home's queries, text and parameters.
fn query_history(t: &TestHome) -> String {
    match test_engine() {
        TestEngine::DuckDb => std::fs::read_to_string(t.home.query_history_file()).unwrap(),
        TestEngine::Trino => t
            .select(&format!(
                "SELECT query FROM system.runtime.queries WHERE source = 'notify-reporting:{}'",
                t.home.trino_schema()
            ))
            .into_iter()
            .map(|r| r[0].clone().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// The key never leaves its vault: after setup, three ingestions and two verify-cutover runs
/// (which hash every NHS number and recompute the running system's hashes), in the library and
/// through the CLI with every log at trace, neither the key nor any text shaped like one (or like
/// an nhsnumberhash) is in the state data, the output, the logs or the engine's query history,
/// yet the hashes are the key's.
async fn the_key_is_in_no_query_history_state_or_output() {
    let (t, _reference) = side_by_side().await;
    let (ingestion, ingested) = run_recorded(&t, "ingestion", json!({"asOf": AS_OF})).await;
    let (verification, verified) = run_recorded(&t, "verify-cutover", json!({"asOf": AS_OF})).await;
    let mut records = vec![ingestion, verification];
    // The same through the CLI, every log at trace: what it prints and logs.
    records.push(cli_output(&t, &["run", "ingestion", "--as-of", AS_OF]));
    records.push(cli_output(
        &t,
        &[
            "run",
            "verify-cutover",
            "--input",
            &json!({"asOf": AS_OF}).to_string(),
        ],
    ));
    let history = query_history(&t);
    assert!(
        history.contains("MERGE INTO request_item_status") && history.contains("hash_key k"),
        "the history holds the hashing queries: {history:.300}"
    );
    records.push(history);
    for record in &records {
        assert!(!record.contains(KEY), "the key is in a record");
        assert_eq!(
            test_services::leaks::base64_keys(record),
            Vec::<String>::new(),
            "something shaped like the key is in a record"
        );
    }
    assert!(ingested && verified, "{records:?}");
    // The hashes are the key's: Base64(SHA-256("<KEY>.9990001110")), ITEM-0's NHS number.
    assert_eq!(
        t.select("SELECT nhsnumberhash FROM request_item_status WHERE requestitemid = 'ITEM-0'"),
        vec![vec![Some(
            "/+6NcpERUoKHn7cnzbYqJEL01AIkG0OTwdPRE+uEkz4=".to_string()
        )]]
    );
}

on_both_engines!(
    the_key_is_in_no_query_history_state_or_output,
    verify_passes_on_the_same_tables_and_key,
    verify_fails_on_another_key_naming_counts_never_a_value,
    verify_fails_naming_a_table_short_of_rows_with_both_counts,
    verify_fails_when_the_window_has_nothing_to_sample,
    verify_without_a_reference_says_what_to_configure,
);
