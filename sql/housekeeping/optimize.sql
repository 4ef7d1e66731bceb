-- Compacts a staging table's small files (Iceberg bin-packing), the whole table. ${table} is a
-- catalog table name, checked before it is rendered. Athena may answer
-- ICEBERG_OPTIMIZE_MORE_RUNS_NEEDED, and housekeeping then runs it again.
OPTIMIZE ${table} REWRITE DATA USING BIN_PACK
