-- The ledger's files from parameter 1 (asOf - 1 month, as far back as housekeeping keeps them)
-- on, that every pass-1 query has read: the incremental plan reads every other file of the
-- window's S3 listing, and counts the unread ones that landed just past it. run-query's plan reads these rows itself, page by page (a week of
-- files is more than a state machine should carry). The ids are the catalog's pass-1 queries (a
-- test holds them to it).
SELECT path
FROM ingestion_files
WHERE captureday >= CAST(? AS date)
  AND query IN ('ingestion/request_item_status', 'ingestion/request_item_plan_status', 'ingestion/client_latest_name')
GROUP BY path
HAVING count(DISTINCT query) = 3
ORDER BY path
