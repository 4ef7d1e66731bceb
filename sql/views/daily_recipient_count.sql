-- daily_recipient_count: distinct recipients per day, client and channel.
CREATE OR REPLACE VIEW daily_recipient_count AS
SELECT createddate, clientid, communicationtype, count(DISTINCT nhsnumberhash) AS recipientcount
FROM delivered_messages
GROUP BY createddate, clientid, communicationtype
