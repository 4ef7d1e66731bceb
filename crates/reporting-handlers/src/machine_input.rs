//! What each state machine accepts as its execution input, checked by one function: by the
//! local CLI before anything is opened, and in AWS by each machine's first Task (run-query's
//! `check-input`), so a misspelt field (`{"asof": …}`) fails at once with `Input.Invalid` naming
//! it, instead of running today's window.

use reporting_core::{catalog, CalendarDate, HandlerError};
use serde::Deserialize;

/// The machines and the execution input fields each accepts.
pub const MACHINE_INPUTS: &[(&str, &[&str])] = &[
    ("setup", &[]),
    ("ingestion", &["mode", "asOf"]),
    ("backfill", &["table", "asOf"]),
    ("watchdog", &["asOf"]),
    ("housekeeping", &[]),
    ("completed-comms-report", &["completedDate", "clientIds"]),
    ("completed-batch-report", &["clientIds"]),
    ("verify-cutover", &["asOf"]),
];

/// The fields a machine cannot run without: missing, the input is refused as `Input.Invalid`
/// naming them, before anything runs (not a `States.Runtime` failure on a missing path later).
pub const REQUIRED_INPUTS: &[(&str, &[&str])] = &[("backfill", &["table"])];

/// The fields an execution input can hold, each with its type.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputFields {
    mode: Option<crate::IngestionMode>,
    as_of: Option<String>,
    table: Option<String>,
    completed_date: Option<String>,
    client_ids: Option<Vec<String>>,
}

/// Checks `input` as the execution input of `machine`: a JSON object holding only the fields the
/// machine accepts, each of its type, dates real dates, a table a staging table, client ids valid.
pub fn check_machine_input(machine: &str, input: &serde_json::Value) -> Result<(), HandlerError> {
    let Some((name, accepted)) = MACHINE_INPUTS.iter().find(|(m, _)| *m == machine) else {
        let known: Vec<&str> = MACHINE_INPUTS.iter().map(|(m, _)| *m).collect();
        return Err(HandlerError::invalid(format!(
            "unknown state machine '{}'; known: {}",
            machine.chars().take(60).collect::<String>(),
            known.join(", ")
        )));
    };
    let Some(object) = input.as_object() else {
        return Err(HandlerError::invalid(format!(
            "the input of {name} must be a JSON object"
        )));
    };
    let unknown: Vec<String> = object
        .keys()
        .filter(|k| !accepted.contains(&k.as_str()))
        .map(|k| k.chars().take(60).collect())
        .collect();
    if !unknown.is_empty() {
        return Err(HandlerError::invalid(format!(
            "{name} does not accept the input field(s) {}; it accepts: {}",
            unknown.join(", "),
            if accepted.is_empty() {
                "none".to_string()
            } else {
                accepted.join(", ")
            }
        )));
    }
    let missing: Vec<&str> = REQUIRED_INPUTS
        .iter()
        .filter(|(m, _)| *m == machine)
        .flat_map(|(_, fields)| fields.iter().copied())
        .filter(|field| object.get(*field).is_none_or(|v| v.is_null()))
        .collect();
    if !missing.is_empty() {
        return Err(HandlerError::invalid(format!(
            "{name} needs the input field(s) {}; it accepts: {}",
            missing.join(", "),
            accepted.join(", ")
        )));
    }
    let fields: InputFields = serde_path_to_error::deserialize(input.clone())
        .map_err(|e| HandlerError::invalid(format!("{}: {}", e.path(), e.inner())))?;
    for (field, date) in [
        ("asOf", &fields.as_of),
        ("completedDate", &fields.completed_date),
    ] {
        if let Some(text) = date {
            CalendarDate::parse(text)
                .map_err(|e| HandlerError::invalid(format!("{field}: {e}")))?;
        }
    }
    if machine == "ingestion" {
        crate::IngestionInput {
            mode: fields.mode,
            as_of: fields.as_of.clone(),
        }
        .resolve(CalendarDate::today_utc())?;
    }
    if let Some(table) = &fields.table {
        if catalog::table(table).is_none() {
            let known: Vec<&str> = catalog::TABLES.iter().map(|t| t.name).collect();
            return Err(HandlerError::invalid(format!(
                "table '{}' is not a staging table; known: {}",
                table.chars().take(80).collect::<String>(),
                known.join(", ")
            )));
        }
    }
    if let Some(ids) = &fields.client_ids {
        crate::client_ids("clientIds", ids)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(machine: &str, input: serde_json::Value) -> String {
        check_machine_input(machine, &input)
            .unwrap_err()
            .message()
            .to_string()
    }

    #[test]
    fn a_misspelt_or_mistyped_field_is_named() {
        assert!(check_machine_input("ingestion", &json!({"asOf": "2026-11-20"})).is_ok());
        assert!(check_machine_input("ingestion", &json!({})).is_ok());
        let m = refused("ingestion", json!({"asof": "2026-11-20"}));
        assert!(
            m.contains("asof") && m.contains("accepts: mode, asOf"),
            "{m}"
        );
        assert!(check_machine_input("ingestion", &json!({"mode": "incremental"})).is_ok());
        assert!(check_machine_input(
            "ingestion",
            &json!({"mode": "window", "asOf": "2026-11-20"})
        )
        .is_ok());
        assert!(refused("ingestion", json!({"mode": "weekly"})).starts_with("mode:"));
        assert!(refused(
            "ingestion",
            json!({"mode": "incremental", "asOf": "2026-11-20"})
        )
        .starts_with("asOf:"));
        assert!(refused("ingestion", json!({"asOf": "2026-02-30"})).contains("asOf"));
        assert!(refused("ingestion", json!({"asOf": 20261120})).contains("asOf"));
        assert!(refused("setup", json!({"asOf": "2026-11-20"})).contains("accepts: none"));
        assert!(refused("backfill", json!({"table": "x; DROP"})).contains("not a staging table"));
        // A required field missing is named, whatever else the input holds.
        for input in [
            json!({}),
            json!({"asOf": "2026-11-20"}),
            json!({"table": null}),
        ] {
            let m = refused("backfill", input);
            assert!(
                m.starts_with("backfill needs the input field(s) table"),
                "{m}"
            );
        }
        assert!(check_machine_input("backfill", &json!({"table": "request_item_status"})).is_ok());
        assert!(
            refused("completed-comms-report", json!({"clientIds": ["a/b"]}))
                .contains("clientIds[0]")
        );
        assert!(refused("ingestion", json!(["asOf"])).contains("JSON object"));
        assert!(refused("ingest", json!({})).contains("known: setup, ingestion"));
    }
}
