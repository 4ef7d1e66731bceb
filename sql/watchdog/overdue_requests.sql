-- overdue_requests (OverdueRequestsCount): per client and campaign ('N/A' when none), the requests
-- first created 2 weeks to 90 days before the reference date that still have an item that is not
-- FAILED or DELIVERED. A request's date is that of the earliest of all its items, however old, as
-- in the running system: so every item of request_item_status is read (a request with an item
-- older than 90 days is not overdue here, however new its other items). Zero counts included.
-- Parameter: the reference date (asOf).
WITH reference AS (
  SELECT CAST(CAST(? AS date) AS timestamp) AS d
),
requests AS (
  SELECT
    i.clientid,
    COALESCE(NULLIF(i.campaignid, ''), 'N/A') AS campaignid,
    i.requestid,
    CAST(min(i.createdtime) AS date) AS createddate,
    count(*) AS items,
    count_if(i.status IN ('FAILED', 'DELIVERED')) AS completed
  FROM request_item_status i
  WHERE i.clientid IS NOT NULL
  GROUP BY i.clientid, COALESCE(NULLIF(i.campaignid, ''), 'N/A'), i.requestid
)
SELECT
  q.clientid,
  q.campaignid,
  count_if(q.createddate < CAST(date_add('day', -14, r.d) AS date) AND q.items > q.completed) AS count
FROM requests q
CROSS JOIN reference r
WHERE q.createddate >= CAST(date_add('day', -90, r.d) AS date)
GROUP BY q.clientid, q.campaignid
