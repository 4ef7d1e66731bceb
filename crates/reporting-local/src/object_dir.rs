use std::path::{Component, Path, PathBuf};

use async_trait::async_trait;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::{ObjectInfo, ObjectStore, UploadedPart};

/// S3 as a directory: bucket `b`, key `k` is the file `<root>/b/k`.
#[derive(Debug)]
pub struct DirectoryStore {
    root: PathBuf,
}

impl DirectoryStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Where a multipart upload keeps its parts until it completes: outside every bucket, so no
    /// listing sees them.
    fn upload_dir(&self, upload: &str) -> Result<PathBuf, PortError> {
        if upload.is_empty()
            || !upload
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(PortError::new(
                ErrorKind::InvalidInput,
                format!("not an upload id: {upload}"),
            ));
        }
        Ok(self.root.join(".uploads").join(upload))
    }

    fn path(&self, bucket: &str, key: &str) -> Result<PathBuf, PortError> {
        let relative = Path::new(bucket).join(key);
        let safe = !bucket.is_empty()
            && !key.is_empty()
            && !bucket.contains('/')
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !safe {
            return Err(PortError::new(
                ErrorKind::InvalidInput,
                format!("object key {bucket}/{key} is not a plain relative path"),
            ));
        }
        Ok(self.root.join(relative))
    }
}

fn io(e: std::io::Error, what: &Path) -> PortError {
    PortError::new(ErrorKind::Internal, format!("{}: {e}", what.display()))
}

#[async_trait]
impl ObjectStore for DirectoryStore {
    async fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), PortError> {
        let path = self.path(bucket, key)?;
        let dir = path.parent().expect("keys have a parent");
        std::fs::create_dir_all(dir).map_err(|e| io(e, dir))?;
        // Write then rename, so a reader never sees half an object (as with S3).
        let tmp = dir.join(format!(
            ".{}.partial",
            path.file_name().unwrap().to_string_lossy()
        ));
        std::fs::write(&tmp, body).map_err(|e| io(e, &tmp))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(e, &path))
    }

    async fn tail(
        &self,
        bucket: &str,
        key: &str,
        bytes: u64,
    ) -> Result<Option<Vec<u8>>, PortError> {
        use std::io::{Read, Seek, SeekFrom};
        let path = self.path(bucket, key)?;
        let mut file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e, &path)),
        };
        let len = file.metadata().map_err(|e| io(e, &path))?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(bytes)))
            .map_err(|e| io(e, &path))?;
        let mut out = Vec::new();
        file.read_to_end(&mut out).map_err(|e| io(e, &path))?;
        Ok(Some(out))
    }

    async fn start_upload(&self, bucket: &str, key: &str) -> Result<String, PortError> {
        self.path(bucket, key)?;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        let dir = self.upload_dir(&id)?;
        std::fs::create_dir_all(&dir).map_err(|e| io(e, &dir))?;
        Ok(id)
    }

    async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        number: i32,
        body: Vec<u8>,
    ) -> Result<UploadedPart, PortError> {
        self.path(bucket, key)?;
        let part = self.upload_dir(upload)?.join(format!("{number:05}"));
        std::fs::write(&part, body).map_err(|e| io(e, &part))?;
        Ok(UploadedPart {
            number,
            tag: format!("part-{number}"),
        })
    }

    async fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        parts: &[UploadedPart],
    ) -> Result<(), PortError> {
        let path = self.path(bucket, key)?;
        let dir = path.parent().expect("keys have a parent");
        std::fs::create_dir_all(dir).map_err(|e| io(e, dir))?;
        let parts_dir = self.upload_dir(upload)?;
        // Part by part into a hidden file, then renamed: the object appears whole or not at all.
        let tmp = dir.join(format!(
            ".{}.partial",
            path.file_name().unwrap().to_string_lossy()
        ));
        let mut out = std::fs::File::create(&tmp).map_err(|e| io(e, &tmp))?;
        for part in parts {
            let file = parts_dir.join(format!("{:05}", part.number));
            let mut input = std::fs::File::open(&file).map_err(|e| io(e, &file))?;
            std::io::copy(&mut input, &mut out).map_err(|e| io(e, &tmp))?;
        }
        drop(out);
        std::fs::rename(&tmp, &path).map_err(|e| io(e, &path))?;
        std::fs::remove_dir_all(&parts_dir).map_err(|e| io(e, &parts_dir))
    }

    async fn abort_upload(&self, bucket: &str, key: &str, upload: &str) -> Result<(), PortError> {
        self.path(bucket, key)?;
        let dir = self.upload_dir(upload)?;
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e, &dir)),
        }
    }

    async fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        let path = self.path(bucket, key)?;
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e, &path)),
        }
    }

    async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, PortError> {
        let base = self.root.join(bucket);
        let mut out = Vec::new();
        let mut stack = vec![base.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e, &dir)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| io(e, &dir))?;
                let path = entry.path();
                let meta = entry.metadata().map_err(|e| io(e, &path))?;
                if meta.is_dir() {
                    stack.push(path);
                } else if !entry.file_name().to_string_lossy().ends_with(".partial") {
                    let key = path
                        .strip_prefix(&base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    if key.starts_with(prefix) {
                        out.push(ObjectInfo {
                            key,
                            size: meta.len(),
                            last_modified_millis: meta
                                .modified()
                                .ok()
                                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                                .map(|d| d.as_millis() as i64),
                        });
                    }
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<(), PortError> {
        let path = self.path(bucket, key)?;
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e, &path)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_upload_appears_whole_at_completion_and_an_aborted_one_never() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirectoryStore::new(dir.path());
        let upload = store.start_upload("b", "r/k.csv").await.unwrap();
        let mut parts = Vec::new();
        for (n, body) in [(1, "first,"), (2, "second\n")] {
            parts.push(
                store
                    .upload_part("b", "r/k.csv", &upload, n, body.as_bytes().to_vec())
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(
            store.list("b", "r/").await.unwrap(),
            vec![],
            "no object before completion"
        );
        store
            .complete_upload("b", "r/k.csv", &upload, &parts)
            .await
            .unwrap();
        assert_eq!(
            store.get("b", "r/k.csv").await.unwrap().unwrap(),
            b"first,second\n"
        );
        assert_eq!(store.tail("b", "r/k.csv", 1).await.unwrap().unwrap(), b"\n");
        let gone = store.start_upload("b", "r/gone.csv").await.unwrap();
        store
            .upload_part("b", "r/gone.csv", &gone, 1, b"x".to_vec())
            .await
            .unwrap();
        store.abort_upload("b", "r/gone.csv", &gone).await.unwrap();
        assert_eq!(store.get("b", "r/gone.csv").await.unwrap(), None);
        assert!(!dir.path().join(".uploads").join(&gone).exists());
        // An upload id that would climb out of the uploads folder is refused, naming it.
        for hostile in ["../b/r", "", "a/b"] {
            let e = store
                .upload_part("b", "r/k.csv", hostile, 1, b"x".to_vec())
                .await
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput, "{hostile}");
            assert!(e.message.contains("not an upload id"), "{}", e.message);
        }
    }

    #[tokio::test]
    async fn put_list_get_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirectoryStore::new(dir.path());
        store
            .put("ingress", "a/b/1.csv", b"x".to_vec())
            .await
            .unwrap();
        store
            .put("ingress", "a/c/2.csv", b"yy".to_vec())
            .await
            .unwrap();
        let listed = store.list("ingress", "a/b/").await.unwrap();
        assert!(listed[0]
            .last_modified_millis
            .is_some_and(|t| t > 1_700_000_000_000));
        assert_eq!(
            listed,
            vec![ObjectInfo {
                key: "a/b/1.csv".into(),
                size: 1,
                last_modified_millis: listed[0].last_modified_millis,
            }]
        );
        assert_eq!(
            store.get("ingress", "a/c/2.csv").await.unwrap().unwrap(),
            b"yy"
        );
        store.delete("ingress", "a/c/2.csv").await.unwrap();
        assert_eq!(store.get("ingress", "a/c/2.csv").await.unwrap(), None);
        assert!(store.list("missing", "").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn refuses_keys_that_escape_the_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirectoryStore::new(dir.path().join("objects"));
        for key in ["../x", "a/../../x", "/etc/passwd", ""] {
            assert!(store.put("b", key, vec![]).await.is_err(), "{key}");
        }
        assert!(!dir.path().join("x").exists());
    }
}
