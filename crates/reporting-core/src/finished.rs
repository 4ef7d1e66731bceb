//! What an engine that runs each query to its end inside `start` keeps (the local engines: DuckDB,
//! and the Trino client): every execution's final status and whole result, by id, and the
//! execution a ClientRequestToken started, so a repeated start is the same execution as in Athena.

use std::collections::HashMap;

use crate::error::{ErrorKind, PortError};
use crate::ports::{QueryState, QueryStatus, ResultPage};

struct Finished {
    status: QueryStatus,
    columns: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

#[derive(Default)]
pub struct FinishedQueries {
    by_id: HashMap<String, Finished>,
    by_token: HashMap<String, String>,
}

impl FinishedQueries {
    /// The execution a start with this token began, if any.
    pub fn started_with(&self, token: &str) -> Option<String> {
        self.by_token.get(token).cloned()
    }

    /// Records that a start with `token` is execution `id` (before it runs, so a failure mid-run
    /// still answers a repeated start with the same execution).
    pub fn remember_token(&mut self, token: &str, id: &str) {
        self.by_token.insert(token.to_string(), id.to_string());
    }

    pub fn insert(
        &mut self,
        id: &str,
        status: QueryStatus,
        columns: Vec<String>,
        rows: Vec<Vec<Option<String>>>,
    ) {
        self.by_id.insert(
            id.to_string(),
            Finished {
                status,
                columns,
                rows,
            },
        );
    }

    pub fn status(&self, id: &str) -> Result<QueryStatus, PortError> {
        self.get(id).map(|f| f.status.clone())
    }

    /// A page of a succeeded execution's result (see [`ResultPage::of`]).
    pub fn results(&self, id: &str, next_token: Option<&str>) -> Result<ResultPage, PortError> {
        let f = self.get(id)?;
        if f.status.state != QueryState::Succeeded {
            return Err(PortError::new(
                ErrorKind::InvalidInput,
                format!("query {id} did not succeed"),
            ));
        }
        ResultPage::of(&f.columns, &f.rows, next_token)
    }

    fn get(&self, id: &str) -> Result<&Finished, PortError> {
        self.by_id.get(id).ok_or_else(|| {
            PortError::new(ErrorKind::InvalidInput, format!("no query execution {id}"))
        })
    }
}
