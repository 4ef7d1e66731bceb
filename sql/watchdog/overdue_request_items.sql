-- overdue_request_items (OverdueRequestItemsCount): per client and campaign ('N/A' when none), the
-- outstanding request items of days 2 weeks to 90 days before the reference date, from the item
-- status summary. Every client and campaign of the 90 days has a row, zero included.
-- Parameter: the reference date (asOf).
WITH reference AS (
  SELECT CAST(? AS date) AS d
)
SELECT
  s.clientid,
  COALESCE(NULLIF(s.campaignid, ''), 'N/A') AS campaignid,
  COALESCE(sum(CASE WHEN s.createddate < date_add('day', -14, r.d) THEN s.outstandingcount ELSE 0 END), 0) AS count
FROM request_item_status_summary s
CROSS JOIN reference r
WHERE s.createddate >= date_add('day', -90, r.d)
  AND s.clientid IS NOT NULL
GROUP BY s.clientid, COALESCE(NULLIF(s.campaignid, ''), 'N/A')
