-- Expires old Iceberg snapshots and removes orphan files (the table's defaults). May answer
-- ICEBERG_VACUUM_MORE_RUNS_NEEDED, and housekeeping then runs it again.
VACUUM ${table}
