//! Lambda publish-metric: a finished watchdog query's rows as CloudWatch metrics
//! (`reporting_handlers::publish_metric`). Its request is
//! `reporting_handlers::contract::PublishInput`.

use lambda_runtime::Error;
use lambda_support::MetricLambda;
use reporting_handlers::LambdaName;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let lambda = MetricLambda::from_env().await?;
    lambda_support::serve(LambdaName::PublishMetric, lambda.ports()).await
}
