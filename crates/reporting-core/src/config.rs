//! Deployment configuration: the names a query is rendered with and where the hash key lives.

use crate::hash_key::Fingerprint;
use crate::validate;

/// The object that holds the hash key (the vault object), `s3://bucket/key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultObject {
    pub bucket: String,
    pub key: String,
}

impl VaultObject {
    /// `s3://bucket/key`, a key of one or more segments of [A-Za-z0-9_.-].
    pub fn parse(uri: &str) -> Result<Self, String> {
        let rest = uri
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{uri:?} is not an s3:// URI"))?;
        let (bucket, key) = rest
            .split_once('/')
            .ok_or_else(|| format!("{uri:?} names no object"))?;
        let segment_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        };
        if !segment_ok(bucket) || !key.split('/').all(segment_ok) {
            return Err(format!(
                "{uri:?}: bucket and key are [A-Za-z0-9_.-] segments"
            ));
        }
        Ok(Self {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }
}

impl std::fmt::Display for VaultObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// The facts of one deployment (an AWS environment or a local home).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// `<project>-<environment>-<component>`, e.g. `nhs-notify-prod-reporting`.
    pub csi: String,
    /// Short environment name, e.g. `prod` (the watchdog metric dimension).
    pub environment: String,
    /// What `${source_table}` renders to: the fully qualified `transaction_history`.
    pub source_table: String,
    /// What `${data_location}` renders to: the base S3 URI of the Iceberg tables.
    pub data_location: String,
    /// Clients whose aggregates also go into the `_batch` tables.
    pub batch_client_ids: Vec<String>,
    /// The core account's report ingress bucket (reports are delivered there).
    pub ingress_bucket: String,
    /// The Glue database of the staging tables (`main` locally); what `${database}` renders to.
    pub database: String,
    /// The SMS-nudge client, whose SMS are billed to the originating client (none: no nudges).
    pub sms_nudge_client_id: Option<String>,
    /// Clients whose email-only sending groups are hidden from the email-filter view.
    pub email_filter_client_ids: Vec<String>,
    /// The running system's database, which verify-cutover compares ours with (none: nothing to
    /// compare with); what `${reference_database}` renders to, quoted.
    pub reference_database: Option<String>,
    /// What `${hash_key_table}` renders to: the table over the vault object (ingestion only).
    pub hash_key_table: Option<String>,
    /// The vault object run-query checks before a query that hashes (ingestion only).
    pub hash_key_object: Option<VaultObject>,
    /// The fingerprint of the one key this deployment hashes with (none: nothing hashes).
    pub hash_key_fingerprint: Option<Fingerprint>,
}

impl Deployment {
    /// The SSM String parameter (a JSON array) listing a report's default clients;
    /// `report` is `completed-comms-report` or `completed-batch-report`.
    pub fn report_clients_parameter(&self, report: &str) -> String {
        format!("/{}/{report}/clientIds", self.csi)
    }

    /// The local home's deployment: the source is the `transaction_history` view over Parquet.
    pub fn local() -> Self {
        Self {
            csi: "nhs-notify-local-reporting".into(),
            environment: "local".into(),
            source_table: "transaction_history".into(),
            data_location: "s3://local-data".into(),
            batch_client_ids: Vec::new(),
            ingress_bucket: "ingress".into(),
            database: "main".into(),
            sms_nudge_client_id: None,
            email_filter_client_ids: Vec::new(),
            reference_database: None,
            hash_key_table: Some("hash_key".into()),
            hash_key_object: Some(VaultObject {
                bucket: "vault".into(),
                key: "hash-key/hash_key".into(),
            }),
            hash_key_fingerprint: None,
        }
    }

    /// Reads the deployment from environment variables (Lambda configuration):
    /// `CSI`, `ENVIRONMENT`, `SOURCE_TABLE`, `DATA_LOCATION`, `BATCH_CLIENT_IDS` (a JSON array),
    /// `INGRESS_BUCKET` (only write-report needs it; empty elsewhere), `DATABASE` (default
    /// `<csi>-database`), `SMS_NUDGE_CLIENT_ID`, `EMAIL_FILTER_CLIENT_IDS` (a JSON array),
    /// `REFERENCE_DATABASE` (the running system's Glue database, for verify-cutover; may be empty),
    /// and for ingestion `HASH_KEY_TABLE`, `HASH_KEY_OBJECT` (`s3://bucket/key`) and
    /// `HASH_KEY_FINGERPRINT` (the pinned fingerprint; empty: not pinned, nothing hashes).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| {
            get(name)
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Unset { variable: name })
        };
        let list = |name: &'static str| match get(name).filter(|v| !v.trim().is_empty()) {
            None => Ok(Vec::new()),
            Some(json) => {
                serde_json::from_str::<Vec<String>>(&json).map_err(|source| ConfigError::NotAList {
                    variable: name,
                    source: source.into(),
                })
            }
        };
        let batch = list("BATCH_CLIENT_IDS")?;
        let csi = required("CSI")?;
        let deployment = Self {
            database: get("DATABASE")
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| format!("{csi}-database")),
            sms_nudge_client_id: get("SMS_NUDGE_CLIENT_ID").filter(|v| !v.is_empty()),
            email_filter_client_ids: list("EMAIL_FILTER_CLIENT_IDS")?,
            reference_database: get("REFERENCE_DATABASE").filter(|v| !v.is_empty()),
            hash_key_table: get("HASH_KEY_TABLE").filter(|v| !v.is_empty()),
            hash_key_object: get("HASH_KEY_OBJECT")
                .filter(|v| !v.is_empty())
                .map(|uri| {
                    VaultObject::parse(&uri).map_err(|reason| ConfigError::Location {
                        variable: "HASH_KEY_OBJECT",
                        reason,
                    })
                })
                .transpose()?,
            hash_key_fingerprint: get("HASH_KEY_FINGERPRINT")
                .filter(|v| !v.is_empty())
                .map(|v| {
                    Fingerprint::parse(&v).map_err(|e| ConfigError::Location {
                        variable: "HASH_KEY_FINGERPRINT",
                        reason: e.to_string(),
                    })
                })
                .transpose()?,
            csi,
            environment: required("ENVIRONMENT")?,
            source_table: required("SOURCE_TABLE")?,
            data_location: required("DATA_LOCATION")?,
            batch_client_ids: batch,
            ingress_bucket: get("INGRESS_BUCKET").unwrap_or_default(),
        };
        deployment.validate()?;
        Ok(deployment)
    }

    /// Everything that is rendered into SQL text must be inert there.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for id in &self.batch_client_ids {
            validate::identifier("batch client id", id)?;
        }
        for id in &self.email_filter_client_ids {
            validate::identifier("email filter client id", id)?;
        }
        if let Some(id) = &self.sms_nudge_client_id {
            validate::identifier("SMS-nudge client id", id)?;
        }
        validate::identifier("database", &self.database)?;
        if let Some(reference) = &self.reference_database {
            validate::identifier("reference database", reference)?;
        }
        let table_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
        };
        if !table_ok(&self.source_table) {
            return Err(ConfigError::SourceTable(self.source_table.clone()));
        }
        if let Some(table) = self.hash_key_table.as_deref().filter(|t| !table_ok(t)) {
            return Err(ConfigError::SourceTable(table.to_string()));
        }
        // s3:// in AWS; local:/// for a Trino server's local file system.
        let location_ok = (self.data_location.starts_with("s3://")
            || self.data_location.starts_with("local:///"))
            && self
                .data_location
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':'));
        if !location_ok {
            return Err(ConfigError::DataLocation(self.data_location.clone()));
        }
        validate::identifier("csi", &self.csi)?;
        validate::identifier("environment", &self.environment)?;
        Ok(())
    }
}

/// Why a deployment's configuration was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {variable} is not set")]
    Unset { variable: &'static str },
    #[error("{variable} must be a JSON array of strings: {source}")]
    NotAList {
        variable: &'static str,
        source: std::sync::Arc<serde_json::Error>,
    },
    #[error(transparent)]
    Invalid(#[from] validate::InvalidValue),
    #[error("table name {0:?} has characters outside [A-Za-z0-9_.\"-]")]
    SourceTable(String),
    #[error("data location {0:?} must be an s3:// (or local:///) URI of [A-Za-z0-9_.-/]")]
    DataLocation(String),
    #[error("{variable}: {reason}")]
    Location {
        variable: &'static str,
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_environment() {
        let env = |k: &str| {
            Some(
                match k {
                    "CSI" => "nhs-notify-prod-reporting",
                    "ENVIRONMENT" => "prod",
                    "SOURCE_TABLE" => {
                        "\"cat\".\"comms-prod-api-rpt-reporting\".\"transaction_history\""
                    }
                    "DATA_LOCATION" => "s3://bucket-data",
                    "BATCH_CLIENT_IDS" => "[\"a\",\"b\"]",
                    _ => return None,
                }
                .to_string(),
            )
        };
        let d = Deployment::from_env(env).unwrap();
        assert_eq!(d.batch_client_ids, vec!["a", "b"]);
        assert_eq!(d.hash_key_fingerprint, None);
        let vault = |k: &str| match k {
            "HASH_KEY_OBJECT" => {
                Some("s3://nhs-notify-prod-reporting-hash-key/hash-key/hash_key".into())
            }
            "HASH_KEY_FINGERPRINT" => Some("ab".repeat(32)),
            "HASH_KEY_TABLE" => Some("\"nhs-notify-prod-reporting-vault\".hash_key".into()),
            other => env(other),
        };
        let d = Deployment::from_env(vault).unwrap();
        assert_eq!(
            d.hash_key_object.unwrap().to_string(),
            "s3://nhs-notify-prod-reporting-hash-key/hash-key/hash_key"
        );
        assert_eq!(d.hash_key_fingerprint.unwrap().as_str(), "AB".repeat(32));
        for (variable, bad) in [
            ("HASH_KEY_OBJECT", "s3://bucket/../x'"),
            ("HASH_KEY_FINGERPRINT", "not-hex"),
        ] {
            let env = |k: &str| {
                if k == variable {
                    Some(bad.to_string())
                } else {
                    vault(k)
                }
            };
            assert!(
                matches!(Deployment::from_env(env), Err(ConfigError::Location { variable: v, .. }) if v == variable),
                "{variable}"
            );
        }
    }

    #[test]
    fn rejects_unsafe_batch_ids_and_missing_variables() {
        // Everything valid but the one value each case is about, so each fails for its reason.
        let valid = |k: &str| {
            Some(match k {
                "CSI" => "csi".to_string(),
                "ENVIRONMENT" => "dev".into(),
                "SOURCE_TABLE" => "transaction_history".into(),
                "DATA_LOCATION" => "s3://data".into(),
                _ => return None,
            })
        };
        Deployment::from_env(valid).unwrap();
        // Each value rendered into SQL text refuses the character that would end its quoting:
        // a batch id ('…' literals) and the running system's database ("…" identifier).
        for (variable, value, quote) in [
            ("BATCH_CLIENT_IDS", "[\"a') OR 1=1 --\"]", '\''),
            ("REFERENCE_DATABASE", "old\".db", '"'),
        ] {
            let env = |k: &str| {
                if k == variable {
                    Some(value.to_string())
                } else {
                    valid(k)
                }
            };
            assert!(
                matches!(
                    Deployment::from_env(env),
                    Err(ConfigError::Invalid(validate::InvalidValue::Character { character, .. }))
                        if character == quote
                ),
                "{variable}"
            );
        }
        assert!(matches!(
            Deployment::from_env(|_| None),
            Err(ConfigError::Unset { variable: "CSI" })
        ));
        let not_a_list = |k: &str| match k {
            "EMAIL_FILTER_CLIENT_IDS" => Some("a,b".to_string()),
            _ => valid(k),
        };
        assert!(matches!(
            Deployment::from_env(not_a_list),
            Err(ConfigError::NotAList {
                variable: "EMAIL_FILTER_CLIENT_IDS",
                ..
            })
        ));
    }
}
