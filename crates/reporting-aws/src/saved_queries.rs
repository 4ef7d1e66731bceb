//! Athena named queries as the saved-query store, in the deployment's workgroups.

use async_trait::async_trait;
use reporting_core::catalog::Workgroup;
use reporting_core::error::PortError;
use reporting_core::ports::SavedQueryStore;
use reporting_core::saved::{ExistingSavedQuery, SavedQuery};

use crate::athena::AthenaScope;
use crate::classify::sdk_error;

/// BatchGetNamedQuery takes at most 50 ids.
const BATCH_GET_LIMIT: usize = 50;

#[derive(Clone, Debug)]
pub struct AthenaSavedQueries {
    scope: AthenaScope,
}

impl AthenaSavedQueries {
    /// The saved queries where `scope`'s queries run (see [`crate::AthenaEngine::saved_queries`]).
    pub(crate) fn in_scope(scope: AthenaScope) -> Self {
        Self { scope }
    }
}

/// A create's idempotency token: the same query content gives the same token, so a retried
/// create after a lost response does not save the query twice.
fn create_token(q: &SavedQuery) -> String {
    reporting_core::token::idempotency_token(&[
        Some(q.workgroup.name()),
        Some(&q.name),
        Some(&q.description),
        Some(&q.sql),
    ])
}

#[async_trait]
impl SavedQueryStore for AthenaSavedQueries {
    async fn list(&self) -> Result<Vec<ExistingSavedQuery>, PortError> {
        let mut out = Vec::new();
        for workgroup in Workgroup::ALL {
            let mut ids = Vec::new();
            let mut next: Option<String> = None;
            loop {
                let page = self
                    .scope
                    .client
                    .list_named_queries()
                    .work_group(self.scope.workgroup(workgroup))
                    .set_next_token(next.take())
                    .send()
                    .await
                    .map_err(|e| sdk_error("ListNamedQueries", e))?;
                ids.extend(page.named_query_ids().iter().cloned());
                match page.next_token() {
                    Some(t) if !t.is_empty() => next = Some(t.to_string()),
                    _ => break,
                }
            }
            for chunk in ids.chunks(BATCH_GET_LIMIT) {
                let got = self
                    .scope
                    .client
                    .batch_get_named_query()
                    .set_named_query_ids(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchGetNamedQuery", e))?;
                for q in got.named_queries() {
                    out.push(ExistingSavedQuery {
                        id: q.named_query_id().unwrap_or_default().to_string(),
                        name: q.name().to_string(),
                        workgroup,
                        description: q.description().unwrap_or_default().to_string(),
                        sql: q.query_string().to_string(),
                    });
                }
            }
        }
        Ok(out)
    }

    async fn create(&self, query: &SavedQuery) -> Result<(), PortError> {
        self.scope
            .client
            .create_named_query()
            .name(&query.name)
            .description(&query.description)
            .database(&self.scope.database)
            .query_string(&query.sql)
            .work_group(self.scope.workgroup(query.workgroup))
            .client_request_token(create_token(query))
            .send()
            .await
            .map_err(|e| sdk_error("CreateNamedQuery", e))?;
        Ok(())
    }

    async fn update(&self, id: &str, query: &SavedQuery) -> Result<(), PortError> {
        self.scope
            .client
            .update_named_query()
            .named_query_id(id)
            .name(&query.name)
            .description(&query.description)
            .query_string(&query.sql)
            .send()
            .await
            .map_err(|e| sdk_error("UpdateNamedQuery", e))?;
        Ok(())
    }

    async fn delete(&self, id: &str) -> Result<(), PortError> {
        self.scope
            .client
            .delete_named_query()
            .named_query_id(id)
            .send()
            .await
            .map_err(|e| sdk_error("DeleteNamedQuery", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_tokens_follow_the_content_and_fit_athena() {
        let q = SavedQuery {
            name: "request_item_status".into(),
            workgroup: Workgroup::Ingestion,
            description: "d".into(),
            sql: "SELECT 1".into(),
        };
        let t = create_token(&q);
        assert!((32..=128).contains(&t.len()), "{t}");
        assert_eq!(t, create_token(&q.clone()));
        let changed = SavedQuery {
            sql: "SELECT 2".into(),
            ..q.clone()
        };
        assert_ne!(t, create_token(&changed));
    }
}
