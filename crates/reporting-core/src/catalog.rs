//! The catalog: the one list of SQL assets under `sql/` and what each needs. Setup, ingestion
//! passes, the handlers and the tests all read it; adding a staging table is one entry here plus
//! its SQL files.

use serde::{Deserialize, Serialize};

/// The Athena workgroup a query runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Workgroup {
    Setup,
    Ingestion,
    User,
    Housekeeping,
    Core,
}

impl Workgroup {
    pub const ALL: [Workgroup; 5] = [
        Workgroup::Setup,
        Workgroup::Ingestion,
        Workgroup::User,
        Workgroup::Housekeeping,
        Workgroup::Core,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workgroup::Setup => "setup",
            Workgroup::Ingestion => "ingestion",
            Workgroup::User => "user",
            Workgroup::Housekeeping => "housekeeping",
            Workgroup::Core => "core",
        }
    }
}

/// A positional parameter a query expects, in the order of its `?` markers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// The pinned fingerprint of the hash key ([`crate::hash_key::Fingerprint`]), never the key:
    /// the SQL joins the key from `${hash_key_table}` where its fingerprint is this one.
    HashKeyFingerprint,
    /// The window's reference date (UTC), from the execution's `asOf`.
    AsOf,
    /// The first capture day of the projection window: `asOf` - 1 week.
    WeekBeforeAsOf,
    /// The first capture day a pass-1 query reads, from the ingestion plan: `asOf` - 1 week.
    FirstCaptureDay,
    /// The incremental run that claims and reads files (the execution's name); '' in a window run
    /// or a backfill, which read whole capture days.
    Run,
    /// The run's new source files, [`crate::source_files::FILE_SLOTS`] slots (`${source_files}`),
    /// '' in the slots past the plan's files.
    SourceFiles,
    /// The first created date of the aggregation window: `asOf` - 1 calendar month.
    MonthBeforeAsOf,
    /// The beginning of history (1970-01-01): a backfill's window start.
    HistoryStart,
    /// The earliest creation day among the versions a run reads (`ingestion/earliest_created`): pass
    /// 1 reads only the staging partitions created from it on (and those with no creation time).
    /// Unknown (no probe ran): the beginning of history, so every partition is read.
    EarliestCreated,
    /// The first created date pass 2 counts again: the later of `asOf` - 1 calendar month and the
    /// run's earliest creation day (`asOf` - 1 month when that is unknown).
    FirstCreatedDay,
    /// A client id, validated as an identifier (it also names report objects).
    ClientId,
    /// A report's completion date (UTC).
    CompletedDate,
    /// A request (batch) id, validated as an identifier.
    RequestId,
    /// A migration id from the catalog (setup's ledger).
    MigrationId,
}

/// What a query is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `CREATE TABLE IF NOT EXISTS` for a staging table.
    CreateTable,
    /// A `MERGE INTO` a staging table, in ingestion pass 1 (projections) or 2 (aggregations).
    Ingestion { pass: u8 },
    /// `CREATE OR REPLACE VIEW` over the staging tables.
    CreateView,
    /// A read-only query whose result a report or a state machine uses.
    Report,
    /// A small read-only metadata query whose rows poll-query hands to the state machine
    /// (at most [`PROBE_ROW_LIMIT`]; never data rows).
    Probe,
    /// Setup's own bookkeeping (the migration ledger).
    Setup,
    /// Ingestion's own bookkeeping: the file ledger, read by the plan (its rows page by page,
    /// never into state), claimed before pass 1 and written once a run has committed.
    Ledger,
    /// A recorded schema change, applied once, in order (see [`MIGRATIONS`]).
    Migration,
    /// OPTIMIZE or VACUUM of the staging table named by `${table}`.
    Housekeeping,
    /// Rebuilds a projection from all the history there is (no window).
    Backfill,
    /// A watchdog check: (clientid, campaignid, count) rows that become metrics.
    Watchdog,
    /// A read-only question people run by hand from its saved query; no machine runs it.
    AdHoc,
}

impl Param {
    /// The date a date slot binds for a reference date; `None` for the other slots.
    pub fn date_for(self, as_of: crate::CalendarDate) -> Option<crate::CalendarDate> {
        match self {
            Param::AsOf => Some(as_of),
            Param::WeekBeforeAsOf => Some(as_of.add_days(-7)),
            Param::MonthBeforeAsOf | Param::FirstCreatedDay => Some(as_of.add_months(-1)),
            Param::HistoryStart => Some(Param::history_start()),
            _ => None,
        }
    }

    /// The beginning of history (1970-01-01): what a backfill's window starts at.
    pub fn history_start() -> crate::CalendarDate {
        crate::CalendarDate::new(1970, 1, 1).expect("1970-01-01 is a date")
    }

    /// Whether the slot is bound from `asOf`.
    pub fn needs_as_of(self) -> bool {
        matches!(
            self,
            Param::AsOf
                | Param::WeekBeforeAsOf
                | Param::MonthBeforeAsOf
                | Param::HistoryStart
                | Param::FirstCreatedDay
        )
    }
}

/// The most rows a [`Purpose::Probe`] query may return into state-machine data.
pub const PROBE_ROW_LIMIT: usize = 100;

/// A schema change to an existing staging table. The table's DDL under `sql/tables/` already
/// has the change (new environments are created at the latest schema), so setup applies a
/// migration only to a table that exists and lacks the column, records it in the ledger
/// (`schema_migrations`) either way, and never applies one twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migration {
    /// Four digits; migrations apply in this order.
    pub id: &'static str,
    /// Its catalog query id, `migrations/<id>_<what>`.
    pub query: &'static str,
    pub table: &'static str,
    /// The column it adds (how setup knows whether the table already has it).
    pub adds_column: &'static str,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        id: "0001",
        query: "migrations/0001_request_item_status_failedreasoncode",
        table: "request_item_status",
        adds_column: "failedreasoncode",
    },
    Migration {
        id: "0002",
        query: "migrations/0002_request_item_plan_status_failedreasoncode",
        table: "request_item_plan_status",
        adds_column: "failedreasoncode",
    },
];

/// A view over the staging tables. Created in this order (later views read earlier ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    pub name: &'static str,
    /// Read by Power BI through the `user` workgroup (granted to the read-only consumers).
    pub power_bi: bool,
}

macro_rules! views {
    ($($name:literal => $power_bi:literal),* $(,)?) => {
        /// The views, in creation order.
        pub const VIEWS: &[View] = &[$(View { name: $name, power_bi: $power_bi }),*];
    };
}

views! {
    "completed_comms" => false,
    "delivered_messages" => true,
    "daily_recipient_count" => true,
    "daily_recipient_distribution" => true,
    "monthly_app_recipients_distribution" => true,
    "monthly_app_recipients_multiple_clients" => true,
    "monthly_messages_per_recipient" => true,
    "monthly_recipient_with_more_than_five_messages" => true,
    "monthly_recipients_distribution" => true,
    "monthly_recipients_distribution_by_integrator" => true,
    "dates" => true,
    "raw_latency_3m" => true,
    "latency_percentiles" => true,
    "letters_invoice_dates" => true,
    "letters_invoice_units_monthly" => true,
    "letters_invoice_units_weekly" => true,
    "request_item_status_smsnudge_staging" => true,
    "request_item_plan_status_smsnudge" => true,
    "request_item_status_smsnudge" => true,
    "request_item_plan_read_status_smsnudge" => true,
    "billing_transactions" => true,
    "request_item_plan_completed_summary_all" => true,
    "request_item_status_summary_all" => true,
    "request_item_status_summary_all_email_filter" => true,
}

/// How a staging table is maintained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    /// One row per source object, keyed by an immutable id; latest version wins.
    Projection,
    /// Rows keyed by immutable dimensions; facts only move up.
    Aggregation,
}

/// A staging table (Iceberg in AWS, a DuckDB table locally).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub kind: TableKind,
    /// The columns that identify a row (the MERGE ON key).
    pub key: &'static [&'static str],
}

/// One SQL asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    /// `<folder>/<file stem>` under `sql/`, e.g. `ingestion/request_item_status`.
    pub id: &'static str,
    pub purpose: Purpose,
    pub workgroup: Workgroup,
    pub params: &'static [Param],
    /// The staging table or view it writes (setup, ingestion) or mainly reads (reports).
    pub table: &'static str,
    /// The SQL text, with `${placeholders}`, in Athena dialect.
    pub sql: &'static str,
}

impl Query {
    pub fn needs_hash_key(&self) -> bool {
        self.params.contains(&Param::HashKeyFingerprint)
    }
    pub fn pass(&self) -> Option<u8> {
        match self.purpose {
            Purpose::Ingestion { pass } => Some(pass),
            _ => None,
        }
    }
}

const AGGREGATION_DIMENSIONS_PLAN: &[&str] = &[
    "clientid",
    "campaignid",
    "sendinggroupid",
    "sendinggroupidversion",
    "communicationtype",
    "supplier",
    "createddate",
    "completeddate",
    "status",
    "failedreason",
    "contactdetailsource",
    "channeltype",
];
const AGGREGATION_DIMENSIONS_PLAN_BATCH: &[&str] = &[
    "clientid",
    "campaignid",
    "sendinggroupid",
    "sendinggroupidversion",
    "requestrefid",
    "requestid",
    "communicationtype",
    "supplier",
    "createddate",
    "completeddate",
    "status",
    "failedreason",
    "contactdetailsource",
    "channeltype",
];

/// The seven staging tables, in creation order.
pub const TABLES: &[Table] = &[
    Table {
        name: "request_item_status",
        kind: TableKind::Projection,
        key: &["requestitemid"],
    },
    Table {
        name: "request_item_plan_status",
        kind: TableKind::Projection,
        key: &["requestitemplanid"],
    },
    Table {
        name: "client_latest_name",
        kind: TableKind::Projection,
        key: &["clientid"],
    },
    Table {
        name: "request_item_plan_completed_summary",
        kind: TableKind::Aggregation,
        key: AGGREGATION_DIMENSIONS_PLAN,
    },
    Table {
        name: "request_item_plan_completed_summary_batch",
        kind: TableKind::Aggregation,
        key: AGGREGATION_DIMENSIONS_PLAN_BATCH,
    },
    Table {
        name: "request_item_status_summary",
        kind: TableKind::Aggregation,
        key: &[
            "clientid",
            "campaignid",
            "sendinggroupid",
            "sendinggroupidversion",
            "createddate",
        ],
    },
    Table {
        name: "request_item_status_summary_batch",
        kind: TableKind::Aggregation,
        key: &[
            "clientid",
            "campaignid",
            "sendinggroupid",
            "sendinggroupidversion",
            "requestrefid",
            "requestid",
            "createddate",
        ],
    },
];

macro_rules! asset {
    ($folder:literal, $name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../sql/",
            $folder,
            "/",
            $name,
            ".sql"
        ))
    };
}

/// One catalog query: `<folder>/<name>`, its SQL from `sql/<asset folder>/<name>.sql`.
macro_rules! query {
    ($folder:literal / $name:literal from $asset:literal, $purpose:expr, $workgroup:expr, $table:literal, $params:expr) => {
        Query {
            id: concat!($folder, "/", $name),
            purpose: $purpose,
            workgroup: $workgroup,
            params: $params,
            table: $table,
            sql: asset!($asset, $name),
        }
    };
}

macro_rules! create_table {
    ($name:literal) => {
        query!("tables" / $name from "tables", Purpose::CreateTable, Workgroup::Setup, $name, &[])
    };
}

macro_rules! ingestion {
    ($name:literal, pass $pass:literal, $params:expr) => {
        query!("ingestion" / $name from "ingestion", Purpose::Ingestion { pass: $pass }, Workgroup::Ingestion, $name, $params)
    };
}

/// A backfill runs the table's ingestion SQL (its window bound open).
macro_rules! backfill {
    ($name:literal, $params:expr) => {
        query!("backfill" / $name from "ingestion", Purpose::Backfill, Workgroup::Ingestion, $name, $params)
    };
}

macro_rules! view {
    ($name:literal) => {
        query!("views" / $name from "views", Purpose::CreateView, Workgroup::Setup, $name, &[])
    };
}

macro_rules! simple {
    ($folder:literal / $name:literal, $purpose:expr, $workgroup:expr, $table:literal, $params:expr) => {
        query!($folder / $name from $folder, $purpose, $workgroup, $table, $params)
    };
}

macro_rules! report {
    ($name:literal, $workgroup:expr, reads $table:literal, $params:expr) => {
        query!("reports" / $name from "reports", Purpose::Report, $workgroup, $table, $params)
    };
}

/// Every query asset the handlers may run.
pub const QUERIES: &[Query] = &[
    create_table!("request_item_status"),
    create_table!("request_item_plan_status"),
    create_table!("client_latest_name"),
    create_table!("request_item_plan_completed_summary"),
    create_table!("request_item_plan_completed_summary_batch"),
    create_table!("request_item_status_summary"),
    create_table!("request_item_status_summary_batch"),
    ingestion!("request_item_status", pass 1, &[Param::HashKeyFingerprint, Param::FirstCaptureDay, Param::AsOf, Param::Run, Param::SourceFiles, Param::Run, Param::EarliestCreated, Param::EarliestCreated]),
    ingestion!("request_item_plan_status", pass 1, &[Param::FirstCaptureDay, Param::AsOf, Param::Run, Param::SourceFiles, Param::Run, Param::EarliestCreated, Param::EarliestCreated]),
    ingestion!("client_latest_name", pass 1, &[Param::FirstCaptureDay, Param::AsOf, Param::Run, Param::SourceFiles, Param::Run]),
    ingestion!("request_item_plan_completed_summary", pass 2, &[Param::FirstCreatedDay, Param::FirstCreatedDay]),
    ingestion!("request_item_plan_completed_summary_batch", pass 2, &[Param::FirstCreatedDay, Param::FirstCreatedDay]),
    ingestion!("request_item_status_summary", pass 2, &[Param::FirstCreatedDay, Param::FirstCreatedDay]),
    ingestion!("request_item_status_summary_batch", pass 2, &[Param::FirstCreatedDay, Param::FirstCreatedDay]),
    // Backfills: the same ingestion SQL with the window opened to the beginning of history.
    // The run slots bind '' (no run: whole capture days).
    backfill!(
        "request_item_status",
        &[
            Param::HashKeyFingerprint,
            Param::HistoryStart,
            Param::AsOf,
            Param::Run,
            Param::SourceFiles,
            Param::Run,
            Param::HistoryStart,
            Param::HistoryStart
        ]
    ),
    backfill!(
        "request_item_plan_status",
        &[
            Param::HistoryStart,
            Param::AsOf,
            Param::Run,
            Param::SourceFiles,
            Param::Run,
            Param::HistoryStart,
            Param::HistoryStart
        ]
    ),
    backfill!(
        "client_latest_name",
        &[
            Param::HistoryStart,
            Param::AsOf,
            Param::Run,
            Param::SourceFiles,
            Param::Run
        ]
    ),
    backfill!(
        "request_item_plan_completed_summary",
        &[Param::HistoryStart, Param::HistoryStart]
    ),
    backfill!(
        "request_item_plan_completed_summary_batch",
        &[Param::HistoryStart, Param::HistoryStart]
    ),
    backfill!(
        "request_item_status_summary",
        &[Param::HistoryStart, Param::HistoryStart]
    ),
    backfill!(
        "request_item_status_summary_batch",
        &[Param::HistoryStart, Param::HistoryStart]
    ),
    simple!(
        "setup" / "schema_migrations",
        Purpose::Setup,
        Workgroup::Setup,
        "schema_migrations",
        &[]
    ),
    simple!(
        "setup" / "ingestion_files",
        Purpose::Setup,
        Workgroup::Setup,
        "ingestion_files",
        &[]
    ),
    simple!(
        "setup" / "ingestion_file_claims",
        Purpose::Setup,
        Workgroup::Setup,
        "ingestion_file_claims",
        &[]
    ),
    simple!(
        "ingestion" / "files_read",
        Purpose::Ledger,
        Workgroup::Ingestion,
        "ingestion_files",
        &[Param::MonthBeforeAsOf]
    ),
    simple!(
        "ingestion" / "earliest_created",
        Purpose::Probe,
        Workgroup::Ingestion,
        "request_item_status",
        &[
            Param::AsOf,
            Param::FirstCaptureDay,
            Param::AsOf,
            Param::Run,
            Param::SourceFiles,
            Param::Run
        ]
    ),
    simple!(
        "ingestion" / "claim_source_files",
        Purpose::Ledger,
        Workgroup::Ingestion,
        "ingestion_file_claims",
        &[
            Param::Run,
            Param::FirstCaptureDay,
            Param::AsOf,
            Param::SourceFiles
        ]
    ),
    simple!(
        "housekeeping" / "prune_ingestion_files",
        Purpose::Ledger,
        Workgroup::Housekeeping,
        "ingestion_files",
        &[Param::MonthBeforeAsOf]
    ),
    simple!(
        "housekeeping" / "prune_ingestion_file_claims",
        Purpose::Ledger,
        Workgroup::Housekeeping,
        "ingestion_file_claims",
        &[Param::MonthBeforeAsOf]
    ),
    simple!(
        "ingestion" / "mark_files_read",
        Purpose::Ledger,
        Workgroup::Ingestion,
        "ingestion_files",
        &[Param::Run]
    ),
    simple!(
        "setup" / "unexpected_columns",
        Purpose::Probe,
        Workgroup::Setup,
        "schema_migrations",
        &[]
    ),
    simple!(
        "setup" / "pending_migrations",
        Purpose::Probe,
        Workgroup::Setup,
        "schema_migrations",
        &[]
    ),
    simple!(
        "setup" / "record_migration",
        Purpose::Setup,
        Workgroup::Setup,
        "schema_migrations",
        &[Param::MigrationId]
    ),
    simple!(
        "setup" / "record_baseline",
        Purpose::Setup,
        Workgroup::Setup,
        "schema_migrations",
        &[]
    ),
    simple!(
        "migrations" / "0001_request_item_status_failedreasoncode",
        Purpose::Migration,
        Workgroup::Setup,
        "request_item_status",
        &[]
    ),
    simple!(
        "migrations" / "0002_request_item_plan_status_failedreasoncode",
        Purpose::Migration,
        Workgroup::Setup,
        "request_item_plan_status",
        &[]
    ),
    simple!(
        "cutover" / "hash_sample",
        Purpose::Probe,
        Workgroup::Ingestion,
        "request_item_status",
        &[
            Param::HashKeyFingerprint,
            Param::WeekBeforeAsOf,
            Param::AsOf
        ]
    ),
    simple!(
        "cutover" / "window_counts",
        Purpose::Probe,
        Workgroup::Ingestion,
        "",
        &[Param::WeekBeforeAsOf, Param::MonthBeforeAsOf, Param::AsOf]
    ),
    simple!(
        "housekeeping" / "optimize",
        Purpose::Housekeeping,
        Workgroup::Housekeeping,
        "",
        &[]
    ),
    simple!(
        "housekeeping" / "vacuum",
        Purpose::Housekeeping,
        Workgroup::Housekeeping,
        "",
        &[]
    ),
    simple!(
        "watchdog" / "overdue_request_item_plans",
        Purpose::Watchdog,
        Workgroup::Core,
        "request_item_plan_status",
        &[Param::AsOf]
    ),
    simple!(
        "watchdog" / "overdue_request_items",
        Purpose::Watchdog,
        Workgroup::Core,
        "request_item_status_summary",
        &[Param::AsOf]
    ),
    simple!(
        "watchdog" / "overdue_requests",
        Purpose::Watchdog,
        Workgroup::Core,
        "request_item_status",
        &[Param::AsOf]
    ),
    simple!(
        "watchdog" / "stuck_request_items",
        Purpose::Watchdog,
        Workgroup::Core,
        "request_item_status",
        &[Param::AsOf]
    ),
    simple!(
        "watchdog" / "degraded_latency",
        Purpose::Watchdog,
        Workgroup::Core,
        "raw_latency_3m",
        &[Param::AsOf]
    ),
    view!("completed_comms"),
    view!("delivered_messages"),
    view!("daily_recipient_count"),
    view!("daily_recipient_distribution"),
    view!("monthly_app_recipients_distribution"),
    view!("monthly_app_recipients_multiple_clients"),
    view!("monthly_messages_per_recipient"),
    view!("monthly_recipient_with_more_than_five_messages"),
    view!("monthly_recipients_distribution"),
    view!("monthly_recipients_distribution_by_integrator"),
    view!("dates"),
    view!("raw_latency_3m"),
    view!("latency_percentiles"),
    view!("letters_invoice_dates"),
    view!("letters_invoice_units_monthly"),
    view!("letters_invoice_units_weekly"),
    view!("request_item_status_smsnudge_staging"),
    view!("request_item_plan_status_smsnudge"),
    view!("request_item_status_smsnudge"),
    view!("request_item_plan_read_status_smsnudge"),
    view!("billing_transactions"),
    view!("request_item_plan_completed_summary_all"),
    view!("request_item_status_summary_all"),
    view!("request_item_status_summary_all_email_filter"),
    report!("yesterday", Workgroup::Core, reads "", &[]),
    report!("completed_comms_report", Workgroup::Core, reads "completed_comms",
        &[Param::ClientId, Param::CompletedDate, Param::CompletedDate]),
    report!("completed_batches", Workgroup::Core, reads "request_item_status", &[Param::ClientId]),
    report!("completed_batch_report", Workgroup::Core, reads "completed_comms",
        &[Param::ClientId, Param::RequestId]),
    // The running system's ad-hoc question, saved in the user workgroup.
    query!("reports" / "pds_cleared_failures" from "reports", Purpose::AdHoc, Workgroup::User,
        "request_item_plan_status", &[]),
];

/// The source table's columns as the core account's Glue table has them (Hive DDL). The local
/// engine reads the Firehose Parquet files over this schema by column name.
pub const SOURCE_SCHEMA: &str = asset!("source", "transaction_history");

/// The columns Athena's engine describes for each relation, `sql/column_types.tsv` (a test holds
/// it equal to what Trino describes from the DDL).
const COLUMN_TYPES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../sql/column_types.tsv"
));

/// Every staging table's columns, (table, column), in table then DDL order: what setup expects
/// of a table it finds already there.
pub fn table_columns() -> impl Iterator<Item = (&'static str, &'static str)> {
    COLUMN_TYPES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut fields = l.split('\t');
            Some((fields.next()?, fields.next()?))
        })
        .filter(|(relation, _)| table(relation).is_some())
}

pub fn query(id: &str) -> Option<&'static Query> {
    QUERIES.iter().find(|q| q.id == id)
}

pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// Columns an adopted table may have that ours lack, adopted as they are (never read, written or
/// dropped: every MERGE names its columns, every view its own): (table, column, why).
pub const ADOPTED_COLUMNS: &[(&str, &str, &str)] = &[
    (
        "request_item_plan_completed_summary",
        "templateid",
        "the running system added a templateid dimension to the plan summaries and took it out of its SQL two months later; the column stayed",
    ),
    (
        "request_item_plan_completed_summary_batch",
        "templateid",
        "the same, on the batch plan summary",
    ),
];

/// Ingestion's own Iceberg tables: the file ledger and the runs' claims.
pub const LEDGER_TABLES: &[&str] = &["ingestion_files", "ingestion_file_claims"];

/// Whether housekeeping keeps `name` (OPTIMIZE, VACUUM, statistics): a staging table or one of
/// ingestion's ledger tables.
pub fn is_housekept(name: &str) -> bool {
    table(name).is_some() || LEDGER_TABLES.contains(&name)
}

/// The ingestion queries of one pass, in catalog order.
pub fn ingestion_pass(pass: u8) -> impl Iterator<Item = &'static Query> {
    QUERIES.iter().filter(move |q| q.pass() == Some(pass))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_declares_exactly_its_markers() {
        for q in QUERIES {
            // `${source_files}` renders to one marker per file slot.
            let sql = q
                .sql
                .replace("${source_files}", &crate::source_files::slot_markers());
            let slots: usize = q
                .params
                .iter()
                .map(|p| match p {
                    Param::SourceFiles => crate::source_files::FILE_SLOTS,
                    _ => 1,
                })
                .sum();
            assert_eq!(
                crate::sql_text::count_parameter_markers(&sql),
                slots,
                "{}",
                q.id
            );
            assert_eq!(
                q.sql.contains("${source_files}"),
                q.params.contains(&Param::SourceFiles),
                "{}",
                q.id
            );
        }
    }

    #[test]
    fn every_table_has_its_columns_listed() {
        for t in TABLES {
            let columns: Vec<_> = table_columns().filter(|(r, _)| *r == t.name).collect();
            assert!(columns.len() >= t.key.len(), "{}: {columns:?}", t.name);
            for k in t.key {
                assert!(columns.contains(&(t.name, k)), "{}.{k}", t.name);
            }
        }
    }

    #[test]
    fn every_table_has_a_ddl_and_one_ingestion_query() {
        for t in TABLES {
            assert!(query(&format!("tables/{}", t.name)).is_some(), "{}", t.name);
            let writers: Vec<_> = QUERIES
                .iter()
                .filter(|q| q.table == t.name && q.pass().is_some())
                .collect();
            assert_eq!(writers.len(), 1, "{}", t.name);
            let pass = writers[0].pass().unwrap();
            let expected = if t.kind == TableKind::Projection {
                1
            } else {
                2
            };
            assert_eq!(pass, expected, "{} runs in pass {pass}", t.name);
        }
    }

    #[test]
    fn only_the_item_projection_and_the_cutover_check_need_the_hash_key() {
        let hashed: Vec<_> = QUERIES
            .iter()
            .filter(|q| q.needs_hash_key())
            .map(|q| q.id)
            .collect();
        assert_eq!(
            hashed,
            [
                "ingestion/request_item_status",
                "backfill/request_item_status",
                // Recomputes stored hashes to prove the binding; returns counts only.
                "cutover/hash_sample"
            ]
        );
    }

    #[test]
    fn a_backfill_is_its_ingestion_query_with_the_window_open() {
        for b in QUERIES.iter().filter(|q| q.purpose == Purpose::Backfill) {
            let ingestion = query(&b.id.replace("backfill/", "ingestion/")).unwrap();
            assert_eq!(b.sql, ingestion.sql, "{}", b.id);
            let opened: Vec<Param> = ingestion
                .params
                .iter()
                .map(|p| match p {
                    Param::FirstCaptureDay
                    | Param::MonthBeforeAsOf
                    | Param::EarliestCreated
                    | Param::FirstCreatedDay => Param::HistoryStart,
                    other => *other,
                })
                .collect();
            assert_eq!(b.params, opened.as_slice(), "{}", b.id);
        }
    }

    /// Athena checks the caller's access to every object a view reads, so a granted view may only
    /// read granted views (and the staging tables, all granted).
    #[test]
    fn granted_views_read_only_granted_views() {
        for v in VIEWS.iter().filter(|v| v.power_bi) {
            let sql = query(&format!("views/{}", v.name)).unwrap().sql;
            for other in VIEWS.iter().filter(|o| !o.power_bi) {
                let reads = sql
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .any(|word| word == other.name);
                assert!(!reads, "{} is granted but reads {}", v.name, other.name);
            }
        }
    }

    #[test]
    fn ids_are_unique_and_match_their_files() {
        let mut ids: Vec<_> = QUERIES.iter().map(|q| q.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), QUERIES.len());
    }

    #[test]
    fn marker_counting_skips_literals_and_comments() {
        assert_eq!(
            crate::sql_text::count_parameter_markers("SELECT '?', \"?\" -- ?\n, ?"),
            1
        );
    }
}
