-- The source files each incremental run claimed before its pass 1: those of the plan's new files
-- the engine could already see, by the names it gives them ("$path"). Pass 1 reads exactly its
-- run's claimed files, so the ledger (ingestion_files) records what the MERGEs read, even when a
-- partition becomes visible while the run is under way. One row per run and file.
CREATE TABLE IF NOT EXISTS ingestion_file_claims (
  run string,
  path string,
  captureday date,
  claimedat timestamp
)
LOCATION '${data_location}/ingestion_file_claims'
TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')
