//! An ingestion run's plan: which source files pass 1 reads, or which capture days. run-query's
//! `plan-ingestion` action, after the machine has run the ledger probe (`ingestion/files_read`).
//!
//! - **incremental** (the default, what the schedules run): the run reads the same capture window
//!   a window run reads (the 8 capture days up to the day it started, UTC), but only the files of
//!   that window not yet in the ledger (`ingestion_files`): the window's listing (S3 in AWS, the
//!   folder locally) less the probe's rows, oldest capture day first, at most
//!   [`FILE_SLOTS`](reporting_core::source_files::FILE_SLOTS) (the next run takes the rest). The
//!   run claims those the engine can see (`ingestion/claim_source_files`), pass 1 reads exactly
//!   its claimed files, and once both passes have committed `ingestion/mark_files_read` records
//!   them in the ledger. A file that lands late, in any partition of the window, is read by the
//!   next run; one whose partition the table cannot see yet is not claimed and waits. No clock
//!   decides what has been read.
//! - **window** (`{"mode": "window", "asOf": …}`, or just `{"asOf": …}`): every file of the week
//!   window ending at asOf; the ledger is neither read nor written.
//!
//! Why reading less changes nothing but the cost: the projections' MERGEs are idempotent, order
//! independent and one-way, so ingesting the versions in any split of the files gives what one run
//! over all of them gives; a file is left out of the ledger until a run that read it has committed.

use std::collections::BTreeSet;

use reporting_core::binding::Bindings;
use reporting_core::catalog::{self, Param};
use reporting_core::instant::{iso_millis, parse_iso_millis};
use reporting_core::ports::{ObjectStore, QueryEngine};
use reporting_core::source_files::{
    list_capture_day, list_capture_day_files, SourceLocation, FILE_SLOTS,
};
use reporting_core::{validate, CalendarDate, ErrorKind, HandlerError};
use serde::{Deserialize, Serialize};

/// The catalog query that claims a run's files, before pass 1.
pub const CLAIM_QUERY: &str = "ingestion/claim_source_files";
/// The catalog probe of a run's earliest creation day, after the claim and before pass 1.
pub const BOUND_QUERY: &str = "ingestion/earliest_created";
/// The bound's answer, from the probe's result rows (one row, one column): the earliest creation
/// day both passes bind as `earliestCreated`. The machine reads it by JSONPath; the bench and the
/// property lab, which run a plan's steps themselves, read it here.
pub fn earliest_created(rows: &[Vec<Option<String>>]) -> Result<CalendarDate, HandlerError> {
    let day = rows
        .first()
        .and_then(|row| row.first().cloned().flatten())
        .ok_or_else(|| HandlerError::invalid(format!("{BOUND_QUERY} gave no answer")))?;
    CalendarDate::parse(&day).map_err(|e| HandlerError::invalid(format!("{BOUND_QUERY}: {e}")))
}

/// The catalog query that records a run's files in the ledger, after both passes.
pub const MARK_QUERY: &str = "ingestion/mark_files_read";
/// The ledger probe the machine runs before the plan.
pub const FILES_READ_QUERY: &str = "ingestion/files_read";

/// How an ingestion run chooses what it reads.
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

/// run-query's `plan-ingestion` action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanIngestion {
    pub action: PlanIngestionAction,
    /// The execution input (`$$.Execution.Input`).
    pub input: IngestionInput,
    /// When the execution started (`$$.Execution.StartTime`), ISO-8601 UTC.
    pub started_at: String,
    /// The execution's name (`$$.Execution.Name`): the run that claims files, unique per
    /// execution (a redrive keeps it, and with it the run's claims).
    pub run: String,
    /// The ledger probe's execution (`ingestion/files_read`), whose rows the plan reads itself,
    /// page by page: a week of files is more than state data should carry.
    pub files_read_execution_id: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanIngestionAction {
    #[serde(rename = "plan-ingestion")]
    PlanIngestion,
}

/// The plan, as the ingestion machine carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngestionPlan {
    pub mode: IngestionMode,
    /// The last capture day of the window, and pass 2's reference date.
    pub as_of: String,
    /// The first capture day of the window (asOf - 1 week).
    pub first_capture_day: String,
    /// The run that claims and reads `sourceFiles`; '' in a window run (whole capture days).
    pub run: String,
    /// The files this run claims and pass 1 reads (incremental), oldest capture day first.
    pub source_files: Vec<String>,
    /// The claim before pass 1: one item when the run has files, none otherwise.
    pub claim: Vec<String>,
    /// The probe of the earliest creation day among the versions the passes read
    /// (`ingestion/earliest_created`), which both passes bind as `earliestCreated` to read only
    /// the staging partitions the run can touch: one item when pass 1 runs, none otherwise.
    #[serde(default)]
    pub bound: Vec<String>,
    pub first_pass: Vec<String>,
    pub second_pass: Vec<String>,
    /// The ledger write after both passes: one item when the run claimed, none otherwise.
    pub mark: Vec<String>,
    /// What the plan chose and why, for the run's output.
    pub notes: Vec<String>,
    /// Files lost to every run, as far as a listing can see cheaply: in the capture day just
    /// before the window, not in the ledger, and written after the window's first day began (so
    /// they landed when their partition was already leaving the window). A window run would have
    /// missed them too; run-query logs the count (`late_files_past_window`), which a metric
    /// filter turns into `Notify/Ingestion` `LateFilesPastWindow` and an alarm.
    #[serde(default)]
    pub late_files_past_window: usize,
}

impl IngestionPlan {
    /// Every query the ingestion machine runs after planning, in its order (claim, bound, pass 1,
    /// pass 2, mark), with the values it binds, but the hash key (which only run-query reads) and
    /// the earliest creation day (the bound's answer, which the caller binds into the passes as
    /// the machine does). The bench and the property lab run a plan through this.
    pub fn steps(&self) -> Result<Vec<(&'static catalog::Query, Bindings<'_>)>, HandlerError> {
        let query = |id: &str| {
            catalog::query(id)
                .ok_or_else(|| HandlerError::invalid(format!("unknown query '{id}' in the plan")))
        };
        let day = |field: &str, text: &str| {
            CalendarDate::parse(text).map_err(|e| HandlerError::invalid(format!("{field}: {e}")))
        };
        let as_of = day("asOf", &self.as_of)?;
        let reading = Bindings {
            first_capture_day: Some(day("firstCaptureDay", &self.first_capture_day)?),
            run: Some(&self.run),
            source_files: Some(&self.source_files),
            ..Bindings::window(as_of)
        };
        let mut steps = Vec::new();
        for id in self.claim.iter().chain(&self.bound).chain(&self.first_pass) {
            steps.push((query(id)?, reading));
        }
        for id in &self.second_pass {
            steps.push((query(id)?, Bindings::window(as_of)));
        }
        for id in &self.mark {
            steps.push((
                query(id)?,
                Bindings {
                    run: Some(&self.run),
                    ..Default::default()
                },
            ));
        }
        Ok(steps)
    }
}

/// Where the plan lists the source's files: an object store and the table's location in it.
pub struct SourceListing {
    pub store: Box<dyn ObjectStore>,
    pub location: SourceLocation,
}

/// A run name: an execution name, checked as an identifier (it is bound, never spliced).
pub fn check_run(field: &str, run: &str) -> Result<(), HandlerError> {
    validate::identifier(field, run).map_err(|e| HandlerError::invalid(e.to_string()))
}

/// Plans a run from what it needs: the input, its start, its name, the files the ledger holds
/// for the window and the window's listing, by capture day (see the module's documentation).
pub fn plan_from(
    input: &IngestionInput,
    started_at: &str,
    run: &str,
    files_read: &BTreeSet<String>,
    listed: &[(CalendarDate, Vec<String>)],
) -> Result<IngestionPlan, HandlerError> {
    let (started, mode, as_of) = resolve_start(input, started_at)?;
    let first = window_start(as_of);
    let pass = |n| {
        catalog::ingestion_pass(n)
            .map(|q| q.id.to_string())
            .collect()
    };
    let mut plan = IngestionPlan {
        mode,
        as_of: as_of.to_string(),
        first_capture_day: first.to_string(),
        run: String::new(),
        source_files: Vec::new(),
        claim: Vec::new(),
        bound: vec![BOUND_QUERY.to_string()],
        first_pass: pass(1),
        second_pass: pass(2),
        mark: Vec::new(),
        notes: Vec::new(),
        late_files_past_window: 0,
    };
    match mode {
        IngestionMode::Window => plan.notes.push(format!(
            "window run: every file of capture days {first} to {as_of}; the file ledger is neither read nor written"
        )),
        IngestionMode::Incremental => {
            check_run("run", run)?;
            let mut listed_count = 0;
            let mut new = Vec::new();
            let mut days = listed.to_vec();
            days.sort_by_key(|(day, _)| *day);
            for (day, files) in &days {
                if *day < first || *day > as_of {
                    continue;
                }
                listed_count += files.len();
                new.extend(files.iter().filter(|f| !files_read.contains(*f)).cloned());
            }
            let waiting = new.len().saturating_sub(FILE_SLOTS);
            new.truncate(FILE_SLOTS);
            plan.notes.push(format!(
                "incremental run {run}: {} new of {listed_count} files listed in capture days {first} to {as_of}{}",
                new.len(),
                if waiting > 0 {
                    format!("; {waiting} more wait for the next run (oldest capture days first)")
                } else {
                    String::new()
                }
            ));
            plan.run = run.to_string();
            if new.is_empty() {
                // Nothing read, so no group can have changed: pass 2 has nothing to count.
                plan.bound.clear();
                plan.first_pass.clear();
                plan.second_pass.clear();
            } else {
                plan.source_files = new;
                plan.claim.push(CLAIM_QUERY.to_string());
                plan.mark.push(MARK_QUERY.to_string());
            }
        }
    }
    tracing::info!(mode = ?mode, as_of = %as_of, started_at = %iso_millis(started), files = plan.source_files.len(), "ingestion planned");
    Ok(plan)
}

/// When the run started (epoch milliseconds), its mode and its reference date.
fn resolve_start(
    input: &IngestionInput,
    started_at: &str,
) -> Result<(i64, IngestionMode, CalendarDate), HandlerError> {
    let started = parse_iso_millis(started_at).ok_or_else(|| {
        HandlerError::invalid(format!(
            "startedAt: '{}' is not an ISO-8601 UTC instant",
            started_at.chars().take(40).collect::<String>()
        ))
    })?;
    let (mode, as_of) = input.resolve(CalendarDate::from_unix_millis(started))?;
    Ok((started, mode, as_of))
}

/// The first capture day of the window ending at `as_of`: the week the running system reads.
pub fn window_start(as_of: CalendarDate) -> CalendarDate {
    Param::WeekBeforeAsOf.date_for(as_of).expect("a date slot")
}

/// A listing's failure, naming the capture day it listed; the store's classification stays.
fn listing_failed(day: CalendarDate) -> impl Fn(reporting_core::error::PortError) -> HandlerError {
    move |e| {
        HandlerError::new(
            e.kind,
            format!("listing capture day {day} of the source: {}", e.message),
        )
    }
}

/// The source's files of each capture day of the window ending at `as_of`, oldest day first.
pub async fn list_window(
    source: &SourceListing,
    as_of: CalendarDate,
) -> Result<Vec<(CalendarDate, Vec<String>)>, HandlerError> {
    let mut listed = Vec::new();
    let mut day = window_start(as_of);
    while day <= as_of {
        let files = list_capture_day(source.store.as_ref(), &source.location, day)
            .await
            .map_err(listing_failed(day))?;
        listed.push((day, files));
        day = day.add_days(1);
    }
    Ok(listed)
}

/// Plans an ingestion run: reads the ledger probe's rows page by page and lists the window's
/// capture days, then [`plan_from`]. A window run reads neither.
pub async fn plan_ingestion(
    request: &PlanIngestion,
    engine: &dyn QueryEngine,
    source: Option<&SourceListing>,
    environment: &str,
) -> Result<IngestionPlan, HandlerError> {
    let (_, mode, as_of) = resolve_start(&request.input, &request.started_at)?;
    let mut files_read = BTreeSet::new();
    let mut listed = Vec::new();
    if mode == IngestionMode::Incremental {
        check_run("run", &request.run)?;
        let source = source.ok_or_else(|| {
            HandlerError::new(
                ErrorKind::ConfigMissing,
                "run-query has no source listing (SOURCE_LOCATION): an incremental run cannot list the window's files",
            )
        })?;
        let (_, rows) = crate::all_rows(engine, &request.files_read_execution_id)
            .await
            .map_err(|e| {
                HandlerError::new(e.kind(), format!("{FILES_READ_QUERY}: {}", e.message()))
            })?;
        files_read.extend(
            rows.into_iter()
                .filter_map(|r| r.into_iter().next().flatten()),
        );
        listed = list_window(source, as_of).await?;
        let mut plan = plan_from(
            &request.input,
            &request.started_at,
            &request.run,
            &files_read,
            &listed,
        )?;
        if listed.iter().all(|(_, files)| files.is_empty()) {
            // Silence is the failure to fear here: a wrong prefix or layout lists nothing, and
            // every run would read nothing, successfully.
            tracing::warn!(
                window_files_listed = 0,
                environment = %environment,
                location = %source.location.engine_uri,
                "the source listing found no files in the window"
            );
            plan.notes.push(format!(
                "the source listing found no files in capture days {} to {as_of} under {}: check the source location (CoreSourcePrefix) and its __year=/__month=/__day= layout",
                window_start(as_of),
                source.location.engine_uri
            ));
        }
        plan.late_files_past_window = late_files_past_window(source, as_of, &files_read).await?;
        if plan.late_files_past_window > 0 {
            tracing::warn!(
                late_files_past_window = plan.late_files_past_window,
                environment = %environment,
                capture_day = %window_start(as_of).add_days(-1),
                "source files landed in the capture day just past the window and were never read"
            );
            plan.notes.push(format!(
                "{} files landed in capture day {} after it had left the window and were never read: catch the day up with a window run (operators' guide, section 6)",
                plan.late_files_past_window,
                window_start(as_of).add_days(-1)
            ));
        }
        return Ok(plan);
    }
    plan_from(
        &request.input,
        &request.started_at,
        &request.run,
        &files_read,
        &listed,
    )
}

/// The files of the capture day just before the window that the ledger lacks and that were
/// written after the window's first day began: they landed when their partition was leaving the
/// window, and no run will read them.
async fn late_files_past_window(
    source: &SourceListing,
    as_of: CalendarDate,
    files_read: &BTreeSet<String>,
) -> Result<usize, HandlerError> {
    let first = window_start(as_of);
    let edge = first.add_days(-1);
    let since = first.to_days() * 86_400_000;
    let files = list_capture_day_files(source.store.as_ref(), &source.location, edge)
        .await
        .map_err(listing_failed(edge))?;
    Ok(files
        .iter()
        .filter(|f| !files_read.contains(&f.path))
        .filter(|f| f.last_modified_millis.is_some_and(|t| t >= since))
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(t: &str) -> CalendarDate {
        CalendarDate::parse(t).unwrap()
    }

    fn listing(days: &[(&str, &[&str])]) -> Vec<(CalendarDate, Vec<String>)> {
        days.iter()
            .map(|(d, files)| (day(d), files.iter().map(|f| f.to_string()).collect()))
            .collect()
    }

    fn read(files: &[&str]) -> BTreeSet<String> {
        files.iter().map(|f| f.to_string()).collect()
    }

    fn incremental(files_read: &[&str], listed: &[(&str, &[&str])]) -> IngestionPlan {
        plan_from(
            &IngestionInput::default(),
            "2026-11-27T09:00:00.000Z",
            "run-1",
            &read(files_read),
            &listing(listed),
        )
        .unwrap()
    }

    #[test]
    fn an_incremental_run_reads_the_windows_files_the_ledger_lacks_in_any_day() {
        let p = incremental(
            &["a1", "b1", "b2"],
            &[
                ("2026-11-19", &["old"]),
                ("2026-11-20", &["a1", "a2-late"]),
                ("2026-11-26", &["b1", "b2", "b3"]),
                ("2026-11-27", &["c1"]),
            ],
        );
        assert_eq!(p.mode, IngestionMode::Incremental);
        assert_eq!(
            (p.first_capture_day.as_str(), p.as_of.as_str()),
            ("2026-11-20", "2026-11-27")
        );
        assert_eq!(p.source_files, ["a2-late", "b3", "c1"]);
        assert_eq!(p.run, "run-1");
        assert_eq!(p.claim, [CLAIM_QUERY]);
        assert_eq!(p.mark, [MARK_QUERY]);
        assert_eq!(p.first_pass.len(), 3);
        assert_eq!(p.second_pass.len(), 4);
        assert!(p.notes[0].contains("3 new of 6 files"), "{:?}", p.notes);
    }

    #[test]
    fn the_bounds_answer_is_a_date_or_a_named_refusal() {
        let day = |t: &str| vec![vec![Some(t.to_string())]];
        assert_eq!(
            earliest_created(&day("2026-11-02")).unwrap().to_string(),
            "2026-11-02"
        );
        for bad in [
            vec![],
            vec![vec![None]],
            day("2026-13-01"),
            day("x' OR 1=1"),
        ] {
            let e = earliest_created(&bad).unwrap_err();
            assert!(e.message().starts_with(BOUND_QUERY), "{}", e.message());
        }
    }

    #[test]
    fn nothing_new_runs_no_claim_no_pass_and_no_mark() {
        let p = incremental(&["a"], &[("2026-11-27", &["a"])]);
        assert!(p.source_files.is_empty() && p.claim.is_empty() && p.mark.is_empty());
        assert!(p.first_pass.is_empty());
        assert!(p.second_pass.is_empty());
    }

    #[test]
    fn more_files_than_slots_take_the_oldest_days_first_and_say_how_many_wait() {
        let many: Vec<String> = (0..FILE_SLOTS + 5).map(|i| format!("f{i:04}")).collect();
        let newest: Vec<&str> = many.iter().map(String::as_str).collect();
        let p = incremental(
            &[],
            &[("2026-11-27", &newest), ("2026-11-21", &["old-day"])],
        );
        assert_eq!(p.source_files.len(), FILE_SLOTS);
        assert_eq!(p.source_files[0], "old-day");
        assert!(p.notes[0].contains("6 more wait"), "{:?}", p.notes);
    }

    #[test]
    fn a_window_run_reads_whole_days_and_leaves_the_ledger() {
        for input in [
            json!({"asOf": "2026-11-20"}),
            json!({"mode": "window", "asOf": "2026-11-20"}),
        ] {
            let p = plan_from(
                &serde_json::from_value(input).unwrap(),
                "2026-11-27T09:00:00Z",
                "run-1",
                &read(&[]),
                &listing(&[("2026-11-20", &["x"])]),
            )
            .unwrap();
            assert_eq!(p.mode, IngestionMode::Window);
            assert_eq!(p.first_capture_day, "2026-11-13");
            assert!(p.run.is_empty() && p.source_files.is_empty());
            assert!(p.claim.is_empty() && p.mark.is_empty());
            assert_eq!(p.first_pass.len(), 3);
        }
    }

    #[test]
    fn the_steps_bind_the_run_and_its_files_to_the_claim_the_bound_and_pass_1() {
        let p = incremental(&[], &[("2026-11-27", &["c1"])]);
        let steps = p.steps().unwrap();
        let ids: Vec<&str> = steps.iter().map(|(q, _)| q.id).collect();
        assert_eq!(ids.first(), Some(&CLAIM_QUERY));
        assert_eq!(ids.get(1), Some(&BOUND_QUERY));
        assert_eq!(ids.last(), Some(&MARK_QUERY));
        for (q, b) in &steps {
            let reads_files = q.params.contains(&Param::SourceFiles);
            assert_eq!(b.source_files.is_some(), reads_files, "{}", q.id);
            if q.params.contains(&Param::Run) {
                assert_eq!(b.run, Some("run-1"), "{}", q.id);
            }
        }
    }

    #[test]
    fn bad_input_is_named() {
        let refused = |input: serde_json::Value, started: &str, run: &str| {
            plan_from(
                &serde_json::from_value(input).unwrap(),
                started,
                run,
                &read(&[]),
                &[],
            )
            .unwrap_err()
            .message()
            .to_string()
        };
        let at = "2026-11-27T09:00:00Z";
        assert!(refused(
            json!({"mode": "incremental", "asOf": "2026-11-20"}),
            at,
            "r"
        )
        .starts_with("asOf:"));
        assert!(refused(json!({"asOf": "2026-11-31"}), at, "r").starts_with("asOf:"));
        assert!(refused(json!({}), "yesterday", "r").starts_with("startedAt:"));
        assert!(refused(json!({}), at, "a'b/c").starts_with("run contains"));
        assert!(refused(json!({}), at, "").starts_with("run is empty"));
        assert!(serde_json::from_value::<IngestionInput>(json!({"mode": "weekly"})).is_err());
    }
}
