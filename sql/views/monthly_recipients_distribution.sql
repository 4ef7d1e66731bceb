-- monthly_recipients_distribution: how many recipients got N messages in a month (all channels).
CREATE OR REPLACE VIEW monthly_recipients_distribution AS
SELECT createdmonth, monthlytotalmessages, count(*) AS recipientcount
FROM (
  SELECT createdmonth, nhsnumberhash, count(*) AS monthlytotalmessages
  FROM delivered_messages
  GROUP BY createdmonth, nhsnumberhash
) per_recipient
GROUP BY createdmonth, monthlytotalmessages
