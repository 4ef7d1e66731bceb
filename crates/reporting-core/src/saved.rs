//! Saved (named) queries: every runnable catalog query as operators find it in the Athena console,
//! in its workgroup, with a description of the parameters it needs, and the plan that brings the
//! saved set in line with the catalog.
//!
//! Why a sync step (setup's last state) and not template resources: a saved query must be the SQL
//! run-query runs, rendered from the same deployment facts (the batch clients, the source table,
//! the database) with the same code. Those facts are deployment parameters (JSON arrays among
//! them), which CloudFormation cannot render into SQL, and a build-time rendering would need them
//! before deploy. Setup runs after every deploy, so the saved set follows `sql/` on every deploy:
//! created, updated when the SQL or description changes, deleted when a query is retired. Only
//! queries carrying [`MANAGED_MARKER`] are ever touched, so operators' own saved queries stay.

use crate::catalog::{self, Param, Purpose, Query, TABLES};
use crate::config::Deployment;
use crate::render::{self, RenderError};
use crate::source_files::FILE_SLOTS;

/// Ends the description of every saved query this project manages.
pub const MANAGED_MARKER: &str = "[managed by notify-reporting setup; edits are overwritten]";

pub use crate::ports::{ExistingSavedQuery, SavedQuery};

/// What a sync does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncPlan {
    pub create: Vec<SavedQuery>,
    /// (id, new content)
    pub update: Vec<(String, SavedQuery)>,
    /// ids of managed queries no longer in the catalog (or duplicates)
    pub delete: Vec<String>,
    pub unchanged: usize,
}

/// What each parameter means to someone running the saved query by hand. Athena execution
/// parameters are SQL literals: dates and ids are typed with their quotes.
fn parameter_help(param: Param, deployment: &Deployment) -> String {
    match param {
        Param::HashKeyFingerprint => format!(
            "the pinned hash key fingerprint, the stack parameter HashKeyFingerprint (64 hex digits, quoted); the key itself is read from {}, which only the ingestion role may read",
            deployment.hash_key_table.as_deref().unwrap_or("the hash_key table")
        ),
        Param::AsOf => "asOf, e.g. '2026-11-20'".into(),
        Param::WeekBeforeAsOf => "asOf - 7 days, e.g. '2026-11-13'".into(),
        Param::FirstCaptureDay => {
            "the first capture day to read: asOf - 7 days for the week window, e.g. '2026-11-13'"
                .into()
        }
        Param::Run => "the incremental run's name, or '' to read whole capture days".into(),
        Param::SourceFiles => "the run's new source files, one per slot ('' in the rest)".into(),
        Param::MonthBeforeAsOf => "asOf - 1 month, e.g. '2026-10-20'".into(),
        Param::HistoryStart => "'1970-01-01' (all history)".into(),
        Param::EarliestCreated => {
            "the earliest creation day the run read (ingestion/earliest_created), or '1970-01-01' to read every partition".into()
        }
        Param::FirstCreatedDay => {
            "the first created date to count again: asOf - 1 month, e.g. '2026-10-20', or later".into()
        }
        Param::ClientId => "a client id, e.g. 'client-1'".into(),
        Param::CompletedDate => "the completed date, e.g. '2026-11-19'".into(),
        Param::RequestId => "a request id".into(),
        Param::MigrationId => "a migration id".into(),
    }
}

fn what(query: &Query) -> &'static str {
    match query.purpose {
        Purpose::Ingestion { pass: 1 } => "Ingestion pass 1 (projection)",
        Purpose::Ingestion { .. } => "Ingestion pass 2 (aggregation)",
        Purpose::Backfill => "Backfill from all history",
        Purpose::Housekeeping => "Housekeeping",
        Purpose::Watchdog => "Watchdog check",
        Purpose::AdHoc => "Ad-hoc question",
        _ => "Report query",
    }
}

fn description(query: &Query, deployment: &Deployment, table: Option<&str>) -> String {
    let params = if query.params.is_empty() {
        "no parameters".to_string()
    } else {
        let list: Vec<String> = query
            .params
            .iter()
            .scan(1, |next, p| {
                let first = *next;
                *next += if *p == Param::SourceFiles {
                    FILE_SLOTS
                } else {
                    1
                };
                let at = if *next - first > 1 {
                    format!("{first}-{}", *next - 1)
                } else {
                    first.to_string()
                };
                Some(format!("{at} = {}", parameter_help(*p, deployment)))
            })
            .collect();
        format!("parameters: {}", list.join("; "))
    };
    let on = table.map(|t| format!(" of {t}")).unwrap_or_default();
    format!(
        "{}{on} (sql/{}.sql); {params}. {MANAGED_MARKER}",
        what(query),
        query.id
    )
}

/// Whether the catalog query is saved: what operators run by hand. Setup's own statements (table
/// DDL, views, migrations, the ledger) are not: the setup machine runs them, and running one by
/// hand out of order is how schemas drift.
pub fn is_saved(query: &Query) -> bool {
    matches!(
        query.purpose,
        Purpose::Ingestion { .. }
            | Purpose::Backfill
            | Purpose::Housekeeping
            | Purpose::Watchdog
            | Purpose::Report
            | Purpose::AdHoc
    )
}

/// The saved names of a catalog query, as the existing system names them (none if it is not
/// saved), each with the table a housekeeping query is for.
pub fn saved_names(query: &Query) -> Vec<(String, Option<&'static str>)> {
    if !is_saved(query) {
        return Vec::new();
    }
    let stem = query.id.rsplit('/').next().unwrap_or(query.id);
    match query.purpose {
        Purpose::Housekeeping => TABLES
            .iter()
            .map(|t| (format!("{}_{stem}", t.name), Some(t.name)))
            .collect(),
        Purpose::Backfill => vec![(format!("{stem}_backfill"), None)],
        _ => vec![(stem.to_string(), None)],
    }
}

/// The catalog query saved under `name`, and the table it is for (housekeeping).
pub fn find_saved(name: &str) -> Option<(&'static Query, Option<&'static str>)> {
    catalog::QUERIES.iter().find_map(|q| {
        saved_names(q)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, table)| (q, table))
    })
}

/// Every saved query for the deployment, in catalog order.
pub fn saved_queries(deployment: &Deployment) -> Result<Vec<SavedQuery>, RenderError> {
    let mut out = Vec::new();
    for query in catalog::QUERIES.iter() {
        for (name, table) in saved_names(query) {
            out.push(SavedQuery {
                name,
                workgroup: query.workgroup,
                description: description(query, deployment, table),
                sql: render::render_for_table(query.sql, deployment, table)?,
            });
        }
    }
    Ok(out)
}

/// What to create, update and delete so the managed saved queries are exactly `wanted`.
/// Unmanaged queries (no marker) are never touched; of two managed queries with one name and
/// workgroup (an interrupted earlier sync), the first is kept and the other deleted.
pub fn plan_sync(existing: &[ExistingSavedQuery], wanted: &[SavedQuery]) -> SyncPlan {
    let mut plan = SyncPlan::default();
    let managed: Vec<&ExistingSavedQuery> = existing
        .iter()
        .filter(|e| e.description.ends_with(MANAGED_MARKER))
        .collect();
    let mut kept = std::collections::HashSet::new();
    for w in wanted {
        match managed
            .iter()
            .find(|e| e.name == w.name && e.workgroup == w.workgroup)
        {
            Some(e) => {
                kept.insert(e.id.clone());
                if e.sql == w.sql && e.description == w.description {
                    plan.unchanged += 1;
                } else {
                    plan.update.push((e.id.clone(), w.clone()));
                }
            }
            None => plan.create.push(w.clone()),
        }
    }
    plan.delete = managed
        .iter()
        .filter(|e| !kept.contains(&e.id))
        .map(|e| e.id.clone())
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Workgroup;

    fn deployment() -> Deployment {
        let mut d = Deployment::local();
        d.batch_client_ids = vec!["batch-1".into()];
        d
    }

    #[test]
    fn every_runnable_query_is_saved_once_in_its_workgroup_without_the_key() {
        let saved = saved_queries(&deployment()).unwrap();
        let names: std::collections::HashSet<_> = saved.iter().map(|q| &q.name).collect();
        assert_eq!(names.len(), saved.len(), "names are unique");
        for name in [
            "request_item_status",
            "request_item_status_summary_batch",
            "request_item_status_backfill",
            "request_item_status_optimize",
            "client_latest_name_vacuum",
            "completed_comms_report",
            "yesterday",
            "stuck_request_items",
        ] {
            assert!(names.contains(&name.to_string()), "{name}");
        }
        let status = saved
            .iter()
            .find(|q| q.name == "request_item_status")
            .unwrap();
        assert_eq!(status.workgroup, Workgroup::Ingestion);
        assert!(status.sql.contains(
            "FROM hash_key k\n    WHERE to_hex(sha256(to_utf8(k.hashkey))) = CAST(? AS varchar)"
        ));
        assert!(status.description.contains(
            "1 = the pinned hash key fingerprint, the stack parameter HashKeyFingerprint"
        ));
        let batch = saved
            .iter()
            .find(|q| q.name == "request_item_status_summary_batch")
            .unwrap();
        assert!(
            batch.sql.contains("'batch-1'"),
            "rendered for the deployment"
        );
        for q in &saved {
            assert!(!q.sql.contains("${"), "{} is fully rendered", q.name);
            assert!(q.description.len() <= 1024, "{}: Athena's limit", q.name);
            assert!(q.description.ends_with(MANAGED_MARKER));
        }
        let optimize = saved
            .iter()
            .find(|q| q.name == "client_latest_name_optimize")
            .unwrap();
        assert_eq!(optimize.workgroup, Workgroup::Housekeeping);
        assert!(optimize.sql.contains("client_latest_name"));
        // Setup's statements are not saved.
        assert!(!names.iter().any(|n| n.contains("pending_migrations")));
    }

    fn existing(id: &str, q: &SavedQuery) -> ExistingSavedQuery {
        ExistingSavedQuery {
            id: id.into(),
            name: q.name.clone(),
            workgroup: q.workgroup,
            description: q.description.clone(),
            sql: q.sql.clone(),
        }
    }

    #[test]
    fn a_sync_creates_updates_and_retires_only_managed_queries() {
        let wanted = saved_queries(&deployment()).unwrap();
        // Nothing yet: everything is created.
        let first = plan_sync(&[], &wanted);
        assert_eq!(first.create.len(), wanted.len());
        assert!(first.update.is_empty() && first.delete.is_empty());

        // All saved: nothing to do.
        let all: Vec<_> = wanted
            .iter()
            .enumerate()
            .map(|(i, q)| existing(&format!("id-{i}"), q))
            .collect();
        let again = plan_sync(&all, &wanted);
        assert_eq!(
            (again.create.len(), again.update.len(), again.delete.len()),
            (0, 0, 0)
        );
        assert_eq!(again.unchanged, wanted.len());

        // Changed SQL, a retired managed query, a duplicate, and an operator's own query.
        let mut store = all.clone();
        store[0].sql.push_str("\n-- old");
        let mut retired = existing("id-retired", &wanted[1]);
        retired.name = "retired_query".into();
        let duplicate = existing("id-dup", &wanted[2]);
        let mut own = existing("id-own", &wanted[3]);
        own.name = "pds_cleared_failures".into();
        own.description = "an operator's query".into();
        store.extend([retired, duplicate, own]);
        let plan = plan_sync(&store, &wanted);
        assert_eq!(plan.create, vec![]);
        assert_eq!(plan.update, vec![("id-0".to_string(), wanted[0].clone())]);
        assert_eq!(plan.delete, vec!["id-retired".to_string(), "id-dup".into()]);
        assert_eq!(plan.unchanged, wanted.len() - 1);
    }
}
