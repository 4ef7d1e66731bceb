-- Projection: one row per request item (REQUEST_ITEM#), the latest captured version.
-- Key: requestitemid (immutable). failedreasoncode is declared here, not only added by ALTER.
CREATE TABLE IF NOT EXISTS request_item_status (
  clientid string,
  campaignid string,
  sendinggroupid string,
  sendinggroupidversion string,
  sendinggroupname string,
  sendinggroupcreatedtime timestamp,
  requestitemrefid string,
  requestitemid string,
  requestrefid string,
  requestid string,
  nhsnumberhash string,
  createdtime timestamp,
  completedtime timestamp,
  completedcommunicationtypes array<string>,
  failedcommunicationtypes array<string>,
  status string,
  failedreason string,
  patientodscode string,
  billingref string,
  `timestamp` bigint,
  failedreasoncode string
)
PARTITIONED BY (bucket(32, clientid), month(createdtime), month(completedtime))
LOCATION '${data_location}/request_item_status'
TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')
