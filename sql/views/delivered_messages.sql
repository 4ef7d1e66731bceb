-- delivered_messages: one row per delivered request item per channel it was delivered through
-- (the item's completedcommunicationtypes), for items whose status is DELIVERED.
CREATE OR REPLACE VIEW delivered_messages AS
SELECT
  CAST(i.createdtime AS date) AS createddate,
  CAST(date_trunc('month', i.createdtime) AS date) AS createdmonth,
  i.nhsnumberhash,
  i.clientid,
  c.communicationtype,
  i.requestitemid
FROM request_item_status i
CROSS JOIN UNNEST(i.completedcommunicationtypes) AS c (communicationtype)
WHERE i.status = 'DELIVERED'
