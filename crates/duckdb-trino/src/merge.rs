//! Trino fails a MERGE when several source rows match one target row; DuckDB does not. The local
//! engine therefore splits every MERGE into its parts and checks, before running it, that no two
//! source rows satisfy the ON condition together ([`uniqueness_check`]).

use std::sync::LazyLock;

use regex::Regex;

use crate::scan::{find_top_level_keyword, mask, matching_paren, strip_comments};
use crate::CompatError;

static HEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)^\s*MERGE\s+INTO\s+([\w."]+)\s+(?:AS\s+)?(\w+)\s+USING\s*\("#).unwrap()
});
static SOURCE_ALIAS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^\s*(?:AS\s+)?(\w+)\s+ON\s").unwrap());

/// The parts of `MERGE INTO target AS t USING (source) AS s ON (on) WHEN …`, as slices of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeParts<'a> {
    pub target: &'a str,
    pub target_alias: &'a str,
    pub source: &'a str,
    pub source_alias: &'a str,
    pub on: &'a str,
}

/// Splits a MERGE statement; `Ok(None)` when the statement is not a MERGE.
pub fn split(sql: &str) -> Result<Option<MergeParts<'_>>, CompatError> {
    let masked = mask(sql);
    let Some(caps) = HEAD.captures(&masked) else {
        if masked
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("MERGE")
        {
            return Err(CompatError::Unsupported(
                "MERGE without the form MERGE INTO <table> AS <alias> USING (<query>) AS <alias> ON …".into(),
            ));
        }
        return Ok(None);
    };
    let target = caps.get(1).unwrap().range();
    let target_alias = caps.get(2).unwrap().range();
    let open = caps.get(0).unwrap().end() - 1;
    let close = matching_paren(&masked, open)
        .ok_or_else(|| CompatError::Malformed("unbalanced USING ( … )".into()))?;
    let after = &masked[close + 1..];
    let alias = SOURCE_ALIAS.captures(after).ok_or_else(|| {
        CompatError::Unsupported("MERGE source needs an alias followed by ON".into())
    })?;
    let source_alias = alias.get(1).unwrap().range();
    let on_start = close + 1 + alias.get(0).unwrap().end();
    let on_end = find_top_level_keyword(&masked, "WHEN", on_start)
        .ok_or_else(|| CompatError::Malformed("MERGE without WHEN".into()))?;
    Ok(Some(MergeParts {
        target: &sql[target],
        target_alias: &sql[target_alias],
        source: &sql[open + 1..close],
        source_alias: &sql[close + 1 + source_alias.start..close + 1 + source_alias.end],
        on: sql[on_start..on_end].trim(),
    }))
}

/// A query returning how many source rows share a would-be target row with another source row
/// (0 means Athena would accept the MERGE). It binds the same parameters as the MERGE, provided all
/// of the MERGE's `?` markers are inside its USING query or its ON condition (checked by the
/// caller). A condition on the target's columns alone (a pruning bound) is read against the other
/// source row.
pub fn uniqueness_check(parts: &MergeParts<'_>) -> String {
    // The parts are spliced into one statement: a trailing `--` comment would swallow what follows.
    let (source, on) = (strip_comments(parts.source), strip_comments(parts.on));
    format!(
        "WITH merge_source AS MATERIALIZED (SELECT *, row_number() OVER () AS merge_source_row FROM ({source}) AS merge_source_inner)\n\
         SELECT count(DISTINCT {s}.merge_source_row) FROM merge_source AS {s} JOIN merge_source AS {t}\n\
         ON ({on}) AND {s}.merge_source_row <> {t}.merge_source_row",
        source = source.trim_end(),
        s = parts.source_alias,
        t = parts.target_alias,
        on = on.trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_merge_with_nested_subqueries_and_tricky_literals() {
        let sql = "-- WHEN in a comment\nMERGE INTO tbl AS t USING (SELECT a, '(WHEN' AS b FROM (SELECT 1 AS a) x WHERE a > ?) AS s\nON (t.a = s.a) WHEN MATCHED THEN UPDATE SET b = s.b";
        let p = split(sql).unwrap().unwrap();
        assert_eq!(p.target, "tbl");
        assert_eq!(p.target_alias, "t");
        assert_eq!(
            p.source,
            "SELECT a, '(WHEN' AS b FROM (SELECT 1 AS a) x WHERE a > ?"
        );
        assert_eq!(p.source_alias, "s");
        assert_eq!(p.on, "(t.a = s.a)");
    }

    #[test]
    fn the_check_survives_comments_at_the_ends_of_its_parts() {
        let sql = "MERGE INTO t AS t USING (SELECT 1 AS k -- last line of the source\n) AS s ON (t.k = s.k)\n-- why\nWHEN MATCHED THEN UPDATE SET k = s.k";
        let check = uniqueness_check(&split(sql).unwrap().unwrap());
        assert!(
            check.contains("FROM (SELECT 1 AS k) AS merge_source_inner"),
            "{check}"
        );
        assert!(check.contains("ON ((t.k = s.k)) AND"), "{check}");
    }

    #[test]
    fn non_merge_is_none_and_odd_merge_is_refused() {
        assert_eq!(split("SELECT 1").unwrap(), None);
        assert!(split("MERGE INTO t USING other ON (x) WHEN MATCHED THEN DELETE").is_err());
    }
}
