//! The local home: the same ports as AWS, on this machine.
//!
//! | port | AWS | here |
//! |---|---|---|
//! | query engine | Athena | [`DuckDbEngine`]: embedded DuckDB + the Trino layer |
//! | object store | S3 | [`DirectoryStore`]: `<root>/<bucket>/<key>` |
//! | parameters | SSM | [`ParameterFile`]: one JSON file |
//! | metrics | CloudWatch | [`MetricsFile`]: JSON lines |
//! | saved queries | Athena named queries | [`SavedQueryFile`]: one JSON file |
//! | hash key vault | an S3 object under its own KMS key, read as a table | `<root>/vault/hash-key/hash_key`, read as `hash_key` |
//! | query history | Athena's (`QueryString`, `ExecutionParameters`) | [`EngineOptions::query_history`]: JSON lines |

mod engine;
pub mod faults;
mod metrics_file;
mod object_dir;
mod parameter_file;
mod query_history;
mod saved_query_file;
mod source_folder;
mod statement;
mod vault_table;

pub use engine::{DuckDbEngine, EngineOptions, ExecutedQuery};
pub use metrics_file::MetricsFile;
pub use object_dir::DirectoryStore;
pub use parameter_file::ParameterFile;
pub use saved_query_file::SavedQueryFile;
pub use statement::is_query;
pub use vault_table::random_hash_key;
