-- monthly_app_recipients_distribution: how many recipients got N NHS App messages in a month.
CREATE OR REPLACE VIEW monthly_app_recipients_distribution AS
SELECT createdmonth, appmessagecount, count(*) AS recipientcount
FROM (
  SELECT createdmonth, nhsnumberhash, count(*) AS appmessagecount
  FROM delivered_messages
  WHERE communicationtype = 'NHSAPP'
  GROUP BY createdmonth, nhsnumberhash
) per_recipient
GROUP BY createdmonth, appmessagecount
