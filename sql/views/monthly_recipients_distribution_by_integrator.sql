-- monthly_recipients_distribution_by_integrator: the monthly distribution per client. Recipients
-- are distinct hashes, as the running system counts them: the messages of items without a hash
-- form one group that counts no recipient.
CREATE OR REPLACE VIEW monthly_recipients_distribution_by_integrator AS
SELECT createdmonth, clientid, messagedeliveredcount, count(DISTINCT nhsnumberhash) AS recipientcount
FROM (
  SELECT createdmonth, clientid, nhsnumberhash, count(*) AS messagedeliveredcount
  FROM delivered_messages
  GROUP BY createdmonth, clientid, nhsnumberhash
) per_recipient
GROUP BY createdmonth, clientid, messagedeliveredcount
