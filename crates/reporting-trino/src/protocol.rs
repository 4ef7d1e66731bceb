//! The wire types of Trino's client protocol (`/v1/statement`), only the fields we read.

use serde::Deserialize;
use serde_json::Value;

/// One response of `POST /v1/statement` or `GET nextUri`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryResults {
    pub id: String,
    #[serde(default)]
    pub next_uri: Option<String>,
    /// Present from the first response that knows them.
    #[serde(default)]
    pub columns: Option<Vec<Column>>,
    /// Rows of this page, each a JSON array in column order.
    #[serde(default)]
    pub data: Option<Vec<Vec<Value>>>,
    pub stats: Stats,
    #[serde(default)]
    pub error: Option<QueryError>,
    /// `INSERT`, `MERGE`, `CREATE TABLE`, … for statements that change something.
    #[serde(default)]
    pub update_type: Option<String>,
    #[serde(default)]
    pub update_count: Option<u64>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Column {
    pub name: String,
    /// The Trino type, e.g. `varchar`, `bigint`, `decimal(38,1)`, `array(varchar)`.
    #[serde(rename = "type")]
    pub type_name: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// QUEUED, PLANNING, STARTING, RUNNING, FINISHING, FINISHED, FAILED.
    pub state: String,
    #[serde(default)]
    pub elapsed_time_millis: Option<u64>,
    /// What the query read from storage (compressed, after pruning): what Athena bills as
    /// DataScannedInBytes. Older servers do not send it.
    #[serde(default)]
    pub physical_input_bytes: Option<u64>,
    #[serde(default)]
    pub processed_bytes: Option<u64>,
    #[serde(default)]
    pub processed_rows: Option<u64>,
}

/// A failed query's error, as Trino reports it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct QueryError {
    pub message: String,
    /// e.g. `ICEBERG_COMMIT_ERROR`, `SYNTAX_ERROR`, `USER_CANCELED`.
    #[serde(default)]
    pub error_name: String,
    /// `USER_ERROR`, `INTERNAL_ERROR`, `INSUFFICIENT_RESOURCES`, `EXTERNAL`.
    #[serde(default)]
    pub error_type: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_page_and_a_failure_read_as_typed_values() {
        let page: QueryResults = serde_json::from_str(
            r#"{"id":"20261126_1","infoUri":"http://x","columns":[{"name":"n","type":"bigint","typeSignature":{"rawType":"bigint","arguments":[]}}],
                "data":[[1],[2]],"stats":{"state":"FINISHED","elapsedTimeMillis":12,"processedBytes":30,"physicalInputBytes":20,"queued":false},"warnings":[]}"#,
        )
        .unwrap();
        assert_eq!(page.next_uri, None);
        assert_eq!(page.columns.unwrap()[0].type_name, "bigint");
        assert_eq!(page.data.unwrap().len(), 2);
        assert_eq!(page.stats.processed_bytes, Some(30));
        assert_eq!(page.stats.physical_input_bytes, Some(20));
        let failed: QueryResults = serde_json::from_str(
            r#"{"id":"q","stats":{"state":"FAILED"},"error":{"message":"line 1:8: Column 'x' cannot be resolved","errorCode":47,"errorName":"COLUMN_NOT_FOUND","errorType":"USER_ERROR"}}"#,
        )
        .unwrap();
        let e = failed.error.unwrap();
        assert_eq!(
            (e.error_name.as_str(), e.error_type.as_str()),
            ("COLUMN_NOT_FOUND", "USER_ERROR")
        );
    }
}
