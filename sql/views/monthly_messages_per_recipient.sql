-- monthly_messages_per_recipient: per month and channel, messages delivered against the distinct
-- recipients of that month across all channels. The column name's spelling is Power BI's.
-- Both counts are multiplied by the decimal 1.0, so the quotient is a decimal with one place
-- (Trino's decimal division, rounded half up): 79 / 32 shows as 2.5.
CREATE OR REPLACE VIEW monthly_messages_per_recipient AS
SELECT
  m.createdmonth,
  m.communicationtype,
  r.totalmonthlyrecipients,
  m.messagedeliveredcount,
  (m.messagedeliveredcount * 1.0) / (r.totalmonthlyrecipients * 1.0) AS averagemessagesperecipient
FROM (
  SELECT createdmonth, communicationtype, count(*) AS messagedeliveredcount
  FROM delivered_messages
  GROUP BY createdmonth, communicationtype
) m
JOIN (
  SELECT createdmonth, count(DISTINCT nhsnumberhash) AS totalmonthlyrecipients
  FROM delivered_messages
  GROUP BY createdmonth
) r ON r.createdmonth = m.createdmonth
