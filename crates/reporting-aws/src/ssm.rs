use async_trait::async_trait;
use aws_sdk_ssm::error::SdkError;
use aws_sdk_ssm::operation::get_parameter::GetParameterError;
use aws_sdk_ssm::Client;
use reporting_core::error::PortError;
use reporting_core::ports::Parameters;

use crate::classify::sdk_error;

/// SSM Parameter Store: String parameters (the report client lists). It never asks to decrypt.
#[derive(Clone, Debug)]
pub struct SsmParameters {
    client: Client,
}

impl SsmParameters {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    async fn get(&self, name: &str) -> Result<Option<String>, PortError> {
        match self
            .client
            .get_parameter()
            .name(name)
            .with_decryption(false)
            .send()
            .await
        {
            Ok(out) => Ok(out.parameter.and_then(|p| p.value)),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), GetParameterError::ParameterNotFound(_)) =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_error("GetParameter", e)),
        }
    }
}

#[async_trait]
impl Parameters for SsmParameters {
    async fn get_text(&self, name: &str) -> Result<Option<String>, PortError> {
        self.get(name).await
    }
}
