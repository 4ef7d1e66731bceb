//! Lambda poll-query: looks at an Athena query once (`reporting_handlers::poll_query`). Its request
//! is `reporting_handlers::contract::QueryProgress`.

use lambda_runtime::Error;
use lambda_support::QueryLambda;
use reporting_handlers::LambdaName;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let lambda = QueryLambda::from_env().await?;
    lambda_support::serve(LambdaName::PollQuery, lambda.ports()).await
}
