//! Rendering `${placeholder}`s in SQL assets from the deployment. Only deployment facts are
//! rendered (names, locations, the configured batch client list); runtime input is always bound.

use crate::config::Deployment;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error(
        "unknown placeholder ${{{0}}} in SQL; known: source_table, data_location, batch_client_ids"
    )]
    Unknown(String),
    #[error("unterminated placeholder at byte {0}")]
    Unterminated(usize),
}

/// Substitutes every `${name}` in `sql`. Unknown names are an error, never left in place.
pub fn render(sql: &str, deployment: &Deployment) -> Result<String, RenderError> {
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
        out.push_str(&value(name, deployment)?);
        let consumed = start + 2 + end + 1;
        offset += consumed;
        rest = &rest[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

fn value(name: &str, d: &Deployment) -> Result<String, RenderError> {
    Ok(match name {
        "source_table" => d.source_table.clone(),
        "data_location" => d.data_location.clone(),
        // An IN list; empty renders as NULL, which matches nothing (as upstream's 'NULL' default did).
        "batch_client_ids" if d.batch_client_ids.is_empty() => "NULL".to_string(),
        "batch_client_ids" => d
            .batch_client_ids
            .iter()
            .map(|id| format!("'{}'", id.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", "),
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
