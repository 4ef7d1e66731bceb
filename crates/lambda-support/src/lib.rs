//! Start-up and error plumbing shared by the Lambda binaries, so each `main.rs` is a few lines.

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use reporting_aws::{AthenaEngine, CloudWatchMetrics, S3Objects, SsmParameters};
use reporting_core::config::{ConfigError, Deployment};
use reporting_core::source_files::SourceLocation;
use reporting_core::HandlerError;
use reporting_handlers::{LambdaName, PollPolicy, Ports, SourceListing};

/// The targets of the AWS SDK and its HTTP stack: at debug and trace they log requests and
/// responses whole (an S3 body, a header), so they never log below info whatever `RUST_LOG` says.
const CAPPED_AT_INFO: &[&str] = &[
    "aws_config",
    "aws_runtime",
    "aws_sdk_athena",
    "aws_sdk_cloudwatch",
    "aws_sdk_s3",
    "aws_sdk_ssm",
    "aws_sigv4",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "h2",
    "hyper",
    "hyper_util",
    "rustls",
    "lambda_runtime",
    "lambda_runtime_api_client",
];

/// The log filter: `RUST_LOG` (default info), with the SDK and HTTP targets capped at info.
pub fn log_filter(rust_log: Option<&str>) -> tracing_subscriber::EnvFilter {
    let mut filter = rust_log
        .and_then(|directives| tracing_subscriber::EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    for target in CAPPED_AT_INFO {
        filter = filter.add_directive(format!("{target}=info").parse().expect("a directive"));
    }
    filter
}

/// JSON logs to stdout (CloudWatch Logs), level from `RUST_LOG` (default info), the SDK and HTTP
/// targets never below info ([`log_filter`]).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(log_filter(std::env::var("RUST_LOG").ok().as_deref()))
        .with_current_span(false)
        .with_ansi(false)
        .without_time()
        .init();
}

#[cfg(test)]
mod log_tests {
    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;

    fn enabled(rust_log: &str, target: &str, level: Level) -> bool {
        let subscriber = tracing_subscriber::registry().with(super::log_filter(Some(rust_log)));
        tracing::subscriber::with_default(subscriber, || match (target, level) {
            ("aws_smithy_runtime", Level::DEBUG) => {
                tracing::enabled!(target: "aws_smithy_runtime", Level::DEBUG)
            }
            ("aws_smithy_runtime", Level::INFO) => {
                tracing::enabled!(target: "aws_smithy_runtime", Level::INFO)
            }
            ("hyper_util", Level::TRACE) => tracing::enabled!(target: "hyper_util", Level::TRACE),
            ("reporting_handlers", Level::DEBUG) => {
                tracing::enabled!(target: "reporting_handlers", Level::DEBUG)
            }
            other => panic!("not a case: {other:?}"),
        })
    }

    #[test]
    fn sdk_and_http_targets_never_log_below_info_whatever_rust_log_says() {
        for rust_log in [
            "trace",
            "debug",
            "aws_smithy_runtime=trace,hyper_util=trace",
        ] {
            assert!(
                !enabled(rust_log, "aws_smithy_runtime", Level::DEBUG),
                "{rust_log}"
            );
            assert!(!enabled(rust_log, "hyper_util", Level::TRACE), "{rust_log}");
            assert!(
                enabled(rust_log, "aws_smithy_runtime", Level::INFO),
                "{rust_log}"
            );
        }
        // Our own targets follow RUST_LOG.
        assert!(enabled("debug", "reporting_handlers", Level::DEBUG));
        assert!(!enabled("info", "reporting_handlers", Level::DEBUG));
    }
}

/// A handler error as Lambda reports it: `errorType` is the taxonomy name the ASL retries on.
#[derive(Debug)]
pub struct LambdaError(pub HandlerError);

impl From<HandlerError> for LambdaError {
    fn from(e: HandlerError) -> Self {
        Self(e)
    }
}

impl From<LambdaError> for Diagnostic {
    fn from(e: LambdaError) -> Self {
        Diagnostic {
            error_type: e.0.kind().error_type().to_string(),
            error_message: e.0.message().to_string(),
        }
    }
}

/// Serves `lambda`: every event goes through the one dispatcher (`reporting_handlers::handle`),
/// which parses it as that Lambda's request type and runs its handler on `ports`. A request that
/// is not one is `Input.Invalid`, naming the field.
pub async fn serve(lambda: LambdaName, ports: Ports<'_>) -> Result<(), lambda_runtime::Error> {
    let ports = &ports;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            reporting_handlers::handle(lambda, event.payload, ports)
                .await
                .map_err(LambdaError)
        },
    ))
    .await
}

/// Everything a query Lambda needs, built once at start-up.
pub struct QueryLambda {
    pub engine: AthenaEngine,
    /// Setup's saved-query sync (run-query's `{"action": "sync-saved-queries"}`).
    pub saved_queries: reporting_aws::AthenaSavedQueries,
    pub parameters: SsmParameters,
    pub deployment: Deployment,
    pub policy: PollPolicy,
    /// Region and credentials, loaded once; the other Lambdas build their extra clients from it.
    pub sdk: reporting_aws::SdkConfig,
    /// The source table's files in S3 (`SOURCE_LOCATION`, an `s3://bucket/prefix` URI, and
    /// `SOURCE_BUCKET_OWNER`, the core account): where ingestion's plan lists new files.
    pub source: Option<SourceListing>,
    /// The hash key's vault object (`HASH_KEY_OBJECT`), which run-query checks against the pinned
    /// fingerprint before a query that hashes: ingestion's function only.
    pub vault: Option<S3Objects>,
}

impl QueryLambda {
    /// Reads the deployment from the environment (`CSI`, `ENVIRONMENT`, `SOURCE_TABLE`,
    /// `DATA_LOCATION`, `BATCH_CLIENT_IDS`, `DATABASE`) and builds the SDK clients.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let env = |k: &str| std::env::var(k).ok();
        let deployment = Deployment::from_env(env)?;
        let database = deployment.database.clone();
        let config = reporting_aws::sdk_config().await;
        let engine = AthenaEngine::new(
            aws_sdk_athena::Client::new(&config),
            database,
            deployment.csi.clone(),
        );
        let source = match env("SOURCE_LOCATION").filter(|l| !l.is_empty()) {
            None => None,
            Some(uri) => Some(SourceListing {
                store: Box::new(
                    S3Objects::new(aws_sdk_s3::Client::new(&config), None)
                        .owned_by(env("SOURCE_BUCKET_OWNER").filter(|a| !a.is_empty())),
                ),
                location: SourceLocation::s3(&uri).map_err(|reason| ConfigError::Location {
                    variable: "SOURCE_LOCATION",
                    reason,
                })?,
            }),
        };
        let vault = deployment
            .hash_key_object
            .as_ref()
            .map(|_| S3Objects::new(aws_sdk_s3::Client::new(&config), None));
        Ok(Self {
            saved_queries: engine.saved_queries(),
            engine,
            source,
            vault,
            parameters: SsmParameters::new(aws_sdk_ssm::Client::new(&config)),
            deployment,
            policy: PollPolicy::default(),
            sdk: config,
        })
    }

    /// run-query's and poll-query's ports: Athena, SSM, the saved queries, the vault.
    pub fn ports(&self) -> Ports<'_> {
        Ports {
            engine: &self.engine,
            parameters: &self.parameters,
            deployment: &self.deployment,
            policy: &self.policy,
            saved_queries: Some(&self.saved_queries),
            objects: None,
            metrics: None,
            source: self.source.as_ref(),
            vault: self
                .vault
                .as_ref()
                .map(|v| v as &dyn reporting_core::ports::ObjectStore),
        }
    }
}

/// What write-report works with: Athena (to read results), S3 (the ingress bucket), SSM (the
/// report client lists). `INGRESS_BUCKET` is required; `INGRESS_KMS_KEY_ARN` is the core
/// account's key for the objects it delivers, if its bucket policy asks for one;
/// `INGRESS_BUCKET_OWNER` the core account, which every S3 call names as the bucket's owner.
pub struct ReportLambda {
    pub query: QueryLambda,
    pub objects: S3Objects,
    /// `Notify/Reports` `SkippedBatches`.
    pub metrics: CloudWatchMetrics,
}

impl ReportLambda {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let query = QueryLambda::from_env().await?;
        if query.deployment.ingress_bucket.is_empty() {
            return Err(ConfigError::Unset {
                variable: "INGRESS_BUCKET",
            });
        }
        let kms = std::env::var("INGRESS_KMS_KEY_ARN")
            .ok()
            .filter(|k| !k.is_empty());
        Ok(Self {
            metrics: CloudWatchMetrics::new(aws_sdk_cloudwatch::Client::new(&query.sdk)),
            objects: S3Objects::new(aws_sdk_s3::Client::new(&query.sdk), kms).owned_by(
                std::env::var("INGRESS_BUCKET_OWNER")
                    .ok()
                    .filter(|a| !a.is_empty()),
            ),
            query,
        })
    }

    /// write-report's ports: Athena (results), S3 (the ingress bucket), SSM (client lists),
    /// CloudWatch (skipped batches).
    pub fn ports(&self) -> Ports<'_> {
        Ports {
            saved_queries: None,
            objects: Some(&self.objects),
            metrics: Some(&self.metrics),
            ..self.query.ports()
        }
    }
}

/// What publish-metric and poll-query work with: Athena (to read results and statuses) and
/// CloudWatch (watchdog metrics; ingestion's bytes scanned).
pub struct MetricLambda {
    pub query: QueryLambda,
    pub metrics: CloudWatchMetrics,
}

impl MetricLambda {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let query = QueryLambda::from_env().await?;
        Ok(Self {
            metrics: CloudWatchMetrics::new(aws_sdk_cloudwatch::Client::new(&query.sdk)),
            query,
        })
    }

    /// publish-metric's and poll-query's ports: Athena and CloudWatch.
    pub fn ports(&self) -> Ports<'_> {
        Ports {
            saved_queries: None,
            metrics: Some(&self.metrics),
            ..self.query.ports()
        }
    }
}
