-- stuck_request_items (StuckRequestItemsCount): per client and campaign ('N/A' when none), the
-- items of the last 90 days stuck in enrichment: ENRICHED for over 6 days, or PENDING_ENRICHMENT
-- for over 2 days (against midnight UTC of the reference date). Zero counts included.
-- Parameter: the reference date (asOf).
WITH reference AS (
  SELECT CAST(CAST(? AS date) AS timestamp) AS d
)
SELECT
  i.clientid,
  COALESCE(NULLIF(i.campaignid, ''), 'N/A') AS campaignid,
  count_if(
    (i.status = 'ENRICHED' AND i.createdtime < date_add('day', -6, r.d))
    OR (i.status = 'PENDING_ENRICHMENT' AND i.createdtime < date_add('day', -2, r.d))
  ) AS count
FROM request_item_status i
CROSS JOIN reference r
WHERE i.createdtime >= date_add('day', -90, r.d)
  AND i.clientid IS NOT NULL
GROUP BY i.clientid, COALESCE(NULLIF(i.campaignid, ''), 'N/A')
