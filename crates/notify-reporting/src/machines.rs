//! The repository's state machines, as the local runner knows them: the same ASL files that SAM
//! deploys, with the Lambda ARNs substituted by local task names.

use std::collections::BTreeMap;

/// One state machine the local home can run.
pub struct MachineDef {
    pub name: &'static str,
    pub asl: &'static str,
    /// The input fields it accepts (anything else is refused before it runs).
    pub input_fields: &'static [&'static str],
}

pub const MACHINES: &[MachineDef] = &[
    MachineDef {
        name: "setup",
        asl: include_str!("../../../statemachines/setup.asl.json"),
        input_fields: &[],
    },
    MachineDef {
        name: "ingestion",
        asl: include_str!("../../../statemachines/ingestion.asl.json"),
        input_fields: &["asOf"],
    },
    MachineDef {
        name: "backfill",
        asl: include_str!("../../../statemachines/backfill.asl.json"),
        input_fields: &["table", "asOf"],
    },
    MachineDef {
        name: "watchdog",
        asl: include_str!("../../../statemachines/watchdog.asl.json"),
        input_fields: &["asOf"],
    },
    MachineDef {
        name: "housekeeping",
        asl: include_str!("../../../statemachines/housekeeping.asl.json"),
        input_fields: &[],
    },
    MachineDef {
        name: "completed-comms-report",
        asl: include_str!("../../../statemachines/completed-comms-report.asl.json"),
        input_fields: &["completedDate", "clientIds"],
    },
    MachineDef {
        name: "completed-batch-report",
        asl: include_str!("../../../statemachines/completed-batch-report.asl.json"),
        input_fields: &["clientIds"],
    },
];

pub const RUN_QUERY: &str = "local:run-query";
pub const POLL_QUERY: &str = "local:poll-query";
pub const WRITE_REPORT: &str = "local:write-report";
pub const PUBLISH_METRIC: &str = "local:publish-metric";
/// An AWS SDK integration the local runner stands in for: Glue column statistics become
/// DuckDB's `ANALYZE <table>`.
pub const GLUE_COLUMN_STATISTICS: &str =
    "arn:aws:states:::aws-sdk:glue:startColumnStatisticsTaskRun";

/// What SAM's `DefinitionSubstitutions` supply in AWS, locally.
pub fn substitutions() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("RunQueryFunctionArn".to_string(), RUN_QUERY.to_string()),
        ("PollQueryFunctionArn".to_string(), POLL_QUERY.to_string()),
        (
            "WriteReportFunctionArn".to_string(),
            WRITE_REPORT.to_string(),
        ),
        (
            "PublishMetricFunctionArn".to_string(),
            PUBLISH_METRIC.to_string(),
        ),
        ("Database".to_string(), "main".to_string()),
        (
            "HousekeepingRoleArn".to_string(),
            "local:housekeeping-role".to_string(),
        ),
    ])
}

pub fn find(name: &str) -> Result<&'static MachineDef, String> {
    MACHINES.iter().find(|m| m.name == name).ok_or_else(|| {
        let known: Vec<_> = MACHINES.iter().map(|m| m.name).collect();
        format!(
            "unknown state machine '{}'; known: {}",
            name.chars().take(60).collect::<String>(),
            known.join(", ")
        )
    })
}
