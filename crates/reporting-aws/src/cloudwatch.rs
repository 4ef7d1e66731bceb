use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum as CwDatum, StandardUnit};
use aws_sdk_cloudwatch::Client;
use reporting_core::error::{ErrorKind, PortError};
use reporting_core::ports::{MetricDatum, Metrics};

use crate::classify::sdk_error;

/// CloudWatch metrics. One `put` is one PutMetricData call, so the caller controls batching (and
/// where to resume when a call fails); all data of one call must share a namespace.
#[derive(Clone, Debug)]
pub struct CloudWatchMetrics {
    client: Client,
}

impl CloudWatchMetrics {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn to_cloudwatch(d: &MetricDatum) -> Result<CwDatum, PortError> {
    let dimensions = d
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    Ok(CwDatum::builder()
        .metric_name(&d.name)
        .set_dimensions(Some(dimensions))
        .value(d.value)
        .unit(StandardUnit::from(d.unit.as_str()))
        .build())
}

#[async_trait]
impl Metrics for CloudWatchMetrics {
    async fn put(&self, data: Vec<MetricDatum>) -> Result<(), PortError> {
        let Some(first) = data.first() else {
            return Ok(());
        };
        let namespace = first.namespace.clone();
        if data.iter().any(|d| d.namespace != namespace) {
            return Err(PortError::new(
                ErrorKind::Internal,
                "one PutMetricData call takes one namespace",
            ));
        }
        let data = data
            .iter()
            .map(to_cloudwatch)
            .collect::<Result<Vec<_>, _>>()?;
        self.client
            .put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(data))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("PutMetricData", e))
    }
}
