-- Projection: one row per request item plan (REQUEST_ITEM_PLAN#), the latest captured version.
-- Key: requestitemplanid (immutable). failedreasoncode is declared here, not only added by ALTER.
CREATE TABLE IF NOT EXISTS request_item_plan_status (
  clientid string,
  campaignid string,
  sendinggroupid string,
  sendinggroupidversion string,
  requestitemrefid string,
  requestitemid string,
  requestrefid string,
  requestid string,
  requestitemplanid string,
  communicationtype string,
  supplier string,
  createdtime timestamp,
  completedtime timestamp,
  sendtime timestamp,
  status string,
  failedreason string,
  contactdetailsource string,
  channeltype string,
  ordernumber int,
  recipientcontactid string,
  templateid string,
  specificationid string,
  specificationbillingid string,
  messagelength int,
  messagelengthunits string,
  senderodscode string,
  `timestamp` bigint,
  failedreasoncode string
)
PARTITIONED BY (bucket(32, clientid), month(createdtime), month(completedtime))
LOCATION '${data_location}/request_item_plan_status'
TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')
