-- latency_percentiles: approximate latency percentiles (seconds, with the fraction: to_unixtime is a
-- double) per client, campaign and channel,
-- over the events of raw_latency_3m that ended in the last 2 months. 25 percentiles: 0.1, 5, 10,
-- 15, ..., 95, 96, 97, 98, 99, 99.9 (the fraction x 100, a decimal with three places: 0.100). The fractions appear twice: the
-- percentile function needs them as a constant.
CREATE OR REPLACE VIEW latency_percentiles AS
WITH latencies AS (
  SELECT clientid, campaignid, communicationtype,
         approx_percentile(to_unixtime(endtime) - to_unixtime(starttime),
           ARRAY[0.001, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60,
                 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95, 0.96, 0.97, 0.98, 0.99, 0.999]) AS l
  FROM raw_latency_3m
  WHERE endtime >= date_add('month', -2, current_date)
  GROUP BY clientid, campaignid, communicationtype
)
SELECT
  clientid,
  campaignid,
  communicationtype,
  element_at(
    ARRAY[0.001, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60,
          0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95, 0.96, 0.97, 0.98, 0.99, 0.999], n) * 100
    AS percentile,
  element_at(l, n) AS latency
FROM latencies
CROSS JOIN UNNEST(sequence(1, 25)) AS positions (n)
