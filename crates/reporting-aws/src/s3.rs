use async_trait::async_trait;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, ObjectCannedAcl, ServerSideEncryption,
};
use aws_sdk_s3::Client;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::{ObjectInfo, ObjectStore, UploadedPart};

use crate::classify::sdk_error;

/// S3. Objects written cross-account (the core ingress bucket) are given to the bucket owner and,
/// when a KMS key is configured, encrypted with it, as the core account's policy requires. With
/// an expected owner, every call names it (`ExpectedBucketOwner`): a bucket of that name in any
/// other account is refused by S3 instead of receiving the reports.
#[derive(Clone, Debug)]
pub struct S3Objects {
    client: Client,
    kms_key_id: Option<String>,
    expected_owner: Option<String>,
}

impl S3Objects {
    pub fn new(client: Client, kms_key_id: Option<String>) -> Self {
        Self {
            client,
            kms_key_id,
            expected_owner: None,
        }
    }

    /// Every call names `account` as the bucket's owner.
    pub fn owned_by(self, account: Option<String>) -> Self {
        Self {
            expected_owner: account,
            ..self
        }
    }
}

impl S3Objects {
    /// GetObject, whole or the `range` of it; `None` when the key does not exist.
    async fn read(
        &self,
        bucket: &str,
        key: &str,
        range: Option<String>,
    ) -> Result<Option<Vec<u8>>, PortError> {
        let ranged = range.is_some();
        match self
            .client
            .get_object()
            .set_expected_bucket_owner(self.expected_owner.clone())
            .bucket(bucket)
            .key(key)
            .set_range(range)
            .send()
            .await
        {
            Ok(out) => {
                let bytes = out.body.collect().await.map_err(|e| {
                    PortError::new(ErrorKind::Transient, format!("GetObject {key}: {e}"))
                })?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(SdkError::ServiceError(e)) if matches!(e.err(), GetObjectError::NoSuchKey(_)) => {
                Ok(None)
            }
            // An empty object has no last bytes to give: its tail is empty.
            Err(SdkError::ServiceError(e)) if ranged && e.raw().status().as_u16() == 416 => {
                Ok(Some(Vec::new()))
            }
            Err(e) => Err(sdk_error("GetObject", e)),
        }
    }
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), PortError> {
        let mut request = self
            .client
            .put_object()
            .bucket(bucket)
            .key(key)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .content_type("text/csv")
            .acl(ObjectCannedAcl::BucketOwnerFullControl)
            .body(ByteStream::from(body));
        if let Some(kms) = &self.kms_key_id {
            request = request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms);
        }
        request
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("PutObject", e))
    }

    async fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, PortError> {
        self.read(bucket, key, None).await
    }

    async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, PortError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .set_expected_bucket_owner(self.expected_owner.clone())
                .bucket(bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| sdk_error("ListObjectsV2", e))?;
            for o in page.contents.unwrap_or_default() {
                if let Some(key) = o.key {
                    out.push(ObjectInfo {
                        key,
                        size: o.size.unwrap_or(0).max(0) as u64,
                        last_modified_millis: o.last_modified.and_then(|t| t.to_millis().ok()),
                    });
                }
            }
            match page.next_continuation_token {
                Some(t) if page.is_truncated == Some(true) => token = Some(t),
                _ => return Ok(out),
            }
        }
    }

    async fn tail(
        &self,
        bucket: &str,
        key: &str,
        bytes: u64,
    ) -> Result<Option<Vec<u8>>, PortError> {
        self.read(bucket, key, Some(format!("bytes=-{}", bytes.max(1))))
            .await
    }

    async fn start_upload(&self, bucket: &str, key: &str) -> Result<String, PortError> {
        let mut request = self
            .client
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .content_type("text/csv")
            .acl(ObjectCannedAcl::BucketOwnerFullControl);
        if let Some(kms) = &self.kms_key_id {
            request = request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms);
        }
        let out = request
            .send()
            .await
            .map_err(|e| sdk_error("CreateMultipartUpload", e))?;
        out.upload_id.ok_or_else(|| {
            PortError::new(
                ErrorKind::Internal,
                format!("CreateMultipartUpload {key}: no upload id"),
            )
        })
    }

    async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        number: i32,
        body: Vec<u8>,
    ) -> Result<UploadedPart, PortError> {
        let out = self
            .client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .upload_id(upload)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| sdk_error("UploadPart", e))?;
        Ok(UploadedPart {
            number,
            tag: out.e_tag.unwrap_or_default(),
        })
    }

    async fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload: &str,
        parts: &[UploadedPart],
    ) -> Result<(), PortError> {
        let completed = CompletedMultipartUpload::builder()
            .set_parts(Some(
                parts
                    .iter()
                    .map(|p| {
                        CompletedPart::builder()
                            .part_number(p.number)
                            .e_tag(&p.tag)
                            .build()
                    })
                    .collect(),
            ))
            .build();
        self.client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .upload_id(upload)
            .multipart_upload(completed)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("CompleteMultipartUpload", e))
    }

    async fn abort_upload(&self, bucket: &str, key: &str, upload: &str) -> Result<(), PortError> {
        self.client
            .abort_multipart_upload()
            .bucket(bucket)
            .key(key)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .upload_id(upload)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("AbortMultipartUpload", e))
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<(), PortError> {
        self.client
            .delete_object()
            .set_expected_bucket_owner(self.expected_owner.clone())
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("DeleteObject", e))
    }
}
