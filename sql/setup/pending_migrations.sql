-- The migrations setup must apply, in order: not in the ledger, on a table that exists and does
-- not yet have the column. A table that does not exist yet is created at the latest schema.
SELECT m.id, m.query
FROM (VALUES ${migrations}) AS m (id, query, tablename, columnname)
WHERE EXISTS (
    SELECT 1 FROM information_schema.tables t
    WHERE t.table_schema = '${database}' AND t.table_name = m.tablename)
  AND NOT EXISTS (
    SELECT 1 FROM information_schema.columns c
    WHERE c.table_schema = '${database}' AND c.table_name = m.tablename AND c.column_name = m.columnname)
  AND NOT EXISTS (SELECT 1 FROM schema_migrations a WHERE a.id = m.id)
ORDER BY m.id
