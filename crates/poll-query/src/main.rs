//! Lambda poll-query: looks at an Athena query once (`reporting_handlers::poll_query`). Its request
//! is `reporting_handlers::contract::QueryProgress`. It reads Athena and, for a finished ingestion
//! query, puts its bytes scanned to CloudWatch (`Notify/Ingestion` `BytesScanned`).

use lambda_runtime::Error;
use lambda_support::MetricLambda;
use reporting_handlers::LambdaName;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let lambda = MetricLambda::from_env().await?;
    lambda_support::serve(LambdaName::PollQuery, lambda.ports()).await
}
