//! Setup's last step: the deployment's Athena saved queries made equal to the catalog (see
//! `reporting_core::saved` for why this is a sync step and not template resources).

use crate::contract::SyncSummary;
use reporting_core::config::Deployment;
use reporting_core::error::ErrorKind;
use reporting_core::ports::SavedQueryStore;
use reporting_core::saved::{plan_sync, saved_queries};
use reporting_core::HandlerError;

/// Creates, updates and deletes saved queries so the managed set equals the catalog. Idempotent:
/// a second run changes nothing. Returns the counts and the names it created or updated.
pub async fn sync_saved_queries(
    store: &dyn SavedQueryStore,
    deployment: &Deployment,
) -> Result<SyncSummary, HandlerError> {
    let wanted = saved_queries(deployment)
        .map_err(|e| HandlerError::new(ErrorKind::ConfigMissing, e.to_string()))?;
    let plan = plan_sync(&store.list().await?, &wanted);
    for q in &plan.create {
        store.create(q).await?;
    }
    for (id, q) in &plan.update {
        store.update(id, q).await?;
    }
    for id in &plan.delete {
        store.delete(id).await?;
    }
    tracing::info!(
        created = plan.create.len(),
        updated = plan.update.len(),
        deleted = plan.delete.len(),
        unchanged = plan.unchanged,
        "saved queries synced"
    );
    Ok(SyncSummary {
        created: plan.create.iter().map(|q| q.name.clone()).collect(),
        updated: plan.update.iter().map(|(_, q)| q.name.clone()).collect(),
        deleted: plan.delete.len(),
        unchanged: plan.unchanged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use reporting_core::error::PortError;
    use reporting_core::saved::{ExistingSavedQuery, SavedQuery};
    use serde_json::json;
    use std::sync::Mutex;

    /// Records every call; a sync refused at its input must make none.
    #[derive(Default)]
    struct Recording(Mutex<Vec<String>>);

    #[async_trait]
    impl SavedQueryStore for Recording {
        async fn list(&self) -> Result<Vec<ExistingSavedQuery>, PortError> {
            self.0.lock().unwrap().push("list".into());
            Ok(Vec::new())
        }
        async fn create(&self, q: &SavedQuery) -> Result<(), PortError> {
            self.0.lock().unwrap().push(format!("create {}", q.name));
            Ok(())
        }
        async fn update(&self, id: &str, _: &SavedQuery) -> Result<(), PortError> {
            self.0.lock().unwrap().push(format!("update {id}"));
            Ok(())
        }
        async fn delete(&self, id: &str) -> Result<(), PortError> {
            self.0.lock().unwrap().push(format!("delete {id}"));
            Ok(())
        }
    }

    #[tokio::test]
    async fn anything_but_the_exact_request_is_refused_and_touches_nothing() {
        let store = Recording::default();
        for input in [
            json!({"action": "sync-saved-queries", "names": ["x"]}),
            json!({"action": "sync-saved-queries", "query": "ingestion/request_item_status"}),
            json!({"action": "SYNC-SAVED-QUERIES"}),
            json!({"action": "drop-saved-queries"}),
            json!({}),
            json!("sync-saved-queries"),
        ] {
            let parsed = crate::contract::parse(crate::LambdaName::RunQuery, input.clone());
            assert!(
                !matches!(
                    parsed,
                    Ok(crate::contract::Request::RunQuery(
                        crate::contract::RunQueryRequest::Sync(_)
                    ))
                ),
                "{input} was taken for the sync"
            );
            if let Err(err) = parsed {
                assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input}");
            }
        }
        assert!(store.0.lock().unwrap().is_empty());
        // The exact request lists once, then creates every saved query.
        assert!(matches!(
            crate::contract::parse(
                crate::LambdaName::RunQuery,
                json!({"action": "sync-saved-queries"})
            ),
            Ok(crate::contract::Request::RunQuery(
                crate::contract::RunQueryRequest::Sync(_)
            ))
        ));
        let out = sync_saved_queries(&store, &Deployment::local())
            .await
            .unwrap();
        let calls = store.0.lock().unwrap();
        assert_eq!(calls[0], "list");
        assert_eq!(
            out.created.len(),
            calls.len() - 1,
            "one create per saved query"
        );
    }
}
