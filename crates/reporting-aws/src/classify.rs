//! Mapping AWS failures onto the error taxonomy.

use aws_sdk_athena::error::{ProvideErrorMetadata, SdkError};
use reporting_core::error::{ErrorKind, PortError};

/// An SDK call's failure: throttling and transport faults are retryable, the rest are not.
pub fn sdk_error<E, R>(operation: &str, e: SdkError<E, R>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let kind = match &e {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            ErrorKind::Transient
        }
        SdkError::ServiceError(se) => match se.err().code() {
            Some(
                "ThrottlingException"
                | "TooManyRequestsException"
                | "Throttling"
                | "RequestLimitExceeded"
                | "ThrottledException",
            ) => ErrorKind::Throttled,
            Some(
                "InternalServerException"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "InternalFailure",
            ) => ErrorKind::Transient,
            Some("ParameterNotFound") => ErrorKind::ConfigMissing,
            Some("InvalidRequestException") => ErrorKind::QueryFailed,
            _ => ErrorKind::Internal,
        },
        _ => ErrorKind::Internal,
    };
    let detail = match &e {
        SdkError::ServiceError(se) => format!(
            "{}: {}",
            se.err().code().unwrap_or("error"),
            se.err().message().unwrap_or("")
        ),
        other => other.to_string(),
    };
    PortError::new(kind, format!("{operation}: {detail}"))
}

/// A failed query's class, from Athena's reason text and error metadata.
pub fn query_failure(reason: &str, retryable: bool) -> ErrorKind {
    if reason.contains("ICEBERG_COMMIT_ERROR") || reason.contains("CommitFailedException") {
        ErrorKind::CommitConflict
    } else if reason.contains("ICEBERG_OPTIMIZE_MORE_RUNS_NEEDED")
        || reason.contains("ICEBERG_VACUUM_MORE_RUNS_NEEDED")
    {
        ErrorKind::MoreRunsNeeded
    } else if reason.contains("TOO_MANY_REQUESTS")
        || reason.contains("ThrottlingException")
        || reason.contains("Rate exceeded")
    {
        ErrorKind::Throttled
    } else if retryable {
        ErrorKind::Transient
    } else {
        ErrorKind::QueryFailed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_housekeeping_asks_for_more_runs() {
        for reason in [
            "ICEBERG_OPTIMIZE_MORE_RUNS_NEEDED: Optimize needs more runs to complete",
            "ICEBERG_VACUUM_MORE_RUNS_NEEDED: Vacuum needs more runs",
        ] {
            assert_eq!(query_failure(reason, false), ErrorKind::MoreRunsNeeded);
        }
    }

    #[test]
    fn query_failures_are_classified_by_reason() {
        assert_eq!(
            query_failure(
                "ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update",
                false
            ),
            ErrorKind::CommitConflict
        );
        assert_eq!(
            query_failure(
                "SYNTAX_ERROR: line 3:1: Column 'x' cannot be resolved",
                false
            ),
            ErrorKind::QueryFailed
        );
        assert_eq!(
            query_failure("Query exhausted resources", true),
            ErrorKind::Transient
        );
        assert_eq!(
            query_failure("TOO_MANY_REQUESTS: slow down", false),
            ErrorKind::Throttled
        );
    }
}
