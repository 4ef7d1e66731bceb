//! Lambda poll-query: looks at an Athena query once. The logic is `reporting_handlers::poll_query`.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use lambda_support::{LambdaError, QueryLambda};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let lambda = QueryLambda::from_env().await?;
    let lambda = &lambda;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        reporting_handlers::poll_query(event.payload, &lambda.engine, &lambda.policy)
            .await
            .map_err(LambdaError)
    }))
    .await
}
