-- raw_latency_3m: latency events of the last 3 months, from a start to a send.
--   First send: from the request's creation (the earliest item createdtime per client and request)
--   to the sendtime of each primary plan with ordernumber 1.
--   Fallback send: for primary plans with ordernumber > 1, from the latest completion of the up to
--   three plans before it (by ordernumber within the item; none counts as 2000-01-01) to its
--   sendtime.
-- Kept only when the start is on a weekday (judged on the UTC timestamp) and within 08:00-17:59
-- London time both 2 minutes before and 2 minutes after it (no race-condition noise at the edges).
CREATE OR REPLACE VIEW raw_latency_3m AS
WITH requests AS (
  SELECT clientid, requestid, min(createdtime) AS requesttime
  FROM request_item_status
  WHERE createdtime >= date_add('month', -3, current_date)
  GROUP BY clientid, requestid
),
primary_plans AS (
  SELECT clientid, campaignid, sendinggroupid, communicationtype, requestid, requestitemid,
         ordernumber, sendtime, completedtime
  FROM request_item_plan_status
  WHERE channeltype = 'primary'
    AND createdtime >= date_add('month', -3, current_date)
),
first_sends AS (
  SELECT p.clientid, p.campaignid, p.sendinggroupid, p.communicationtype,
         r.requesttime AS starttime, p.sendtime AS endtime
  FROM primary_plans p
  JOIN requests r ON r.clientid = p.clientid AND r.requestid = p.requestid
  WHERE p.ordernumber = 1
),
with_previous AS (
  SELECT clientid, campaignid, sendinggroupid, communicationtype, ordernumber, sendtime,
         lag(completedtime, 1) OVER (PARTITION BY requestitemid ORDER BY ordernumber) AS previous1,
         lag(completedtime, 2) OVER (PARTITION BY requestitemid ORDER BY ordernumber) AS previous2,
         lag(completedtime, 3) OVER (PARTITION BY requestitemid ORDER BY ordernumber) AS previous3
  FROM primary_plans
),
fallback_sends AS (
  SELECT clientid, campaignid, sendinggroupid, communicationtype,
         greatest(
           COALESCE(previous1, TIMESTAMP '2000-01-01 00:00:00'),
           COALESCE(previous2, TIMESTAMP '2000-01-01 00:00:00'),
           COALESCE(previous3, TIMESTAMP '2000-01-01 00:00:00')) AS starttime,
         sendtime AS endtime
  FROM with_previous
  WHERE ordernumber > 1
),
events AS (
  SELECT * FROM first_sends
  UNION ALL
  SELECT * FROM fallback_sends
)
SELECT clientid, campaignid, sendinggroupid, communicationtype, starttime, endtime
FROM events
WHERE starttime IS NOT NULL
  AND endtime IS NOT NULL
  AND starttime > TIMESTAMP '2000-01-01 00:00:00'
  AND day_of_week(starttime) <= 5
  AND hour(at_timezone(starttime + INTERVAL '2' MINUTE, 'Europe/London')) BETWEEN 8 AND 17
  AND hour(at_timezone(starttime - INTERVAL '2' MINUTE, 'Europe/London')) BETWEEN 8 AND 17
