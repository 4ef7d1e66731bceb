-- The earliest creation day among the versions this run reads (its claimed files, or the window's
-- capture days), REQUEST_ITEM# and REQUEST_ITEM_PLAN# alike: the bound that lets pass 1 and pass 2
-- read only the staging partitions the run can touch. The projections are partitioned by creation
-- month, and the source contract fixes an object's creation time once it is set, so the stored row
-- of every object the run reads was created on or after this day, or has no creation time (NULL),
-- which the queries read too. A version with no creation date places nothing: the day is then the
-- beginning of history, and the run reads every partition. No version at all: asOf.
-- One row, one column (a probe: poll-query hands it to the state machine, which binds it as
-- earliestCreated in both passes).
-- Parameters: 1 asOf; 2 the first capture day of the window; 3 asOf; 4 the run ('' for a window
-- run); then the plan's files, one per file slot; the run again.
SELECT CAST(COALESCE(
  CASE WHEN sum(CASE WHEN createddate IS NULL THEN 1 ELSE 0 END) > 0 THEN DATE '1970-01-01' END,
  min(CAST(CAST(from_iso8601_timestamp(createddate) AS timestamp) AS date)),
  CAST(? AS date)
) AS varchar) AS earliestcreated
FROM ${source_table}
WHERE (
    (starts_with(sk, 'REQUEST_ITEM#') AND requestitemid IS NOT NULL)
    OR (starts_with(sk, 'REQUEST_ITEM_PLAN#') AND requestitemplanid IS NOT NULL)
  )
  AND CAST(CAST(__year AS varchar) || '-' || CAST(__month AS varchar) || '-' || CAST(__day AS varchar) AS date)
    BETWEEN CAST(? AS date) AND CAST(? AS date)
  AND (CAST(? AS varchar) = '' OR (
    "$path" IN (${source_files})
    AND "$path" IN (SELECT f.path FROM ingestion_file_claims f WHERE f.run = ?)))
