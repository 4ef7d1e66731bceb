-- Claims, for one incremental run, those of its new source files (the plan's list: the window's
-- S3 listing less the ledger) that the engine can read now, under the names the engine gives
-- them ("$path"). A file the listing shows but the table cannot see yet (its partition not yet
-- registered) is not claimed, and stays unread until a run can see it: no clock decides. Pass 1
-- reads exactly the run's claimed files, and ingestion/mark_files_read records them once both
-- passes have committed. Idempotent: a rerun claims nothing twice.
-- Parameters: 1 the run (the execution's name); 2 the first capture day of the window; 3 asOf;
-- then the plan's files, one per file slot ('' where the plan has fewer).
MERGE INTO ingestion_file_claims AS t
USING (
  SELECT
    CAST(? AS varchar) AS run,
    "$path" AS path,
    CAST(CAST(__year AS varchar) || '-' || CAST(__month AS varchar) || '-' || CAST(__day AS varchar) AS date) AS captureday
  FROM ${source_table}
  WHERE CAST(CAST(__year AS varchar) || '-' || CAST(__month AS varchar) || '-' || CAST(__day AS varchar) AS date)
      BETWEEN CAST(? AS date) AND CAST(? AS date)
    AND "$path" IN (${source_files})
  GROUP BY "$path", __year, __month, __day
) AS s
ON (t.run = s.run AND t.path = s.path)
WHEN NOT MATCHED THEN INSERT (run, path, captureday, claimedat)
  VALUES (s.run, s.path, s.captureday, CAST(current_timestamp AS timestamp(6)))
