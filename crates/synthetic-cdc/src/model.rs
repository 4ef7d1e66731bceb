//! The traffic model: clients → requests → request items → plans, each change one CDC row.

use reporting_core::CalendarDate;
use serde_json::{json, Map, Value};
use utc_time::instant::iso_millis;

use crate::nhs_number;
use crate::rng::Rng;
use crate::{GenerateError, Options};

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// One change-capture row and the day Firehose captured it (its partition).
#[derive(Clone, Debug, PartialEq)]
pub struct CdcRow {
    pub capture_day: CalendarDate,
    pub fields: Map<String, Value>,
}

/// Where generated rows go, in generation order (not capture order).
pub trait RowSink {
    fn push(&mut self, row: CdcRow) -> Result<(), GenerateError>;
    /// Every row captured on `day` or earlier has been pushed: nothing later lands there.
    fn complete_through(&mut self, day: CalendarDate) -> Result<(), GenerateError>;
}

impl RowSink for Vec<CdcRow> {
    fn push(&mut self, row: CdcRow) -> Result<(), GenerateError> {
        Vec::push(self, row);
        Ok(())
    }
    fn complete_through(&mut self, _day: CalendarDate) -> Result<(), GenerateError> {
        Ok(())
    }
}

/// Every row of a history, in memory (small histories: tests and the property lab).
pub struct Generated {
    pub rows: Vec<CdcRow>,
    pub facts: Facts,
}

/// What a generated history holds, besides its rows.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub rows: u64,
    pub request_items: u64,
    pub plans: u64,
    pub batch_client_ids: Vec<String>,
    /// Every client the history has (the SMS-nudge client too).
    pub client_ids: Vec<String>,
    /// The client that sends SMS nudges for other clients' NHS App messages.
    pub sms_nudge_client_id: String,
    /// A client with an email-only sending group (to configure as an email-filter client).
    pub email_filter_client_ids: Vec<String>,
}

/// Columns that Firehose files only carry from the schema-change day on.
pub const LATE_COLUMNS: &[&str] = &[
    "failedreasoncode",
    "specificationid",
    "specificationbillingid",
    "messagelength",
    "messagelengthunits",
    "senderodscode",
    "billingref",
];

/// The first capture day whose files carry [`LATE_COLUMNS`]; also the day templates move from the
/// legacy per-supplier struct to `templateid`.
pub fn schema_change_day(options: &Options) -> CalendarDate {
    first_day(options).add_days(i64::from(options.days / 2))
}

pub fn first_day(options: &Options) -> CalendarDate {
    options.end.add_days(1 - i64::from(options.days))
}

struct Client {
    id: String,
    name: String,
    renamed: String,
    rename_day: i64,
    campaigns: Vec<Option<String>>,
    groups: Vec<SendingGroup>,
    large_batches: bool,
}

struct SendingGroup {
    id: String,
    version: String,
    name: String,
    created: String,
    channels: Vec<&'static str>,
}

const CHANNEL_PLANS: &[&[&str]] = &[
    &["NHSAPP", "SMS", "LETTER"],
    &["EMAIL"],
    &["SMS"],
    &["LETTER"],
    &["NHSAPP", "EMAIL"],
    &["EMAIL", "SMS"],
];
const LETTER_SUPPLIERS: &[&str] = &["MBA", "PRECISIONPROCO", "SYNERTEC"];
const ODS: &[&str] = &["A81001", "B82005", "C84010", "D83002", "Y02494"];

/// The form a few production values were hand-edited into: a space, no zone.
fn hand_edited(ms: i64) -> String {
    iso_millis(ms)
        .replacen('T', " ", 1)
        .trim_end_matches('Z')
        .to_string()
}

fn supplier(channel: &str, rng: &mut Rng) -> &'static str {
    match channel {
        "LETTER" => LETTER_SUPPLIERS[rng.below(LETTER_SUPPLIERS.len() as u64) as usize],
        "NHSAPP" => "NHSAPP",
        _ => "GOVUKNOTIFY",
    }
}

fn make_clients(options: &Options, rng: &mut Rng) -> Vec<Client> {
    (0..options.clients)
        .map(|c| {
            let id = rng.guid();
            let campaigns = vec![
                Some(rng.guid()),
                Some(format!("campaign-{c}-flu")),
                None,
                Some(String::new()),
            ];
            let groups = (0..2)
                .map(|g| SendingGroup {
                    id: rng.guid(),
                    version: format!("{}", 1 + rng.below(3)),
                    name: format!("Client {c} routing {g}"),
                    created: iso_millis(1_700_000_000_000 + rng.below(30 * DAY as u64) as i64),
                    // Client 1's first group sends email only (the email-filter view's case);
                    // the second groups of clients 0 and 2 lead with the NHS App (recipients who
                    // hear from several clients through the app).
                    channels: match rng.pick(CHANNEL_PLANS) {
                        _ if c == 1 && g == 0 => vec!["EMAIL"],
                        _ if c == 0 && g == 1 => vec!["NHSAPP", "SMS", "LETTER"],
                        _ if c == 2 && g == 1 => vec!["NHSAPP", "EMAIL"],
                        channels => channels.to_vec(),
                    },
                })
                .collect();
            Client {
                name: format!("Client {c} NHS Trust"),
                renamed: format!("Client {c} NHS Foundation Trust"),
                rename_day: rng.range(0, i64::from(options.days)),
                id,
                campaigns,
                groups,
                large_batches: c == 0,
            }
        })
        .collect()
}

/// The SMS-nudge client: when an NHS App message is delivered, it may send an SMS nudge. Its
/// items carry the originating message in strings, as production does: billingref
/// `client|campaign|billingref`, requestitemrefid `itemId_planId`.
fn make_nudge_client(rng: &mut Rng) -> Client {
    Client {
        id: rng.guid(),
        name: "NHS Notify SMS nudge".into(),
        renamed: "NHS Notify SMS nudge".into(),
        rename_day: i64::MAX,
        campaigns: vec![None],
        groups: vec![SendingGroup {
            id: rng.guid(),
            version: "1".into(),
            name: "SMS nudge".into(),
            created: iso_millis(1_700_000_000_000),
            channels: vec!["SMS"],
        }],
        large_batches: false,
    }
}

/// What a nudge points back to.
struct Origin<'a> {
    client: &'a Client,
    campaign: &'a Option<String>,
    billingref: &'a Value,
    item_id: &'a str,
    plan_id: &'a str,
    nhsnumber: &'a Value,
}

/// One SMS nudge (item and plan, created to delivered) for an NHS App message sent at `sent`.
fn emit_nudge(out: &mut Emitter, rng: &mut Rng, nudge: &Client, origin: &Origin, sent: i64) {
    let group = &nudge.groups[0];
    let (request_id, item_id, plan_id) = (rng.guid(), rng.guid(), rng.guid());
    let created = sent + rng.range(HOUR, 4 * HOUR);
    let done = created + rng.range(MINUTE, 10 * MINUTE);
    let billingref = format!(
        "{}|{}|{}",
        origin.client.id,
        origin.campaign.clone().unwrap_or_default(),
        origin.billingref.as_str().unwrap_or_default()
    );
    let mut item = Map::new();
    for (k, v) in [
        ("pk", json!(format!("REQUEST#{request_id}"))),
        ("sk", json!(format!("REQUEST_ITEM#{item_id}"))),
        ("clientid", json!(nudge.id)),
        ("clientname", json!(nudge.name)),
        ("sendinggroupid", json!(group.id)),
        ("sendinggroupidversion", json!(group.version)),
        ("sendinggroupname", json!(group.name)),
        ("sendinggroupcreateddate", json!(group.created)),
        ("requestitemid", json!(item_id)),
        (
            "requestitemrefid",
            json!(format!("{}_{}", origin.item_id, origin.plan_id)),
        ),
        ("requestid", json!(request_id)),
        ("requestrefid", json!(format!("nudge-{request_id}"))),
        ("nhsnumber", origin.nhsnumber.clone()),
        ("createddate", json!(iso_millis(created))),
        ("billingref", json!(billingref)),
        ("status", json!("ENRICHED")),
    ] {
        item.insert(k.into(), v);
    }
    out.emit(created, item.clone());
    let mut plan = Map::new();
    for (k, v) in [
        ("pk", json!(format!("REQUEST#{request_id}"))),
        ("sk", json!(format!("REQUEST_ITEM_PLAN#{plan_id}"))),
        ("clientid", json!(nudge.id)),
        ("sendinggroupid", json!(group.id)),
        ("sendinggroupidversion", json!(group.version)),
        ("requestitemrefid", item["requestitemrefid"].clone()),
        ("requestitemid", json!(item_id)),
        ("requestrefid", item["requestrefid"].clone()),
        ("requestid", json!(request_id)),
        ("requestitemplanid", json!(plan_id)),
        ("communicationtype", json!("SMS")),
        ("supplier", json!("GOVUKNOTIFY")),
        ("createddate", json!(iso_millis(created))),
        ("datesent", json!(iso_millis(created + SECOND))),
        ("completeddate", json!(iso_millis(done))),
        ("status", json!("DELIVERED")),
        ("contactdetailsource", json!("PDS")),
        ("channeltype", json!("primary")),
        ("ordernumber", json!(1)),
        ("specificationid", json!("spec-sms")),
        ("specificationbillingid", json!("bill-sms")),
        ("messagelength", json!(1)),
        ("messagelengthunits", json!("FRAGMENTS")),
        ("senderodscode", json!("X26")),
    ] {
        plan.insert(k.into(), v);
    }
    out.emit(done, plan);
    item.insert("status".into(), json!("DELIVERED"));
    item.insert("completeddate".into(), json!(iso_millis(done)));
    item.insert("completedcommunicationtypes".into(), json!(["SMS"]));
    item.insert("failedcommunicationtypes".into(), json!([]));
    out.emit(done + 100, item);
}

struct Emitter<'a> {
    sink: &'a mut dyn RowSink,
    rng: Rng,
    last_day: i64,
    rows: u64,
    /// The sink's first error; generation stops at the end of the day.
    failed: Option<GenerateError>,
}

impl Emitter<'_> {
    /// One version of an object, captured a little later (sometimes days later); versions
    /// captured after the last day are not there yet.
    fn emit(&mut self, ts: i64, fields: Map<String, Value>) {
        let delay = if self.rng.chance(0.02) {
            self.rng.range(DAY, 3 * DAY)
        } else {
            self.rng.range(SECOND, 2 * MINUTE)
        };
        let capture_day = CalendarDate::from_unix_millis(ts + delay);
        if capture_day.to_days() > self.last_day {
            return;
        }
        let mut fields = fields;
        fields.insert("$classification".into(), json!({"timestamp": ts}));
        let row = CdcRow {
            capture_day,
            fields,
        };
        let duplicate = self.rng.chance(0.01).then(|| row.clone());
        for row in std::iter::once(row).chain(duplicate) {
            if self.failed.is_none() {
                self.rows += 1;
                if let Err(e) = self.sink.push(row) {
                    self.failed = Some(e);
                }
            }
        }
    }
}

/// Builds every row of the history, in memory.
pub fn generate_rows(options: &Options) -> Generated {
    let mut rows = Vec::new();
    let facts = generate_into(options, &mut rows).expect("a Vec sink never fails");
    Generated { rows, facts }
}

/// Generates the history day by day into `sink`, telling it when a capture day is complete, so
/// a history of any size streams through bounded memory.
pub fn generate_into(options: &Options, sink: &mut dyn RowSink) -> Result<Facts, GenerateError> {
    let root = Rng::new(options.seed);
    let mut rng = root.fork(1);
    let clients = make_clients(options, &mut root.fork(2));
    let nudge = make_nudge_client(&mut root.fork(4));
    let mut nudges = root.fork(5);
    // Whether a large batch may have stuck items: most batches of the batch client complete
    // whole (so the completed-batch report has batches to report); a quarter may not. Its own
    // stream, so the rest of the history is what it was.
    let mut batch_luck = root.fork(6);
    let first = first_day(options).to_days();
    let switch_day = schema_change_day(options).to_days();
    let mut out = Emitter {
        sink,
        rng: root.fork(3),
        last_day: options.end.to_days(),
        rows: 0,
        failed: None,
    };
    let first_recent = options.end.to_days() + 1 - i64::from(options.recent_days);
    let (mut item_count, mut plan_count, mut patient) = (0u64, 0u64, 0u64);

    for day in first..first + i64::from(options.days) {
        let items_today = if day >= first_recent {
            options.recent_items_per_day
        } else {
            options.items_per_day
        };
        let mut created_today = 0u32;
        while created_today < items_today {
            let client = &clients[rng.below(clients.len() as u64) as usize];
            let group = rng.pick(&client.groups);
            let campaign = rng.pick(&client.campaigns).clone();
            let request_id = rng.guid();
            let request_ref = format!("ref-{}", rng.below(1_000_000_000));
            let batch = if client.large_batches {
                rng.range(20, 120)
            } else {
                rng.range(1, 8)
            } as u32;
            let batch = batch.min(items_today - created_today);
            created_today += batch;
            let may_stick = !client.large_batches || batch_luck.chance(0.25);
            let t_request = day * DAY + rng.range(6 * HOUR, 20 * HOUR);
            let client_name = if day - first >= client.rename_day {
                &client.renamed
            } else {
                &client.name
            };

            let mut request = Map::new();
            request.insert("pk".into(), json!(format!("REQUEST#{request_id}")));
            request.insert("sk".into(), json!(format!("REQUEST#{request_id}")));
            request.insert("clientid".into(), json!(client.id));
            request.insert("requestid".into(), json!(request_id));
            request.insert("status".into(), json!("ACCEPTED"));
            out.emit(t_request, request);

            for _ in 0..batch {
                item_count += 1;
                patient += 1 + rng.below(3);
                // A fifth of the messages go to a small set of frequent recipients (the heavy
                // and multi-client cases of the recipient views).
                let recipient = if rng.chance(0.2) {
                    200_000 + rng.below(50)
                } else {
                    patient % 200_000
                };
                let item_id = rng.guid();
                let t0 = t_request + rng.range(0, 30 * SECOND);
                let late_schema = day >= switch_day;
                let mut item = Map::new();
                for (k, v) in [
                    ("pk", json!(format!("REQUEST#{request_id}"))),
                    ("sk", json!(format!("REQUEST_ITEM#{item_id}"))),
                    ("clientid", json!(client.id)),
                    ("clientname", json!(client_name)),
                    ("campaignid", json!(campaign)),
                    ("sendinggroupid", json!(group.id)),
                    ("sendinggroupidversion", json!(group.version)),
                    ("sendinggroupname", json!(group.name)),
                    ("sendinggroupcreateddate", json!(group.created)),
                    ("requestitemid", json!(item_id)),
                    (
                        "requestitemrefid",
                        json!(format!("item-ref-{}", rng.below(1_000_000_000))),
                    ),
                    ("requestid", json!(request_id)),
                    ("requestrefid", json!(request_ref)),
                    ("nhsnumber", json!(nhs_number::synthetic(recipient))),
                    ("createddate", json!(iso_millis(t0))),
                    ("completeddate", Value::Null),
                    ("patientodscode", json!(rng.pick(ODS))),
                    (
                        "billingref",
                        if late_schema {
                            json!(format!("BILL-{}", rng.below(20)))
                        } else {
                            Value::Null
                        },
                    ),
                    ("status", json!("PENDING_ENRICHMENT")),
                ] {
                    item.insert(k.into(), v);
                }
                out.emit(t0, item.clone());
                if rng.chance(0.01) && may_stick {
                    continue; // stuck before enrichment
                }
                let t1 = t0 + rng.range(SECOND, MINUTE);
                item.insert("status".into(), json!("ENRICHED"));
                out.emit(t1, item.clone());
                if rng.chance(0.01) && may_stick {
                    continue; // stuck enriched
                }

                let (mut t, mut delivered, mut failed) =
                    (t1, Vec::<&str>::new(), Vec::<&str>::new());
                let mut last_failure: Option<(String, String)> = None;
                let mut stuck = false;
                for (order, channel) in group.channels.iter().enumerate() {
                    plan_count += 1;
                    let plan_id = rng.guid();
                    let sup = supplier(channel, &mut rng);
                    let template = rng.guid();
                    let plan_created = t + rng.range(100, 5 * SECOND);
                    let legacy_templates = plan_created / DAY < switch_day;
                    let mut plan = Map::new();
                    for (k, v) in [
                        ("pk", json!(format!("REQUEST#{request_id}"))),
                        ("sk", json!(format!("REQUEST_ITEM_PLAN#{plan_id}"))),
                        ("clientid", json!(client.id)),
                        ("campaignid", json!(campaign)),
                        ("sendinggroupid", json!(group.id)),
                        ("sendinggroupidversion", json!(group.version)),
                        ("requestitemrefid", item["requestitemrefid"].clone()),
                        ("requestitemid", json!(item_id)),
                        ("requestrefid", json!(request_ref)),
                        ("requestid", json!(request_id)),
                        ("requestitemplanid", json!(plan_id)),
                        ("communicationtype", json!(channel)),
                        ("supplier", json!(sup)),
                        ("createddate", json!(iso_millis(plan_created))),
                        ("completeddate", Value::Null),
                        ("datesent", Value::Null),
                        ("status", json!("PENDING")),
                        (
                            "contactdetailsource",
                            json!(if rng.chance(0.1) { "OVERRIDE" } else { "PDS" }),
                        ),
                        (
                            "channeltype",
                            json!(if order == 0 || rng.chance(0.9) {
                                "primary"
                            } else {
                                "secondary"
                            }),
                        ),
                        ("ordernumber", json!(order + 1)),
                        ("recipientcontactid", json!(rng.guid())),
                        ("templateid", Value::Null),
                        (
                            "specificationid",
                            if late_schema {
                                json!(format!("spec-{}", channel.to_lowercase()))
                            } else {
                                Value::Null
                            },
                        ),
                        (
                            "specificationbillingid",
                            if late_schema {
                                json!(format!("bill-{}", channel.to_lowercase()))
                            } else {
                                Value::Null
                            },
                        ),
                        (
                            "messagelength",
                            if late_schema && *channel == "SMS" {
                                json!(rng.range(1, 4))
                            } else {
                                Value::Null
                            },
                        ),
                        (
                            "messagelengthunits",
                            if late_schema && *channel == "SMS" {
                                json!("FRAGMENTS")
                            } else {
                                Value::Null
                            },
                        ),
                        (
                            "senderodscode",
                            if late_schema {
                                json!(rng.pick(ODS))
                            } else {
                                Value::Null
                            },
                        ),
                    ] {
                        plan.insert(k.into(), v);
                    }
                    out.emit(plan_created, plan.clone());
                    // The template is known once the plan is routed: NULL first, then set.
                    if legacy_templates {
                        plan.insert(
                            "templates".into(),
                            json!({"suppliers": {sup.to_lowercase(): template}}),
                        );
                    } else {
                        plan.insert("templateid".into(), json!(template));
                    }
                    if *channel == "NHSAPP" && rng.chance(0.3) {
                        let done = plan_created + rng.range(100, 2 * SECOND);
                        plan.insert("status".into(), json!("SKIPPED"));
                        plan.insert("completeddate".into(), json!(iso_millis(done)));
                        out.emit(done, plan);
                        t = done;
                        continue;
                    }
                    let sent = plan_created + rng.range(SECOND, MINUTE);
                    plan.insert("status".into(), json!("SENDING"));
                    plan.insert("datesent".into(), json!(iso_millis(sent)));
                    out.emit(sent, plan.clone());
                    if rng.chance(0.03) && may_stick {
                        stuck = true;
                        break;
                    }
                    let done = sent
                        + match *channel {
                            "LETTER" => rng.range(DAY, 3 * DAY),
                            "NHSAPP" => rng.range(MINUTE, 6 * HOUR),
                            _ => rng.range(SECOND, 10 * MINUTE),
                        };
                    plan.insert("completeddate".into(), json!(iso_millis(done)));
                    t = done;
                    if rng.chance(0.85) {
                        plan.insert("status".into(), json!("DELIVERED"));
                        if *channel == "NHSAPP" && nudges.chance(0.25) {
                            let origin = Origin {
                                client,
                                campaign: &campaign,
                                billingref: &item["billingref"],
                                item_id: &item_id,
                                plan_id: &plan_id,
                                nhsnumber: &item["nhsnumber"],
                            };
                            emit_nudge(&mut out, &mut nudges, &nudge, &origin, sent);
                        }
                        out.emit(done, plan);
                        delivered.push(channel);
                        break;
                    }
                    let permanent = rng.chance(0.5);
                    let reason = format!(
                        "{} delivery failure - {}",
                        channel,
                        if permanent { "PERMANENT" } else { "TEMPORARY" }
                    );
                    let code = format!("CM_{}_{}", channel, if permanent { "P01" } else { "T01" });
                    plan.insert("status".into(), json!("FAILED"));
                    plan.insert("failedreason".into(), json!(reason));
                    plan.insert(
                        "failedreasoncode".into(),
                        if late_schema {
                            json!(code)
                        } else {
                            Value::Null
                        },
                    );
                    out.emit(done, plan);
                    failed.push(channel);
                    last_failure = Some((reason, code));
                }
                if stuck {
                    continue;
                }
                // The item completes; sometimes at exactly the timestamp of its previous version,
                // so only the completion tie-break decides between the two.
                let t_done = if rng.chance(0.05) {
                    t1
                } else {
                    t + rng.range(0, 500)
                };
                let completed = if rng.chance(0.005) {
                    hand_edited(t)
                } else {
                    iso_millis(t)
                };
                item.insert("completeddate".into(), json!(completed));
                item.insert("completedcommunicationtypes".into(), json!(delivered));
                item.insert("failedcommunicationtypes".into(), json!(failed));
                if delivered.is_empty() {
                    item.insert("status".into(), json!("FAILED"));
                    let (reason, code) =
                        last_failure.unwrap_or(("No channel available".into(), "CM_NONE".into()));
                    item.insert("failedreason".into(), json!(reason));
                    item.insert(
                        "failedreasoncode".into(),
                        if late_schema {
                            json!(code)
                        } else {
                            Value::Null
                        },
                    );
                } else {
                    item.insert("status".into(), json!("DELIVERED"));
                }
                out.emit(t_done, item);
            }
        }
        if let Some(e) = out.failed.take() {
            return Err(e);
        }
        // Versions are captured at or after their change, so this day's partition is final.
        out.sink.complete_through(CalendarDate::from_days(day))?;
    }
    let client_ids = clients
        .iter()
        .chain([&nudge])
        .map(|c| c.id.clone())
        .collect();
    let email_filter_client_ids = clients
        .iter()
        .skip(1)
        .take(1)
        .map(|c| c.id.clone())
        .collect();
    let batch_client_ids = clients
        .iter()
        .filter(|c| c.large_batches)
        .map(|c| c.id.clone())
        .collect();
    Ok(Facts {
        rows: out.rows,
        request_items: item_count,
        plans: plan_count,
        batch_client_ids,
        client_ids,
        sms_nudge_client_id: nudge.id,
        email_filter_client_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            out: "unused".into(),
            end: CalendarDate::parse("2026-11-20").unwrap(),
            days: 6,
            items_per_day: 300,
            clients: 3,
            seed: 42,
            recent_days: 0,
            recent_items_per_day: 0,
        }
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = generate_rows(&options());
        let b = generate_rows(&options());
        assert_eq!(a.rows, b.rows);
        let c = generate_rows(&Options {
            seed: 43,
            ..options()
        });
        assert_ne!(a.rows, c.rows);
    }

    #[test]
    fn has_the_messiness_of_real_capture() {
        let g = generate_rows(&options());
        assert_eq!(g.facts.request_items, 1800);
        assert_eq!(g.facts.rows, g.rows.len() as u64);
        let ts = |r: &CdcRow| r.fields["$classification"]["timestamp"].as_i64().unwrap();
        let sk = |r: &CdcRow| r.fields["sk"].as_str().unwrap().to_string();
        // Duplicates: identical rows.
        let mut seen = std::collections::HashSet::new();
        let dups = g
            .rows
            .iter()
            .filter(|r| !seen.insert(serde_json::to_string(&r.fields).unwrap()))
            .count();
        assert!(dups > 10, "{dups} duplicate rows");
        // Equal timestamps between different versions of one object.
        let mut by_key = std::collections::HashMap::<(String, i64), Vec<&CdcRow>>::new();
        for r in &g.rows {
            by_key.entry((sk(r), ts(r))).or_default().push(r);
        }
        assert!(
            by_key
                .values()
                .any(|v| v.iter().any(|r| r.fields != v[0].fields)),
            "a tie between different versions"
        );
        // Late arrivals: captured at least a day after the change.
        assert!(g
            .rows
            .iter()
            .any(|r| r.capture_day.to_days() > CalendarDate::from_unix_millis(ts(r)).to_days()));
        // Hand-edited completion dates and every terminal status.
        assert!(g.rows.iter().any(|r| r
            .fields
            .get("completeddate")
            .and_then(|v| v.as_str())
            .is_some_and(|s| s.len() > 10 && &s[10..11] == " ")));
        for status in [
            "DELIVERED",
            "FAILED",
            "SKIPPED",
            "ENRICHED",
            "PENDING_ENRICHMENT",
            "SENDING",
        ] {
            assert!(
                g.rows.iter().any(|r| r.fields["status"] == status),
                "{status}"
            );
        }
        // NHS numbers: only valid 999-range numbers.
        for r in &g.rows {
            if let Some(n) = r.fields.get("nhsnumber").and_then(|v| v.as_str()) {
                assert!(n.starts_with("999") && nhs_number::is_valid(n), "{n}");
            }
        }
        // Fallbacks: plans beyond ordernumber 1.
        assert!(g
            .rows
            .iter()
            .any(|r| r.fields.get("ordernumber") == Some(&json!(2))));
    }
}
