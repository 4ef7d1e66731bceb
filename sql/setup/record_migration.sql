-- Records that setup applied one migration (parameter 1: its id), once.
INSERT INTO schema_migrations (id, query, how, recordedat)
SELECT m.id, m.query, 'applied', CAST(current_timestamp AS timestamp(6))
FROM (VALUES ${migrations}) AS m (id, query, tablename, columnname)
WHERE m.id = ?
  AND NOT EXISTS (SELECT 1 FROM schema_migrations a WHERE a.id = m.id)
