-- Aggregation for the configured batch clients: the plan summary plus requestrefid and requestid.
CREATE TABLE IF NOT EXISTS request_item_plan_completed_summary_batch (
  clientid string,
  campaignid string,
  sendinggroupid string,
  sendinggroupidversion string,
  requestrefid string,
  requestid string,
  communicationtype string,
  supplier string,
  createddate date,
  completeddate date,
  status string,
  failedreason string,
  contactdetailsource string,
  channeltype string,
  requestitemcount int
)
PARTITIONED BY (month(createddate), month(completeddate))
LOCATION '${data_location}/request_item_plan_completed_summary_batch'
TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')
