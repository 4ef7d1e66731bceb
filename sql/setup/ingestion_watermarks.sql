-- The capture watermark of each pass-1 ingestion query: every capture day up to completethrough
-- had ended, plus Firehose's delivery time, when a successful incremental run read it. An
-- incremental run reads only the capture days after it (reporting_core::incremental). Written
-- only by ingestion/advance_watermarks, after a run has committed; a window run or a backfill
-- neither reads nor moves it.
CREATE TABLE IF NOT EXISTS ingestion_watermarks (
  query string,
  completethrough date,
  advancedat timestamp
)
LOCATION '${data_location}/ingestion_watermarks'
TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')
