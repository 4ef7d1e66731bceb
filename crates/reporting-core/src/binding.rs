//! The one parameter binder: a catalog query's `?` slots, in order, from the values its caller
//! has. run-query binds with it after checking its input; the property lab and the bench bind
//! with it too, so each runs a query exactly as run-query would.

use crate::catalog::{Param, Query};
use crate::ports::QueryParam;
use crate::{CalendarDate, Secret};

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
    /// The capture day the watermarks move to.
    pub complete_through: Option<CalendarDate>,
    pub hash_key: Option<&'a Secret>,
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
            Param::HashKey => "the hash key",
            Param::AsOf | Param::WeekBeforeAsOf | Param::MonthBeforeAsOf | Param::HistoryStart => {
                "asOf"
            }
            Param::ClientId => "clientId",
            Param::CompletedDate => "completedDate",
            Param::RequestId => "requestId",
            Param::MigrationId => "migrationId",
            Param::FirstCaptureDay => "firstCaptureDay",
            Param::CompleteThrough => "completeThrough",
        }
    }
}

/// The query's parameters, in the order of its `?` markers.
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
    query
        .params
        .iter()
        .map(|slot| match slot {
            Param::HashKey => values
                .hash_key
                .map(|k| QueryParam::Secret(k.clone()))
                .ok_or_else(|| unbound(slot)),
            s if s.needs_as_of() => date(values.as_of.and_then(|d| s.date_for(d)), slot),
            Param::CompletedDate => date(values.completed_date, slot),
            Param::FirstCaptureDay => date(values.first_capture_day, slot),
            Param::CompleteThrough => date(values.complete_through, slot),
            Param::ClientId => text(values.client_id, slot),
            Param::RequestId => text(values.request_id, slot),
            Param::MigrationId => text(values.migration_id, slot),
            _ => unreachable!("every date slot needs asOf"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    fn day(text: &str) -> CalendarDate {
        CalendarDate::parse(text).unwrap()
    }

    #[test]
    fn window_slots_are_dates_from_as_of_and_the_key_is_a_secret() {
        let q = catalog::query("ingestion/request_item_status").unwrap();
        let key = Secret::new("k");
        let params = bind(
            q,
            &Bindings {
                hash_key: Some(&key),
                ..Bindings::window(day("2026-11-20"))
            },
        )
        .unwrap();
        assert_eq!(
            params,
            vec![
                QueryParam::Secret(key),
                QueryParam::Date(day("2026-11-13")),
                QueryParam::Date(day("2026-11-20")),
            ]
        );
    }

    #[test]
    fn a_missing_value_names_its_field_and_the_query() {
        let q = catalog::query("ingestion/request_item_status").unwrap();
        let e = bind(q, &Bindings::window(day("2026-11-20"))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "query ingestion/request_item_status needs the hash key"
        );
        let key = Secret::new("k");
        let e = bind(
            q,
            &Bindings {
                as_of: Some(day("2026-11-20")),
                hash_key: Some(&key),
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
