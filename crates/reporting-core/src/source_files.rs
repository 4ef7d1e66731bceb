//! The source's files, for the file ledger: where a capture day's Firehose files are listed, how
//! their names are spelt the way the engine spells `"$path"`, and how many a run binds.
//!
//! An incremental run reads the window's files that the ledger (`ingestion_files`) does not hold:
//! the plan lists each capture day of the window here (an S3 listing in AWS, the folder locally),
//! takes away the ledger's files, and binds what is left, at most [`FILE_SLOTS`], into the
//! `"$path" IN (…)` of the claim and the pass-1 queries. A bound list of constants is what every
//! engine prunes files on (Trino's and Athena's splits, DuckDB's `read_parquet` files); a list
//! from a subquery is not (docs/ingestion-contract.md, "What each engine skips").

use crate::error::PortError;
use crate::ports::ObjectStore;
use crate::CalendarDate;

/// The file slots of `${source_files}`: the most files one run claims and reads. The plan takes
/// the oldest capture days' files first when there are more, and the next run takes the rest.
pub const FILE_SLOTS: usize = 100;

/// What `${source_files}` renders to: one `?` per file slot.
pub fn slot_markers() -> String {
    vec!["?"; FILE_SLOTS].join(", ")
}

/// Where the source table's files are, as an object store lists them and as the engine names
/// them: the object `<bucket>/<prefix><rest>` is the engine's `<engine_uri>/<rest>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLocation {
    pub bucket: String,
    /// The key prefix of the table's location, ending in `/` (or empty).
    pub prefix: String,
    /// The table's location as the engine spells it in `"$path"`, without a trailing `/`:
    /// `s3://bucket/prefix` on Athena, `local:///abs/folder` on the local Trino, `/abs/folder` on
    /// DuckDB.
    pub engine_uri: String,
}

impl SourceLocation {
    /// An `s3://bucket/prefix` location (Athena's, where `"$path"` is the object's S3 URI).
    pub fn s3(uri: &str) -> Result<Self, String> {
        let rest = uri
            .strip_prefix("s3://")
            .ok_or_else(|| format!("'{uri}' is not an s3:// URI"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("'{uri}' names no bucket"));
        }
        let prefix = prefix.trim_end_matches('/');
        Ok(Self {
            bucket: bucket.to_string(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            engine_uri: uri.trim_end_matches('/').to_string(),
        })
    }

    /// The engine's name of the object `key`, or `None` when the key is not under the location.
    fn engine_path(&self, key: &str) -> Option<String> {
        key.strip_prefix(&self.prefix)
            .map(|rest| format!("{}/{rest}", self.engine_uri))
    }
}

/// One source file as listed: the engine's name for it, and when it was written (where the
/// store says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedFile {
    pub path: String,
    pub last_modified_millis: Option<i64>,
}

/// The Parquet files of one capture day, by the engine's names, sorted.
pub async fn list_capture_day(
    store: &dyn ObjectStore,
    location: &SourceLocation,
    day: CalendarDate,
) -> Result<Vec<String>, PortError> {
    Ok(list_capture_day_files(store, location, day)
        .await?
        .into_iter()
        .map(|f| f.path)
        .collect())
}

/// The Parquet files of one capture day with when each was written, sorted by name. Firehose's
/// Hive-style folders are `__year=Y/__month=M/__day=D/`; months and days are listed unpadded and
/// zero-padded both, since Glue reads either as the same integer partition.
pub async fn list_capture_day_files(
    store: &dyn ObjectStore,
    location: &SourceLocation,
    day: CalendarDate,
) -> Result<Vec<ListedFile>, PortError> {
    let (year, month, day) = (day.year(), day.month(), day.day());
    let mut prefixes = vec![];
    for m in [format!("{month}"), format!("{month:02}")] {
        for d in [format!("{day}"), format!("{day:02}")] {
            let p = format!("{}__year={year}/__month={m}/__day={d}/", location.prefix);
            if !prefixes.contains(&p) {
                prefixes.push(p);
            }
        }
    }
    let mut files = Vec::new();
    for prefix in prefixes {
        for object in store.list(&location.bucket, &prefix).await? {
            // Firehose names files without an extension unless told one; folder markers and
            // other tools' files (`_SUCCESS`, `x.crc`) are not the table's.
            let name = object.key.rsplit('/').next().unwrap_or_default();
            let is_data =
                name.ends_with(".parquet") || !(name.contains('.') || name.starts_with('_'));
            if is_data {
                files.extend(location.engine_path(&object.key).map(|path| ListedFile {
                    path,
                    last_modified_millis: object.last_modified_millis,
                }));
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_location_names_objects_as_athena_does() {
        let l = SourceLocation::s3("s3://core-bucket/firehose/transaction_history/").unwrap();
        assert_eq!(l.bucket, "core-bucket");
        assert_eq!(l.prefix, "firehose/transaction_history/");
        assert_eq!(
            l.engine_path("firehose/transaction_history/__year=2026/__month=12/__day=5/f.parquet"),
            Some(
                "s3://core-bucket/firehose/transaction_history/__year=2026/__month=12/__day=5/f.parquet"
                    .to_string()
            )
        );
        assert_eq!(l.engine_path("elsewhere/x"), None);
        let root = SourceLocation::s3("s3://b").unwrap();
        assert_eq!(
            (root.prefix.as_str(), root.engine_uri.as_str()),
            ("", "s3://b")
        );
        assert!(SourceLocation::s3("https://b/x").is_err());
        assert!(SourceLocation::s3("s3:///x").is_err());
    }

    #[test]
    fn the_markers_are_one_per_slot() {
        assert_eq!(
            crate::sql_text::count_parameter_markers(&slot_markers()),
            FILE_SLOTS
        );
    }
}
