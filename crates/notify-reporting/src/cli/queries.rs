use clap::Subcommand;

use super::{CliError, Context, EngineName};
use crate::by_hand;

/// List the catalog: every query with its workgroup, ingestion pass, parameters and the name
/// it is saved under in Athena. `queries show NAME` prints one as Athena and DuckDB run it.
#[derive(clap::Args)]
pub struct QueriesCommand {
    #[command(subcommand)]
    show: Option<ShowQuery>,
}

#[derive(Subcommand)]
enum ShowQuery {
    /// Print a query (by catalog id or saved name) as Athena SQL and as the DuckDB SQL it becomes.
    Show { name: String },
}

impl QueriesCommand {
    pub fn run(self, context: &Context) -> Result<(), CliError> {
        match self.show {
            None => print!("{}", by_hand::list()),
            Some(ShowQuery::Show { name }) => {
                print!(
                    "{}",
                    by_hand::show(&context.home, &name).map_err(CliError::Refused)?
                )
            }
        }
        Ok(())
    }
}

/// Run one read-only SQL statement against the local staging tables and views, with the
/// `user` workgroup's rules: no writes or DDL, no transaction_history (as for Power BI), no
/// file access.
#[derive(clap::Args)]
pub struct QueryCommand {
    /// The SQL (Athena dialect).
    sql: String,
    #[arg(long, value_enum, default_value = "table")]
    format: by_hand::Format,
}

impl QueryCommand {
    pub fn run(self, context: &Context) -> Result<(), CliError> {
        if context.engine == EngineName::Trino {
            return Err(CliError::Refused(
                "`query` reads the DuckDB home (read-only, as the user workgroup); on Trino, ask the server itself (its `user` rules are the server's)".into(),
            ));
        }
        let text =
            by_hand::run_adhoc(&context.home, &self.sql, self.format).map_err(CliError::Refused)?;
        print!("{text}");
        Ok(())
    }
}
