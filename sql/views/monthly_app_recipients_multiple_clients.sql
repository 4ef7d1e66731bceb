-- monthly_app_recipients_multiple_clients: recipients who got NHS App messages from more than one
-- client in a month, by the number of clients.
CREATE OR REPLACE VIEW monthly_app_recipients_multiple_clients AS
SELECT createdmonth, clientcount, count(*) AS recipientcount
FROM (
  SELECT createdmonth, nhsnumberhash, count(DISTINCT clientid) AS clientcount
  FROM delivered_messages
  WHERE communicationtype = 'NHSAPP'
  GROUP BY createdmonth, nhsnumberhash
) per_recipient
WHERE clientcount > 1
GROUP BY createdmonth, clientcount
