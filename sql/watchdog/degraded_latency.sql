-- degraded_latency (DegradedLatenciesCount): per client and campaign ('N/A' when none), how many
-- of its (sending group, channel) latency series are degraded today: today's median latency
-- (events ending on or after the reference date) above twice the 95th percentile of the month
-- before it, in seconds with the fraction. A series with no events on either side is not degraded. Zero counts included.
-- Parameter: the reference date (asOf).
WITH reference AS (
  SELECT CAST(CAST(? AS date) AS timestamp) AS d
),
series AS (
  SELECT
    e.clientid,
    COALESCE(NULLIF(e.campaignid, ''), 'N/A') AS campaignid,
    approx_percentile(CASE WHEN e.endtime >= date_add('month', -1, r.d) AND e.endtime < r.d
                           THEN to_unixtime(e.endtime) - to_unixtime(e.starttime) END, 0.95) AS monthp95,
    approx_percentile(CASE WHEN e.endtime >= r.d
                           THEN to_unixtime(e.endtime) - to_unixtime(e.starttime) END, 0.5) AS todayp50
  FROM raw_latency_3m e
  CROSS JOIN reference r
  WHERE e.endtime >= date_add('month', -1, r.d)
    AND e.clientid IS NOT NULL
  GROUP BY e.clientid, COALESCE(NULLIF(e.campaignid, ''), 'N/A'), e.sendinggroupid, e.communicationtype
)
SELECT
  clientid,
  campaignid,
  count_if(todayp50 > 2 * monthp95) AS count
FROM series
GROUP BY clientid, campaignid
