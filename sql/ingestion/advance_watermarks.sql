-- Moves every pass-1 query's capture watermark forward to parameter 1, the last capture day that
-- was complete when the run started; run only after every query of the run has committed, so a
-- failed run leaves the watermarks where they were. One-way: a watermark never moves back, so an
-- older run finishing late changes nothing. The ids are the catalog's pass-1 queries (a test holds
-- them to it).
MERGE INTO ingestion_watermarks AS t
USING (
  SELECT q.query, CAST(? AS date) AS completethrough
  FROM (
    VALUES ('ingestion/request_item_status'), ('ingestion/request_item_plan_status'), ('ingestion/client_latest_name')
  ) AS q (query)
) AS s
ON (t.query = s.query)
WHEN MATCHED AND t.completethrough < s.completethrough THEN UPDATE SET
  completethrough = s.completethrough,
  advancedat = CAST(current_timestamp AS timestamp(6))
WHEN NOT MATCHED THEN INSERT (query, completethrough, advancedat)
  VALUES (s.query, s.completethrough, CAST(current_timestamp AS timestamp(6)))
