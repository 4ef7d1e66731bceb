//! The one parameter binder: a catalog query's `?` slots, in order, from the values its caller
//! has. run-query binds with it after checking its input; the property lab and the bench bind
//! with it too, so each runs a query exactly as run-query would.

use crate::catalog::{Param, Query};
use crate::hash_key::Fingerprint;
use crate::ports::QueryParam;
use crate::source_files::FILE_SLOTS;
use crate::CalendarDate;

/// The values a query's slots are bound from; a slot whose value is absent is an error.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bindings<'a> {
    pub as_of: Option<CalendarDate>,
    pub completed_date: Option<CalendarDate>,
    pub client_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub migration_id: Option<&'a str>,
    /// The first capture day a pass-1 query reads (the ingestion plan's).
    pub first_capture_day: Option<CalendarDate>,
    /// The incremental run that claims and reads files; none binds '' (whole capture days).
    pub run: Option<&'a str>,
    /// The run's new source files (at most [`FILE_SLOTS`]); none binds '' in every slot.
    pub source_files: Option<&'a [String]>,
    /// The deployment's pinned hash-key fingerprint, checked against the vault (never the key).
    pub hash_key_fingerprint: Option<&'a Fingerprint>,
    /// The earliest creation day among the run's versions (`ingestion/earliest_created`); none
    /// bounds nothing (every partition is read, as a backfill reads them).
    pub earliest_created: Option<CalendarDate>,
}

impl Bindings<'_> {
    /// The week window ending at `as_of`, as a window run binds it: capture days `as_of` - 1 week
    /// to `as_of`.
    pub fn window(as_of: CalendarDate) -> Self {
        Bindings {
            as_of: Some(as_of),
            first_capture_day: Param::WeekBeforeAsOf.date_for(as_of),
            ..Default::default()
        }
    }
}

/// A slot of the query with no value to bind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query {query} needs {field}")]
pub struct Unbound {
    pub query: &'static str,
    /// The input field the slot is bound from (`asOf`, `clientId`, …, or `the hash key`).
    pub field: &'static str,
}

impl Param {
    /// The input field this slot is bound from.
    pub fn field(self) -> &'static str {
        match self {
            Param::HashKeyFingerprint => "the hash key fingerprint",
            Param::AsOf
            | Param::WeekBeforeAsOf
            | Param::MonthBeforeAsOf
            | Param::HistoryStart
            | Param::FirstCreatedDay => "asOf",
            Param::EarliestCreated => "earliestCreated",
            Param::ClientId => "clientId",
            Param::CompletedDate => "completedDate",
            Param::RequestId => "requestId",
            Param::MigrationId => "migrationId",
            Param::FirstCaptureDay => "firstCaptureDay",
            Param::Run => "run",
            Param::SourceFiles => "sourceFiles",
        }
    }
}

/// The query's parameters, in the order of its `?` markers. [`Param::SourceFiles`] is
/// [`FILE_SLOTS`] markers; more files than that is a caller's error (run-query refuses them first).
pub fn bind(query: &Query, values: &Bindings) -> Result<Vec<QueryParam>, Unbound> {
    let unbound = |slot: &Param| Unbound {
        query: query.id,
        field: slot.field(),
    };
    let text = |v: Option<&str>, slot| {
        v.map(|t| QueryParam::Text(t.to_string()))
            .ok_or_else(|| unbound(slot))
    };
    let date = |v: Option<CalendarDate>, slot| v.map(QueryParam::Date).ok_or_else(|| unbound(slot));
    let files = values.source_files.unwrap_or_default();
    if files.len() > FILE_SLOTS {
        return Err(unbound(&Param::SourceFiles));
    }
    let mut out = Vec::new();
    for slot in query.params {
        if *slot == Param::SourceFiles {
            out.extend(
                (0..FILE_SLOTS)
                    .map(|i| QueryParam::Text(files.get(i).cloned().unwrap_or_default())),
            );
            continue;
        }
        out.push(match slot {
            Param::HashKeyFingerprint => values
                .hash_key_fingerprint
                .map(|f| QueryParam::Text(f.as_str().to_string()))
                .ok_or_else(|| unbound(slot)),
            Param::EarliestCreated => Ok(QueryParam::Date(
                values.earliest_created.unwrap_or_else(Param::history_start),
            )),
            Param::FirstCreatedDay => date(
                values
                    .as_of
                    .and_then(|d| slot.date_for(d))
                    .map(|month_before| {
                        values
                            .earliest_created
                            .map_or(month_before, |earliest| earliest.max(month_before))
                    }),
                slot,
            ),
            s if s.needs_as_of() => date(values.as_of.and_then(|d| s.date_for(d)), slot),
            Param::CompletedDate => date(values.completed_date, slot),
            Param::FirstCaptureDay => date(values.first_capture_day, slot),
            Param::Run => Ok(QueryParam::Text(values.run.unwrap_or_default().to_string())),
            Param::ClientId => text(values.client_id, slot),
            Param::RequestId => text(values.request_id, slot),
            Param::MigrationId => text(values.migration_id, slot),
            _ => unreachable!("every date slot needs asOf"),
        }?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    fn day(text: &str) -> CalendarDate {
        CalendarDate::parse(text).unwrap()
    }

    #[test]
    fn window_slots_are_dates_from_as_of_and_the_key_is_named_by_its_fingerprint() {
        let q = catalog::query("ingestion/request_item_status").unwrap();
        let key = Fingerprint::parse(&"ab".repeat(32)).unwrap();
        let params = bind(
            q,
            &Bindings {
                hash_key_fingerprint: Some(&key),
                ..Bindings::window(day("2026-11-20"))
            },
        )
        .unwrap();
        assert_eq!(
            params[..3],
            [
                QueryParam::Text("AB".repeat(32)),
                QueryParam::Date(day("2026-11-13")),
                QueryParam::Date(day("2026-11-20")),
            ]
        );
        // No run: '' as the run and in every file slot, so the query reads whole capture days;
        // no earliest creation day: the beginning of history, so every partition is read.
        assert_eq!(params.len(), 3 + 1 + FILE_SLOTS + 1 + 2);
        assert!(params[3..3 + 1 + FILE_SLOTS + 1]
            .iter()
            .all(|p| *p == QueryParam::Text(String::new())));
        let start = QueryParam::Date(day("1970-01-01"));
        assert_eq!(params[params.len() - 2..], [start.clone(), start]);
    }

    #[test]
    fn the_earliest_creation_day_bounds_pass_1_and_pass_2_never_counts_past_the_month() {
        let bounded = |id: &str, earliest: Option<&str>| {
            let q = catalog::query(id).unwrap();
            let params = bind(
                q,
                &Bindings {
                    earliest_created: earliest.map(day),
                    ..Bindings::window(day("2026-11-20"))
                },
            )
            .unwrap();
            params.last().cloned().unwrap()
        };
        let plans = "ingestion/request_item_plan_status";
        assert_eq!(
            bounded(plans, Some("2026-11-02")),
            QueryParam::Date(day("2026-11-02"))
        );
        assert_eq!(bounded(plans, None), QueryParam::Date(day("1970-01-01")));
        let summary = "ingestion/request_item_status_summary";
        // The later of asOf - 1 month and the earliest creation day.
        assert_eq!(
            bounded(summary, Some("2026-11-02")),
            QueryParam::Date(day("2026-11-02"))
        );
        assert_eq!(
            bounded(summary, Some("2026-09-30")),
            QueryParam::Date(day("2026-10-20"))
        );
        assert_eq!(bounded(summary, None), QueryParam::Date(day("2026-10-20")));
    }

    #[test]
    fn a_runs_files_fill_the_slots_in_order_and_more_than_the_slots_is_refused() {
        let q = catalog::query("ingestion/claim_source_files").unwrap();
        let files = vec!["s3://b/a".to_string(), "s3://b/c".to_string()];
        let params = bind(
            q,
            &Bindings {
                run: Some("r1"),
                source_files: Some(&files),
                first_capture_day: Some(day("2026-11-13")),
                ..Bindings::window(day("2026-11-20"))
            },
        )
        .unwrap();
        assert_eq!(params[0], QueryParam::Text("r1".into()));
        assert_eq!(
            params[3..5],
            [
                QueryParam::Text(files[0].clone()),
                QueryParam::Text(files[1].clone())
            ]
        );
        assert_eq!(params[5], QueryParam::Text(String::new()));
        assert_eq!(params.len(), 3 + FILE_SLOTS);
        let many = vec!["f".to_string(); FILE_SLOTS + 1];
        let e = bind(
            q,
            &Bindings {
                source_files: Some(&many),
                ..Bindings::window(day("2026-11-20"))
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "sourceFiles");
    }

    #[test]
    fn a_missing_value_names_its_field_and_the_query() {
        let q = catalog::query("ingestion/request_item_status").unwrap();
        let e = bind(q, &Bindings::window(day("2026-11-20"))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "query ingestion/request_item_status needs the hash key fingerprint"
        );
        let key = Fingerprint::parse(&"ab".repeat(32)).unwrap();
        let e = bind(
            q,
            &Bindings {
                as_of: Some(day("2026-11-20")),
                hash_key_fingerprint: Some(&key),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "query ingestion/request_item_status needs firstCaptureDay"
        );
        let report = catalog::query("reports/completed_comms_report").unwrap();
        let e = bind(report, &Bindings::default()).unwrap_err();
        assert_eq!(e.field, report.params[0].field());
    }
}
