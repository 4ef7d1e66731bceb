-- The ledger of source files ingestion has taken in: one row per pass-1 query and file, written by
-- ingestion/mark_files_read only after the run that read the file has committed both passes, by
-- the name the engine gives the file ("$path"). An incremental run reads, of the capture window's
-- files, only those not yet here for every pass-1 query (reporting_handlers::plan_ingestion); a
-- window run or a backfill neither reads nor writes it. Replaces ingestion_watermarks (capture
-- days), which a late file could slip past; that table is left as it was, unread.
CREATE TABLE IF NOT EXISTS ingestion_files (
  query string,
  path string,
  captureday date,
  run string,
  readat timestamp
)
LOCATION '${data_location}/ingestion_files'
TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')
