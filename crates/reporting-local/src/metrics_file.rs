use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::{MetricDatum, Metrics};

/// CloudWatch as a file: each datum one JSON line, appended.
#[derive(Debug)]
pub struct MetricsFile {
    path: PathBuf,
    /// One writer at a time, so lines never interleave.
    write: Mutex<()>,
}

impl MetricsFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            write: Mutex::new(()),
        }
    }

    /// Every datum written so far.
    pub fn read_all(&self) -> Result<Vec<MetricDatum>, PortError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(PortError::new(ErrorKind::Internal, e.to_string())),
        };
        text.lines()
            .map(|l| {
                serde_json::from_str(l).map_err(|e| {
                    PortError::new(ErrorKind::Internal, format!("{}: {e}", self.path.display()))
                })
            })
            .collect()
    }
}

#[async_trait]
impl Metrics for MetricsFile {
    async fn put(&self, data: Vec<MetricDatum>) -> Result<(), PortError> {
        let _writing = self.write.lock().unwrap();
        let mut lines = String::new();
        for d in &data {
            lines.push_str(&serde_json::to_string(d).expect("metrics serialise"));
            lines.push('\n');
        }
        let fail = |e: std::io::Error| {
            PortError::new(ErrorKind::Internal, format!("{}: {e}", self.path.display()))
        };
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(fail)?;
        f.write_all(lines.as_bytes()).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn appends_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let m = MetricsFile::new(dir.path().join("metrics.jsonl"));
        let d = MetricDatum {
            namespace: "Notify/Watchdog".into(),
            name: "X".into(),
            dimensions: vec![("clientid".into(), "c".into())],
            value: 2.0,
            unit: "Count".into(),
        };
        m.put(vec![d.clone()]).await.unwrap();
        m.put(vec![d.clone()]).await.unwrap();
        assert_eq!(m.read_all().unwrap(), vec![d.clone(), d]);
    }
}
