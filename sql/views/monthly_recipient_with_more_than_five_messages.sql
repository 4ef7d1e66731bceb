-- monthly_recipient_with_more_than_five_messages: recipients whose monthly total over all clients
-- and channels is 5 or more (the name says "more than"; the rule has always been >= 5), per client.
CREATE OR REPLACE VIEW monthly_recipient_with_more_than_five_messages AS
SELECT createdmonth, monthlytotalmessages, nhsnumberhash, clientid,
       appdelivered, emaildelivered, smsdelivered, letterdelivered
FROM (
  SELECT
    createdmonth,
    nhsnumberhash,
    clientid,
    sum(count(*)) OVER (PARTITION BY createdmonth, nhsnumberhash) AS monthlytotalmessages,
    count_if(communicationtype = 'NHSAPP') AS appdelivered,
    count_if(communicationtype = 'EMAIL') AS emaildelivered,
    count_if(communicationtype = 'SMS') AS smsdelivered,
    count_if(communicationtype = 'LETTER') AS letterdelivered
  FROM delivered_messages
  GROUP BY createdmonth, nhsnumberhash, clientid
) per_client
WHERE monthlytotalmessages >= 5
