-- daily_recipient_distribution: how many recipients got N messages on a day through a channel.
CREATE OR REPLACE VIEW daily_recipient_distribution AS
SELECT createddate, communicationtype, messagecount, count(*) AS recipientcount
FROM (
  SELECT createddate, communicationtype, nhsnumberhash, count(*) AS messagecount
  FROM delivered_messages
  GROUP BY createddate, communicationtype, nhsnumberhash
) per_recipient
GROUP BY createddate, communicationtype, messagecount
