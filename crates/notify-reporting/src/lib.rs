//! The local home of notify-reporting: the same handlers, ASL files and SQL as AWS, on embedded
//! DuckDB, with a folder as S3, a file as SSM and a file as CloudWatch.

pub mod by_hand;
pub mod cli;
pub mod engine;
pub mod home;
pub mod machines;
pub mod run;
pub mod tasks;

pub use engine::{EngineChoice, HomeEngine};
pub use home::Home;
pub use run::{catch_up, catch_up_dates, run_machine, RunError, RunReport};
