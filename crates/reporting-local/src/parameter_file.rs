use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::Parameters;
use reporting_core::Secret;
use serde::{Deserialize, Serialize};

/// SSM Parameter Store as one JSON file: `{ "<name>": { "type": "String" | "SecureString", "value": "…" } }`.
#[derive(Debug)]
pub struct ParameterFile {
    path: PathBuf,
    lock: Mutex<()>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(rename = "type")]
    kind: Kind,
    value: String,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    String,
    SecureString,
}

impl ParameterFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    fn load(&self) -> Result<BTreeMap<String, Entry>, PortError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                PortError::new(
                    ErrorKind::ConfigMissing,
                    format!("parameter file {} is not valid: {e}", self.path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(PortError::new(
                ErrorKind::Internal,
                format!("{}: {e}", self.path.display()),
            )),
        }
    }

    fn store(&self, all: &BTreeMap<String, Entry>) -> Result<(), PortError> {
        let fail = |e: std::io::Error| {
            PortError::new(ErrorKind::Internal, format!("{}: {e}", self.path.display()))
        };
        let tmp = self.path.with_extension("json.partial");
        std::fs::write(
            &tmp,
            serde_json::to_string_pretty(all).expect("parameters serialise"),
        )
        .map_err(fail)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(fail)
    }

    /// Sets a plain String parameter.
    pub fn set_text(&self, name: &str, value: &str) -> Result<(), PortError> {
        let _g = self.lock.lock().unwrap();
        let mut all = self.load()?;
        all.insert(
            name.to_string(),
            Entry {
                kind: Kind::String,
                value: value.to_string(),
            },
        );
        self.store(&all)
    }

    /// Sets a SecureString parameter (tests pin a known hash key with it).
    pub fn set_secret(&self, name: &str, value: &str) -> Result<(), PortError> {
        let _g = self.lock.lock().unwrap();
        let mut all = self.load()?;
        all.insert(
            name.to_string(),
            Entry {
                kind: Kind::SecureString,
                value: value.to_string(),
            },
        );
        self.store(&all)
    }

    /// Removes a parameter (for tests of the fail-closed path).
    pub fn remove(&self, name: &str) -> Result<(), PortError> {
        let _g = self.lock.lock().unwrap();
        let mut all = self.load()?;
        all.remove(name);
        self.store(&all)
    }
}

#[async_trait]
impl Parameters for ParameterFile {
    async fn get_text(&self, name: &str) -> Result<Option<String>, PortError> {
        let _g = self.lock.lock().unwrap();
        Ok(self.load()?.remove(name).map(|e| e.value))
    }
}

impl ParameterFile {
    /// A SecureString, for moving an older home's hash key into its vault (nothing else reads one).
    pub fn secret(&self, name: &str) -> Result<Option<Secret>, PortError> {
        let _g = self.lock.lock().unwrap();
        Ok(self.load()?.remove(name).map(|e| Secret::new(e.value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn text_parameters_round_trip_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let p = ParameterFile::new(dir.path().join("parameters.json"));
        p.set_text("/x/clientIds", "[\"a\"]").unwrap();
        assert_eq!(
            p.get_text("/x/clientIds").await.unwrap().as_deref(),
            Some("[\"a\"]")
        );
        p.remove("/x/clientIds").unwrap();
        assert_eq!(p.get_text("/x/clientIds").await.unwrap(), None);
    }
}
