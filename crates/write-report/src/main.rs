//! Lambda write-report: the report state machines' steps besides running queries (plan the run,
//! read yesterday, list completed batches, find and deliver reports). The logic is
//! `reporting_handlers::write_report`; its request is
//! `reporting_handlers::contract::WriteReportRequest`.

use lambda_runtime::Error;
use lambda_support::ReportLambda;
use reporting_handlers::LambdaName;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_support::init_tracing();
    let lambda = ReportLambda::from_env().await?;
    lambda_support::serve(LambdaName::WriteReport, lambda.ports()).await
}
