//! The source table `transaction_history`, spelt once: `sql/source/transaction_history.sql` (the
//! core account's Glue schema). The local engine, the Trino home, the synthetic generator and the
//! bench all read its columns from here.

use crate::catalog::SOURCE_SCHEMA;
use crate::sql_text::{mask, split_top_level, strip_leading_comments};

/// The Firehose partition columns, the schema's last three.
pub const PARTITION_COLUMNS: &[&str] = &["__year", "__month", "__day"];

/// One column of the source table, with the Hive type Glue declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceColumn {
    pub name: &'static str,
    /// `string`, `int`, `array<string>`, `struct<…>`, as in the Glue schema.
    pub hive_type: &'static str,
}

impl SourceColumn {
    pub fn is_partition(&self) -> bool {
        PARTITION_COLUMNS.contains(&self.name)
    }
}

/// Every column of the source schema, in order, partition columns last.
pub fn columns() -> Vec<SourceColumn> {
    let ddl = strip_leading_comments(SOURCE_SCHEMA);
    let open = ddl
        .find('(')
        .expect("the source schema is CREATE TABLE name (…)");
    let close = mask(ddl)
        .rfind(')')
        .expect("the source schema's column list closes");
    split_top_level(&ddl[open + 1..close], ',')
        .into_iter()
        .map(|column| {
            let column = column.trim();
            let (name, hive_type) = column
                .split_once(char::is_whitespace)
                .expect("each source column is `name type`");
            SourceColumn {
                name: name.trim_matches('`'),
                hive_type: hive_type.trim(),
            }
        })
        .collect()
}

/// The columns the Firehose files hold (all but the partition columns, which are folders).
pub fn file_columns() -> Vec<SourceColumn> {
    columns()
        .into_iter()
        .filter(|c| !c.is_partition())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_reads_as_named_typed_columns_with_the_partitions_last() {
        let all = columns();
        assert_eq!(all.len(), 42);
        assert_eq!(
            all[0],
            SourceColumn {
                name: "$classification",
                hive_type: "struct<timestamp:bigint>"
            }
        );
        let names: Vec<&str> = all.iter().map(|c| c.name).collect();
        assert_eq!(&names[names.len() - 3..], PARTITION_COLUMNS);
        assert!(all
            .iter()
            .any(|c| c.name == "templates" && c.hive_type.starts_with("struct<suppliers:struct<")));
        assert_eq!(file_columns().len(), 39);
        assert!(all
            .iter()
            .all(|c| !c.name.is_empty() && !c.hive_type.is_empty()));
    }
}
