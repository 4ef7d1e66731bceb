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
-- Every row's table, side and created date (NULL: counted whatever its date), both systems'.
created AS (
  SELECT 'request_item_status' AS tablename, 'ours' AS side, CAST(createdtime AS date) AS createddate FROM request_item_status
  UNION ALL SELECT 'request_item_status', 'theirs', CAST(createdtime AS date) FROM ${reference_database}.request_item_status
  UNION ALL SELECT 'request_item_plan_status', 'ours', CAST(createdtime AS date) FROM request_item_plan_status
  UNION ALL SELECT 'request_item_plan_status', 'theirs', CAST(createdtime AS date) FROM ${reference_database}.request_item_plan_status
  UNION ALL SELECT 'client_latest_name', 'ours', NULL FROM client_latest_name
  UNION ALL SELECT 'client_latest_name', 'theirs', NULL FROM ${reference_database}.client_latest_name
  UNION ALL SELECT 'request_item_plan_completed_summary', 'ours', createddate FROM request_item_plan_completed_summary
  UNION ALL SELECT 'request_item_plan_completed_summary', 'theirs', createddate FROM ${reference_database}.request_item_plan_completed_summary
  UNION ALL SELECT 'request_item_plan_completed_summary_batch', 'ours', createddate FROM request_item_plan_completed_summary_batch
  UNION ALL SELECT 'request_item_plan_completed_summary_batch', 'theirs', createddate FROM ${reference_database}.request_item_plan_completed_summary_batch
  UNION ALL SELECT 'request_item_status_summary', 'ours', createddate FROM request_item_status_summary
  UNION ALL SELECT 'request_item_status_summary', 'theirs', createddate FROM ${reference_database}.request_item_status_summary
  UNION ALL SELECT 'request_item_status_summary_batch', 'ours', createddate FROM request_item_status_summary_batch
  UNION ALL SELECT 'request_item_status_summary_batch', 'theirs', createddate FROM ${reference_database}.request_item_status_summary_batch
),
counted AS (
  SELECT
    c.tablename,
    sum(CASE WHEN c.side = 'ours' THEN 1 ELSE 0 END) AS ours,
    sum(CASE WHEN c.side = 'theirs' THEN 1 ELSE 0 END) AS theirs
  FROM created c
  CROSS JOIN bounds b
  WHERE c.createddate IS NULL AND c.tablename = 'client_latest_name'
    OR c.tablename IN ('request_item_status', 'request_item_plan_status')
      AND c.createddate >= b.weekstart AND c.createddate < b.asof
    OR c.tablename NOT IN ('request_item_status', 'request_item_plan_status', 'client_latest_name')
      AND c.createddate >= b.monthstart AND c.createddate < b.asof
  GROUP BY c.tablename
)
SELECT tablename, CAST(ours AS bigint) AS ours, CAST(theirs AS bigint) AS theirs
FROM counted
WHERE ours <> theirs
ORDER BY tablename
