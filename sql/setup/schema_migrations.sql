-- The ledger of applied schema migrations (sql/migrations/), one row per migration id. 'applied'
-- means setup ran it; 'baseline' that the table already had the change (created at the latest
-- schema, or changed by hand before the ledger existed).
CREATE TABLE IF NOT EXISTS schema_migrations (
  id string,
  query string,
  how string,
  recordedat timestamp
)
LOCATION '${data_location}/schema_migrations'
TBLPROPERTIES ('table_type'='ICEBERG', 'format'='PARQUET', 'write_compression'='ZSTD')
