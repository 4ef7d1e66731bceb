-- Records every migration whose change the tables already have (created at the latest schema)
-- and that the ledger does not list yet.
INSERT INTO schema_migrations (id, query, how, recordedat)
SELECT m.id, m.query, 'baseline', CAST(current_timestamp AS timestamp(6))
FROM (VALUES ${migrations}) AS m (id, query, tablename, columnname)
WHERE EXISTS (
    SELECT 1 FROM information_schema.columns c
    WHERE c.table_schema = '${database}' AND c.table_name = m.tablename AND c.column_name = m.columnname)
  AND NOT EXISTS (SELECT 1 FROM schema_migrations a WHERE a.id = m.id)
