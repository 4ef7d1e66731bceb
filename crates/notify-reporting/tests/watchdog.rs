//! The watchdog end to end: staging rows built to hold a known number of overdue and stuck
//! things per client and campaign, the real state machine, and the metrics it publishes.

mod common;

use common::*;
use serde_json::json;

/// The reference date: Friday 20 November 2026. Ages are against its midnight (UTC).
const D: &str = "2026-11-20";

fn at(days_before: i64, time: &str) -> String {
    let day = reporting_core::CalendarDate::parse(D)
        .unwrap()
        .add_days(-days_before);
    format!("TIMESTAMP '{day} {time}'")
}

fn plan(
    client: &str,
    campaign: &str,
    id: &str,
    order: u32,
    channel: &str,
    created: &str,
    status: &str,
) -> String {
    format!(
        "INSERT INTO request_item_plan_status (clientid, campaignid, requestitemplanid, ordernumber, communicationtype, createdtime, status) \
         VALUES ('{client}', {campaign}, '{id}', {order}, '{channel}', {created}, '{status}');\n"
    )
}

fn item(
    client: &str,
    campaign: &str,
    id: &str,
    request: &str,
    created: &str,
    status: &str,
) -> String {
    format!(
        "INSERT INTO request_item_status (clientid, campaignid, requestitemid, requestid, createdtime, status) \
         VALUES ('{client}', {campaign}, '{id}', '{request}', {created}, '{status}');\n"
    )
}

/// A first send of client A, campaign K2, on `day` at 10:00 UTC (London business hours in
/// November), sent `latency` seconds later, through `group` and `channel`.
fn send(id: &str, days_before: i64, latency: u32, group: &str, channel: &str) -> String {
    let start = at(days_before, "10:00:00");
    format!(
        "INSERT INTO request_item_status (clientid, campaignid, requestitemid, requestid, createdtime, status) \
         VALUES ('A', 'K2', 'L{id}', 'LR{id}', {start}, 'DELIVERED');\n\
         INSERT INTO request_item_plan_status (clientid, campaignid, sendinggroupid, communicationtype, requestid, requestitemid, requestitemplanid, ordernumber, channeltype, createdtime, sendtime, status) \
         VALUES ('A', 'K2', '{group}', '{channel}', 'LR{id}', 'L{id}', 'LP{id}', 1, 'primary', {start}, {start} + INTERVAL '{latency}' SECOND, 'DELIVERED');\n"
    )
}

fn history() -> String {
    let k1 = "'K1'";
    let mut sql = String::new();
    // Overdue plans, A/K1: P1 (app, 5 days), P4 (letter, 8 days), P6 (second plan, 11 days),
    // P8 (any plan, 15 days): 4. Not: P2 (app, 3 days), P3 (letter, 5 days), P5 (second, 9 days),
    // P7 (third, 13 days), P9 (delivered), P10 (over 90 days).
    for (id, order, channel, days, status) in [
        ("P1", 1, "NHSAPP", 5, "SENDING"),
        ("P2", 1, "NHSAPP", 3, "SENDING"),
        ("P3", 1, "LETTER", 5, "SENDING"),
        ("P4", 1, "LETTER", 8, "PENDING"),
        ("P5", 2, "SMS", 9, "SENDING"),
        ("P6", 2, "EMAIL", 11, "SENDING"),
        ("P7", 3, "SMS", 13, "SENDING"),
        ("P8", 3, "SMS", 15, "SENDING"),
        ("P9", 1, "SMS", 20, "DELIVERED"),
        ("P10", 1, "EMAIL", 100, "SENDING"),
    ] {
        sql.push_str(&plan(
            "A",
            k1,
            id,
            order,
            channel,
            &at(days, "09:00:00"),
            status,
        ));
    }
    // A with no campaign (NULL and '' are both N/A): one second past 4 days is overdue; exactly
    // 4 days is not. B: nothing overdue, still a series.
    sql.push_str(&plan(
        "A",
        "NULL",
        "Q1",
        1,
        "SMS",
        &at(5, "23:59:59"),
        "SENDING",
    ));
    sql.push_str(&plan(
        "A",
        "''",
        "Q2",
        1,
        "SMS",
        &at(4, "00:00:00"),
        "SENDING",
    ));
    sql.push_str(&plan(
        "B",
        "NULL",
        "Q3",
        1,
        "EMAIL",
        &at(1, "09:00:00"),
        "SENDING",
    ));

    // Stuck items, A/K1: I1 (enriched 7 days), I3 (pending 3 days), I8 (enriched 20 days): 3.
    // Overdue requests, A/K1: R2 (I7 delivered, I8 still enriched, 20 days): 1. R1 is complete,
    // R3 (I1) is under 2 weeks old, and R7 is not overdue: its date is its earliest item's
    // (I10, 100 days ago, past the 90 days), however recent I11 is (as in the running system).
    for (id, request, days, status) in [
        ("I1", "R3", 7, "ENRICHED"),
        ("I2", "R4", 5, "ENRICHED"),
        ("I3", "R5", 3, "PENDING_ENRICHMENT"),
        ("I4", "R6", 1, "PENDING_ENRICHMENT"),
        ("I5", "R1", 30, "DELIVERED"),
        ("I6", "R1", 30, "FAILED"),
        ("I7", "R2", 20, "DELIVERED"),
        ("I8", "R2", 20, "ENRICHED"),
        ("I10", "R7", 100, "DELIVERED"),
        ("I11", "R7", 20, "SENDING"),
    ] {
        sql.push_str(&item("A", k1, id, request, &at(days, "09:00:00"), status));
    }
    sql.push_str(&item(
        "B",
        "NULL",
        "I9",
        "R9",
        &at(2, "09:00:00"),
        "DELIVERED",
    ));

    // Outstanding items from the summary, A/K1: 3 (20 days); 5 (10 days) is too recent and 7
    // (100 days) too old. B: 0.
    for (client, campaign, days, outstanding) in [
        ("A", k1, 20, 3),
        ("A", k1, 10, 5),
        ("A", k1, 100, 7),
        ("B", "NULL", 30, 0),
    ] {
        let day = reporting_core::CalendarDate::parse(D)
            .unwrap()
            .add_days(-days);
        sql.push_str(&format!(
            "INSERT INTO request_item_status_summary (clientid, campaignid, createddate, outstandingcount) VALUES ('{client}', {campaign}, DATE '{day}', {outstanding});\n"
        ));
    }

    // Latency, A/K2: through G1 by email, a minute all month and ten minutes today: degraded.
    // Through G2 by SMS, a minute all month and today: not.
    for (i, days) in [18, 17, 16, 11, 10, 9, 4, 3].iter().enumerate() {
        sql.push_str(&send(&format!("e{i}"), *days, 60, "G1", "EMAIL"));
        sql.push_str(&send(&format!("s{i}"), *days, 60, "G2", "SMS"));
    }
    sql.push_str(&send("et", 0, 600, "G1", "EMAIL"));
    sql.push_str(&send("st", 0, 60, "G2", "SMS"));
    sql
}

fn expected() -> Metrics {
    let mut e = Metrics::new();
    let mut put = |metric: &str, client: &str, campaign: &str, v: f64| {
        e.insert((metric.into(), client.into(), campaign.into()), v);
    };
    for (client, campaign, v) in [
        ("A", "K1", 4.0),
        ("A", "N/A", 1.0),
        ("B", "N/A", 0.0),
        ("A", "K2", 0.0),
    ] {
        put("OverdueRequestItemPlansCount", client, campaign, v);
    }
    for (client, campaign, v) in [("A", "K1", 3.0), ("B", "N/A", 0.0), ("A", "K2", 0.0)] {
        put("StuckRequestItemsCount", client, campaign, v);
    }
    for (client, campaign, v) in [("A", "K1", 1.0), ("B", "N/A", 0.0), ("A", "K2", 0.0)] {
        put("OverdueRequestsCount", client, campaign, v);
    }
    for (client, campaign, v) in [("A", "K1", 3.0), ("B", "N/A", 0.0)] {
        put("OverdueRequestItemsCount", client, campaign, v);
    }
    put("DegradedLatenciesCount", "A", "K2", 1.0);
    e
}

async fn home() -> TestHome {
    let t = TestHome::new(&[]);
    t.pin_today(D);
    t.run("setup", json!({})).await;
    t.exec(&history());
    t
}

async fn the_published_values_are_the_counts_built_into_the_history() {
    let t = home().await;
    let run = t.run("watchdog", json!({"asOf": D})).await;
    assert_eq!(t.metrics(), expected());
    let checks = run.output["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 5);
    assert!(checks.iter().all(|c| c["rejected"] == json!([])));
}

async fn throttled_metric_puts_are_resumed_without_duplicates() {
    let t = home().await;
    t.configure(|c| c.faults.metrics_throttled = 2);
    t.run("watchdog", json!({"asOf": D})).await;
    let lines = std::fs::read_to_string(t.home.metrics_file()).unwrap();
    assert_eq!(lines.lines().count(), expected().len(), "each datum once");
    assert_eq!(t.metrics(), expected());
}

async fn publishing_gives_up_after_five_attempts_and_says_so() {
    let t = home().await;
    t.configure(|c| c.faults.metrics_throttled = 4);
    t.run("watchdog", json!({"asOf": D})).await;
    assert_eq!(
        t.metrics(),
        expected(),
        "4 interruptions: the fifth attempt publishes"
    );

    // Five throttled puts: the first check's publishing gives up; it fails alone, the other
    // checks publish theirs, and the run fails at the end naming it.
    let t = home().await;
    t.configure(|c| c.faults.metrics_throttled = 5);
    let (error, cause) = t.run_failure("watchdog", json!({"asOf": D})).await;
    assert_eq!(error, "Retryable.Throttled");
    assert!(
        cause.starts_with("1 of 5 watchdog checks failed; the others published their metrics")
            && cause.contains("interrupted on all 5 attempts"),
        "{cause}"
    );
    assert!(cause.contains("Rate exceeded"), "the last error: {cause}");
    let published = t.metrics();
    let all = expected();
    let metric_names = |m: &Metrics| {
        m.keys()
            .map(|(metric, _, _)| metric.clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    let failed: Vec<String> = metric_names(&all)
        .difference(&metric_names(&published))
        .cloned()
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "one check's metrics are missing: {published:?}"
    );
    for (key, value) in &published {
        assert_eq!(all.get(key), Some(value), "{key:?}");
    }
    assert_eq!(
        published.len(),
        all.keys().filter(|(m, _, _)| *m != failed[0]).count()
    );
}

/// A check whose query fails (its SQL, here) fails alone: the other four publish, and the run
/// names the failed check and its query's error.
async fn a_failing_check_does_not_stop_the_others() {
    let t = home().await;
    t.configure(|c| c.faults.failing_query = Some("watchdog/stuck_request_items".into()));
    let (error, cause) = t.run_failure("watchdog", json!({"asOf": D})).await;
    assert_eq!(error, "Query.Failed", "{cause}");
    assert!(
        cause.starts_with("1 of 5 watchdog checks failed")
            && cause.contains("watchdog/stuck_request_items"),
        "{cause}"
    );
    let published = t.metrics();
    assert!(published
        .keys()
        .all(|(m, _, _)| m != "StuckRequestItemsCount"));
    let others = expected()
        .into_iter()
        .filter(|((m, _, _), _)| m != "StuckRequestItemsCount")
        .collect::<Metrics>();
    assert_eq!(published, others);
}

on_both_engines!(
    the_published_values_are_the_counts_built_into_the_history,
    throttled_metric_puts_are_resumed_without_duplicates,
    publishing_gives_up_after_five_attempts_and_says_so,
    a_failing_check_does_not_stop_the_others,
);
