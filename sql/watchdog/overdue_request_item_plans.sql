-- overdue_request_item_plans (OverdueRequestItemPlansCount): per client and campaign ('N/A' when
-- none), the plans created in the 90 days before the reference date that are not yet FAILED,
-- DELIVERED or SKIPPED and are older than their channel allows: a first NHS App, SMS or email
-- plan 4 days, a first letter 7 days, any second plan 10 days, any plan 2 weeks. Ages are against
-- midnight UTC of the reference date. Every client and campaign of the window has a row, zero
-- included, so metric series stay alive.
-- Parameter: the reference date (asOf).
WITH reference AS (
  SELECT CAST(CAST(? AS date) AS timestamp) AS d
)
SELECT
  p.clientid,
  COALESCE(NULLIF(p.campaignid, ''), 'N/A') AS campaignid,
  count_if(
    COALESCE(p.status, '') NOT IN ('FAILED', 'DELIVERED', 'SKIPPED')
    AND (
      (p.ordernumber = 1 AND p.communicationtype IN ('NHSAPP', 'SMS', 'EMAIL')
        AND p.createdtime < date_add('day', -4, r.d))
      OR (p.ordernumber = 1 AND p.communicationtype = 'LETTER' AND p.createdtime < date_add('day', -7, r.d))
      OR (p.ordernumber = 2 AND p.createdtime < date_add('day', -10, r.d))
      OR p.createdtime < date_add('day', -14, r.d)
    )
  ) AS count
FROM request_item_plan_status p
CROSS JOIN reference r
WHERE p.createdtime >= date_add('day', -90, r.d)
  AND p.clientid IS NOT NULL
GROUP BY p.clientid, COALESCE(NULLIF(p.campaignid, ''), 'N/A')
