//! AWS adapters. SDK clients are built once (at Lambda start-up) and shared by every invocation.

mod athena;
mod classify;
mod cloudwatch;
mod s3;
mod saved_queries;
mod ssm;

pub use athena::AthenaEngine;
pub use cloudwatch::CloudWatchMetrics;
pub use s3::S3Objects;
pub use saved_queries::AthenaSavedQueries;
pub use ssm::SsmParameters;

pub use aws_config::SdkConfig;

/// The shared SDK configuration (region, credentials) from the Lambda environment.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}
