//! The DuckDB library the layer runs on, and the one behaviour it keeps whichever is linked.
//!
//! Two builds of the same DuckDB 2.0.0 sources (source id `d54cbbe3df`) can be linked
//! (`make … DUCKDB=prebuilt|bundled`, README "Which DuckDB"):
//! * **bundled**: libduckdb-sys compiles the C++ with the extensions we ask for: `core_functions`,
//!   `json`, `parquet`.
//! * **prebuilt**: the library inside PyPI's `duckdb` 2.0.0 wheel, which also links `icu` (time
//!   zones, calendars, collations) and is built to load and even download other extensions when a
//!   query names them.
//!
//! [`pin`] runs on every connection before the prelude: it refuses any library but 2.0.0 of those
//! sources, refuses any loaded extension it does not know, turns extension loading and downloading
//! off, and neutralises what only one build has ([`NEUTRALISED`]): with ICU, `TimeZone` is pinned to
//! UTC, so `current_date`, `now()`, and every cast or part of a `TIMESTAMP WITH TIME ZONE` mean what
//! they mean without ICU, whatever the machine's zone. ICU's own functions and `AT TIME ZONE`
//! stay out of reach: an SQL asset may call only the functions in [`crate::functions`], and
//! [`crate::translate`] refuses time-zone syntax. The `library_profile` tests pin all of it, on
//! whichever library the test binary links.

use std::collections::BTreeSet;

use crate::CompatError;

/// The DuckDB release, and the commit it was built from, that both builds carry.
pub const VERSION: &str = "v2.0.0";
pub const SOURCE_ID: &str = "d54cbbe3df";

/// The extensions both builds load, and what the layer has of each.
pub const USED: &[(&str, &str)] = &[
    ("core_functions", "DuckDB's scalar and aggregate functions"),
    (
        "json",
        "not called by our SQL; both builds carry it, so it is the same either way",
    ),
    ("parquet", "read_parquet: the Firehose source files"),
];

/// Extensions only one build loads, and how the layer makes them invisible.
pub const NEUTRALISED: &[(&str, &str)] = &[(
    "icu",
    "prebuilt only: TimeZone pinned to UTC and Calendar to gregorian (what DuckDB without ICU \
     does); its functions are outside the layer's function list and AT TIME ZONE is refused",
)];

/// What [`pin`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryProfile {
    pub version: String,
    pub source_id: String,
    /// Every extension loaded when the connection opened.
    pub loaded: BTreeSet<String>,
    /// The loaded extensions of [`NEUTRALISED`].
    pub neutralised: BTreeSet<String>,
}

impl LibraryProfile {
    /// Whether this is the prebuilt library (the one with ICU).
    pub fn is_prebuilt(&self) -> bool {
        self.neutralised.contains("icu")
    }
}

/// Whether the layer can run on a library of `version` and `source_id` with `loaded` extensions:
/// the same sources, every extension of [`USED`], nothing outside [`USED`] and [`NEUTRALISED`].
pub fn judge(version: &str, source_id: &str, loaded: &BTreeSet<String>) -> Result<(), CompatError> {
    if version != VERSION || source_id != SOURCE_ID {
        return Err(CompatError::Library(format!(
            "DuckDB {version} ({source_id}) is linked; the layer is known only on {VERSION} \
             ({SOURCE_ID})"
        )));
    }
    let missing: Vec<&str> = USED
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !loaded.contains(*name))
        .collect();
    if !missing.is_empty() {
        return Err(CompatError::Library(format!(
            "the linked DuckDB lacks the extension(s) {}",
            missing.join(", ")
        )));
    }
    let unknown: Vec<&str> = loaded
        .iter()
        .map(String::as_str)
        .filter(|name| known(name).is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(CompatError::Library(format!(
            "the linked DuckDB loads extension(s) the layer does not know, so cannot promise the \
             other build's behaviour: {} (list each in duckdb_trino::library with how it is \
             neutralised)",
            unknown.join(", ")
        )));
    }
    Ok(())
}

fn known(name: &str) -> Option<&'static str> {
    USED.iter()
        .chain(NEUTRALISED)
        .find(|(n, _)| *n == name)
        .map(|(_, why)| *why)
}

/// Checks the library behind `conn` ([`judge`]) and sets it to behave as the other build does.
pub fn pin(conn: &duckdb::Connection) -> Result<LibraryProfile, CompatError> {
    let failed = |e: duckdb::Error| CompatError::Library(e.to_string());
    let (version, source_id): (String, String) = conn
        .query_row(
            "SELECT library_version, source_id FROM pragma_version()",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(failed)?;
    let mut statement = conn
        .prepare("SELECT extension_name FROM duckdb_extensions() WHERE loaded")
        .map_err(failed)?;
    let loaded = statement
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(failed)?
        .collect::<Result<BTreeSet<_>, _>>()
        .map_err(failed)?;
    judge(&version, &source_id, &loaded)?;
    // Neither build may fetch or load an extension because a query names one.
    conn.execute_batch(
        "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false;",
    )
    .map_err(failed)?;
    let neutralised: BTreeSet<String> = NEUTRALISED
        .iter()
        .map(|(name, _)| name.to_string())
        .filter(|name| loaded.contains(name))
        .collect();
    if neutralised.contains("icu") {
        // The settings exist only where ICU is loaded; without it DuckDB is UTC and gregorian.
        conn.execute_batch("SET TimeZone = 'UTC'; SET Calendar = 'gregorian';")
            .map_err(failed)?;
    }
    Ok(LibraryProfile {
        version,
        source_id,
        loaded,
        neutralised,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn both_builds_are_accepted() {
        let bundled = set(&["core_functions", "json", "parquet"]);
        let prebuilt = set(&["core_functions", "icu", "json", "parquet"]);
        assert_eq!(judge(VERSION, SOURCE_ID, &bundled), Ok(()));
        assert_eq!(judge(VERSION, SOURCE_ID, &prebuilt), Ok(()));
    }

    #[test]
    fn an_unknown_extension_is_refused_by_name() {
        let loaded = set(&["core_functions", "json", "parquet", "spatial", "httpfs"]);
        let err = judge(VERSION, SOURCE_ID, &loaded).unwrap_err().to_string();
        assert!(err.contains("httpfs, spatial"), "{err}");
    }

    #[test]
    fn a_missing_extension_is_named() {
        let err = judge(VERSION, SOURCE_ID, &set(&["core_functions", "json"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("lacks the extension(s) parquet"), "{err}");
    }

    #[test]
    fn another_version_or_commit_is_refused() {
        let loaded = set(&["core_functions", "json", "parquet"]);
        for (version, source) in [("v1.4.1", SOURCE_ID), (VERSION, "0123456789")] {
            let err = judge(version, source, &loaded).unwrap_err().to_string();
            assert!(err.contains(&format!("{version} ({source})")), "{err}");
        }
    }
}
