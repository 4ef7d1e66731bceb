//! Known answers for the seven ingestion queries on small hand-built histories, run through the
//! real state machines, handlers, SQL and local engine.

mod common;

use common::*;
use serde_json::json;

const AS_OF: &str = "2026-11-20";

fn item_row(t: &TestHome, id: &str) -> Vec<Option<String>> {
    let rows = t.select(&format!(
        "SELECT status, completedtime, CAST(\"timestamp\" AS VARCHAR), nhsnumberhash, failedreason \
         FROM request_item_status WHERE requestitemid = '{id}'"
    ));
    assert_eq!(rows.len(), 1, "one row for {id}");
    rows[0].clone()
}

async fn latest_version_wins_whatever_the_capture_order() {
    let t = TestHome::new(&[]);
    t.write_source(&[
        item("A", "2026-11-18T10:00:03", "2026-11-18", json!({"status": "DELIVERED", "createddate": "2026-11-18T10:00:00.000Z", "completeddate": "2026-11-18T10:00:03.000Z"})),
        item("A", "2026-11-18T10:00:00", "2026-11-19", json!({"status": "PENDING_ENRICHMENT", "createddate": "2026-11-18T10:00:00.000Z"})),
        item("A", "2026-11-18T10:00:01", "2026-11-18", json!({"status": "ENRICHED", "createddate": "2026-11-18T10:00:00.000Z"})),
    ]);
    t.setup_and_ingest(AS_OF).await;
    let row = item_row(&t, "A");
    assert_eq!(row[0], s("DELIVERED"));
    assert_eq!(row[1], s("2026-11-18 10:00:03.000000"));
    assert_eq!(row[2], Some(ms("2026-11-18T10:00:03").to_string()));
}

async fn on_equal_timestamps_the_completed_version_wins() {
    let t = TestHome::new(&[]);
    t.write_source(&[
        item(
            "B",
            "2026-11-18T10:00:05",
            "2026-11-18",
            json!({"status": "DELIVERED", "completeddate": "2026-11-18T10:00:05.000Z"}),
        ),
        item(
            "B",
            "2026-11-18T10:00:05",
            "2026-11-18",
            json!({"status": "ENRICHED"}),
        ),
        // A hand-edited completion time (no T, no zone) is still read.
        item(
            "H",
            "2026-11-18T10:00:05",
            "2026-11-18",
            json!({"status": "FAILED", "completeddate": "2026-11-18 10:00:05.250"}),
        ),
        item(
            "H",
            "2026-11-18T10:00:05",
            "2026-11-18",
            json!({"status": "ENRICHED"}),
        ),
    ]);
    t.setup_and_ingest(AS_OF).await;
    assert_eq!(item_row(&t, "B")[0], s("DELIVERED"));
    let h = item_row(&t, "H");
    assert_eq!(
        (h[0].as_deref(), h[1].as_deref()),
        (Some("FAILED"), Some("2026-11-18 10:00:05.250000"))
    );
}

async fn older_versions_never_win_newer_ones_do_and_rows_outlive_the_window() {
    let t = TestHome::new(&[]);
    let first = item(
        "C",
        "2026-11-18T10:00:00",
        "2026-11-18",
        json!({"status": "ENRICHED"}),
    );
    t.write_source(std::slice::from_ref(&first));
    t.setup_and_ingest(AS_OF).await;
    // Running the same source again changes nothing.
    t.run("ingestion", json!({"asOf": AS_OF})).await;
    assert_eq!(item_row(&t, "C")[0], s("ENRICHED"));
    // An older version arriving late does not overwrite.
    let older = item(
        "C",
        "2026-11-17T09:00:00",
        "2026-11-19",
        json!({"status": "PENDING_ENRICHMENT"}),
    );
    t.write_source(&[older]);
    t.run("ingestion", json!({"asOf": AS_OF})).await;
    assert_eq!(item_row(&t, "C")[0], s("ENRICHED"));
    // A strictly newer one does.
    let newer = item(
        "C",
        "2026-11-18T10:00:01",
        "2026-11-19",
        json!({"status": "DELIVERED", "completeddate": "2026-11-18T10:00:01.000Z"}),
    );
    t.write_source(&[newer]);
    t.run("ingestion", json!({"asOf": AS_OF})).await;
    assert_eq!(item_row(&t, "C")[0], s("DELIVERED"));
    // Retention deletes the source and the window moves on: the row stays as it was.
    t.write_source(&[]);
    t.run("ingestion", json!({"asOf": "2026-12-31"})).await;
    assert_eq!(item_row(&t, "C")[0], s("DELIVERED"));
}

async fn the_window_is_the_capture_partition_week_up_to_as_of() {
    let t = TestHome::new(&[]);
    t.write_source(&[
        item(
            "IN-FIRST-DAY",
            "2026-11-13T00:00:00",
            "2026-11-13",
            json!({"status": "ENRICHED"}),
        ),
        item(
            "TOO-OLD",
            "2026-11-12T23:59:59",
            "2026-11-12",
            json!({"status": "ENRICHED"}),
        ),
        item(
            "AFTER-AS-OF",
            "2026-11-21T00:00:00",
            "2026-11-21",
            json!({"status": "ENRICHED"}),
        ),
        // Created long ago, captured in the window: in.
        item(
            "LATE-CAPTURE",
            "2026-10-01T00:00:00",
            "2026-11-19",
            json!({"status": "ENRICHED"}),
        ),
    ]);
    t.setup_and_ingest(AS_OF).await;
    let ids = t.select("SELECT requestitemid FROM request_item_status ORDER BY 1");
    assert_eq!(ids, vec![vec![s("IN-FIRST-DAY")], vec![s("LATE-CAPTURE")]]);
}

async fn nhs_numbers_are_hashed_with_the_environment_key() {
    let t = TestHome::new(&[]);
    t.write_source(&[
        item(
            "N1",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"nhsnumber": "9990000018"}),
        ),
        item(
            "N2",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"nhsnumber": "9990000026"}),
        ),
        item("N3", "2026-11-18T10:00:00", "2026-11-18", json!({})),
    ]);
    t.setup_and_ingest(AS_OF).await;
    assert_eq!(
        item_row(&t, "N1")[3],
        s("SndaD8zpfaP0++M//QO0wZmkIy+YRwJ2DW6Z8vRLbhY=")
    );
    assert_eq!(
        item_row(&t, "N2")[3],
        s("AJppzG6c4usplfNpDp/+XBNhBV8dS84rD8eA8LUeG9g=")
    );
    assert_eq!(item_row(&t, "N3")[3], None, "no NHS number, no hash");
}

async fn plan_projection_reads_templates_new_and_legacy() {
    let t = TestHome::new(&[]);
    t.write_source(&[
        plan("P-NEW", "I", "2026-11-18T10:00:00", "2026-11-18", json!({"supplier": "MBA", "templateid": "t-new", "ordernumber": 1, "datesent": "2026-11-18T10:00:00.500+00:00"})),
        plan("P-OLD", "I", "2026-11-18T10:00:00", "2026-11-18", json!({"supplier": "SYNERTEC", "templates": {"suppliers": {"synertec": "t-legacy"}}})),
        plan("P-NONE", "I", "2026-11-18T10:00:00", "2026-11-18", json!({"supplier": "MBA", "templates": {"suppliers": {"synertec": "t-other"}}})),
    ]);
    t.setup_and_ingest(AS_OF).await;
    let rows = t.select("SELECT requestitemplanid, templateid, sendtime, CAST(ordernumber AS VARCHAR) FROM request_item_plan_status ORDER BY 1");
    assert_eq!(
        rows,
        vec![
            vec![
                s("P-NEW"),
                s("t-new"),
                s("2026-11-18 10:00:00.500000"),
                s("1")
            ],
            vec![s("P-NONE"), None, None, None],
            vec![s("P-OLD"), s("t-legacy"), None, None],
        ]
    );
}

async fn client_latest_name_follows_the_latest_created_item() {
    let t = TestHome::new(&[]);
    t.write_source(&[
        item(
            "X1",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"clientname": "Old Name", "createddate": "2026-11-18T09:00:00.000Z"}),
        ),
        item(
            "X2",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"clientname": "New Name", "createddate": "2026-11-18T11:00:00.000Z"}),
        ),
    ]);
    t.setup_and_ingest(AS_OF).await;
    assert_eq!(
        t.select("SELECT clientid, clientname, createdtime FROM client_latest_name"),
        vec![vec![
            s("client-a"),
            s("New Name"),
            s("2026-11-18 11:00:00.000000")
        ]]
    );
    // An item created earlier, captured later, does not bring the old name back.
    t.write_source(&[item(
        "X0",
        "2026-11-19T10:00:00",
        "2026-11-19",
        json!({"clientname": "Old Name", "createddate": "2026-11-17T11:00:00.000Z"}),
    )]);
    t.run("ingestion", json!({"asOf": AS_OF})).await;
    assert_eq!(
        t.select("SELECT clientname FROM client_latest_name"),
        vec![vec![s("New Name")]]
    );
}

fn completed_plan(
    id: &str,
    item_id: &str,
    status: &str,
    campaign: Option<&str>,
    ts: &str,
) -> synthetic_cdc::CdcRow {
    plan(
        id,
        item_id,
        ts,
        &ts[..10],
        json!({"status": status, "campaignid": campaign, "communicationtype": "EMAIL", "supplier": "GOVUKNOTIFY",
               "createddate": "2026-11-18T10:00:00.000Z", "completeddate": "2026-11-18T10:05:00.000Z", "channeltype": "primary"}),
    )
}

async fn plan_summary_counts_distinct_items_null_safely_and_never_goes_down() {
    let t = TestHome::new(&[]);
    t.write_source(&[
        // Two plans of one item in one group count once; NULL and '' campaigns are one group.
        completed_plan("P1", "I1", "DELIVERED", None, "2026-11-18T10:05:00"),
        completed_plan("P2", "I1", "DELIVERED", Some(""), "2026-11-18T10:05:00"),
        completed_plan("P3", "I2", "DELIVERED", None, "2026-11-18T10:05:00"),
        completed_plan("P4", "I3", "SKIPPED", None, "2026-11-18T10:05:00"),
    ]);
    t.setup_and_ingest(AS_OF).await;
    let q = "SELECT status, campaignid, CAST(requestitemcount AS VARCHAR) FROM request_item_plan_completed_summary ORDER BY 1, 2, 3";
    assert_eq!(
        t.select(q),
        vec![vec![s("DELIVERED"), None, s("2")]],
        "SKIPPED is excluded; I1 counted once"
    );
    // I2's plan is re-captured as FAILED: the FAILED group appears, the DELIVERED count does not drop.
    t.write_source(&[completed_plan(
        "P3",
        "I2",
        "FAILED",
        None,
        "2026-11-19T10:05:00",
    )]);
    t.run("ingestion", json!({"asOf": AS_OF})).await;
    assert_eq!(
        t.select(q),
        vec![
            vec![s("DELIVERED"), None, s("2")],
            vec![s("FAILED"), None, s("1")]
        ]
    );
    // Running again changes nothing.
    let before = t.dump_all();
    t.run("ingestion", json!({"asOf": AS_OF})).await;
    assert_eq!(t.dump_all(), before);
}

async fn status_summary_counts_and_the_one_way_update_rule() {
    let t = TestHome::new(&["client-a"]);
    let base = |id: &str, status: &str, ts: &str, extra: serde_json::Value| {
        let mut f = json!({"status": status, "createddate": "2026-11-18T10:00:00.000Z", "requestid": "R1", "requestrefid": "ref-1"});
        f.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        item(id, ts, &ts[..10], f)
    };
    t.write_source(&[
        base("I1", "DELIVERED", "2026-11-18T11:00:00", json!({"completedcommunicationtypes": ["NHSAPP"], "failedcommunicationtypes": []})),
        base("I2", "FAILED", "2026-11-18T11:00:00", json!({"completedcommunicationtypes": [], "failedcommunicationtypes": ["EMAIL", "SMS"]})),
        base("I3", "ENRICHED", "2026-11-18T11:00:00", json!({})),
        base("I4", "PENDING_ENRICHMENT", "2026-11-18T11:00:00", json!({})),
    ]);
    t.setup_and_ingest(AS_OF).await;
    let facts = "requestedcount, deliveredcount, failedcount, completedcount, outstandingcount, nhsappdeliveredcount, \
                 emaildeliveredcount, smsdeliveredcount, letterdeliveredcount, nhsappfailedcount, emailfailedcount, \
                 smsfailedcount, letterfailedcount";
    let read = |table: &str| {
        t.select(&format!(
            "SELECT CAST(createddate AS VARCHAR), {facts} FROM {table} ORDER BY 1"
        ))
    };
    let expected = |v: [&str; 13]| {
        vec![std::iter::once(s("2026-11-18"))
            .chain(v.iter().map(|x| s(x)))
            .collect::<Vec<_>>()]
    };
    assert_eq!(
        read("request_item_status_summary"),
        expected(["4", "1", "1", "2", "2", "1", "0", "0", "0", "0", "1", "1", "0"])
    );
    assert_eq!(
        read("request_item_status_summary_batch"),
        read("request_item_status_summary"),
        "client-a is a batch client"
    );
    assert_eq!(
        t.select("SELECT requestid, requestrefid FROM request_item_status_summary_batch"),
        vec![vec![s("R1"), s("ref-1")]]
    );
    // I3 completes: monotone counts rise, so all facts are rewritten and outstanding goes down.
    t.write_source(&[base(
        "I3",
        "DELIVERED",
        "2026-11-19T11:00:00",
        json!({"completedcommunicationtypes": ["LETTER"]}),
    )]);
    t.run("ingestion", json!({"asOf": AS_OF})).await;
    assert_eq!(
        read("request_item_status_summary"),
        expected(["4", "2", "1", "3", "1", "1", "0", "0", "1", "0", "1", "1", "0"])
    );
}

async fn aggregates_ignore_projections_created_before_the_month() {
    let t = TestHome::new(&[]);
    t.write_source(&[
        completed_plan("OLD", "I-OLD", "DELIVERED", None, "2026-11-18T10:05:00"),
        item(
            "I-OLD",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"status": "DELIVERED", "createddate": "2026-10-19T10:00:00.000Z"}),
        ),
        item(
            "I-IN",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"status": "DELIVERED", "createddate": "2026-10-20T00:00:00.000Z"}),
        ),
    ]);
    t.setup_and_ingest(AS_OF).await;
    let dates =
        t.select("SELECT CAST(createddate AS VARCHAR) FROM request_item_status_summary ORDER BY 1");
    assert_eq!(
        dates,
        vec![vec![s("2026-10-20")]],
        "created on 2026-10-19 is before as-of minus one month"
    );
}

/// The passes read only the staging partitions created from the run's earliest creation day on
/// (and those with no creation time). A version with no creation date, or a stored row with
/// none, must still find its row: one row per object, the newest version in it.
async fn a_version_or_a_stored_row_with_no_creation_time_still_finds_its_row() {
    let t = TestHome::new(&[]);
    let created = |day: &str| json!(format!("{day}T09:00:00.000Z"));
    // Stored first: P created in September, Q with no creation time, S created in October.
    t.write_source(&[
        item(
            "P",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"status": "ENRICHED", "createddate": created("2026-09-01")}),
        ),
        item(
            "Q",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"status": "ENRICHED"}),
        ),
        item(
            "S",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"status": "ENRICHED", "createddate": created("2026-10-25")}),
        ),
        plan(
            "PP",
            "P",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"status": "SENDING", "createddate": created("2026-09-01")}),
        ),
        plan(
            "PQ",
            "Q",
            "2026-11-18T10:00:00",
            "2026-11-18",
            json!({"status": "SENDING"}),
        ),
    ]);
    t.setup_and_ingest(AS_OF).await;
    // P's and PP's newer versions have no creation date: nothing can be placed, every partition
    // is read.
    t.write_source(&[
        item(
            "P",
            "2026-11-19T10:00:00",
            "2026-11-19",
            json!({"status": "DELIVERED", "completeddate": "2026-11-19T10:00:00.000Z"}),
        ),
        plan(
            "PP",
            "P",
            "2026-11-19T10:00:00",
            "2026-11-19",
            json!({"status": "DELIVERED", "completeddate": "2026-11-19T10:00:00.000Z"}),
        ),
    ]);
    t.run("ingestion", json!({"asOf": AS_OF})).await;
    // Q's and PQ's stored rows have no creation time; their newer versions do (November), as has
    // S's (October, the run's earliest): the bound is 2026-10-25 and the rows with none are read.
    t.write_source(&[
        item("Q", "2026-11-19T10:00:00", "2026-11-19", json!({"status": "FAILED", "createddate": created("2026-11-17"), "completeddate": "2026-11-19T10:00:00.000Z"})),
        plan("PQ", "Q", "2026-11-19T10:00:00", "2026-11-19", json!({"status": "FAILED", "createddate": created("2026-11-17"), "completeddate": "2026-11-19T10:00:00.000Z"})),
        item("S", "2026-11-19T10:00:00", "2026-11-19", json!({"status": "DELIVERED", "createddate": created("2026-10-25"), "completeddate": "2026-11-19T10:00:00.000Z"})),
    ]);
    t.run("ingestion", json!({"asOf": AS_OF})).await;
    assert_eq!(
        t.select("SELECT requestitemid, status, CAST(CAST(createdtime AS DATE) AS VARCHAR) FROM request_item_status ORDER BY 1"),
        vec![
            vec![s("P"), s("DELIVERED"), None],
            vec![s("Q"), s("FAILED"), s("2026-11-17")],
            vec![s("S"), s("DELIVERED"), s("2026-10-25")],
        ]
    );
    assert_eq!(
        t.select("SELECT requestitemplanid, status FROM request_item_plan_status ORDER BY 1"),
        vec![vec![s("PP"), s("DELIVERED")], vec![s("PQ"), s("FAILED")]]
    );
    // Pass 2 counted the groups the last run changed (created 2026-10-25 and 2026-11-17); P has
    // no creation time now, and its September group was never in the month.
    assert_eq!(
        t.select(
            "SELECT CAST(createddate AS VARCHAR), requestedcount, deliveredcount, failedcount \
             FROM request_item_status_summary ORDER BY 1"
        ),
        vec![
            vec![s("2026-10-25"), s("1"), s("1"), s("0")],
            vec![s("2026-11-17"), s("1"), s("0"), s("1")],
        ]
    );
}

/// Ingests `runs` one after another (each a replacement of the source) into a fresh home and
/// returns the two projections.
async fn ingest_in_runs(
    runs: &[Vec<synthetic_cdc::CdcRow>],
) -> Vec<(String, Vec<Vec<Option<String>>>)> {
    let t = TestHome::new(&[]);
    t.run("setup", json!({})).await;
    for rows in runs {
        t.write_source(rows);
        t.run("ingestion", json!({"asOf": AS_OF})).await;
    }
    t.dump_all()
        .into_iter()
        .filter(|(table, _)| table.ends_with("_status"))
        .collect()
}

async fn exact_ties_are_decided_by_content_whatever_the_arrival_order() {
    // Same timestamp and the same completion state: only the content differs.
    let ts = "2026-11-18T10:00:00";
    let x = item(
        "T",
        ts,
        "2026-11-18",
        json!({"status": "ENRICHED", "nhsnumber": "9990000018"}),
    );
    let y = item(
        "T",
        ts,
        "2026-11-19",
        json!({"status": "PENDING_ENRICHMENT", "nhsnumber": "9990000026"}),
    );
    let done_a = plan(
        "PT",
        "T",
        ts,
        "2026-11-18",
        json!({"status": "DELIVERED", "completeddate": "2026-11-18T10:00:00.000Z"}),
    );
    let done_b = plan(
        "PT",
        "T",
        ts,
        "2026-11-19",
        json!({"status": "FAILED", "completeddate": "2026-11-18T10:00:00.001Z", "failedreason": "x"}),
    );
    let together =
        ingest_in_runs(&[vec![x.clone(), y.clone(), done_a.clone(), done_b.clone()]]).await;
    let reversed_files =
        ingest_in_runs(&[vec![done_b.clone(), y.clone(), done_a.clone(), x.clone()]]).await;
    let x_first = ingest_in_runs(&[
        vec![x.clone(), done_a.clone()],
        vec![y.clone(), done_b.clone()],
    ])
    .await;
    let y_first = ingest_in_runs(&[
        vec![y.clone(), done_b.clone()],
        vec![x.clone(), done_a.clone()],
    ])
    .await;
    assert_eq!(reversed_files, together);
    assert_eq!(x_first, together, "x then y");
    assert_eq!(y_first, together, "y then x");
    for (table, rows) in &together {
        assert_eq!(rows.len(), 1, "{table}");
    }
}

on_both_engines!(
    latest_version_wins_whatever_the_capture_order,
    on_equal_timestamps_the_completed_version_wins,
    older_versions_never_win_newer_ones_do_and_rows_outlive_the_window,
    the_window_is_the_capture_partition_week_up_to_as_of,
    nhs_numbers_are_hashed_with_the_environment_key,
    plan_projection_reads_templates_new_and_legacy,
    client_latest_name_follows_the_latest_created_item,
    plan_summary_counts_distinct_items_null_safely_and_never_goes_down,
    status_summary_counts_and_the_one_way_update_rule,
    aggregates_ignore_projections_created_before_the_month,
    exact_ties_are_decided_by_content_whatever_the_arrival_order,
    a_version_or_a_stored_row_with_no_creation_time_still_finds_its_row,
);
