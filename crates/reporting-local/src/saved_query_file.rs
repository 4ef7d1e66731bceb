//! Athena's saved (named) queries as one JSON file: a list of
//! `{ "id", "name", "workgroup", "description", "sql" }`, in creation order.

use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::SavedQueryStore;
use reporting_core::saved::{ExistingSavedQuery, SavedQuery};
use serde::{Deserialize, Serialize};

#[derive(Debug)]
pub struct SavedQueryFile {
    path: PathBuf,
    lock: Mutex<()>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    name: String,
    workgroup: reporting_core::catalog::Workgroup,
    description: String,
    sql: String,
}

impl SavedQueryFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    fn load(&self) -> Result<Vec<Entry>, PortError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                PortError::new(
                    ErrorKind::Internal,
                    format!("saved query file {} is not valid: {e}", self.path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(PortError::new(ErrorKind::Internal, e.to_string())),
        }
    }

    fn save(&self, entries: &[Entry]) -> Result<(), PortError> {
        let text = serde_json::to_string_pretty(entries).expect("entries serialise");
        let tmp = self.path.with_extension("json.partial");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|e| PortError::new(ErrorKind::Internal, e.to_string()))
    }

    fn change(
        &self,
        f: impl FnOnce(&mut Vec<Entry>) -> Result<(), PortError>,
    ) -> Result<(), PortError> {
        let _guard = self.lock.lock().unwrap();
        let mut entries = self.load()?;
        f(&mut entries)?;
        self.save(&entries)
    }
}

fn not_found(id: &str) -> PortError {
    PortError::new(
        ErrorKind::InvalidInput,
        format!("no saved query with id {id}"),
    )
}

#[async_trait]
impl SavedQueryStore for SavedQueryFile {
    async fn list(&self) -> Result<Vec<ExistingSavedQuery>, PortError> {
        let _guard = self.lock.lock().unwrap();
        Ok(self
            .load()?
            .into_iter()
            .map(|e| ExistingSavedQuery {
                id: e.id,
                name: e.name,
                workgroup: e.workgroup,
                description: e.description,
                sql: e.sql,
            })
            .collect())
    }

    async fn create(&self, query: &SavedQuery) -> Result<(), PortError> {
        self.change(|entries| {
            let next = entries
                .iter()
                .filter_map(|e| e.id.strip_prefix("saved-")?.parse::<u64>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            entries.push(Entry {
                id: format!("saved-{next:04}"),
                name: query.name.clone(),
                workgroup: query.workgroup,
                description: query.description.clone(),
                sql: query.sql.clone(),
            });
            Ok(())
        })
    }

    async fn update(&self, id: &str, query: &SavedQuery) -> Result<(), PortError> {
        self.change(|entries| {
            let e = entries
                .iter_mut()
                .find(|e| e.id == id)
                .ok_or_else(|| not_found(id))?;
            e.name = query.name.clone();
            e.description = query.description.clone();
            e.sql = query.sql.clone();
            Ok(())
        })
    }

    async fn delete(&self, id: &str) -> Result<(), PortError> {
        self.change(|entries| {
            let before = entries.len();
            entries.retain(|e| e.id != id);
            if entries.len() == before {
                return Err(not_found(id));
            }
            Ok(())
        })
    }
}
