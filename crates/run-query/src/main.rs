//! Lambda run-query: starts a catalog query in Athena (`reporting_handlers::run_query`); setup also
//! sends it `{"action": "sync-saved-queries"}` (`reporting_handlers::sync_saved_queries`).

use lambda_runtime::{service_fn, Error, LambdaEvent};
use lambda_support::{LambdaError, QueryLambda};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let lambda = QueryLambda::from_env().await?;
    let lambda = &lambda;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        if reporting_handlers::is_sync_request(&event.payload) {
            return reporting_handlers::sync_saved_queries(
                event.payload,
                &lambda.saved_queries,
                &lambda.deployment,
            )
            .await
            .map_err(LambdaError);
        }
        reporting_handlers::run_query(
            event.payload,
            &lambda.engine,
            &lambda.parameters,
            &lambda.deployment,
            &lambda.policy,
        )
        .await
        .map(|progress| serde_json::to_value(progress).expect("progress serialises"))
        .map_err(LambdaError)
    }))
    .await
}
