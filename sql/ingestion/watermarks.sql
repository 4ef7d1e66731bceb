-- Each pass-1 query's capture watermark, for the incremental run's plan (a probe: at most one row
-- per query, dates as text).
SELECT query, CAST(completethrough AS varchar) AS completethrough
FROM ingestion_watermarks
ORDER BY query
