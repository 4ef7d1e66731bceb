-- Setup's first step, before it writes anything: how the staging tables that already exist (an
-- adopted database, the running system's) differ from ours. 'unexpected': a column ours do not
-- have. 'missing': a column ours have, the table lacks, and no migration adds. Any row stops
-- setup, naming table and column: it never rewrites a table to fit, and never drops a column.
-- Column names only: types are the DDL's, which the running system's tables share. A column the
-- catalog knows the running system left behind (ADOPTED_COLUMNS: templateid on the plan summaries)
-- is adopted as it is, not refused.
WITH expected AS (
  SELECT e.tablename, e.columnname FROM (VALUES ${expected_columns}) AS e (tablename, columnname)),
adopted AS (
  SELECT a.tablename, a.columnname FROM (VALUES ${adopted_columns}) AS a (tablename, columnname)),
migrated AS (
  SELECT m.tablename, m.columnname FROM (VALUES ${migrations}) AS m (id, query, tablename, columnname)),
present AS (
  SELECT c.table_name AS tablename, c.column_name AS columnname
  FROM information_schema.columns c
  WHERE c.table_schema = '${database}'
    AND c.table_name IN (SELECT e.tablename FROM expected e))
SELECT p.tablename, p.columnname, 'unexpected' AS problem
FROM present p
WHERE NOT EXISTS (
    SELECT 1 FROM expected e WHERE e.tablename = p.tablename AND e.columnname = p.columnname)
  AND NOT EXISTS (
    SELECT 1 FROM adopted a WHERE a.tablename = p.tablename AND a.columnname = p.columnname)
UNION ALL
SELECT e.tablename, e.columnname, 'missing' AS problem
FROM expected e
WHERE e.tablename IN (SELECT p.tablename FROM present p)
  AND NOT EXISTS (
    SELECT 1 FROM present p WHERE p.tablename = e.tablename AND p.columnname = e.columnname)
  AND NOT EXISTS (
    SELECT 1 FROM migrated m WHERE m.tablename = e.tablename AND m.columnname = e.columnname)
ORDER BY 1, 2
LIMIT 100
