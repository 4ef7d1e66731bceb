-- Aggregation for the configured batch clients: the status summary plus requestrefid and requestid.
-- Facts are overwritten together when any monotone count rises (outstandingcount may go down).
CREATE TABLE IF NOT EXISTS request_item_status_summary_batch (
  clientid string,
  campaignid string,
  sendinggroupid string,
  sendinggroupidversion string,
  requestrefid string,
  requestid string,
  createddate date,
  requestedcount int,
  deliveredcount int,
  failedcount int,
  completedcount int,
  outstandingcount int,
  nhsappdeliveredcount int,
  emaildeliveredcount int,
  smsdeliveredcount int,
  letterdeliveredcount int,
  nhsappfailedcount int,
  emailfailedcount int,
  smsfailedcount int,
  letterfailedcount int
)
PARTITIONED BY (month(createddate))
LOCATION '${data_location}/request_item_status_summary_batch'
TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')
