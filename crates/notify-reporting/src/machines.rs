//! The repository's state machines, as the local runner knows them: the same ASL files that SAM
//! deploys, with the Lambda ARNs substituted by local task names. Each runs its queries as nested
//! executions of the query loop ([`QUERY_LOOP`]).

use std::collections::BTreeMap;

use reporting_handlers::LambdaName;
use state_machine::{LoadError, StateMachine};

/// One state machine the local home can run.
pub struct MachineDef {
    pub name: &'static str,
    pub asl: &'static str,
}

pub const MACHINES: &[MachineDef] = &[
    MachineDef {
        name: "setup",
        asl: include_str!("../../../statemachines/setup.asl.json"),
    },
    MachineDef {
        name: "ingestion",
        asl: include_str!("../../../statemachines/ingestion.asl.json"),
    },
    MachineDef {
        name: "backfill",
        asl: include_str!("../../../statemachines/backfill.asl.json"),
    },
    MachineDef {
        name: "watchdog",
        asl: include_str!("../../../statemachines/watchdog.asl.json"),
    },
    MachineDef {
        name: "housekeeping",
        asl: include_str!("../../../statemachines/housekeeping.asl.json"),
    },
    MachineDef {
        name: "completed-comms-report",
        asl: include_str!("../../../statemachines/completed-comms-report.asl.json"),
    },
    MachineDef {
        name: "completed-batch-report",
        asl: include_str!("../../../statemachines/completed-batch-report.asl.json"),
    },
    MachineDef {
        name: "verify-cutover",
        asl: include_str!("../../../statemachines/verify-cutover.asl.json"),
    },
];

/// The query loop every machine runs each query in (`states:startExecution.sync:2`): start, wait,
/// poll, rerun what may pass, fail naming the query. Not started on its own.
pub const QUERY_LOOP: MachineDef = MachineDef {
    name: "query",
    asl: include_str!("../../../statemachines/query.asl.json"),
};

/// What `${QueryStateMachineArn}` becomes locally.
pub const QUERY_LOOP_ARN: &str = "local:query";

/// One page of a client's batch reports, which completed-batch-report runs as a nested execution
/// per page. Not started on its own.
pub const BATCH_REPORTS: MachineDef = MachineDef {
    name: "batch-reports",
    asl: include_str!("../../../statemachines/batch-reports.asl.json"),
};

/// What `${BatchReportsStateMachineArn}` becomes locally.
pub const BATCH_REPORTS_ARN: &str = "local:batch-reports";

/// The machines that only run nested in others, with the ARNs their callers name.
pub const NESTED: [(&MachineDef, &str); 2] = [
    (&QUERY_LOOP, QUERY_LOOP_ARN),
    (&BATCH_REPORTS, BATCH_REPORTS_ARN),
];

/// Every definition in `statemachines/`: the machines, then the ones they only run nested.
pub fn definitions() -> impl Iterator<Item = &'static MachineDef> {
    MACHINES.iter().chain(NESTED.map(|(m, _)| m))
}

/// Loads one of the repository's machines with the machines it nests (the query loop, a batch
/// report page) as SAM deploys them.
pub fn load(def: &MachineDef) -> Result<StateMachine, LoadError> {
    let substitutions = substitutions();
    let query = StateMachine::load(QUERY_LOOP.name, QUERY_LOOP.asl, &substitutions)?;
    let mut pages = StateMachine::load(BATCH_REPORTS.name, BATCH_REPORTS.asl, &substitutions)?;
    pages.nest(QUERY_LOOP_ARN, &query);
    let mut machine = StateMachine::load(def.name, def.asl, &substitutions)?;
    machine.nest(QUERY_LOOP_ARN, &query);
    machine.nest(BATCH_REPORTS_ARN, &pages);
    Ok(machine)
}

/// The resource a Lambda's ARN becomes locally: `local:<name>`.
pub fn local_resource(lambda: LambdaName) -> String {
    format!("local:{}", lambda.name())
}

/// The Lambda a local Task resource names, if it is one.
pub fn lambda_of(resource: &str) -> Option<LambdaName> {
    LambdaName::ALL
        .into_iter()
        .find(|l| local_resource(*l) == resource)
}

/// An AWS SDK integration the local runner stands in for: Glue column statistics become
/// DuckDB's `ANALYZE <table>`.
pub const GLUE_COLUMN_STATISTICS: &str =
    "arn:aws:states:::aws-sdk:glue:startColumnStatisticsTaskRun";

/// What SAM's `DefinitionSubstitutions` supply in AWS, locally.
pub fn substitutions() -> BTreeMap<String, String> {
    let lambdas = LambdaName::ALL.into_iter().map(|l| {
        let name = l
            .arn_placeholder()
            .trim_start_matches("${")
            .trim_end_matches('}');
        (name.to_string(), local_resource(l))
    });
    lambdas
        .chain([
            ("Database".to_string(), "main".to_string()),
            (
                "HousekeepingRoleArn".to_string(),
                "local:housekeeping-role".to_string(),
            ),
            (
                "QueryStateMachineArn".to_string(),
                QUERY_LOOP_ARN.to_string(),
            ),
            (
                "BatchReportsStateMachineArn".to_string(),
                BATCH_REPORTS_ARN.to_string(),
            ),
        ])
        .collect()
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
