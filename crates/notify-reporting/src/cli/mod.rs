//! The `notify-reporting` command line: one struct per subcommand, each with its own `run`.
//! `main.rs` parses [`Cli`] and prints what [`Cli::run`] returns.

mod catalog;
mod catch_up;
mod generate;
mod queries;
mod run_machine;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use reporting_core::CalendarDate;

use crate::{EngineChoice, Home, RunError};

pub use catalog::CatalogCommand;
pub use catch_up::CatchUpCommand;
pub use generate::GenerateCommand;
pub use queries::{QueriesCommand, QueryCommand};
pub use run_machine::RunCommand;

/// notify-reporting, locally: the repository's state machines, handlers and SQL on embedded DuckDB.
#[derive(Parser)]
#[command(name = "notify-reporting", version, about, long_about = None)]
pub struct Cli {
    /// The local home folder (DuckDB file, object store, parameter and metrics files).
    #[arg(
        long,
        global = true,
        env = "NOTIFY_REPORTING_HOME",
        default_value = ".local"
    )]
    home: PathBuf,
    /// Where the staging tables live and the SQL runs: embedded DuckDB, or a Trino server with an
    /// Iceberg and a Hive catalog (`make trino-up` starts one; the engine Athena v3 is).
    #[arg(long, global = true, env = "NOTIFY_REPORTING_ENGINE", value_enum, default_value_t = EngineName::Duckdb)]
    engine: EngineName,
    /// The Trino server, with `--engine trino`.
    #[arg(long, global = true, env = "TRINO_URL", default_value = EngineChoice::DEFAULT_TRINO_URL)]
    trino_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineName {
    Duckdb,
    Trino,
}

#[derive(Subcommand)]
enum Command {
    Catalog(CatalogCommand),
    Generate(GenerateCommand),
    Run(RunCommand),
    Queries(QueriesCommand),
    Query(QueryCommand),
    CatchUp(CatchUpCommand),
}

/// What every subcommand works on.
pub struct Context {
    pub home: Home,
    pub engine: EngineName,
}

/// Why a command did not succeed, and so its exit status.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Refused before anything ran or was written (exit 2).
    #[error("{0}")]
    Refused(String),
    /// It ran and failed (exit 1).
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Run(#[from] RunError),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Refused(_) | CliError::Run(RunError::InvalidInput(_)) => ExitCode::from(2),
            CliError::Failed(_) | CliError::Run(_) => ExitCode::from(1),
        }
    }
}

impl Cli {
    pub fn run(self) -> Result<(), CliError> {
        let home = Home::new(&self.home).on(match self.engine {
            EngineName::Duckdb => EngineChoice::DuckDb,
            EngineName::Trino => EngineChoice::Trino {
                url: self.trino_url.clone(),
            },
        });
        let context = Context {
            home,
            engine: self.engine,
        };
        match self.command {
            Command::Catalog(c) => c.run(),
            Command::Generate(c) => c.run(&context),
            Command::Run(c) => c.run(&context),
            Command::Queries(c) => c.run(&context),
            Command::Query(c) => c.run(&context),
            Command::CatchUp(c) => c.run(&context),
        }
    }
}

/// One thread is enough: the local engine runs one query at a time.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn parse_date(s: &str) -> Result<CalendarDate, String> {
    CalendarDate::parse(s).map_err(|e| e.to_string())
}

fn print_table_rows(table_rows: &[(String, u64)]) {
    println!("\n{:<56} {:>12}", "table", "rows");
    for (table, rows) in table_rows {
        println!("{table:<56} {rows:>12}");
    }
}
