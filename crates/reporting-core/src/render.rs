//! Rendering `${placeholder}`s in SQL assets from the deployment. Only deployment facts are
//! rendered (names, locations, the configured batch client list); runtime input is always bound.

use crate::config::Deployment;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error(
        "unknown placeholder ${{{0}}} in SQL; known: source_table, hash_key_table, source_files, data_location, database, batch_client_ids, sms_nudge_client_ids, email_filter_client_ids, migrations, expected_columns, adopted_columns, reference_database, table"
    )]
    Unknown(String),
    #[error("unterminated placeholder at byte {0}")]
    Unterminated(usize),
    #[error("${{{0}}} has no value in this deployment: {1}")]
    Unconfigured(&'static str, &'static str),
}

/// Substitutes every `${name}` in `sql`. Unknown names are an error, never left in place.
pub fn render(sql: &str, deployment: &Deployment) -> Result<String, RenderError> {
    render_for_table(sql, deployment, None)
}

/// Like [`render`], for a query that names one staging table (`${table}`, housekeeping). The
/// name must be a catalog table: it is checked here, because it becomes SQL text.
pub fn render_for_table(
    sql: &str,
    deployment: &Deployment,
    table: Option<&str>,
) -> Result<String, RenderError> {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    let mut offset = 0;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or(RenderError::Unterminated(offset + start))?;
        let name = &after[..end];
        out.push_str(&value(name, deployment, table)?);
        let consumed = start + 2 + end + 1;
        offset += consumed;
        rest = &rest[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

/// An SQL IN list of string literals; empty is `NULL`, which matches nothing (and whose negation,
/// written `NOT COALESCE(x IN (...), false)`, matches everything).
fn in_list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let quoted: Vec<String> = items
        .into_iter()
        .map(|id| format!("'{}'", id.replace('\'', "''")))
        .collect();
    if quoted.is_empty() {
        "NULL".to_string()
    } else {
        quoted.join(", ")
    }
}

fn value(name: &str, d: &Deployment, table: Option<&str>) -> Result<String, RenderError> {
    Ok(match name {
        // Parameter markers, not values: the file slots an incremental run binds.
        "source_files" => crate::source_files::slot_markers(),
        "database" => d.database.clone(),
        "sms_nudge_client_ids" => in_list(d.sms_nudge_client_id.iter()),
        "email_filter_client_ids" => in_list(d.email_filter_client_ids.iter()),
        // The migrations the catalog knows, as VALUES rows (id, query, table, column).
        "migrations" => crate::catalog::MIGRATIONS
            .iter()
            .map(|m| {
                format!(
                    "('{}', '{}', '{}', '{}')",
                    m.id, m.query, m.table, m.adds_column
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        // Every staging table's columns, as VALUES rows (table, column).
        // Columns an adopted table may have that ours lack, as VALUES rows (table, column).
        "adopted_columns" => crate::catalog::ADOPTED_COLUMNS
            .iter()
            .map(|(table, column, _)| format!("('{table}', '{column}')"))
            .collect::<Vec<_>>()
            .join(", "),
        "expected_columns" => crate::catalog::table_columns()
            .map(|(table, column)| format!("('{table}', '{column}')"))
            .collect::<Vec<_>>()
            .join(", "),
        "table" => match table {
            Some(t) if crate::catalog::is_housekept(t) => t.to_string(),
            _ => {
                return Err(RenderError::Unknown(
                    "table (no catalog table given)".into(),
                ))
            }
        },
        "source_table" => d.source_table.clone(),
        "hash_key_table" => match &d.hash_key_table {
            Some(table) => table.clone(),
            None => return Err(RenderError::Unconfigured(
                "hash_key_table",
                "name the table over the hash key's vault object (the stack's HASH_KEY_TABLE; ingestion's run-query only)",
            )),
        },
        // Quoted: a Glue database name has hyphens (validated as an identifier).
        "reference_database" => match &d.reference_database {
            Some(name) => format!("\"{name}\""),
            None => return Err(RenderError::Unconfigured(
                "reference_database",
                "name the running system's database to compare with (the stack's ExistingGlueDatabaseName, REFERENCE_DATABASE; locally referenceDatabase in the home's config.json)",
            )),
        },
        "data_location" => d.data_location.clone(),
        // Empty renders as NULL, which matches nothing (upstream's 'NULL' string default did too).
        "batch_client_ids" => in_list(d.batch_client_ids.iter()),
        other => return Err(RenderError::Unknown(other.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_known_placeholders() {
        let mut d = Deployment::local();
        assert_eq!(
            render("x IN (${batch_client_ids})", &d).unwrap(),
            "x IN (NULL)"
        );
        d.batch_client_ids = vec!["a".into(), "b".into()];
        assert_eq!(
            render("FROM ${source_table} WHERE x IN (${batch_client_ids})", &d).unwrap(),
            "FROM transaction_history WHERE x IN ('a', 'b')"
        );
    }

    #[test]
    fn renders_the_reference_database_quoted_and_refuses_it_unset() {
        let mut d = Deployment::local();
        let unset = render("FROM ${reference_database}.t", &d).unwrap_err();
        assert!(matches!(
            unset,
            RenderError::Unconfigured("reference_database", _)
        ));
        assert!(unset.to_string().contains("referenceDatabase"), "{unset}");
        d.reference_database = Some("nhs-notify-prod-database".into());
        assert_eq!(
            render("FROM ${reference_database}.t", &d).unwrap(),
            "FROM \"nhs-notify-prod-database\".t"
        );
    }

    #[test]
    fn renders_each_staging_column_as_a_row() {
        let rows = render("${expected_columns}", &Deployment::local()).unwrap();
        assert!(
            rows.starts_with("('request_item_status', 'clientid'), "),
            "{rows}"
        );
        assert!(rows.contains("('request_item_status', 'failedreasoncode')"));
        assert!(
            !rows.contains("completed_comms"),
            "views are not staging tables"
        );
    }

    #[test]
    fn rejects_unknown_and_unterminated() {
        let d = Deployment::local();
        assert_eq!(
            render("${nope}", &d),
            Err(RenderError::Unknown("nope".into()))
        );
        assert!(matches!(
            render("a ${source_table", &d),
            Err(RenderError::Unterminated(2))
        ));
    }
}
