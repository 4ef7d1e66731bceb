//! Setup's last step: the deployment's Athena saved queries made equal to the catalog (see
//! `reporting_core::saved` for why this is a sync step and not template resources).

use reporting_core::config::Deployment;
use reporting_core::error::ErrorKind;
use reporting_core::ports::SavedQueryStore;
use reporting_core::saved::{plan_sync, saved_queries};
use reporting_core::HandlerError;
use serde_json::{json, Value};

/// The run-query input that asks for a sync instead of a query.
pub const SYNC_SAVED_QUERIES: &str = "sync-saved-queries";

/// Whether a run-query input is the sync request `{"action": "sync-saved-queries"}`.
pub fn is_sync_request(input: &Value) -> bool {
    input.get("action").and_then(Value::as_str) == Some(SYNC_SAVED_QUERIES)
}

/// Creates, updates and deletes saved queries so the managed set equals the catalog. Idempotent:
/// a second run changes nothing. Returns the counts and the names it created or updated.
pub async fn sync_saved_queries(
    input: Value,
    store: &dyn SavedQueryStore,
    deployment: &Deployment,
) -> Result<Value, HandlerError> {
    let fields: Vec<&String> = input
        .as_object()
        .map(|o| o.keys().filter(|k| k.as_str() != "action").collect())
        .unwrap_or_default();
    if !is_sync_request(&input) || !fields.is_empty() {
        return Err(HandlerError::new(
            ErrorKind::InvalidInput,
            format!("a saved-query sync takes exactly {{\"action\": \"{SYNC_SAVED_QUERIES}\"}}"),
        ));
    }
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
    Ok(json!({
        "created": plan.create.iter().map(|q| &q.name).collect::<Vec<_>>(),
        "updated": plan.update.iter().map(|(_, q)| &q.name).collect::<Vec<_>>(),
        "deleted": plan.delete.len(),
        "unchanged": plan.unchanged,
    }))
}
