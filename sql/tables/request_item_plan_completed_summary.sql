-- Aggregation: completed (DELIVERED or FAILED) plans per 12 immutable dimensions.
-- Fact: requestitemcount = distinct request items; it only ever moves up.
CREATE TABLE IF NOT EXISTS request_item_plan_completed_summary (
  clientid string,
  campaignid string,
  sendinggroupid string,
  sendinggroupidversion string,
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
LOCATION '${data_location}/request_item_plan_completed_summary'
TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')
