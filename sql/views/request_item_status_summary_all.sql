-- request_item_status_summary_all: one item status summary for every client. A client with any
-- batch rows is read from the batch table only; the others from the plain table, with
-- requestrefid and requestid NULL.
CREATE OR REPLACE VIEW request_item_status_summary_all AS
SELECT s.clientid, s.campaignid, s.sendinggroupid, s.sendinggroupidversion,
       CAST(NULL AS varchar) AS requestrefid, CAST(NULL AS varchar) AS requestid, s.createddate,
       s.requestedcount, s.deliveredcount, s.failedcount, s.completedcount, s.outstandingcount,
       s.nhsappdeliveredcount, s.emaildeliveredcount, s.smsdeliveredcount, s.letterdeliveredcount,
       s.nhsappfailedcount, s.emailfailedcount, s.smsfailedcount, s.letterfailedcount
FROM request_item_status_summary s
WHERE NOT EXISTS (
  SELECT 1 FROM request_item_status_summary_batch b WHERE b.clientid = s.clientid)
UNION ALL
SELECT clientid, campaignid, sendinggroupid, sendinggroupidversion, requestrefid, requestid,
       createddate, requestedcount, deliveredcount, failedcount, completedcount, outstandingcount,
       nhsappdeliveredcount, emaildeliveredcount, smsdeliveredcount, letterdeliveredcount,
       nhsappfailedcount, emailfailedcount, smsfailedcount, letterfailedcount
FROM request_item_status_summary_batch
