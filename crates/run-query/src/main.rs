//! Lambda run-query: starts a catalog query in Athena (`reporting_handlers::run_query`); setup also
//! sends it `{"action": "sync-saved-queries"}` (`reporting_handlers::sync_saved_queries`). Its
//! request is `reporting_handlers::contract::RunQueryRequest`.

use lambda_runtime::Error;
use lambda_support::QueryLambda;
use reporting_handlers::LambdaName;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let lambda = QueryLambda::from_env().await?;
    lambda_support::serve(LambdaName::RunQuery, lambda.ports()).await
}
