//! Trino's errors in the project's taxonomy: what the state machines may retry.

use reporting_core::error::ErrorKind;

use crate::protocol::QueryError;

/// The class of a failed query, from Trino's error name and type.
///
/// An Iceberg commit that lost a race is `Retryable.CommitConflict` (the ingestion machine reruns the
/// query, as on Athena); a server that is starting, shutting down or out of resources may pass; a
/// cancelled or timed-out query says so; anything else the user sent (a SQL or type error) is
/// `Query.Failed` with Trino's message.
pub fn classify(error: &QueryError) -> ErrorKind {
    let name = error.error_name.as_str();
    if name == "ICEBERG_COMMIT_ERROR" || error.message.contains("CommitFailedException") {
        return ErrorKind::CommitConflict;
    }
    match name {
        "USER_CANCELED" | "ADMINISTRATIVELY_KILLED" => ErrorKind::QueryCancelled,
        "EXCEEDED_TIME_LIMIT" | "ABANDONED_QUERY" => ErrorKind::QueryTimeout,
        "SERVER_STARTING_UP"
        | "SERVER_SHUTTING_DOWN"
        | "NO_NODES_AVAILABLE"
        | "REMOTE_TASK_ERROR"
        | "PAGE_TRANSPORT_TIMEOUT"
        | "TOO_MANY_REQUESTS_FAILED" => ErrorKind::Transient,
        _ if error.error_type == "INSUFFICIENT_RESOURCES" => ErrorKind::Throttled,
        _ => ErrorKind::QueryFailed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(name: &str, kind: &str, message: &str) -> QueryError {
        QueryError {
            message: message.into(),
            error_name: name.into(),
            error_type: kind.into(),
        }
    }

    #[test]
    fn trino_errors_map_into_the_taxonomy() {
        let cases = [
            (
                error("ICEBERG_COMMIT_ERROR", "EXTERNAL", "Failed to commit"),
                ErrorKind::CommitConflict,
            ),
            (
                error(
                    "GENERIC_INTERNAL_ERROR",
                    "INTERNAL_ERROR",
                    "org.apache.iceberg.exceptions.CommitFailedException: metadata changed",
                ),
                ErrorKind::CommitConflict,
            ),
            (
                error("SYNTAX_ERROR", "USER_ERROR", "line 1:1: mismatched input"),
                ErrorKind::QueryFailed,
            ),
            (
                error("TYPE_MISMATCH", "USER_ERROR", "Cannot apply operator"),
                ErrorKind::QueryFailed,
            ),
            (
                error("USER_CANCELED", "USER_ERROR", "Query was canceled"),
                ErrorKind::QueryCancelled,
            ),
            (
                error(
                    "EXCEEDED_TIME_LIMIT",
                    "INSUFFICIENT_RESOURCES",
                    "Query exceeded the maximum execution time",
                ),
                ErrorKind::QueryTimeout,
            ),
            (
                error(
                    "SERVER_STARTING_UP",
                    "INTERNAL_ERROR",
                    "Trino server is still initializing",
                ),
                ErrorKind::Transient,
            ),
            (
                error(
                    "EXCEEDED_GLOBAL_MEMORY_LIMIT",
                    "INSUFFICIENT_RESOURCES",
                    "Query exceeded distributed user memory limit",
                ),
                ErrorKind::Throttled,
            ),
        ];
        for (e, kind) in cases {
            assert_eq!(classify(&e), kind, "{e:?}");
        }
        assert!(classify(&error("ICEBERG_COMMIT_ERROR", "EXTERNAL", "")).is_retryable());
        assert!(!classify(&error("SYNTAX_ERROR", "USER_ERROR", "")).is_retryable());
    }
}
