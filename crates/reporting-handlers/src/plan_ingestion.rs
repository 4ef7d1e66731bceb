//! An ingestion run's plan: which capture days each pass-1 query reads, and where the capture
//! watermarks move once the run has committed. run-query's `plan-ingestion` action, after the
//! machine has read the watermarks (`ingestion/watermarks`).
//!
//! - **incremental** (the default, what the schedules run): each pass-1 query reads the capture
//!   days after its watermark, through the day the run started. A run that succeeds moves every
//!   watermark to the last capture day that was complete when it started: a day is complete
//!   [`SETTLE_MILLIS`] after it ends, once Firehose has delivered its last buffer. Complete days
//!   are read once; only the newest, still-growing days are read again. With no watermark yet, or
//!   one older than [`CATCH_UP_DAYS`], the query reads the week window instead, and the plan says so.
//! - **window** (`{"mode": "window", "asOf": …}`, or just `{"asOf": …}`): the week window ending
//!   at asOf, as before; the watermarks are neither read into the plan nor moved.
//!
//! Why reading less changes nothing but the cost: the projections' MERGEs are idempotent, order
//! independent and one-way, so ingesting the versions in any split gives what one run over all of
//! them gives; a run reads every version that arrived since the last successful run began.

use reporting_core::binding::Bindings;
use reporting_core::catalog::{self, Param};
use reporting_core::instant::{iso_millis, parse_iso_millis};
use reporting_core::{CalendarDate, HandlerError};
use serde::{Deserialize, Serialize};

/// A capture day is complete this long after it ends (UTC): Firehose's buffer interval (at most
/// 900 s) and room for its delivery retries.
pub const SETTLE_MILLIS: i64 = 3_600_000;

/// A watermark older than this many days is not caught up from: the query reads the week window
/// and the plan asks for a backfill (the source may have expired the days between).
pub const CATCH_UP_DAYS: i64 = 31;

/// The catalog query that moves the watermarks.
pub const ADVANCE_QUERY: &str = "ingestion/advance_watermarks";

/// How an ingestion run chooses the capture days it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IngestionMode {
    Incremental,
    Window,
}

/// The ingestion machine's execution input.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngestionInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<IngestionMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

impl IngestionInput {
    /// The mode and the reference date of a run that started on `today` (UTC). An `asOf` without
    /// a mode is a window run (the input before modes existed); an incremental run takes none.
    pub fn resolve(
        &self,
        today: CalendarDate,
    ) -> Result<(IngestionMode, CalendarDate), HandlerError> {
        let as_of = self
            .as_of
            .as_deref()
            .map(|t| {
                CalendarDate::parse(t).map_err(|e| HandlerError::invalid(format!("asOf: {e}")))
            })
            .transpose()?;
        match (self.mode, as_of) {
            (Some(IngestionMode::Incremental), Some(_)) => Err(HandlerError::invalid(
                "asOf: an incremental run reads up to the time it starts; give \"mode\": \"window\" to ingest the week up to a date",
            )),
            (Some(IngestionMode::Incremental), None) => Ok((IngestionMode::Incremental, today)),
            (None, None) => Ok((IngestionMode::Incremental, today)),
            (_, as_of) => Ok((IngestionMode::Window, as_of.unwrap_or(today))),
        }
    }
}

/// One row of `ingestion/watermarks`, as the probe hands it on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatermarkRow {
    pub query: String,
    pub completethrough: Option<String>,
}

impl WatermarkRow {
    /// The rows of `ingestion/watermarks` as an engine returns them, by position (query,
    /// completethrough): for callers that run the probe themselves (the bench, the lab).
    pub fn from_positional(rows: &[Vec<Option<String>>]) -> Vec<WatermarkRow> {
        rows.iter()
            .filter_map(|r| {
                Some(WatermarkRow {
                    query: r.first()?.clone()?,
                    completethrough: r.get(1).cloned().flatten(),
                })
            })
            .collect()
    }
}

/// run-query's `plan-ingestion` action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanIngestion {
    pub action: PlanIngestionAction,
    /// The execution input (`$$.Execution.Input`).
    pub input: IngestionInput,
    /// When the execution started (`$$.Execution.StartTime`), ISO-8601 UTC.
    pub started_at: String,
    /// The watermark probe's rows.
    pub watermarks: Vec<WatermarkRow>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanIngestionAction {
    #[serde(rename = "plan-ingestion")]
    PlanIngestion,
}

/// What one pass-1 query reads: capture days `firstCaptureDay` to the plan's `asOf`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlannedRead {
    pub query: String,
    pub first_capture_day: String,
}

/// The watermark move a successful incremental run makes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WatermarkAdvance {
    pub query: String,
    pub complete_through: String,
}

/// The plan, as the ingestion machine carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngestionPlan {
    pub mode: IngestionMode,
    /// The last capture day read, and pass 2's reference date.
    pub as_of: String,
    pub first_pass: Vec<PlannedRead>,
    pub second_pass: Vec<String>,
    /// What moves the watermarks after both passes: one item in incremental mode, none in window
    /// mode (a Map over it runs nothing).
    pub advance: Vec<WatermarkAdvance>,
    /// What the plan chose and why, for the run's output: fallbacks in particular.
    pub notes: Vec<String>,
}

impl IngestionPlan {
    /// Every query the ingestion machine runs after planning, in its order (pass 1, pass 2, the
    /// watermark move), with the values it binds, but the hash key (which only run-query reads).
    /// The bench and the property lab run a plan through this, as the machine does.
    pub fn steps(&self) -> Result<Vec<(&'static catalog::Query, Bindings<'static>)>, HandlerError> {
        let day = |field: &str, text: &str| {
            CalendarDate::parse(text).map_err(|e| HandlerError::invalid(format!("{field}: {e}")))
        };
        let query = |id: &str| {
            catalog::query(id)
                .ok_or_else(|| HandlerError::invalid(format!("unknown query '{id}' in the plan")))
        };
        let as_of = day("asOf", &self.as_of)?;
        let mut steps = Vec::new();
        for read in &self.first_pass {
            let values = Bindings {
                first_capture_day: Some(day("firstCaptureDay", &read.first_capture_day)?),
                ..Bindings::window(as_of)
            };
            steps.push((query(&read.query)?, values));
        }
        for id in &self.second_pass {
            steps.push((query(id)?, Bindings::window(as_of)));
        }
        for advance in &self.advance {
            let values = Bindings {
                complete_through: Some(day("completeThrough", &advance.complete_through)?),
                ..Default::default()
            };
            steps.push((query(&advance.query)?, values));
        }
        Ok(steps)
    }
}

/// The last capture day complete at `millis`.
pub fn complete_through(millis: i64) -> CalendarDate {
    CalendarDate::from_unix_millis(millis - SETTLE_MILLIS).add_days(-1)
}

/// Plans an ingestion run (see the module's documentation).
pub fn plan_ingestion(request: &PlanIngestion) -> Result<IngestionPlan, HandlerError> {
    let started = parse_iso_millis(&request.started_at).ok_or_else(|| {
        HandlerError::invalid(format!(
            "startedAt: '{}' is not an ISO-8601 UTC instant",
            request.started_at.chars().take(40).collect::<String>()
        ))
    })?;
    let today = CalendarDate::from_unix_millis(started);
    let (mode, as_of) = request.input.resolve(today)?;
    let week_start = |as_of| Param::WeekBeforeAsOf.date_for(as_of).expect("a date slot");
    let mut notes = Vec::new();
    let mut first_pass = Vec::new();
    let mut advance = Vec::new();
    match mode {
        IngestionMode::Window => {
            notes.push(format!(
                "window run: capture days {} to {as_of}; the watermarks are not moved",
                week_start(as_of)
            ));
            for q in catalog::ingestion_pass(1) {
                first_pass.push(PlannedRead {
                    query: q.id.to_string(),
                    first_capture_day: week_start(as_of).to_string(),
                });
            }
        }
        IngestionMode::Incremental => {
            for q in catalog::ingestion_pass(1) {
                let mut mark: Option<CalendarDate> = None;
                for row in request.watermarks.iter().filter(|r| r.query == q.id) {
                    if let Some(text) = &row.completethrough {
                        let day = CalendarDate::parse(text).map_err(|e| {
                            HandlerError::invalid(format!("watermarks: {}: {e}", q.id))
                        })?;
                        mark = mark.max(Some(day));
                    }
                }
                let first = match mark {
                    None => {
                        notes.push(format!(
                            "{}: no watermark yet: read the week window, capture days {} to {as_of}",
                            q.id,
                            week_start(as_of)
                        ));
                        week_start(as_of)
                    }
                    Some(mark) if mark < as_of.add_days(-CATCH_UP_DAYS) => {
                        notes.push(format!(
                            "{}: the watermark {mark} is more than {CATCH_UP_DAYS} days old: read the week window, capture days {} to {as_of}; run a backfill to take in the days between",
                            q.id,
                            week_start(as_of)
                        ));
                        week_start(as_of)
                    }
                    Some(mark) => {
                        let first = mark.add_days(1);
                        notes.push(format!(
                            "{}: capture days {first} to {as_of} (after the watermark {mark})",
                            q.id
                        ));
                        first
                    }
                };
                first_pass.push(PlannedRead {
                    query: q.id.to_string(),
                    first_capture_day: first.to_string(),
                });
            }
            advance.push(WatermarkAdvance {
                query: ADVANCE_QUERY.to_string(),
                complete_through: complete_through(started).to_string(),
            });
        }
    }
    tracing::info!(mode = ?mode, as_of = %as_of, started_at = %iso_millis(started), "ingestion planned");
    Ok(IngestionPlan {
        mode,
        as_of: as_of.to_string(),
        first_pass,
        second_pass: catalog::ingestion_pass(2)
            .map(|q| q.id.to_string())
            .collect(),
        advance,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(input: serde_json::Value, started_at: &str, marks: &[(&str, &str)]) -> IngestionPlan {
        let request = PlanIngestion {
            action: PlanIngestionAction::PlanIngestion,
            input: serde_json::from_value(input).unwrap(),
            started_at: started_at.into(),
            watermarks: marks
                .iter()
                .map(|(q, d)| WatermarkRow {
                    query: q.to_string(),
                    completethrough: Some(d.to_string()),
                })
                .collect(),
        };
        plan_ingestion(&request).unwrap()
    }

    fn firsts(p: &IngestionPlan) -> Vec<&str> {
        p.first_pass
            .iter()
            .map(|r| r.first_capture_day.as_str())
            .collect()
    }

    const ITEMS: &str = "ingestion/request_item_status";
    const PLANS: &str = "ingestion/request_item_plan_status";
    const NAMES: &str = "ingestion/client_latest_name";

    #[test]
    fn an_incremental_run_reads_after_each_watermark_and_moves_them_to_the_last_complete_day() {
        let p = plan(
            json!({}),
            "2026-11-27T09:00:00.000Z",
            &[
                (ITEMS, "2026-11-26"),
                (PLANS, "2026-11-25"),
                (NAMES, "2026-11-20"),
            ],
        );
        assert_eq!(p.mode, IngestionMode::Incremental);
        assert_eq!(p.as_of, "2026-11-27");
        assert_eq!(firsts(&p), ["2026-11-27", "2026-11-26", "2026-11-21"]);
        assert_eq!(
            p.advance,
            [WatermarkAdvance {
                query: ADVANCE_QUERY.into(),
                complete_through: "2026-11-26".into()
            }]
        );
        assert_eq!(p.second_pass.len(), 4);
    }

    #[test]
    fn a_day_is_complete_only_an_hour_after_it_ends() {
        assert_eq!(
            complete_through(parse_iso_millis("2026-11-27T00:59:59.999Z").unwrap()).to_string(),
            "2026-11-25"
        );
        assert_eq!(
            complete_through(parse_iso_millis("2026-11-27T01:00:00.000Z").unwrap()).to_string(),
            "2026-11-26"
        );
    }

    #[test]
    fn no_watermark_or_a_stale_one_reads_the_week_window_and_says_so() {
        let p = plan(
            json!({"mode": "incremental"}),
            "2026-11-27T01:00:00Z",
            &[(ITEMS, "2026-10-26"), (PLANS, "2026-10-27")],
        );
        assert_eq!(firsts(&p), ["2026-11-20", "2026-10-28", "2026-11-20"]);
        assert!(
            p.notes[0].contains("more than 31 days old") && p.notes[0].contains("backfill"),
            "{:?}",
            p.notes
        );
        assert!(p.notes[2].contains("no watermark yet"), "{:?}", p.notes);
        assert_eq!(p.advance.len(), 1);
    }

    #[test]
    fn duplicate_rows_count_as_their_latest() {
        let p = plan(
            json!({}),
            "2026-11-27T09:00:00Z",
            &[(ITEMS, "2026-11-20"), (ITEMS, "2026-11-25")],
        );
        assert_eq!(firsts(&p)[0], "2026-11-26");
    }

    #[test]
    fn a_window_run_reads_the_week_and_moves_no_watermark() {
        for input in [
            json!({"asOf": "2026-11-20"}),
            json!({"mode": "window", "asOf": "2026-11-20"}),
        ] {
            let p = plan(input, "2026-11-27T09:00:00Z", &[(ITEMS, "2026-11-26")]);
            assert_eq!(p.mode, IngestionMode::Window);
            assert_eq!(firsts(&p), ["2026-11-13"; 3]);
            assert!(p.advance.is_empty());
        }
        let p = plan(json!({"mode": "window"}), "2026-11-27T09:00:00Z", &[]);
        assert_eq!(
            (p.as_of.as_str(), firsts(&p)[0]),
            ("2026-11-27", "2026-11-20")
        );
    }

    #[test]
    fn bad_input_is_named() {
        let request = |input: serde_json::Value, started: &str| PlanIngestion {
            action: PlanIngestionAction::PlanIngestion,
            input: serde_json::from_value(input).unwrap(),
            started_at: started.into(),
            watermarks: vec![],
        };
        let refused = |r: PlanIngestion| plan_ingestion(&r).unwrap_err().message().to_string();
        assert!(refused(request(
            json!({"mode": "incremental", "asOf": "2026-11-20"}),
            "2026-11-27T09:00:00Z"
        ))
        .starts_with("asOf:"));
        assert!(refused(request(
            json!({"asOf": "2026-11-31"}),
            "2026-11-27T09:00:00Z"
        ))
        .starts_with("asOf:"));
        assert!(refused(request(json!({}), "yesterday")).starts_with("startedAt:"));
        let mut stale = request(json!({}), "2026-11-27T09:00:00Z");
        stale.watermarks.push(WatermarkRow {
            query: "ingestion/request_item_status".into(),
            completethrough: Some("2026-11-26'; DROP TABLE x".into()),
        });
        assert!(refused(stale).starts_with("watermarks: ingestion/request_item_status:"));
        assert!(serde_json::from_value::<IngestionInput>(json!({"mode": "weekly"})).is_err());
    }
}
