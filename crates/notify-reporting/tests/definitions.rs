//! The repository's ASL files load under the local runner and agree with the catalog.

use notify_reporting::machines::{self, MACHINES};
use reporting_core::catalog::{self, Purpose};
use reporting_core::watchdog;
use serde_json::Value;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_definition_loads_and_uses_only_local_tasks() {
    for m in machines::definitions() {
        let sm = machines::load(m).unwrap_or_else(|e| panic!("{}: {e}", m.name));
        for r in sm.resources() {
            assert!(
                machines::lambda_of(&r).is_some()
                    || r == machines::GLUE_COLUMN_STATISTICS
                    || r == state_machine::START_EXECUTION_SYNC,
                "{}: {r}",
                m.name
            );
        }
        // Every nested execution is the query loop's or a batch report page's.
        for arn in sm.nested_arns() {
            assert!(
                machines::NESTED.iter().any(|(_, a)| *a == arn),
                "{}: {arn}",
                m.name
            );
        }
    }
    // The query loop's states are written once: no machine repeats them.
    for m in MACHINES {
        for state in ["Wait For Query", "Poll Query", "Rerun Allowed?"] {
            assert!(
                !m.asl.contains(state),
                "{} copies the query loop's {state:?}",
                m.name
            );
        }
    }
}

#[test]
fn ingestion_passes_are_the_catalog_passes() {
    // The ingestion plan (reporting_handlers::plan_ingestion) lists the passes from the catalog;
    // the machine names only the ledger probe, and the ledger's SQL names every pass-1 query.
    let asl: Value = serde_json::from_str(machines::find("ingestion").unwrap().asl).unwrap();
    assert_eq!(
        strings(&asl["States"]["Ledger To Read"]["Result"]),
        [reporting_handlers::FILES_READ_QUERY]
    );
    let pass1: Vec<String> = catalog::ingestion_pass(1)
        .map(|q| format!("'{}'", q.id))
        .collect();
    let mark = catalog::query(reporting_handlers::MARK_QUERY).unwrap();
    let values = mark.sql.split("VALUES").nth(1).unwrap();
    let values = &values[..values.find(") AS q").unwrap()];
    let listed: Vec<String> = values
        .split(',')
        .map(|v| v.trim().trim_matches(['(', ')']).to_string())
        .collect();
    assert_eq!(listed, pass1);
    let probe = catalog::query(reporting_handlers::FILES_READ_QUERY).unwrap();
    assert!(
        probe
            .sql
            .contains(&format!("query IN ({})", pass1.join(", ")))
            && probe
                .sql
                .contains(&format!("count(DISTINCT query) = {}", pass1.len())),
        "{}",
        probe.sql
    );
    let setup: Value = serde_json::from_str(machines::find("setup").unwrap().asl).unwrap();
    let tables: Vec<String> = catalog::QUERIES
        .iter()
        .filter(|q| q.purpose == Purpose::CreateTable)
        .map(|q| q.id.to_string())
        .chain([
            "setup/ingestion_files".to_string(),
            "setup/ingestion_file_claims".to_string(),
        ])
        .collect();
    assert_eq!(
        strings(&setup["States"]["Plan Setup"]["Parameters"]["tables"]),
        tables
    );
    let housekeeping: Value =
        serde_json::from_str(machines::find("housekeeping").unwrap().asl).unwrap();
    let names: Vec<String> = catalog::TABLES
        .iter()
        .map(|t| t.name)
        .chain(catalog::LEDGER_TABLES.iter().copied())
        .map(String::from)
        .collect();
    assert_eq!(
        strings(&housekeeping["States"]["Plan Housekeeping"]["Parameters"]["tables"]),
        names
    );
    let prunes: Vec<String> = catalog::QUERIES
        .iter()
        .filter(|q| q.id.starts_with("housekeeping/prune_"))
        .map(|q| q.id.to_string())
        .collect();
    assert_eq!(
        strings(&housekeeping["States"]["Plan Housekeeping"]["Parameters"]["ledgerPrunes"]),
        prunes
    );
    let watchdog: Value = serde_json::from_str(machines::find("watchdog").unwrap().asl).unwrap();
    let checks: Vec<String> = watchdog::WATCHDOG
        .iter()
        .map(|c| c.query.to_string())
        .collect();
    assert_eq!(
        strings(&watchdog["States"]["Plan Checks"]["Parameters"]["checks"]),
        checks
    );
    let views: Vec<String> = catalog::QUERIES
        .iter()
        .filter(|q| q.purpose == Purpose::CreateView)
        .map(|q| q.id.to_string())
        .collect();
    assert_eq!(
        strings(&setup["States"]["Plan Setup"]["Parameters"]["views"]),
        views
    );
}

#[test]
fn the_view_list_is_the_catalog_view_queries() {
    let from_queries: Vec<String> = catalog::QUERIES
        .iter()
        .filter(|q| q.purpose == Purpose::CreateView)
        .map(|q| q.id.trim_start_matches("views/").to_string())
        .collect();
    let listed: Vec<String> = catalog::VIEWS.iter().map(|v| v.name.to_string()).collect();
    assert_eq!(from_queries, listed);
    // Each view's file creates the view it is named after.
    for q in catalog::QUERIES
        .iter()
        .filter(|q| q.purpose == Purpose::CreateView)
    {
        let name = q.id.trim_start_matches("views/");
        assert!(
            q.sql.contains(&format!("CREATE OR REPLACE VIEW {name} AS")),
            "{} does not create {name}",
            q.id
        );
    }
}

/// Every `"query": "<id>"` a definition names is in the catalog, and every report query is used.
#[test]
fn report_machines_name_catalog_queries() {
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(q)) = m.get("query") {
                    out.push(q.clone());
                }
                m.values().for_each(|x| collect(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
    let mut named = Vec::new();
    for m in machines::definitions() {
        collect(&serde_json::from_str(m.asl).unwrap(), &mut named);
    }
    for q in &named {
        assert!(catalog::query(q).is_some(), "{q} is not in the catalog");
    }
    for q in catalog::QUERIES
        .iter()
        .filter(|q| q.purpose == Purpose::Report)
    {
        assert!(
            named.iter().any(|n| n == q.id),
            "no state machine runs {}",
            q.id
        );
    }
}

/// docs/staging-database.md lists every table and view of the catalog, in order, with its grant.
#[test]
fn the_staging_database_page_matches_the_catalog() {
    let page = include_str!("../../../docs/staging-database.md");
    let rows: Vec<Vec<&str>> = page
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.split(" | ").collect())
        .collect();
    let mut expected: Vec<String> = catalog::TABLES.iter().map(|t| t.name.to_string()).collect();
    expected.push("schema_migrations".into());
    expected.push("ingestion_files".into());
    expected.push("ingestion_file_claims".into());
    let views: Vec<(String, &str)> = catalog::VIEWS
        .iter()
        .map(|v| (v.name.to_string(), if v.power_bi { "yes" } else { "no" }))
        .collect();
    expected.extend(views.iter().map(|(n, _)| n.clone()));
    let listed: Vec<String> = rows
        .iter()
        .map(|r| {
            r[0].trim_start_matches("| `")
                .trim_end_matches('`')
                .to_string()
        })
        .collect();
    assert_eq!(listed, expected);
    for (row, (name, grant)) in rows.iter().skip(catalog::TABLES.len() + 3).zip(&views) {
        assert_eq!(row[1], *grant, "{name}");
    }
}

/// The operator's guide names every watchdog alarm and every state machine, and each
/// `make test ARGS=…` it gives as proof selects at least one real test.
#[test]
fn the_operators_guide_covers_every_alarm_and_its_proofs_select_tests() {
    let guide = include_str!("../../../docs/operators-guide.md");
    for check in watchdog::WATCHDOG {
        assert!(
            guide.contains(&format!("`{}`", check.alarm_suffix)),
            "the guide explains the {} alarm",
            check.alarm_suffix
        );
    }
    for m in MACHINES {
        assert!(
            guide.contains(&format!("NAME={}", m.name))
                || guide.contains(&format!("run {}", m.name)),
            "the guide shows how to start {}",
            m.name
        );
    }
    let tests_text: String = ["tests", "src"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(d))
                .unwrap()
                .flatten()
                .map(|e| e.path())
        })
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let mut proofs = 0;
    for part in guide.split("make test ARGS=").skip(1) {
        let filter: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let selects = tests_text
            .split("fn ")
            .skip(1)
            .any(|f| f.split('(').next().unwrap_or("").contains(&filter));
        assert!(selects, "`make test ARGS={filter}` selects no test");
        proofs += 1;
    }
    assert!(proofs >= 4, "{proofs} proofs found");
}
