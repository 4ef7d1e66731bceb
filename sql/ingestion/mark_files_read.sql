-- Records in the ledger, for every pass-1 query, the files parameter 1's run claimed: run only
-- after both passes of that run have committed, so a failed run leaves its files unread and the
-- next run reads them again (the MERGEs are idempotent). One-way and idempotent: a file is
-- recorded once per query, by the first run that read it. The ids are the catalog's pass-1
-- queries (a test holds them to it).
MERGE INTO ingestion_files AS t
USING (
  SELECT q.query, c.path, min(c.captureday) AS captureday, min(c.run) AS run
  FROM ingestion_file_claims c
  CROSS JOIN (
    VALUES ('ingestion/request_item_status'), ('ingestion/request_item_plan_status'), ('ingestion/client_latest_name')
  ) AS q (query)
  WHERE c.run = ?
  GROUP BY q.query, c.path
) AS s
ON (t.query = s.query AND t.path = s.path)
WHEN NOT MATCHED THEN INSERT (query, path, captureday, run, readat)
  VALUES (s.query, s.path, s.captureday, s.run, CAST(current_timestamp AS timestamp(6)))
