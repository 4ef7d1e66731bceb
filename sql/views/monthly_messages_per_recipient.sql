-- monthly_messages_per_recipient: per month and channel, messages delivered against the distinct
-- recipients of that month across all channels. The column name's spelling is Power BI's.
CREATE OR REPLACE VIEW monthly_messages_per_recipient AS
SELECT
  m.createdmonth,
  m.communicationtype,
  r.totalmonthlyrecipients,
  m.messagedeliveredcount,
  CAST(m.messagedeliveredcount AS double) / r.totalmonthlyrecipients AS averagemessagesperecipient
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
