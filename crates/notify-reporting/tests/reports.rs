//! The two canned reports end to end: hand-built histories, the real state machines, handlers,
//! SQL and local engine, and the CSV files that land in the local ingress bucket.

mod common;

use common::*;
use notify_reporting::{run_machine, RunError};
use serde_json::{json, Value};
use synthetic_cdc::CdcRow;

/// The engine's today: the 90-day horizon starts 2026-08-23, the batch recency 2026-11-19.
const TODAY: &str = "2026-11-21";
const DAY: &str = "2026-11-20";
const HEADER: &str = "\"requestid\",\"requestrefid\",\"requestitemid\",\"requestitemrefid\",\"requestitemcompletedtime\",\"requestitemfailedreason\",\"sendinggroupid\",\"sendinggroupidversion\",\"sendinggroupname\",\"sendinggroupcreatedtime\",\"requestitemstatus\",\"requestitemplanid\",\"requestitemplancompletedtime\",\"requestitemplanstatus\",\"communicationtype\",\"channeltype\",\"requestitemplanfailedreason\",\"templateid\",\"requestitemplanfailedreasoncode\",\"requestitemfailedreasoncode\"\n";

fn an_item(
    id: &str,
    client: &str,
    request: &str,
    created: &str,
    status: &str,
    completed: Option<&str>,
) -> CdcRow {
    let mut fields = json!({
        "clientid": client,
        "status": status,
        "createddate": created,
        "completeddate": completed,
        "requestid": request,
        "requestrefid": format!("REF-{request}"),
        "sendinggroupid": "SG1",
        "sendinggroupidversion": "2",
        "sendinggroupname": "Group \"one\", main",
    });
    if status == "FAILED" {
        fields["failedreason"] = json!("PERMANENT: no address");
        fields["failedreasoncode"] = json!("CM_F01");
    }
    item(id, "2026-11-20T09:00:00", DAY, fields)
}

fn a_plan(
    id: &str,
    item_id: &str,
    client: &str,
    created: &str,
    status: &str,
    completed: Option<&str>,
) -> CdcRow {
    let mut fields = json!({
        "clientid": client,
        "status": status,
        "createddate": created,
        "completeddate": completed,
        "communicationtype": "EMAIL",
        "channeltype": "primary",
        "templateid": "T1",
    });
    if status == "FAILED" {
        fields["failedreason"] = json!("TEMPORARY");
        fields["failedreasoncode"] = json!("CM_P02");
    }
    plan(id, item_id, "2026-11-20T09:00:01", DAY, fields)
}

const CREATED: &str = "2026-11-18T08:00:00.000Z";
const OLD: &str = "2026-08-01T08:00:00.000Z";

/// Client C1's history, with what each object tests.
fn history() -> Vec<CdcRow> {
    vec![
        // A: delivered through one plan on DAY. In the report; batch R1 complete.
        an_item(
            "A",
            "C1",
            "R1",
            CREATED,
            "DELIVERED",
            Some("2026-11-20T10:00:00.123Z"),
        ),
        a_plan(
            "A1",
            "A",
            "C1",
            CREATED,
            "DELIVERED",
            Some("2026-11-20T10:00:00.123Z"),
        ),
        // B: FAILED with no plan at all: in the report on its own completion date.
        an_item(
            "B",
            "C1",
            "R1",
            CREATED,
            "FAILED",
            Some("2026-11-20T09:30:00.000Z"),
        ),
        // C: DELIVERED with no plan: never in a report (only FAILED plan-less items are).
        an_item(
            "C",
            "C1",
            "R5",
            CREATED,
            "DELIVERED",
            Some("2026-11-20T09:45:00.000Z"),
        ),
        // D: a SKIPPED plan is in the report; its SENDING plan is not, and keeps batch R2 open.
        an_item("D", "C1", "R2", CREATED, "ENRICHED", None),
        a_plan(
            "D1",
            "D",
            "C1",
            CREATED,
            "SKIPPED",
            Some("2026-11-20T11:00:00.000Z"),
        ),
        a_plan("D2", "D", "C1", CREATED, "SENDING", None),
        // E: completed a millisecond before DAY (UTC): not in DAY's report. (An offset such as +01:00
        // is dropped at ingestion, keeping the wall clock, as Athena does.)
        an_item(
            "E",
            "C1",
            "R4",
            CREATED,
            "DELIVERED",
            Some("2026-11-19T23:59:59.999Z"),
        ),
        a_plan(
            "E1",
            "E",
            "C1",
            CREATED,
            "DELIVERED",
            Some("2026-11-19T23:59:59.999Z"),
        ),
        // F: created before the 90-day horizon: in no report, whenever it completed.
        an_item(
            "F",
            "C1",
            "R3",
            OLD,
            "DELIVERED",
            Some("2026-11-20T12:00:00.000Z"),
        ),
        a_plan(
            "F1",
            "F",
            "C1",
            OLD,
            "DELIVERED",
            Some("2026-11-20T12:00:00.000Z"),
        ),
        // G: another client's.
        an_item(
            "G",
            "C2",
            "R9",
            CREATED,
            "FAILED",
            Some("2026-11-20T10:00:00.000Z"),
        ),
        a_plan(
            "G1",
            "G",
            "C2",
            CREATED,
            "FAILED",
            Some("2026-11-20T10:00:00.000Z"),
        ),
    ]
}

async fn ingested() -> TestHome {
    let t = TestHome::new(&[]);
    t.pin_today(TODAY);
    t.write_source(&history());
    t.setup_and_ingest(DAY).await;
    t
}

const COMMS_KEY: &str =
    "completed_comms_report/C1/2026-11-20/completed_comms_report_C1_2026-11-20.csv";

fn comms_report_c1() -> String {
    let mut expected = HEADER.to_string();
    expected.push_str("\"R1\",\"REF-R1\",\"A\",,\"2026-11-20T10:00:00.123Z\",,\"SG1\",\"2\",\"Group \"\"one\"\", main\",,\"DELIVERED\",\"A1\",\"2026-11-20T10:00:00.123Z\",\"DELIVERED\",\"EMAIL\",\"primary\",,\"T1\",,\n");
    expected.push_str("\"R1\",\"REF-R1\",\"B\",,\"2026-11-20T09:30:00.000Z\",\"PERMANENT: no address\",\"SG1\",\"2\",\"Group \"\"one\"\", main\",,\"FAILED\",,,,,,,,,\"CM_F01\"\n");
    expected.push_str("\"R2\",\"REF-R2\",\"D\",,,,\"SG1\",\"2\",\"Group \"\"one\"\", main\",,\"ENRICHED\",\"D1\",\"2026-11-20T11:00:00.000Z\",\"SKIPPED\",\"EMAIL\",\"primary\",,\"T1\",,\n");
    expected
}

async fn the_completed_comms_report_holds_what_completed_that_utc_day() {
    let t = ingested().await;
    let run = t
        .run(
            "completed-comms-report",
            json!({"completedDate": DAY, "clientIds": ["C1", "C2", "C1"]}),
        )
        .await;
    let files = t.ingress();
    assert_eq!(files.len(), 2, "one report per distinct client: {files:?}");
    assert_eq!(files[0].0, COMMS_KEY);
    assert_eq!(files[0].1, comms_report_c1());
    assert_eq!(
        files[1].1,
        format!("{HEADER}\"R9\",\"REF-R9\",\"G\",,\"2026-11-20T10:00:00.000Z\",\"PERMANENT: no address\",\"SG1\",\"2\",\"Group \"\"one\"\", main\",,\"FAILED\",\"G1\",\"2026-11-20T10:00:00.000Z\",\"FAILED\",\"EMAIL\",\"primary\",\"TEMPORARY\",\"T1\",\"CM_P02\",\"CM_F01\"\n")
    );
    let reports = run.output["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["status"], "created");
    assert_eq!(reports[0]["rows"], 3);
}

async fn the_defaults_are_yesterday_and_the_clients_in_the_parameter_store() {
    let t = ingested().await;
    // No clients configured: succeed, write nothing.
    t.set_report_clients("completed-comms-report", &[]);
    t.run("completed-comms-report", json!({})).await;
    assert!(t.ingress().is_empty());
    // Yesterday of the pinned today is DAY.
    t.set_report_clients("completed-comms-report", &["C1"]);
    let run = t.run("completed-comms-report", json!({})).await;
    assert_eq!(run.output["completedDate"], DAY);
    assert_eq!(
        t.ingress(),
        vec![(COMMS_KEY.to_string(), comms_report_c1())]
    );
}

async fn rerunning_writes_nothing_new_and_leftovers_never_block_a_report() {
    let t = ingested().await;
    let input = json!({"completedDate": DAY, "clientIds": ["C1"]});
    t.run("completed-comms-report", input.clone()).await;
    let first = t.ingress();
    let again = t.run("completed-comms-report", input.clone()).await;
    assert_eq!(again.output["reports"][0]["status"], "exists");
    // The run says, per client, that the report was already delivered, and where.
    assert_eq!(again.deliveries.len(), 1, "{:?}", again.deliveries);
    assert_eq!(
        again.deliveries[0].status,
        reporting_handlers::contract::DeliveryStatus::Exists
    );
    assert_eq!(again.deliveries[0].key, COMMS_KEY);
    assert_eq!(t.ingress(), first);
    assert!(
        !again
            .queries
            .iter()
            .any(|q| q.query == "reports/completed_comms_report"),
        "no query when the report exists"
    );

    // A run that died after its query, leaving Athena's files with the CSV cut off under the
    // prefix but no report: the next run delivers it.
    let prefix = t
        .home
        .objects()
        .join("ingress/completed_comms_report/C1/2026-11-19");
    std::fs::create_dir_all(&prefix).unwrap();
    std::fs::write(prefix.join("0f1e.csv.metadata"), b"x").unwrap();
    std::fs::write(prefix.join("0f1e.csv"), b"\"requestid\"\n\"R").unwrap();
    let run = t
        .run(
            "completed-comms-report",
            json!({"completedDate": "2026-11-19", "clientIds": ["C1"]}),
        )
        .await;
    assert_eq!(run.output["reports"][0]["status"], "created");
    let e_report = t
        .ingress()
        .into_iter()
        .find(|(k, _)| k.ends_with("completed_comms_report_C1_2026-11-19.csv"))
        .expect("the report was delivered");
    assert!(
        e_report.1.contains("\"E1\",\"2026-11-19T23:59:59.999Z\""),
        "{}",
        e_report.1
    );
}

async fn the_batch_report_covers_every_recently_completed_batch_once() {
    let t = ingested().await;
    t.set_report_clients("completed-batch-report", &["C1"]);
    let run = t.run("completed-batch-report", json!({})).await;
    let files = t.ingress();
    let keys: Vec<&str> = files.iter().map(|(k, _)| k.as_str()).collect();
    // R1 (A, B), R4 (E, completed on the 19th) and R5 (C: complete, but nothing to report) are
    // complete and recent; R2 has an open plan; R3 is older than the horizon.
    assert_eq!(
        keys,
        vec![
            "completed_batch_report/C1/R1/REF-R1/completed_batch_report_R1.csv",
            "completed_batch_report/C1/R4/REF-R4/completed_batch_report_R4.csv",
            "completed_batch_report/C1/R5/REF-R5/completed_batch_report_R5.csv",
        ]
    );
    let comms = comms_report_c1();
    let r1: Vec<&str> = comms.lines().take(3).collect();
    assert_eq!(files[0].1, r1.join("\n") + "\n");
    assert!(files[1].1.contains("\"E1\""));
    assert_eq!(files[2].1, HEADER);
    assert_eq!(run.output["clients"][0]["rejected"], json!([]));
    // One page of batch reports, in a nested execution of its own.
    let page = &run.output["clients"][0]["reports"][0];
    assert_eq!(
        (
            &page["page"],
            &page["batches"],
            &page["delivered"],
            &page["alreadyDelivered"]
        ),
        (&json!(0), &json!(3), &json!(3), &json!(0)),
        "{page}"
    );
    // Again: nothing new, and the run says each report was already delivered.
    let again = t.run("completed-batch-report", json!({})).await;
    assert_eq!(t.ingress(), files);
    assert_eq!(
        again.output["clients"][0]["reports"][0]["alreadyDelivered"],
        3
    );
    assert_eq!(again.deliveries.len(), 3);
    assert!(again
        .queries
        .iter()
        .all(|q| q.query == "reports/completed_batches"));
}

/// A client whose report query fails on every rerun fails alone, and the run says so as every
/// query loop does: the query, its error, and "after N reruns". Run again, the report is delivered.
async fn a_client_whose_reruns_run_out_is_named_with_its_reruns() {
    let t = ingested().await;
    t.configure(|c| c.faults.retryable_failures = 4);
    let input = json!({"completedDate": DAY, "clientIds": ["C1"]});
    let (error, cause) = t.run_failure("completed-comms-report", input.clone()).await;
    assert_eq!(error, "Report.ClientsFailed");
    assert!(
        cause.contains(
            "C1 (Retryable.QueryFailed: Failed again after 3 reruns with a new request token: "
        ) && cause.contains("reports/completed_comms_report"),
        "{cause}"
    );
    assert_eq!(t.ingress(), vec![]);
    t.configure(|c| c.faults.retryable_failures = 0);
    t.run("completed-comms-report", input).await;
    assert_eq!(t.ingress().len(), 1);
}

/// Run twice from the command line (as `make run` does), the second run says, per client, that
/// the report was already delivered and where.
async fn a_rerun_from_the_command_line_says_each_report_was_already_delivered_and_where() {
    let t = ingested().await;
    let source = t.source().to_string_lossy().to_string();
    let input = json!({"completedDate": DAY, "clientIds": ["C1"]}).to_string();
    let mut args = vec![
        "run",
        "completed-comms-report",
        "--input",
        &input,
        "--source",
        &source,
    ];
    let trino;
    if test_engine() == TestEngine::Trino {
        trino = test_services::Trino::shared().unwrap_or_else(|e| panic!("{e}"));
        args.extend(["--engine", "trino", "--trino-url", trino.url()]);
    }
    let first = cli(&t.home.root, &[], &args);
    assert!(first.contains("delivered"), "{first}");
    let again = cli(&t.home.root, &[], &args);
    let line = again
        .lines()
        .find(|l| l.starts_with("already delivered"))
        .unwrap_or_else(|| panic!("{again}"));
    assert!(line.ends_with(COMMS_KEY), "{line}");
    assert!(!again.contains("no reports"), "{again}");
}

async fn refused(t: &TestHome, machine: &str, input: Value) -> String {
    match run_machine(&t.home, &t.source(), machine, input.clone(), false).await {
        Ok(_) => panic!("{machine} accepted {input}"),
        Err(RunError::InvalidInput(m)) => m,
        Err(RunError::Failed { error, cause }) => {
            assert_eq!(error, "Input.Invalid", "{input}: {cause}");
            cause
        }
        Err(e) => panic!("{input}: {e}"),
    }
}

async fn hostile_report_input_is_refused_with_a_clear_error_and_writes_nothing() {
    let t = ingested().await;
    let long = "x".repeat(200);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"completedDate": "2026-02-30"}), "completedDate"),
        (json!({"completedDate": "26-11-01"}), "completedDate"),
        (
            json!({"completedDate": "2026-11-01T00:00"}),
            "completedDate",
        ),
        (json!({"completedDate": ""}), "completedDate"),
        (json!({"completedDate": 20261101}), "completedDate"),
        (json!({"clientIds": "C1"}), "clientIds: invalid type"),
        (
            json!({"clientIds": {"C1": true}}),
            "clientIds: invalid type",
        ),
        (json!({"clientIds": [1]}), "clientIds[0]: invalid type"),
        (json!({"clientIds": [null]}), "clientIds[0]: invalid type"),
        (json!({"clientIds": [""]}), "empty"),
        (json!({"clientIds": [".."]}), "path segment"),
        (json!({"clientIds": ["a/b"]}), "'/'"),
        (json!({"clientIds": ["a\\b"]}), "'\\\\'"),
        (json!({"clientIds": ["a'b"]}), "'\\''"),
        (json!({"clientIds": ["C1' OR '1'='1"]}), "contains"),
        (
            json!({"clientIds": ["C1; DROP TABLE request_item_status"]}),
            "contains",
        ),
        (json!({"clientIds": ["a\u{1}b"]}), "contains"),
        (json!({"clientIds": [long]}), "limit"),
        (
            json!({"clientIds": ["C1"], "region": "eu-west-2"}),
            "region",
        ),
    ];
    for (input, says) in cases {
        let message = refused(&t, "completed-comms-report", input.clone()).await;
        assert!(
            message.contains(says),
            "{input}: {message:?} does not mention {says:?}"
        );
        assert!(t.ingress().is_empty(), "{input} wrote something");
    }
    let message = refused(&t, "completed-batch-report", json!({"completedDate": DAY})).await;
    assert!(message.contains("completedDate"), "{message}");
    let message = refused(
        &t,
        "completed-batch-report",
        json!({"clientIds": ["../C1"]}),
    )
    .await;
    assert!(message.contains("clientIds[0]"), "{message}");
    assert!(t.ingress().is_empty());
    // The reports' state data never holds more than ids: no row of a report reaches it.
    let ok = t
        .run(
            "completed-comms-report",
            json!({"completedDate": DAY, "clientIds": ["C1"]}),
        )
        .await;
    assert!(!ok.output.to_string().contains("PERMANENT"));
}

/// At the cutover the running system's reports are already in the ingress bucket: Athena's own
/// `<QueryExecutionId>.csv` and `.csv.metadata`. A whole one counts as delivered (no second
/// report for that client and day); what a half-failed run left does not.
async fn a_whole_report_the_running_system_left_counts_as_delivered() {
    let t = ingested().await;
    let put = |client: &str, name: &str, body: &str| {
        let dir = t
            .home
            .objects()
            .join(format!("ingress/completed_comms_report/{client}/{DAY}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), body).unwrap();
    };
    let theirs = format!("{HEADER}\"R1\",\"REF-R1\"\n");
    // C1: a whole report with its metadata. C2: only the metadata of a run that died.
    // C3: a CSV without its metadata, whole but not known to be finished.
    put("C1", "7d0c1e2f.csv", &theirs);
    put("C1", "7d0c1e2f.csv.metadata", "m");
    put("C2", "5a6b.csv.metadata", "m");
    put("C3", "9e9e.csv", &theirs);
    let before = t.ingress();
    let run = t
        .run(
            "completed-comms-report",
            json!({"completedDate": DAY, "clientIds": ["C1", "C2", "C3"]}),
        )
        .await;
    let reports = run.output["reports"].as_array().unwrap();
    assert_eq!(reports[0]["status"], "exists");
    assert_eq!(
        reports[0]["key"],
        format!("completed_comms_report/C1/{DAY}/7d0c1e2f.csv")
    );
    assert_eq!(reports[1]["status"], "created");
    assert_eq!(reports[2]["status"], "created");
    let after = t.ingress();
    let new: Vec<&String> = after
        .iter()
        .filter(|f| !before.contains(f))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        new,
        [
            &format!("completed_comms_report/C2/{DAY}/completed_comms_report_C2_{DAY}.csv"),
            &format!("completed_comms_report/C3/{DAY}/completed_comms_report_C3_{DAY}.csv"),
        ],
        "nothing new for C1; the running system's files are left as they are"
    );
    assert!(before.iter().all(|f| after.contains(f)));
}

/// A batch id is the client's own: one with a slash, a space and a quote is reported under a
/// reversible key; a batch whose requestRefId is NULL cannot have a key and is counted, not lost.
async fn any_batch_id_is_reported_and_a_batch_without_one_is_counted() {
    let t = TestHome::new(&[]);
    t.pin_today(TODAY);
    let mut rows = history();
    let mut odd = an_item(
        "H",
        "C3",
        "B/1 it's",
        CREATED,
        "FAILED",
        Some("2026-11-20T10:00:00.000Z"),
    );
    odd.fields["requestrefid"] = json!("ref 1");
    let mut no_ref = an_item(
        "J",
        "C3",
        "B2",
        CREATED,
        "FAILED",
        Some("2026-11-20T10:00:00.000Z"),
    );
    no_ref.fields["requestrefid"] = Value::Null;
    rows.extend([odd, no_ref]);
    t.write_source(&rows);
    t.setup_and_ingest(DAY).await;
    let run = t
        .run("completed-batch-report", json!({"clientIds": ["C3"]}))
        .await;
    let keys: Vec<String> = t.ingress().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        ["completed_batch_report/C3/B%2F1%20it%27s/ref%201/completed_batch_report_B%2F1%20it%27s.csv"]
    );
    let rejected = &run.output["clients"][0]["rejected"];
    assert_eq!(rejected[0]["requestId"], "B2");
    assert_eq!(rejected[0]["reason"], "requestId or requestRefId is NULL");
    let metrics = std::fs::read_to_string(t.home.metrics_file()).unwrap();
    let skipped: Vec<&str> = metrics
        .lines()
        .filter(|l| l.contains("SkippedBatches"))
        .collect();
    assert_eq!(skipped.len(), 1, "{metrics}");
    assert!(
        skipped[0].contains("Notify/Reports") && skipped[0].contains("C3"),
        "{}",
        skipped[0]
    );
}

on_both_engines!(
    any_batch_id_is_reported_and_a_batch_without_one_is_counted,
    a_whole_report_the_running_system_left_counts_as_delivered,
    the_completed_comms_report_holds_what_completed_that_utc_day,
    the_defaults_are_yesterday_and_the_clients_in_the_parameter_store,
    rerunning_writes_nothing_new_and_leftovers_never_block_a_report,
    the_batch_report_covers_every_recently_completed_batch_once,
    hostile_report_input_is_refused_with_a_clear_error_and_writes_nothing,
    a_client_whose_reruns_run_out_is_named_with_its_reruns,
    a_rerun_from_the_command_line_says_each_report_was_already_delivered_and_where,
);
