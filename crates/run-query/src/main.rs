//! Lambda run-query: starts a catalog query in Athena. The logic is `reporting_handlers::run_query`.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use lambda_support::{LambdaError, QueryLambda};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let lambda = QueryLambda::from_env().await?;
    let lambda = &lambda;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        reporting_handlers::run_query(
            event.payload,
            &lambda.engine,
            &lambda.parameters,
            &lambda.deployment,
            &lambda.policy,
        )
        .await
        .map_err(LambdaError)
    }))
    .await
}
