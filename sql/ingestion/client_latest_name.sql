-- Pass 1 projection: each client's name from its most recently created request item captured in
-- the week up to the reference date. Updated only when a later-created item is seen.
-- Ties on createddate are broken by the name itself, so the result never depends on row order.
-- Parameters: 1 the first capture day of the window; 2 asOf; 3 the run ('' for a window run or a
-- backfill); then the plan's files, one per file slot; the run again. Ingestion binds asOf - 1 week as the
-- first day, a backfill the beginning of history (the same query, unwindowed).
MERGE INTO client_latest_name AS t
USING (
  SELECT
    clientid,
    max_by(clientname, createddate || '|' || COALESCE(clientname, '')) AS clientname,
    CAST(from_iso8601_timestamp(max(createddate)) AS timestamp) AS createdtime
  FROM ${source_table}
  WHERE starts_with(sk, 'REQUEST_ITEM#')
    AND clientid IS NOT NULL
    AND createddate IS NOT NULL
    AND CAST(CAST(__year AS varchar) || '-' || CAST(__month AS varchar) || '-' || CAST(__day AS varchar) AS date)
      BETWEEN CAST(? AS date) AND CAST(? AS date)
    -- An incremental run reads only its claimed files: the bound list prunes the scan to
    -- them on every engine, the claim keeps those the engine saw when the run claimed them.
    -- A window run or a backfill binds '' as the run and reads whole capture days.
    AND (CAST(? AS varchar) = '' OR (
      "$path" IN (${source_files})
      AND "$path" IN (SELECT f.path FROM ingestion_file_claims f WHERE f.run = ?)))
  GROUP BY clientid
) AS s
ON (t.clientid = s.clientid)
-- The same order as the source: a later created time, or the same one with a greater name, so two
-- runs give what one run over both would.
WHEN MATCHED AND (
  s.createdtime > t.createdtime
  OR (s.createdtime = t.createdtime AND COALESCE(s.clientname, '') > COALESCE(t.clientname, ''))
) THEN UPDATE SET
  clientname = s.clientname,
  createdtime = s.createdtime
WHEN NOT MATCHED THEN INSERT (clientid, clientname, createdtime)
VALUES (s.clientid, s.clientname, s.createdtime)
