use serde_json::{json, Value};

use super::CliError;

/// Print the catalog as JSON: staging tables, views (and which are granted to Power BI),
/// watchdog checks with their metrics and alarms, state machines. The deployment checks read it.
#[derive(clap::Args)]
pub struct CatalogCommand {}

impl CatalogCommand {
    pub fn run(self) -> Result<(), CliError> {
        println!(
            "{}",
            serde_json::to_string_pretty(&catalog_json()).expect("json")
        );
        Ok(())
    }
}

/// The catalog facts that deployment (the template and its checks) must agree with.
fn catalog_json() -> Value {
    use reporting_core::catalog::{TABLES, VIEWS};
    use reporting_core::watchdog::{AlarmRule, WATCHDOG, WATCHDOG_NAMESPACE};
    json!({
        "tables": TABLES.iter().map(|t| t.name).collect::<Vec<_>>(),
        "views": VIEWS.iter().map(|v| json!({"name": v.name, "powerBi": v.power_bi})).collect::<Vec<_>>(),
        "watchdog": {
            "namespace": WATCHDOG_NAMESPACE,
            "checks": WATCHDOG.iter().map(|c| {
                let (rule, threshold) = match c.alarm {
                    AlarmRule::AnySeriesAtLeastOne => ("anySeriesAtLeastOne", 1),
                    AlarmRule::SeriesAboveZeroAtLeast(n) => ("seriesAboveZeroAtLeast", n),
                };
                json!({"query": c.query, "metric": c.metric, "alarmSuffix": c.alarm_suffix, "rule": rule, "threshold": threshold})
            }).collect::<Vec<_>>(),
        },
        "stateMachines": crate::machines::MACHINES.iter().map(|m| m.name).collect::<Vec<_>>(),
    })
}
