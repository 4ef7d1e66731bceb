-- request_item_status_summary_all: one item status summary for every client. A client with any
-- batch rows is read from the batch table only; the others from the plain table, with
-- requestrefid and requestid NULL. NOT IN, as the running system has it: a plain row whose clientid
-- is NULL shows only while the batch table is empty, and a batch row with a NULL clientid would hide
-- every plain row (NOT IN over a list holding NULL is never true).
CREATE OR REPLACE VIEW request_item_status_summary_all AS
SELECT s.clientid, s.campaignid, s.sendinggroupid, s.sendinggroupidversion,
       CAST(NULL AS varchar) AS requestrefid, CAST(NULL AS varchar) AS requestid, s.createddate,
       s.requestedcount, s.deliveredcount, s.failedcount, s.completedcount, s.outstandingcount,
       s.nhsappdeliveredcount, s.emaildeliveredcount, s.smsdeliveredcount, s.letterdeliveredcount,
       s.nhsappfailedcount, s.emailfailedcount, s.smsfailedcount, s.letterfailedcount
FROM request_item_status_summary s
WHERE s.clientid NOT IN (SELECT b.clientid FROM request_item_status_summary_batch b)
UNION ALL
SELECT clientid, campaignid, sendinggroupid, sendinggroupidversion, requestrefid, requestid,
       createddate, requestedcount, deliveredcount, failedcount, completedcount, outstandingcount,
       nhsappdeliveredcount, emaildeliveredcount, smsdeliveredcount, letterdeliveredcount,
       nhsappfailedcount, emailfailedcount, smsfailedcount, letterfailedcount
FROM request_item_status_summary_batch
