//! Lambda write-report: the report state machines' steps besides running queries (plan the run,
//! read yesterday, list completed batches, find and deliver reports). The logic is
//! `reporting_handlers::write_report`.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use lambda_support::{LambdaError, ReportLambda};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let lambda = ReportLambda::from_env().await?;
    let lambda = &lambda;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        reporting_handlers::write_report(event.payload, &lambda.ports())
            .await
            .map_err(LambdaError)
    }))
    .await
}
