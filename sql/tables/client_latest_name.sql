-- Projection: each client's name as on its most recently created request item. Not partitioned.
CREATE TABLE IF NOT EXISTS client_latest_name (
  clientid string,
  clientname string,
  createdtime timestamp
)
LOCATION '${data_location}/client_latest_name'
TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')
