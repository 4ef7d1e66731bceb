//! The error taxonomy. Every handler failure has one [`ErrorKind`]; its [`ErrorKind::error_type`]
//! becomes the Lambda `errorType`, which the state machines' `Retry` blocks match on. Only the
//! `Retryable.*` kinds are ever retried.

use std::fmt;

/// The class of a failure, as the state machines see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The engine or an AWS API throttled us (TooManyRequests, ThrottlingException).
    Throttled,
    /// An Iceberg commit lost a race with another writer (ICEBERG_COMMIT_ERROR).
    CommitConflict,
    /// A network or service fault that may pass (5xx, connection reset).
    Transient,
    /// The query itself failed inside the engine for a reason that may pass (throttled inside
    /// Athena, Athena's retryable flag, a Trino node lost). The execution is over: polling it again
    /// cannot help, so the state machines rerun the query with a new request token, as they rerun
    /// a lost commit race.
    QueryRetryable,
    /// The query ran and failed: a SQL error, a type error, a MERGE with duplicate matches.
    QueryFailed,
    /// The query was cancelled by someone else.
    QueryCancelled,
    /// The query did not finish within the allowed time (it is cancelled).
    QueryTimeout,
    /// OPTIMIZE or VACUUM did part of the work and asks to be run again
    /// (ICEBERG_OPTIMIZE_MORE_RUNS_NEEDED, ICEBERG_VACUUM_MORE_RUNS_NEEDED). Not a retry: the
    /// housekeeping machine runs it again, a bounded number of times.
    MoreRunsNeeded,
    /// The caller sent something we refuse (unknown query, malformed date, bad id).
    InvalidInput,
    /// Configuration or a required parameter is missing.
    ConfigMissing,
    /// The hash key is missing, malformed, not pinned, or not the key this deployment pinned
    /// (its fingerprint differs): ingestion fails closed rather than hash with another key.
    HashKeyRefused,
    /// A bug or an unexpected state of our own.
    Internal,
}

impl ErrorKind {
    /// The Lambda `errorType` string; the ASL matches on these.
    pub fn error_type(self) -> &'static str {
        match self {
            ErrorKind::Throttled => "Retryable.Throttled",
            ErrorKind::CommitConflict => "Retryable.CommitConflict",
            ErrorKind::Transient => "Retryable.Transient",
            ErrorKind::QueryRetryable => "Retryable.QueryFailed",
            ErrorKind::QueryFailed => "Query.Failed",
            ErrorKind::QueryCancelled => "Query.Cancelled",
            ErrorKind::QueryTimeout => "Query.Timeout",
            ErrorKind::MoreRunsNeeded => "Query.MoreRunsNeeded",
            ErrorKind::InvalidInput => "Input.Invalid",
            ErrorKind::ConfigMissing => "Config.Missing",
            ErrorKind::HashKeyRefused => "Config.HashKeyRefused",
            ErrorKind::Internal => "Internal.Error",
        }
    }

    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled
                | ErrorKind::CommitConflict
                | ErrorKind::Transient
                | ErrorKind::QueryRetryable
        )
    }

    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::Throttled,
        ErrorKind::CommitConflict,
        ErrorKind::Transient,
        ErrorKind::QueryRetryable,
        ErrorKind::QueryFailed,
        ErrorKind::QueryCancelled,
        ErrorKind::QueryTimeout,
        ErrorKind::MoreRunsNeeded,
        ErrorKind::InvalidInput,
        ErrorKind::ConfigMissing,
        ErrorKind::HashKeyRefused,
        ErrorKind::Internal,
    ];
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.error_type())
    }
}

/// A classified failure from a handler: what the state machine receives as `Error` (its
/// [`kind`](HandlerError::kind)) and `Cause` (its [`message`](HandlerError::message)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// The handler's own verdict: bad input, missing configuration, a report that does not
    /// verify, a query that failed in the engine.
    #[error("{kind}: {message}")]
    Rejected { kind: ErrorKind, message: String },
    /// A port failed; the port classified it.
    #[error("{}: {source}", source.kind)]
    Port {
        #[from]
        source: PortError,
    },
}

impl HandlerError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::Rejected {
            kind,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }
    /// The error name the state machine sees (and retries on).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Rejected { kind, .. } => *kind,
            Self::Port { source } => source.kind,
        }
    }
    /// The cause the state machine sees: what failed, naming the query, table or client.
    pub fn message(&self) -> &str {
        match self {
            Self::Rejected { message, .. } => message,
            Self::Port { source } => &source.message,
        }
    }
}

/// A failure of a port (engine, store, parameters, metrics) before any classification by a handler.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PortError {
    pub kind: ErrorKind,
    pub message: String,
}

impl PortError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_failure_keeps_the_port_as_its_source_and_its_classification() {
        use std::error::Error;
        let port = PortError::new(ErrorKind::Throttled, "athena: slow down");
        let e = HandlerError::from(port.clone());
        assert_eq!(e.kind(), ErrorKind::Throttled);
        assert_eq!(e.message(), "athena: slow down");
        assert_eq!(e.source().unwrap().to_string(), port.to_string());
        let own = HandlerError::invalid("asOf: not a date");
        assert_eq!(
            (own.kind(), own.message()),
            (ErrorKind::InvalidInput, "asOf: not a date")
        );
        assert!(own.source().is_none());
    }

    #[test]
    fn only_retryable_kinds_are_named_retryable() {
        for kind in ErrorKind::ALL {
            assert_eq!(
                kind.is_retryable(),
                kind.error_type().starts_with("Retryable."),
                "{kind}"
            );
        }
    }
}
