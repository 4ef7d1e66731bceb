-- request_item_plan_completed_summary_all: one plan summary for every client. A client with any
-- batch rows is read from the batch table only; the others from the plain table, with
-- requestrefid and requestid NULL. NOT IN, as the running system has it: a plain row whose clientid
-- is NULL shows only while the batch table is empty, and a batch row with a NULL clientid would hide
-- every plain row (NOT IN over a list holding NULL is never true).
CREATE OR REPLACE VIEW request_item_plan_completed_summary_all AS
SELECT s.clientid, s.campaignid, s.sendinggroupid, s.sendinggroupidversion,
       CAST(NULL AS varchar) AS requestrefid, CAST(NULL AS varchar) AS requestid,
       s.communicationtype, s.supplier, s.createddate, s.completeddate, s.status, s.failedreason,
       s.contactdetailsource, s.channeltype, s.requestitemcount
FROM request_item_plan_completed_summary s
WHERE s.clientid NOT IN (SELECT b.clientid FROM request_item_plan_completed_summary_batch b)
UNION ALL
SELECT clientid, campaignid, sendinggroupid, sendinggroupidversion, requestrefid, requestid,
       communicationtype, supplier, createddate, completeddate, status, failedreason,
       contactdetailsource, channeltype, requestitemcount
FROM request_item_plan_completed_summary_batch
