-- verify-cutover: each staging table's rows in the last window, ours against the running
-- system's, while both run side by side. Projections: created in the week before asOf;
-- aggregates: created in the month before asOf; client names: every row. asOf's own day is left
-- out (either system may not have ingested all of it yet). Only the tables whose counts differ,
-- as (table, ours, theirs): counts, never a value.
-- Parameters: 1 the week's first day (asOf - 1 week); 2 the month's first day (asOf - 1 month);
-- 3 asOf.
WITH bounds AS (
  SELECT CAST(? AS date) AS weekstart, CAST(? AS date) AS monthstart, CAST(? AS date) AS asof
),
counts AS (
  SELECT 'request_item_status' AS tablename,
    (SELECT count(*) FROM request_item_status t CROSS JOIN bounds b
      WHERE CAST(t.createdtime AS date) >= b.weekstart AND CAST(t.createdtime AS date) < b.asof) AS ours,
    (SELECT count(*) FROM ${reference_database}.request_item_status t CROSS JOIN bounds b
      WHERE CAST(t.createdtime AS date) >= b.weekstart AND CAST(t.createdtime AS date) < b.asof) AS theirs
  UNION ALL
  SELECT 'request_item_plan_status',
    (SELECT count(*) FROM request_item_plan_status t CROSS JOIN bounds b
      WHERE CAST(t.createdtime AS date) >= b.weekstart AND CAST(t.createdtime AS date) < b.asof),
    (SELECT count(*) FROM ${reference_database}.request_item_plan_status t CROSS JOIN bounds b
      WHERE CAST(t.createdtime AS date) >= b.weekstart AND CAST(t.createdtime AS date) < b.asof)
  UNION ALL
  SELECT 'client_latest_name',
    (SELECT count(*) FROM client_latest_name),
    (SELECT count(*) FROM ${reference_database}.client_latest_name)
  UNION ALL
  SELECT 'request_item_plan_completed_summary',
    (SELECT count(*) FROM request_item_plan_completed_summary t CROSS JOIN bounds b
      WHERE t.createddate >= b.monthstart AND t.createddate < b.asof),
    (SELECT count(*) FROM ${reference_database}.request_item_plan_completed_summary t CROSS JOIN bounds b
      WHERE t.createddate >= b.monthstart AND t.createddate < b.asof)
  UNION ALL
  SELECT 'request_item_plan_completed_summary_batch',
    (SELECT count(*) FROM request_item_plan_completed_summary_batch t CROSS JOIN bounds b
      WHERE t.createddate >= b.monthstart AND t.createddate < b.asof),
    (SELECT count(*) FROM ${reference_database}.request_item_plan_completed_summary_batch t CROSS JOIN bounds b
      WHERE t.createddate >= b.monthstart AND t.createddate < b.asof)
  UNION ALL
  SELECT 'request_item_status_summary',
    (SELECT count(*) FROM request_item_status_summary t CROSS JOIN bounds b
      WHERE t.createddate >= b.monthstart AND t.createddate < b.asof),
    (SELECT count(*) FROM ${reference_database}.request_item_status_summary t CROSS JOIN bounds b
      WHERE t.createddate >= b.monthstart AND t.createddate < b.asof)
  UNION ALL
  SELECT 'request_item_status_summary_batch',
    (SELECT count(*) FROM request_item_status_summary_batch t CROSS JOIN bounds b
      WHERE t.createddate >= b.monthstart AND t.createddate < b.asof),
    (SELECT count(*) FROM ${reference_database}.request_item_status_summary_batch t CROSS JOIN bounds b
      WHERE t.createddate >= b.monthstart AND t.createddate < b.asof)
)
SELECT tablename, CAST(ours AS bigint) AS ours, CAST(theirs AS bigint) AS theirs
FROM counts
WHERE ours <> theirs
ORDER BY tablename
