//! Fakes shared by the handler tests.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use reporting_core::error::PortError;
use reporting_core::ports::*;

/// A finished query whose rows come in pages of 1,000, as GetQueryResults gives them.
pub struct PagedEngine {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    pub pages_read: AtomicUsize,
}

#[async_trait]
impl QueryEngine for PagedEngine {
    async fn start(&self, _: QueryRequest) -> Result<String, PortError> {
        unimplemented!("the handlers under test only read results")
    }
    async fn status(&self, _: &str) -> Result<QueryStatus, PortError> {
        unimplemented!()
    }
    async fn cancel(&self, _: &str) -> Result<(), PortError> {
        unimplemented!()
    }
    async fn results(&self, _: &str, token: Option<&str>) -> Result<ResultPage, PortError> {
        self.pages_read.fetch_add(1, Ordering::SeqCst);
        let start: usize = token.map_or(0, |t| t.parse().unwrap());
        let end = (start + 1000).min(self.rows.len());
        Ok(ResultPage {
            columns: self.columns.clone(),
            rows: self.rows[start..end].to_vec(),
            next_token: (end < self.rows.len()).then(|| end.to_string()),
        })
    }
}

impl PagedEngine {
    pub fn new(columns: &[&str], rows: Vec<Vec<Option<String>>>) -> Self {
        Self {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
            pages_read: AtomicUsize::new(0),
        }
    }

    pub fn pages(&self) -> usize {
        self.pages_read.load(Ordering::SeqCst)
    }
}
