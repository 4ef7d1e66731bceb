//! Lambda publish-metric: a finished watchdog query's rows as CloudWatch metrics. The logic is
//! `reporting_handlers::publish_metric`.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use lambda_support::{LambdaError, MetricLambda};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let lambda = MetricLambda::from_env().await?;
    let lambda = &lambda;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        reporting_handlers::publish_metric(
            event.payload,
            &lambda.query.engine,
            &lambda.metrics,
            &lambda.query.deployment,
        )
        .await
        .map_err(LambdaError)
    }))
    .await
}
